package eap

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// The bad cases of each machine: what a misbehaving or malicious other end
// sends, and the rule that refuses it. The CVE-2021-45079 class (an
// EAP-Success that skips the method, or the method's proof of the server)
// comes first.

var (
	testChallenge = [ChallengeLen]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	alicePass     = "correct horse"
)

// Builders of the authenticator's packets for scripted client tests.
func idReq(t testing.TB, id uint8) []byte { return encodeRequest(t, id, TypeIdentity, nil) }

func msChallenge(t testing.TB, id, msID uint8) []byte {
	t.Helper()
	c := &MSCHAPv2{OpCode: OpChallenge, ID: msID, Challenge: testChallenge, Name: []byte("srv")}
	data, err := c.Marshal(CodeRequest)
	if err != nil {
		t.Fatal(err)
	}
	return encodeRequest(t, id, TypeMSCHAPv2, data)
}

func msRequest(t testing.TB, id, msID uint8, op OpCode, msg string) []byte {
	t.Helper()
	data, err := (&MSCHAPv2{OpCode: op, ID: msID, Message: []byte(msg)}).Marshal(CodeRequest)
	if err != nil {
		t.Fatal(err)
	}
	return encodeRequest(t, id, TypeMSCHAPv2, data)
}

// rightSuccess is the Success Request an authenticator that knows password
// sends for the client's Response last (to msChallenge).
func rightSuccess(t testing.TB, id uint8, password string, last []byte) []byte {
	t.Helper()
	p := mustDecode(t, last)
	r, err := ParseMSCHAPv2(p.Code, p.Data)
	if err != nil || r.OpCode != OpResponse {
		t.Fatalf("client's last packet is not an MSCHAPv2 Response: %v", err)
	}
	ph, _ := NTPasswordHash([]byte(password))
	a := GenerateAuthenticatorResponse(ph, r.NTResponse, r.PeerChallenge, testChallenge, r.Name)
	return msRequest(t, id, r.ID, OpSuccess, AuthString(a)+" M=ok")
}

func eapSuccess(id uint8) []byte { return pkt(3, id, -1) }
func eapFailure(id uint8) []byte { return pkt(4, id, -1) }

const failMsg = "E=691 R=0 C=00112233445566778899AABBCCDDEEFF V=3 M=no"

// cstep is one packet to a client: built from the client's last output,
// with the status and error (errors.Is) it must yield.
type cstep struct {
	in  func(t testing.TB, last []byte) []byte
	st  Status
	err error
	out func(t testing.TB, out []byte) // optional check of the output
}

func fixed(b func(t testing.TB) []byte) func(testing.TB, []byte) []byte {
	return func(t testing.TB, _ []byte) []byte { return b(t) }
}

func TestClientRefuses(t *testing.T) {
	mschapStart := []cstep{
		{in: fixed(func(t testing.TB) []byte { return idReq(t, 1) }), st: Continue},
		{in: fixed(func(t testing.TB) []byte { return msChallenge(t, 2, 2) }), st: Continue},
	}
	verified := append(append([]cstep{}, mschapStart...), cstep{
		in: func(t testing.TB, last []byte) []byte { return rightSuccess(t, 3, alicePass, last) }, st: Continue,
		out: func(t testing.TB, out []byte) {
			if !bytes.Equal(out, pkt(2, 3, -1, 26, 3)) {
				t.Fatalf("Success Response % X, want the OpCode alone (draft-kamath 2.4)", out)
			}
		},
	})
	tests := []struct {
		name    string
		methods []Type
		steps   []cstep
	}{
		{"EAP-Success as the first packet (RFC 3748 4.2; CVE-2021-45079)", nil, []cstep{
			{in: fixed(func(testing.TB) []byte { return eapSuccess(0) }), st: Failure, err: ErrEarlySuccess},
		}},
		{"EAP-Success after the Identity exchange (CVE-2021-45079)", nil, []cstep{
			mschapStart[0],
			{in: fixed(func(testing.TB) []byte { return eapSuccess(1) }), st: Failure, err: ErrEarlySuccess},
		}},
		{"EAP-Success after the MSCHAPv2 Response, before the authenticator response (CVE-2021-45079)", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(testing.TB) []byte { return eapSuccess(2) }), st: Failure, err: ErrEarlySuccess},
			cstep{in: fixed(func(testing.TB) []byte { return eapSuccess(2) }), st: Failure, err: ErrFinished},
		)},
		{"MSCHAPv2 Success Request with a wrong authenticator response (RFC 2759 5, 8.8)", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return msRequest(t, 3, 2, OpSuccess, goodAuth) }), st: Failure, err: ErrServerAuth},
			cstep{in: fixed(func(testing.TB) []byte { return eapSuccess(3) }), st: Failure, err: ErrFinished},
		)},
		{"MSCHAPv2 Success Request from a server with another password (RFC 2759 8.7)", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: func(t testing.TB, last []byte) []byte { return rightSuccess(t, 3, "not alice's", last) }, st: Failure, err: ErrServerAuth},
		)},
		{"MSCHAPv2 Success Request without a Challenge (draft-kamath 2.3)", nil, []cstep{
			mschapStart[0],
			{in: fixed(func(t testing.TB) []byte { return msRequest(t, 2, 2, OpSuccess, goodAuth) }), st: Failure, err: ErrUnexpected},
		}},
		{"MSCHAPv2 Success Request with another MS-CHAPv2-ID (draft-kamath 2.3)", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return msRequest(t, 3, 7, OpSuccess, goodAuth) }), st: Failure, err: ErrIdentifier},
		)},
		{"verified run, EAP-Success with the wrong Identifier (RFC 3748 4.2)", nil, append(append([]cstep{}, verified...),
			cstep{in: fixed(func(testing.TB) []byte { return eapSuccess(9) }), st: Failure, err: ErrIdentifier},
		)},
		{"verified run, EAP-Success with the right Identifier", nil, append(append([]cstep{}, verified...),
			cstep{in: fixed(func(testing.TB) []byte { return eapSuccess(3) }), st: Success},
		)},
		{"EAP-Success after an MSCHAPv2 Failure Request (draft-kamath 2.5, 2.6)", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return msRequest(t, 3, 2, OpFailure, failMsg) }), st: Continue,
				out: func(t testing.TB, out []byte) {
					if !bytes.Equal(out, pkt(2, 3, -1, 26, 4)) {
						t.Fatalf("Failure Response % X, want the OpCode alone (draft-kamath 2.6)", out)
					}
				}},
			cstep{in: fixed(func(testing.TB) []byte { return eapSuccess(3) }), st: Failure, err: ErrEarlySuccess},
		)},
		{"EAP-Failure after an MSCHAPv2 Failure Request", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return msRequest(t, 3, 2, OpFailure, failMsg) }), st: Continue},
			cstep{in: fixed(func(testing.TB) []byte { return eapFailure(3) }), st: Failure, err: ErrRejected},
		)},
		{"EAP-Failure at any time (RFC7296-2.16-9)", nil, []cstep{
			mschapStart[0],
			{in: fixed(func(testing.TB) []byte { return eapFailure(1) }), st: Failure, err: ErrRejected},
		}},
		{"exact duplicate Request: the same Response, not reprocessed (RFC 3748 4.1)", nil, []cstep{
			mschapStart[0], mschapStart[1],
			{in: fixed(func(t testing.TB) []byte { return msChallenge(t, 2, 2) }), st: Continue},
		}},
		{"new Request reusing the Identifier (RFC 3748 4.1)", nil, []cstep{
			mschapStart[0],
			{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 1, TypeNotification, []byte("hi")) }), st: Failure, err: ErrIdentifier},
		}},
		{"EAP-TLS before a method: Nak proposing MSCHAPv2 (RFC 3748 5.3.1)", nil, []cstep{
			{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 1, 13, []byte{0x20}) }), st: Continue,
				out: func(t testing.TB, out []byte) {
					if !bytes.Equal(out, pkt(2, 1, -1, 3, 26)) {
						t.Fatalf("Nak % X, want Nak of MSCHAPv2", out)
					}
				}},
		}},
		{"MD5 to an MSCHAPv2-only peer: Nak (RFC 3748 5.3.1; RFC7296-2.16-5)", nil, []cstep{
			{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 1, TypeMD5Challenge, []byte{1, 0xaa}) }), st: Continue,
				out: func(t testing.TB, out []byte) {
					if !bytes.Equal(out, pkt(2, 1, -1, 3, 26)) {
						t.Fatalf("Nak % X, want Nak of MSCHAPv2", out)
					}
				}},
		}},
		{"Expanded Type before a method: legacy Nak (RFC 3748 5.3.1, 5.7)", []Type{TypeMSCHAPv2, TypeMD5Challenge}, []cstep{
			{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 1, TypeExpanded, []byte{0, 0, 0, 0, 0, 0, 5}) }), st: Continue,
				out: func(t testing.TB, out []byte) {
					if !bytes.Equal(out, pkt(2, 1, -1, 3, 26, 4)) {
						t.Fatalf("Nak % X, want Nak of MSCHAPv2 and MD5", out)
					}
				}},
		}},
		{"another Type once MSCHAPv2 started (RFC 3748 2.1, 5.3.1)", []Type{TypeMSCHAPv2, TypeMD5Challenge}, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 3, TypeMD5Challenge, []byte{1, 0xaa}) }), st: Failure, err: ErrUnexpected},
		)},
		{"unknown Type once MSCHAPv2 started: refused, not Nak'ed (RFC 3748 5.3.1)", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 3, 13, []byte{0x20}) }), st: Failure, err: ErrUnexpected},
		)},
		{"Identity Request once the method started", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return idReq(t, 3) }), st: Failure, err: ErrUnexpected},
		)},
		{"a second MSCHAPv2 Challenge", nil, append(append([]cstep{}, mschapStart...),
			cstep{in: fixed(func(t testing.TB) []byte { return msChallenge(t, 3, 3) }), st: Failure, err: ErrUnexpected},
		)},
		{"a Response sent to the peer (RFC 3748 4)", nil, []cstep{
			{in: fixed(func(t testing.TB) []byte { return encodeResponse(t, 1, TypeIdentity, []byte("x")) }), st: Failure, err: ErrUnexpected},
		}},
		{"malformed packet (RFC 3748 4)", nil, []cstep{
			{in: fixed(func(testing.TB) []byte { return []byte{1, 1, 0, 9, 1} }), st: Failure, err: ErrMalformed},
		}},
		{"Notification mid-run is answered; EAP-Success must then carry its Identifier (RFC 3748 4.2, 5.2)", nil, append(append([]cstep{}, verified...),
			cstep{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 4, TypeNotification, []byte("note")) }), st: Continue,
				out: func(t testing.TB, out []byte) {
					if !bytes.Equal(out, pkt(2, 4, -1, 2)) {
						t.Fatalf("Notification Response % X", out)
					}
				}},
			cstep{in: fixed(func(testing.TB) []byte { return eapSuccess(3) }), st: Failure, err: ErrIdentifier},
		)},
		{"MD5: a second MD5-Challenge (RFC 3748 5.4: one round)", []Type{TypeMD5Challenge}, []cstep{
			{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 1, TypeMD5Challenge, []byte{1, 0xaa}) }), st: Continue},
			{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 2, TypeMD5Challenge, []byte{1, 0xbb}) }), st: Failure, err: ErrUnexpected},
		}},
		{"MD5: EAP-Success after the answer; MD5 cannot prove the server (RFC 3748 5.4, RFC7296-2.16-5)", []Type{TypeMD5Challenge}, []cstep{
			{in: fixed(func(t testing.TB) []byte { return encodeRequest(t, 1, TypeMD5Challenge, []byte{1, 0xaa}) }), st: Continue,
				out: func(t testing.TB, out []byte) {
					v := MD5Response(1, []byte(alicePass), []byte{0xaa})
					if want := pkt(2, 1, -1, cat([]byte{4, 16}, v[:], []byte("alice"))...); !bytes.Equal(out, want) {
						t.Fatalf("MD5 Response % X\nwant % X", out, want)
					}
				}},
			{in: fixed(func(testing.TB) []byte { return eapSuccess(1) }), st: Success},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, ClientConfig{Identity: []byte("alice"), Password: []byte(alicePass), Methods: tc.methods})
			var last []byte
			var outs [][]byte
			for i, s := range tc.steps {
				out, st, err := c.Step(s.in(t, last))
				if st != s.st || !errIs(err, s.err) {
					t.Fatalf("step %d: %v (%v), want %v (%v)", i, st, err, s.st, s.err)
				}
				if err != nil && !strings.HasPrefix(err.Error(), "eap: ") {
					t.Errorf("step %d: error %q lacks the eap: prefix", i, err)
				}
				if st != Continue && out != nil {
					t.Errorf("step %d: client ended but sends % X", i, out)
				}
				if s.out != nil {
					s.out(t, out)
				}
				last = out
				outs = append(outs, out)
			}
			if c.result != Success && c.MSK() != nil {
				t.Error("MSK without success")
			}
			// The duplicate case: the repeated Challenge got the very
			// same Response (same peer challenge), not a new one.
			if strings.HasPrefix(tc.name, "exact duplicate") && !bytes.Equal(outs[1], outs[2]) {
				t.Errorf("duplicate Request answered differently:\n% X\n% X", outs[1], outs[2])
			}
		})
	}
}

// TestClientRoundBound: a run is bounded however the authenticator
// stretches it (Notifications here).
func TestClientRoundBound(t *testing.T) {
	c := newClient(t, ClientConfig{Identity: []byte("alice"), Password: []byte(alicePass)})
	for i := range MaxClientRounds {
		if _, st, err := c.Step(encodeRequest(t, uint8(i), TypeNotification, []byte("hi"))); st != Continue {
			t.Fatalf("Notification %d: %v %v", i, st, err)
		}
	}
	if _, st, err := c.Step(encodeRequest(t, MaxClientRounds, TypeNotification, []byte("hi"))); st != Failure || !errors.Is(err, ErrTooManyRounds) {
		t.Fatalf("round %d: %v %v, want ErrTooManyRounds", MaxClientRounds+1, st, err)
	}
}

// serverAt returns a server that has sent its first method Request to
// identity "alice", and that Request.
func serverAt(t testing.TB, cfg ServerConfig) (*Server, *Packet) {
	t.Helper()
	s := newServer(t, cfg)
	out, _, _ := s.Step(nil)
	p := mustDecode(t, out)
	out = mustStep(t, s, encodeResponse(t, p.Identifier, TypeIdentity, []byte("alice")), Continue)
	return s, mustDecode(t, out)
}

func challengeOf(t testing.TB, p *Packet) *MSCHAPv2 {
	t.Helper()
	m, err := ParseMSCHAPv2(p.Code, p.Data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestServerRefuses(t *testing.T) {
	alice, _ := NTPasswordHash([]byte(alicePass))
	bob, _ := NTPasswordHash([]byte(users["bob"]))
	tests := []struct {
		name string
		cfg  ServerConfig
		// feed gives the server its bad input(s), from its method Request,
		// and returns the last Step's results.
		feed func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error)
		st   Status
		err  error
	}{
		{"MSCHAPv2 Success Response instead of a Response: no success without the NT-Response (CVE-2021-45079 class)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step(encodeResponse(t, req.Identifier, TypeMSCHAPv2, []byte{byte(OpSuccess)}))
			}, Failure, ErrUnexpected},
		{"MSCHAPv2 Failure Response right after the Challenge", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step(encodeResponse(t, req.Identifier, TypeMSCHAPv2, []byte{byte(OpFailure)}))
			}, Failure, ErrUnexpected},
		{"Response with another Identifier (RFC 3748 4.1)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				m := challengeOf(t, req)
				return s.Step(msResponse(t, req.Identifier+1, m.ID, m.Challenge, "alice", alice))
			}, Failure, ErrIdentifier},
		{"Response with another MS-CHAPv2-ID (draft-kamath 2.2)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				m := challengeOf(t, req)
				return s.Step(msResponse(t, req.Identifier, m.ID+1, m.Challenge, "alice", alice))
			}, Failure, ErrIdentifier},
		{"right password of another user named in the Response (RFC 2759 4)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				m := challengeOf(t, req)
				out, st, err := s.Step(msResponse(t, req.Identifier, m.ID, m.Challenge, "bob", bob))
				if st != Continue || err != nil {
					return out, st, err
				}
				f := mustDecode(t, out)
				if fm := challengeOf(t, f); fm.OpCode != OpFailure {
					t.Fatalf("got %v, want a Failure Request", fm.OpCode)
				}
				return s.Step(encodeResponse(t, f.Identifier, TypeMSCHAPv2, []byte{byte(OpFailure)}))
			}, Failure, ErrAuthFailed},
		{"Name of another user, NT-Response from the identity's password (RFC 2759 4)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				m := challengeOf(t, req)
				out, st, err := s.Step(msResponse(t, req.Identifier, m.ID, m.Challenge, "bob", alice))
				if st != Continue || err != nil {
					return out, st, err
				}
				f := mustDecode(t, out)
				if fm := challengeOf(t, f); fm.OpCode != OpFailure {
					t.Fatalf("got %v, want a Failure Request", fm.OpCode)
				}
				return s.Step(encodeResponse(t, f.Identifier, TypeMSCHAPv2, []byte{byte(OpFailure)}))
			}, Failure, ErrAuthFailed},
		{"MSCHAPv2 Success Response with a stale Identifier after the Success Request (RFC 3748 4.1)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				m := challengeOf(t, req)
				mustStep(t, s, msResponse(t, req.Identifier, m.ID, m.Challenge, "alice", alice), Continue)
				return s.Step(encodeResponse(t, req.Identifier, TypeMSCHAPv2, []byte{byte(OpSuccess)}))
			}, Failure, ErrIdentifier},
		{"Nak once the method answered (RFC 3748 5.3.1)", ServerConfig{Methods: []Type{TypeMSCHAPv2, TypeMD5Challenge}},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				m := challengeOf(t, req)
				out := mustStep(t, s, msResponse(t, req.Identifier, m.ID, m.Challenge, "alice", alice), Continue)
				return s.Step(encodeResponse(t, mustDecode(t, out).Identifier, TypeNak, []byte{4}))
			}, Failure, ErrUnexpected},
		{"MD5 Response to an MSCHAPv2 Challenge (RFC 3748 5.3.1)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step(encodeResponse(t, req.Identifier, TypeMD5Challenge, cat([]byte{16}, rep(0, 16))))
			}, Failure, ErrUnexpected},
		{"Nak with nothing the server offers (RFC 3748 5.3.1)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step(encodeResponse(t, req.Identifier, TypeNak, []byte{0}))
			}, Failure, ErrNoMethod},
		{"Nak back to a method already refused: bounded (RFC 3748 5.3.1)", ServerConfig{Methods: []Type{TypeMD5Challenge, TypeMSCHAPv2}},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				out := mustStep(t, s, encodeResponse(t, req.Identifier, TypeNak, []byte{26}), Continue)
				return s.Step(encodeResponse(t, mustDecode(t, out).Identifier, TypeNak, []byte{4}))
			}, Failure, ErrNoMethod},
		{"MD5 Response with a wrong value (RFC 1994 4.1)", ServerConfig{Methods: []Type{TypeMD5Challenge}},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step(encodeResponse(t, req.Identifier, TypeMD5Challenge, cat([]byte{16}, rep(0, 16))))
			}, Failure, ErrAuthFailed},
		{"MD5 right value for another Identifier (RFC 1994 4.1)", ServerConfig{Methods: []Type{TypeMD5Challenge}},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				c, _ := ParseMD5Challenge(req.Code, req.Data)
				v := MD5Response(req.Identifier+1, []byte(alicePass), c.Value)
				return s.Step(encodeResponse(t, req.Identifier, TypeMD5Challenge, cat([]byte{16}, v[:])))
			}, Failure, ErrAuthFailed},
		{"retries are bounded: the Response after R=0 is refused (RFC 2759 6)", ServerConfig{MaxRetries: 1},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				wrong, _ := NTPasswordHash([]byte("wrong"))
				m := challengeOf(t, req)
				id, msID, ch := req.Identifier, m.ID, m.Challenge
				for i, wantRetry := range []bool{true, false} {
					out := mustStep(t, s, msResponse(t, id, msID, ch, "alice", wrong), Continue)
					p := mustDecode(t, out)
					fm := challengeOf(t, p)
					f, err := ParseFailureMessage(fm.Message)
					if err != nil || f.Retry != wantRetry {
						t.Fatalf("wrong Response %d: %+v %v; want R=%v", i, f, err, wantRetry)
					}
					id, msID, ch = p.Identifier, fm.ID, f.Challenge
				}
				return s.Step(msResponse(t, id, msID, ch, "alice", alice))
			}, Failure, ErrUnexpected},
		{"a Request sent to the authenticator (RFC 3748 4)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step(encodeRequest(t, req.Identifier, TypeIdentity, nil))
			}, Failure, ErrUnexpected},
		{"an EAP-Success sent to the authenticator (RFC 3748 4.2)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step(eapSuccess(req.Identifier))
			}, Failure, ErrUnexpected},
		{"malformed Response (RFC 3748 4)", ServerConfig{},
			func(t testing.TB, s *Server, req *Packet) ([]byte, Status, error) {
				return s.Step([]byte{2, req.Identifier, 0, 6, 26})
			}, Failure, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, req := serverAt(t, tc.cfg)
			out, st, err := tc.feed(t, s, req)
			if st != tc.st || !errIs(err, tc.err) {
				t.Fatalf("%v (%v), want %v (%v)", st, err, tc.st, tc.err)
			}
			if !strings.HasPrefix(err.Error(), "eap: ") {
				t.Errorf("error %q lacks the eap: prefix", err)
			}
			// RFC7296-2.16-8: a failed run answers with EAP-Failure.
			if p, derr := Decode(out); derr != nil || p.Code != CodeFailure {
				t.Errorf("server ended with % X, want an EAP-Failure", out)
			}
			if s.MSK() != nil {
				t.Error("MSK after a failure")
			}
			if _, _, err := s.Step(nil); !errors.Is(err, ErrFinished) {
				t.Errorf("Step after the end: %v", err)
			}
		})
	}
}

// TestServerRefusesEarly: the server's own start and its Identity rules.
func TestServerRefusesEarly(t *testing.T) {
	s := newServer(t, ServerConfig{})
	if out, st, err := s.Step([]byte{2, 0, 0, 5, 1}); st != Failure || !errors.Is(err, ErrUnexpected) || out == nil {
		t.Errorf("input before the Identity Request: %v %v % X", st, err, out)
	}
	for _, tc := range []struct {
		name string
		resp func(id uint8) []byte
		err  error
	}{
		{"Nak to the Identity Request (RFC 3748 5.3.1)", func(id uint8) []byte { return encodeResponse(t, id, TypeNak, []byte{26}) }, ErrUnexpected},
		{"empty identity (RFC 3748 5.1)", func(id uint8) []byte { return encodeResponse(t, id, TypeIdentity, nil) }, ErrUnexpected},
		{"Notification Response never asked for (RFC 3748 5.2)", func(id uint8) []byte { return encodeResponse(t, id, TypeNotification, nil) }, ErrUnexpected},
		{"wrong Identifier (RFC 3748 4.1)", func(id uint8) []byte { return encodeResponse(t, id-1, TypeIdentity, []byte("alice")) }, ErrIdentifier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, ServerConfig{})
			out, _, _ := s.Step(nil)
			p := mustDecode(t, out)
			out, st, err := s.Step(tc.resp(p.Identifier))
			if st != Failure || !errors.Is(err, tc.err) {
				t.Fatalf("%v %v, want %v", st, err, tc.err)
			}
			if q := mustDecode(t, out); q.Code != CodeFailure || q.Identifier != p.Identifier {
				t.Errorf("ended with %v Identifier %d, want Failure %d (RFC 3748 4.2)", q.Code, q.Identifier, p.Identifier)
			}
		})
	}
}

// zeroReader makes the server's stand-in password for an unknown identity
// predictable, to show that guessing it does not help.
type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// TestUnknownIdentityNeverSucceeds: the stand-in password of an unknown
// identity is random, and even a peer that knows it gets no Success.
func TestUnknownIdentityNeverSucceeds(t *testing.T) {
	standIn := []byte(strings.Repeat("0", 32)) // hex of 16 zero octets
	for _, m := range []Type{TypeMD5Challenge, TypeMSCHAPv2} {
		s := newServer(t, ServerConfig{Methods: []Type{m}, Rand: zeroReader{}})
		c := newClient(t, ClientConfig{Identity: []byte("mallory"), Password: standIn, Methods: []Type{m}})
		if o := run(t, s, c); o.srvSt != Failure || !errors.Is(o.srvErr, ErrAuthFailed) {
			t.Errorf("%v: server %v %v, want Failure (ErrAuthFailed)", m, o.srvSt, o.srvErr)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	srv := []ServerConfig{
		{},                                // no Password lookup
		{Password: lookup, MaxRetries: 4}, // past MaxRetriesLimit
		{Password: lookup, MaxRetries: -1},
		{Password: lookup, Methods: []Type{13}},
		{Password: lookup, Methods: []Type{TypeMD5Challenge, TypeMD5Challenge}},
		{Password: lookup, Name: strings.Repeat("n", 256)},
	}
	for i, cfg := range srv {
		if _, err := NewServer(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("server config %d: %v, want ErrConfig", i, err)
		}
	}
	cli := []ClientConfig{
		{Password: []byte("x")}, // no identity
		{Identity: []byte("a\x00"), Password: []byte("x")},
		{Identity: []byte("a"), Password: []byte{0xff}}, // not UTF-8, for MSCHAPv2
		{Identity: []byte("a"), Password: []byte(strings.Repeat("p", 257))},
		{Identity: []byte("a"), Methods: []Type{TypeIdentity}},
		{Identity: bytes.Repeat([]byte("a"), 256)},
	}
	for i, cfg := range cli {
		if _, err := NewClient(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("client config %d: %v, want ErrConfig", i, err)
		}
	}
	// MD5 takes any octets as its secret.
	if _, err := NewClient(ClientConfig{Identity: []byte("a"), Password: []byte{0xff}, Methods: []Type{TypeMD5Challenge}}); err != nil {
		t.Errorf("MD5 client with a binary secret: %v", err)
	}
}
