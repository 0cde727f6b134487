Feature: Impairments (deliberate faults in what an end sends)
  The engine can be told to break the protocol on purpose, as libreswan's
  impair does, so that a conformance suite can show that its judges see a
  fault when there is one. Here the other end, unimpaired, copes with it.

  Background:
    Given an initiator and a responder that share a pre-shared key

  @RFC7296-2.1-1 @RFC7296-2.3-8 @RFC7296-2.4-8
  Scenario: the responder drops its first IKE_AUTH response; the initiator retransmits
    Given the responder is impaired with "drop --exchange IKE_AUTH --response --nth 1"
    When the initiator starts the initial exchanges
    And the network delivers every message
    Then the responder logged "IMPAIRED: drop on IKE_AUTH response 1"
    When the network settles
    Then the initiator logged "retransmit 1 of request with message ID 1"
    And the responder logged "retransmitting response to request 1"
    And both ends hold one ESTABLISHED IKE SA with the same SPIs
    And each end holds 1 Child SA whose SPIs cross

  @RFC7296-4-3 @RFC7296-2.4-10
  Scenario: an unknown critical payload in the IKE_SA_INIT response is rejected
    Given the responder is impaired with "unknown-critical-payload --exchange IKE_SA_INIT --response"
    When the initiator starts the initial exchanges
    And the network delivers every message
    Then the initiator received "IKE_SA_INIT response 0 [ SA KE No"
    And the initiator logged "IKE_SA_INIT response with an unsupported critical payload PAYLOAD(200)"
    When the network settles
    And the network settles
    Then the initiator has reported the IKE SA down
    And neither end holds an IKE SA

  @RFC6989-2.3-1 @RFC6989-2.5-2
  Scenario: a KE payload of zeros fails the exchange
    Given the initiator is impaired with "zero-ke --exchange IKE_SA_INIT --request"
    When the initiator starts the initial exchanges
    And the network delivers every message
    Then the initiator logged "IMPAIRED: zero-ke on IKE_SA_INIT request 0"
    And the responder logged "the point at infinity"
    And the responder sent "IKE_SA_INIT response 0 [ N(INVALID_SYNTAX) ]"
    And the initiator has reported the IKE SA down
    And neither end holds an IKE SA
