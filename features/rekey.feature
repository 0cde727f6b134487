Feature: Rekeying (RFC 7296 sections 1.3.2, 1.3.3, 2.8)
  Either end may rekey a Child SA or the IKE SA with CREATE_CHILD_SA; the
  new SA replaces the old one, which is then deleted. When both ends rekey
  the same Child SA at once, the SA created with the lowest of the four
  nonces is closed and the ends converge to one pair.

  Background:
    Given an initiator and a responder that share a pre-shared key

  @RFC7296-1.3.3-1 @RFC7296-1.3-1 @RFC7296-2.8-9
  Scenario Outline: the <role> rekeys the Child SA
    Given an IKE SA with one Child SA between them
    When the <role> rekeys the Child SA
    And the network delivers every message
    Then the Child SA has new SPIs
    And each end holds 1 Child SA whose SPIs cross
    And no ESP packet in flight was lost
    And the <role> sent "CREATE_CHILD_SA request <id> [ N(REKEY_SA) SA No TSi TSr ]"

    Examples: message IDs count per direction, from 0 in IKE_SA_INIT
      | role      | id |
      | initiator | 2  |
      | responder | 0  |

  @RFC7296-1.3.2-1 @RFC7296-2.8-6
  Scenario Outline: the <role> rekeys the IKE SA
    Given an IKE SA with one Child SA between them
    When the <role> rekeys the IKE SA
    And the network delivers every message
    Then the IKE SA has new SPIs
    And each end holds 1 Child SA whose SPIs cross
    And no ESP packet in flight was lost
    And the <role> sent "CREATE_CHILD_SA request <id> [ SA No KE ]"
    And the <role> sent "INFORMATIONAL request <next> [ D ]"

    Examples:
      | role      | id | next |
      | initiator | 2  | 3    |
      | responder | 0  | 1    |

  @RFC7296-2.8.1-3 @RFC7296-2.25.1-2 @RFC7296-2.8.1-2
  Scenario Outline: simultaneous Child SA rekeys converge to one pair (seed <seed>)
    Given the random sources are seeded with <seed>
    And an IKE SA with one Child SA between them
    When both ends rekey the Child SA at once
    And the network delivers every message
    And the network settles
    Then the Child SA has new SPIs
    And each end holds 1 Child SA whose SPIs cross
    And the <closer> closed the redundant Child SA, created with the lowest nonce
    And no ESP packet in flight was lost
    And nothing is left in flight

    Examples: the seeds give the lowest nonce to either end
      | seed | closer    |
      | 1    | responder |
      | 2    | initiator |
      | 3    | responder |
      | 4    | responder |

  @RFC7296-2.8.2-1 @RFC7296-2.25.2-1
  Scenario Outline: simultaneous IKE SA rekeys converge to one IKE SA (seed <seed>)
    Given the random sources are seeded with <seed>
    And an IKE SA with one Child SA between them
    When both ends rekey the IKE SA at once
    And the network delivers every message
    And the network settles
    Then the IKE SA has new SPIs
    And each end holds 1 Child SA whose SPIs cross
    And the <closer> closed the redundant IKE SA, created with the lowest nonce
    And no ESP packet in flight was lost
    And nothing is left in flight

    Examples: the seeds give the lowest nonce to either end
      | seed | closer    |
      | 1    | initiator |
      | 2    | initiator |
      | 5    | responder |
      | 6    | responder |
