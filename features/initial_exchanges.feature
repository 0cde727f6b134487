Feature: The initial exchanges (RFC 7296 section 1.2)
  An IKE SA and its first Child SA come up in two exchanges: IKE_SA_INIT
  negotiates the cryptographic suite and the Diffie-Hellman exchange,
  IKE_AUTH authenticates both ends (here with a shared secret) and creates
  the first Child SA.

  Background:
    Given an initiator and a responder that share a pre-shared key

  @RFC7296-1.2-2 @RFC7296-2.6-1
  Scenario: IKE_SA_INIT and IKE_AUTH with a pre-shared key establish one IKE SA and one Child SA
    When the initiator starts the initial exchanges
    And the network delivers every message
    Then both ends hold one ESTABLISHED IKE SA with the same SPIs
    And each end holds 1 Child SA whose SPIs cross
    And each end has reported 1 ChildUp action

  @RFC7296-1.2-3 @RFC7296-2.4-3
  Scenario: the messages carry the payloads of section 1.2
    When the initiator starts the initial exchanges
    Then the message in flight is "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP)"
    When the network delivers every message
    Then the initiator sent "IKE_AUTH request 1 [ IDi N(INITIAL_CONTACT) IDr AUTH SA TSi TSr ]"
    And the initiator received "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]"

  @RFC7296-2.21.2-1 @RFC7296-1.2-2
  Scenario: a wrong pre-shared key gives AUTHENTICATION_FAILED and no SA
    Given the responder uses the pre-shared key "another-psk-entirely"
    When the initiator starts the initial exchanges
    And the network delivers every message
    Then the responder sent "IKE_AUTH response 1 [ N(AUTHENTICATION_FAILED) ]"
    And neither end holds an IKE SA
    And each end has reported 0 ChildUp actions
