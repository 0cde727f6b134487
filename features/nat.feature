Feature: NAT traversal (RFC 7296 section 2.23)
  Both ends send NAT_DETECTION_*_IP notifications in IKE_SA_INIT; when the
  hashes do not match the addresses seen, the NAT is detected, IKE moves to
  port 4500 and ESP is UDP-encapsulated.

  Background:
    Given an initiator and a responder that share a pre-shared key
    And the initiator is behind a NAT with the public address "203.0.113.7"
    When the initiator starts the initial exchanges
    And the network delivers every message

  @RFC7296-2.23-7 @RFC7296-2.23-11 @RFC7296-2.23-12
  Scenario: both ends detect the NAT in front of the initiator
    Then the IKE_SA_INIT messages of both ends carried NAT detection notifications
    And the initiator knows that it is behind a NAT
    And the responder knows that the initiator is behind a NAT

  @RFC7296-2.23-2 @RFC7296-2.23-5 @RFC7296-2.23-1
  Scenario: the initiator moves to port 4500 and ESP is UDP-encapsulated
    Then both ends hold one ESTABLISHED IKE SA with the same SPIs
    And the IKE SA runs between port 44500 of the initiator's NAT and port 4500 of the responder
    And the Child SA is UDP-encapsulated at both ends
