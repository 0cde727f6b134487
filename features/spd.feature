Feature: The SPD of gateway A (RFC 4301 sections 4.4.1, 5.1 and 5.2)
  The seed's gateway A (interface 2): IKE with 4.5.6.7 bypasses IPsec,
  traffic between 1.2.3.0/24 and 5.6.7.0/24 is protected by an ESP tunnel
  to 4.5.6.7, everything else bypasses. The first matching entry decides.

  Background:
    Given gateway A's SPD, in the local/remote convention:
      | name                 | protocol | local      | local port | remote     | remote port | action  | peer    |
      | IKE                  | UDP      | 2.3.4.5    | 500        | 4.5.6.7    | 500         | BYPASS  | -       |
      | Protect VPN traffic  | *        | 1.2.3.0/24 | *          | 5.6.7.0/24 | *           | PROTECT | 4.5.6.7 |
      | All other peers      | *        | *          | *          | *          | *           | BYPASS  | -       |

  @RFC4301-5.1-1 @RFC4301-5.2-2 @RFC4301-5.2-3 @RFC4301-4.4.1-3
  Scenario Outline: <direction> <proto> <src> -> <dst> is <action> by "<entry>"
    When an <direction> <proto> packet from <src> to <dst>
    Then the decision is <action> by the entry "<entry>"

    Examples:
      | direction | proto | src             | dst             | action  | entry               |
      | outbound  | udp   | 2.3.4.5:500     | 4.5.6.7:500     | BYPASS  | IKE                 |
      | outbound  | tcp   | 1.2.3.5:40000   | 5.6.7.8:80      | PROTECT | Protect VPN traffic |
      | outbound  | udp   | 1.2.3.5:53      | 5.6.7.8:53      | PROTECT | Protect VPN traffic |
      | outbound  | icmp  | 1.2.3.5         | 5.6.7.8         | PROTECT | Protect VPN traffic |
      | outbound  | tcp   | 1.2.3.5:1024    | 8.8.8.8:443     | BYPASS  | All other peers     |
      | outbound  | udp   | 2.3.4.5:500     | 4.5.6.8:500     | BYPASS  | All other peers     |
      | outbound  | udp   | 2.3.4.5:4500    | 4.5.6.7:4500    | BYPASS  | All other peers     |
      | outbound  | tcp   | 1.2.4.5:40000   | 5.6.7.8:80      | BYPASS  | All other peers     |
      | inbound   | udp   | 4.5.6.7:500     | 2.3.4.5:500     | BYPASS  | IKE                 |
      | inbound   | udp   | 4.5.6.7:1024    | 2.3.4.5:500     | BYPASS  | All other peers     |
      | inbound   | tcp   | 5.6.7.8:80      | 1.2.3.5:40000   | DISCARD | Protect VPN traffic |
      | inbound   | tcp   | 8.8.8.8:443     | 1.2.3.5:1024    | BYPASS  | All other peers     |

  @RFC4301-5.2-2
  Scenario: VPN traffic that arrives in the clear is discarded
    When an inbound tcp packet from 5.6.7.8:80 to 1.2.3.5:40000
    Then the decision is DISCARD by the entry "Protect VPN traffic"
    And the reason is "PROTECT entry, packet arrived in the clear"

  @RFC4301-5.1-2
  Scenario: outbound VPN traffic without an SA yet names the entry to negotiate
    When an outbound tcp packet from 1.2.3.5:40000 to 5.6.7.8:80
    Then the decision is PROTECT by the entry "Protect VPN traffic"
    And the reason is "not dropped"
