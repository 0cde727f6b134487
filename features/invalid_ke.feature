Feature: INVALID_KE_PAYLOAD (RFC 7296 sections 1.2 and 3.4)
  The initiator guesses the Diffie-Hellman group of its KE payload; a
  responder that selects another group rejects the request and names the
  group it wants.

  Background:
    Given an initiator and a responder that share a pre-shared key
    And the initiator accepts the groups "CURVE_25519, ECP_256"
    And the responder accepts the groups "ECP_256"

  @RFC7296-3.4-4 @RFC7296-3.4-2
  Scenario: the responder names the group it wants
    When the initiator starts the initial exchanges
    Then the message in flight carries a KE payload of "CURVE_25519"
    When the network delivers the next message
    Then the message in flight is "IKE_SA_INIT response 0 [ N(INVALID_KE_PAYLOAD) ]"
    And the message in flight carries N(INVALID_KE_PAYLOAD) naming "ECP_256"
    And the responder keeps no state for the initiator

  @RFC7296-1.2-4 @RFC7296-1.2-5
  Scenario: the retry with the named group succeeds
    When the initiator starts the initial exchanges
    And the network delivers the next message
    And the network delivers the next message
    Then the message in flight carries a KE payload of "ECP_256"
    And the initiator logged "received INVALID_KE_PAYLOAD, retrying with ECP_256"
    When the network delivers every message
    Then the IKE SA uses the group "ECP_256"
    And each end holds 1 Child SA whose SPIs cross
