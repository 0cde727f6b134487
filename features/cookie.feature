Feature: Cookies (RFC 7296 section 2.6)
  A responder under attack answers IKE_SA_INIT with a stateless cookie;
  the initiator proves it can receive at its address by sending it back.

  Background:
    Given an initiator and a responder that share a pre-shared key
    And the responder sends cookies to every initiator

  @RFC7296-2.6-2 @RFC7296-2.6-3
  Scenario: the responder answers N(COOKIE) and keeps no state
    When the initiator starts the initial exchanges
    And the network delivers the next message
    Then the message in flight is "IKE_SA_INIT response 0 [ N(COOKIE) ]"
    And the responder keeps no state for the initiator
    And the responder has sent 1 cookie

  @RFC7296-2.6-4
  Scenario: the initiator retries with the cookie as the first payload
    When the initiator starts the initial exchanges
    And the network delivers the next message
    And the network delivers the next message
    Then the message in flight carries the COOKIE notification as its first payload
    And the message in flight is "IKE_SA_INIT request 0 [ N(COOKIE) SA KE No"
    When the network delivers every message
    Then both ends hold one ESTABLISHED IKE SA with the same SPIs
    And each end holds 1 Child SA whose SPIs cross

  @RFC7296-2.6-4 @RFC7296-1.2-4
  Scenario: COOKIE, then INVALID_KE_PAYLOAD, then the IKE SA
    Given the initiator accepts the groups "CURVE_25519, ECP_256"
    And the responder accepts the groups "ECP_256"
    When the initiator starts the initial exchanges
    And the network delivers every message
    Then the responder sent "IKE_SA_INIT response 0 [ N(COOKIE) ]" 1 time
    And the responder sent "IKE_SA_INIT response 0 [ N(INVALID_KE_PAYLOAD) ]" 1 time
    And the initiator sent "IKE_SA_INIT request 0 [ N(COOKIE) SA KE No" 2 times
    And the IKE SA uses the group "ECP_256"
    And each end holds 1 Child SA whose SPIs cross
