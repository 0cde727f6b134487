Feature: The ESP anti-replay window (RFC 4303 section 3.4.3)
  The receiver of an ESP SA checks each packet's sequence number against a
  sliding window: duplicates and packets left of the window are dropped,
  packets within it arrive in any order.

  Background:
    Given an ESP SA whose receiver keeps a 64-packet anti-replay window
    And the sender has sealed packets 1 to 200

  @RFC4303-3.4.3-5 @RFC4303-3.4.3-4
  Scenario: a replayed packet is dropped
    When the receiver gets packet 1
    Then the packet is accepted
    When the receiver gets packet 1 again
    Then the packet is dropped as a replay
    And the receiver has accepted 1 packets and dropped 1 as replays

  @RFC4303-3.4.3-5 @RFC4303-3.4.3-10
  Scenario: a packet left of the window is dropped, the leftmost one in it accepted
    When the receiver gets packet 100
    Then the right edge of the window is 100
    When the receiver gets packet 36
    Then the packet is dropped as a replay
    When the receiver gets packet 37
    Then the packet is accepted

  @RFC4303-3.4.3-5 @RFC4303-3.4.3-11
  Scenario: packets out of order within the window are accepted once each
    When the receiver gets packets 10, 5, 7, 9, 6, 8, 70, 11 and accepts each
    Then the right edge of the window is 70
    When the receiver gets packet 7 again
    Then the packet is dropped as a replay
    And the receiver has accepted 8 packets and dropped 1 as replays
