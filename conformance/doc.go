// Package conformance is ikev2ref's black-box conformance suite: it plays
// initiator or responder against an IKEv2 implementation under test (IUT)
// over real UDP (ports 500 and 4500) and gives a verdict per case and per
// requirement of RFC 7296 (and RFC 7383, 7427, 9370, 6989, 8247 ...).
//
// The suite judges the IUT on its own: it builds and reads messages with
// impl/wire and impl/crypto only and never uses impl/ike, the engine whose
// opinions it must not share (TestNoEngineImport keeps it so).
//
// A Case has a stable ID (INIT-001, grouped INIT, COOKIE, AUTH, CHILD,
// REKEY, INFO, NATT, FRAG, EAP, ESP, SPD, ROBUST), a title, a purpose, the
// RFC sections and the spec/ requirement IDs it checks, a tag (BASIC,
// ADVANCED, or the feature it needs), the IUT's role, and its steps as a
// ladder with numbered judgements. A profile (Profile) says what the IUT
// claims; a case that needs an unclaimed feature is SKIP, not FAIL.
//
// Verdicts: PASS, FAIL (naming the judgement step, with a go-difflib diff of
// the expected against the seen message structure), INCONCLUSIVE (the case
// could not reach the point it judges: no answer, a setup the IUT refused),
// SKIP (not claimed). Each run writes per case a pcap, a Wireshark key
// table and a log, and for the run JUnit XML, JSON and a self-contained
// HTML report (report.go). cmd/ikeconform is the command line.
package conformance
