Feature: Deleting SAs (RFC 7296 sections 1.4.1 and 2.25)
  An INFORMATIONAL exchange with Delete payloads closes a Child SA (both
  members of the pair) or the IKE SA with all its Child SAs, from either
  end; deletes that cross are answered without Delete payloads.

  Background:
    Given an initiator and a responder that share a pre-shared key
    And an IKE SA with one Child SA between them

  @RFC7296-1.4.1-1 @RFC7296-1.4.1-2 @RFC7296-1.4.1-3
  Scenario Outline: the <role> deletes the Child SA
    When the <role> deletes the Child SA
    And the network delivers every message
    Then both ends hold one ESTABLISHED IKE SA with the same SPIs
    And each end holds 0 Child SAs whose SPIs cross
    And the <role> received "INFORMATIONAL response <id> [ D ]"

    Examples: message IDs count per direction
      | role      | id |
      | initiator | 2  |
      | responder | 0  |

  @RFC7296-1.4.1-3 @RFC7296-2.4-11
  Scenario Outline: the <role> deletes the IKE SA
    When the <role> deletes the IKE SA
    And the <role> sent "INFORMATIONAL request <id> [ D ]"
    And the network delivers every message
    Then neither end holds an IKE SA
    And the initiator has reported the IKE SA down
    And the responder has reported the IKE SA down

    Examples: message IDs count per direction
      | role      | id |
      | initiator | 2  |
      | responder | 0  |

  @RFC7296-1.4.1-4 @RFC7296-1.4.1-5 @RFC7296-2.25.1-4
  Scenario: crossing deletes of the Child SA
    When both ends delete the Child SA at once
    And the network delivers every message
    Then both ends hold one ESTABLISHED IKE SA with the same SPIs
    And each end holds 0 Child SAs whose SPIs cross
    And the initiator sent "INFORMATIONAL response 0 [ ]"
    And the responder sent "INFORMATIONAL response 2 [ ]"

  @RFC7296-2.25.2-4
  Scenario: crossing deletes of the IKE SA
    When both ends delete the IKE SA at once
    And the network delivers every message
    And the network settles
    Then neither end holds an IKE SA
    And nothing is left in flight
