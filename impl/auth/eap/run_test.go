package eap

import (
	"bytes"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
)

// detRand is a deterministic randomness source for a test.
func detRand(seed byte) io.Reader {
	return mrand.NewChaCha8([32]byte{seed})
}

// users is the password table of the test authenticators.
var users = map[string]string{
	"alice":         "correct horse",
	rfcUserName:     rfcPassword,
	`BIGCO\johndoe`: "Pässwörd",
	"bob":           "bobs secret",
}

func lookup(id []byte) ([]byte, bool) {
	pw, ok := users[string(id)]
	return []byte(pw), ok
}

func newServer(t testing.TB, cfg ServerConfig) *Server {
	t.Helper()
	if cfg.Password == nil {
		cfg.Password = lookup
	}
	if cfg.Rand == nil {
		cfg.Rand = detRand(1)
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newClient(t testing.TB, cfg ClientConfig) *Client {
	t.Helper()
	if cfg.Rand == nil {
		cfg.Rand = detRand(2)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// outcome is how a client <-> server run ended.
type outcome struct {
	srvSt, cliSt   Status
	srvErr, cliErr error
	transcript     [][]byte // every packet, server's first
}

// maxRunSteps bounds a run in the tests (the machines bound themselves
// much lower).
const maxRunSteps = 64

// run passes packets between the two machines until both ended.
func run(t testing.TB, s *Server, c *Client) outcome {
	t.Helper()
	var o outcome
	msg, st, err := s.Step(nil)
	o.srvSt, o.srvErr = st, err
	for range maxRunSteps {
		o.transcript = append(o.transcript, msg)
		var cmsg []byte
		cmsg, o.cliSt, o.cliErr = c.Step(msg)
		if o.srvSt != Continue || o.cliSt != Continue {
			// The server's last packet was EAP-Success or -Failure, or
			// the client ended the session (nothing to send).
			return o
		}
		o.transcript = append(o.transcript, cmsg)
		msg, o.srvSt, o.srvErr = s.Step(cmsg)
	}
	t.Fatalf("run did not end in %d steps", maxRunSteps)
	return o
}

// shape is the transcript without its random contents: Code, Type, and
// the MSCHAPv2 OpCode of each packet.
func shape(tr [][]byte) []string {
	var out []string
	for _, b := range tr {
		p, err := Decode(b)
		if err != nil {
			out = append(out, "malformed")
			continue
		}
		s := p.Code.String()
		if p.Type != 0 {
			s += "/" + p.Type.String()
		}
		if p.Type == TypeMSCHAPv2 {
			s += "/" + OpCode(p.Data[0]).String()
		}
		out = append(out, s)
	}
	return out
}

// TestRuns runs a Client against a Server to the end (RFC 3748 section 2's
// conversation; RFC 7296 section 2.16 carries it in IKE_AUTH).
func TestRuns(t *testing.T) {
	tests := []struct {
		name       string
		srv        ServerConfig
		cli        ClientConfig
		want       Status
		srvErr     error // errors.Is; nil for Success
		cliErr     error
		wantMSK    bool
		wantMethod Type
		wantShape  []string
	}{
		{
			name: "MSCHAPv2, right password (draft-kamath 2.1 to 2.4, RFC 2759)",
			cli:  ClientConfig{Identity: []byte("alice"), Password: []byte("correct horse")},
			want: Success, wantMSK: true, wantMethod: TypeMSCHAPv2,
			wantShape: []string{
				"Request/Identity", "Response/Identity",
				"Request/MSCHAPv2/Challenge", "Response/MSCHAPv2/Response",
				"Request/MSCHAPv2/Success", "Response/MSCHAPv2/Success",
				"Success",
			},
		},
		{
			name: "MSCHAPv2, RFC 2759 section 9.2's user",
			cli:  ClientConfig{Identity: []byte(rfcUserName), Password: []byte(rfcPassword)},
			want: Success, wantMSK: true, wantMethod: TypeMSCHAPv2,
		},
		{
			name: "MSCHAPv2, domain user and non-ASCII password (RFC 2759 section 4)",
			cli:  ClientConfig{Identity: []byte(`BIGCO\johndoe`), Password: []byte("Pässwörd")},
			want: Success, wantMSK: true, wantMethod: TypeMSCHAPv2,
		},
		{
			name: "MSCHAPv2, wrong password: Failure Request R=0, Failure Response, EAP-Failure (draft-kamath 2.5, 2.6)",
			cli:  ClientConfig{Identity: []byte("alice"), Password: []byte("wrong")},
			want: Failure, srvErr: ErrAuthFailed, cliErr: ErrRejected, wantMethod: TypeMSCHAPv2,
			wantShape: []string{
				"Request/Identity", "Response/Identity",
				"Request/MSCHAPv2/Challenge", "Response/MSCHAPv2/Response",
				"Request/MSCHAPv2/Failure", "Response/MSCHAPv2/Failure",
				"Failure",
			},
		},
		{
			name: "MSCHAPv2, wrong password, server allows retries: the client does not retry",
			srv:  ServerConfig{MaxRetries: 2},
			cli:  ClientConfig{Identity: []byte("alice"), Password: []byte("wrong")},
			want: Failure, srvErr: ErrAuthFailed, cliErr: ErrRejected, wantMethod: TypeMSCHAPv2,
		},
		{
			name: "MSCHAPv2, unknown identity fails like a wrong password",
			cli:  ClientConfig{Identity: []byte("mallory"), Password: []byte("wrong")},
			want: Failure, srvErr: ErrAuthFailed, cliErr: ErrRejected, wantMethod: TypeMSCHAPv2,
			wantShape: []string{
				"Request/Identity", "Response/Identity",
				"Request/MSCHAPv2/Challenge", "Response/MSCHAPv2/Response",
				"Request/MSCHAPv2/Failure", "Response/MSCHAPv2/Failure",
				"Failure",
			},
		},
		{
			name: "MD5, right password (RFC 3748 section 5.4): no MSK",
			srv:  ServerConfig{Methods: []Type{TypeMD5Challenge}},
			cli:  ClientConfig{Identity: []byte("alice"), Password: []byte("correct horse"), Methods: []Type{TypeMD5Challenge}},
			want: Success, wantMethod: TypeMD5Challenge,
			wantShape: []string{
				"Request/Identity", "Response/Identity",
				"Request/MD5-Challenge", "Response/MD5-Challenge",
				"Success",
			},
		},
		{
			name: "MD5, wrong password",
			srv:  ServerConfig{Methods: []Type{TypeMD5Challenge}},
			cli:  ClientConfig{Identity: []byte("alice"), Password: []byte("wrong"), Methods: []Type{TypeMD5Challenge}},
			want: Failure, srvErr: ErrAuthFailed, cliErr: ErrRejected, wantMethod: TypeMD5Challenge,
		},
		{
			name: "MD5, unknown identity",
			srv:  ServerConfig{Methods: []Type{TypeMD5Challenge}},
			cli:  ClientConfig{Identity: []byte("mallory"), Password: []byte(""), Methods: []Type{TypeMD5Challenge}},
			want: Failure, srvErr: ErrAuthFailed, cliErr: ErrRejected, wantMethod: TypeMD5Challenge,
		},
		{
			name: "Nak moves the server from MD5 to MSCHAPv2 (RFC 3748 section 5.3.1)",
			srv:  ServerConfig{Methods: []Type{TypeMD5Challenge, TypeMSCHAPv2}},
			cli:  ClientConfig{Identity: []byte("alice"), Password: []byte("correct horse")},
			want: Success, wantMSK: true, wantMethod: TypeMSCHAPv2,
			wantShape: []string{
				"Request/Identity", "Response/Identity",
				"Request/MD5-Challenge", "Response/Nak",
				"Request/MSCHAPv2/Challenge", "Response/MSCHAPv2/Response",
				"Request/MSCHAPv2/Success", "Response/MSCHAPv2/Success",
				"Success",
			},
		},
		{
			name: "no common method: Nak, EAP-Failure (RFC 3748 section 5.3.1)",
			srv:  ServerConfig{Methods: []Type{TypeMD5Challenge}},
			cli:  ClientConfig{Identity: []byte("alice"), Password: []byte("correct horse")},
			want: Failure, srvErr: ErrNoMethod, cliErr: ErrRejected,
			wantShape: []string{
				"Request/Identity", "Response/Identity",
				"Request/MD5-Challenge", "Response/Nak",
				"Failure",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.srv)
			c := newClient(t, tc.cli)
			o := run(t, s, c)
			if o.srvSt != tc.want || o.cliSt != tc.want {
				t.Fatalf("server %v (%v), client %v (%v); want %v", o.srvSt, o.srvErr, o.cliSt, o.cliErr, tc.want)
			}
			if !errIs(o.srvErr, tc.srvErr) || !errIs(o.cliErr, tc.cliErr) {
				t.Fatalf("server error %v, client error %v; want %v, %v", o.srvErr, o.cliErr, tc.srvErr, tc.cliErr)
			}
			if tc.wantShape != nil && !equalStrings(shape(o.transcript), tc.wantShape) {
				t.Errorf("transcript %q\nwant %q", shape(o.transcript), tc.wantShape)
			}
			if tc.wantMethod != 0 && (s.Method() != tc.wantMethod || c.Method() != tc.wantMethod) {
				t.Errorf("methods: server %v, client %v; want %v", s.Method(), c.Method(), tc.wantMethod)
			}
			if !bytes.Equal(s.Identity(), tc.cli.Identity) {
				t.Errorf("server identity %q, want %q", s.Identity(), tc.cli.Identity)
			}
			sm, cm := s.MSK(), c.MSK()
			switch {
			case tc.wantMSK && (len(sm) != MSKLen || !bytes.Equal(sm, cm)):
				t.Errorf("MSKs differ or have the wrong length:\nserver % X\nclient % X", sm, cm)
			case !tc.wantMSK && (sm != nil || cm != nil):
				t.Errorf("MSK without MSCHAPv2 success: server % X, client % X", sm, cm)
			}
			// After the end, both refuse further input.
			if _, st, err := s.Step(nil); !errors.Is(err, ErrFinished) || st != tc.want {
				t.Errorf("server Step after the end: %v, %v", st, err)
			}
			if _, st, err := c.Step([]byte{3, 1, 0, 4}); !errors.Is(err, ErrFinished) || st != tc.want {
				t.Errorf("client Step after the end: %v, %v", st, err)
			}
		})
	}
}

// TestMSCHAPv2MSKIsTheDerivation: the MSK of a run is MSCHAPv2MSK of the
// password hash and the NT-Response on the wire (RFC 3079 section 3.4).
func TestMSCHAPv2MSKIsTheDerivation(t *testing.T) {
	s := newServer(t, ServerConfig{})
	c := newClient(t, ClientConfig{Identity: []byte("alice"), Password: []byte("correct horse")})
	o := run(t, s, c)
	if o.cliSt != Success {
		t.Fatal(o.cliErr)
	}
	p, err := Decode(o.transcript[3])
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMSCHAPv2(p.Code, p.Data)
	if err != nil {
		t.Fatal(err)
	}
	ph, _ := NTPasswordHash([]byte("correct horse"))
	if want := MSCHAPv2MSK(ph, m.NTResponse); !bytes.Equal(c.MSK(), want) {
		t.Errorf("MSK % X, want % X", c.MSK(), want)
	}
}

// TestServerRetry drives a server by hand: a wrong NT-Response gets a
// Failure Request with R=1 and a new challenge (RFC 2759 section 6), and a
// right Response to that challenge succeeds.
func TestServerRetry(t *testing.T) {
	s := newServer(t, ServerConfig{MaxRetries: 1})
	req, _, _ := s.Step(nil)
	p := mustDecode(t, req)
	req = mustStep(t, s, encodeResponse(t, p.Identifier, TypeIdentity, []byte("alice")), Continue)
	p = mustDecode(t, req)
	ch, _ := ParseMSCHAPv2(p.Code, p.Data)

	wrong, _ := NTPasswordHash([]byte("wrong"))
	req = mustStep(t, s, msResponse(t, p.Identifier, ch.ID, ch.Challenge, "alice", wrong), Continue)
	p = mustDecode(t, req)
	fr, _ := ParseMSCHAPv2(p.Code, p.Data)
	f, err := ParseFailureMessage(fr.Message)
	if err != nil || fr.OpCode != OpFailure || !f.Retry || f.Error != 691 || f.Challenge == ch.Challenge {
		t.Fatalf("after a wrong Response: %v %+v (%v); want a Failure Request with R=1 and a new challenge", fr.OpCode, f, err)
	}

	right, _ := NTPasswordHash([]byte("correct horse"))
	req = mustStep(t, s, msResponse(t, p.Identifier, fr.ID, f.Challenge, "alice", right), Continue)
	p = mustDecode(t, req)
	if m, _ := ParseMSCHAPv2(p.Code, p.Data); m.OpCode != OpSuccess {
		t.Fatalf("after the retry: %v, want a Success Request", m.OpCode)
	}
	ack := encodeResponse(t, p.Identifier, TypeMSCHAPv2, []byte{byte(OpSuccess)})
	out := mustStep(t, s, ack, Success)
	if q := mustDecode(t, out); q.Code != CodeSuccess || q.Identifier != p.Identifier {
		t.Fatalf("end %v with Identifier %d, want Success with %d (RFC 3748 section 4.2)", q.Code, q.Identifier, p.Identifier)
	}
	if len(s.MSK()) != MSKLen {
		t.Error("no MSK after the retry succeeded")
	}
}

func errIs(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mustDecode(t testing.TB, b []byte) *Packet {
	t.Helper()
	p, err := Decode(b)
	if err != nil {
		t.Fatalf("decode % X: %v", b, err)
	}
	return p
}

// mustStep feeds a server and wants status st.
func mustStep(t testing.TB, s *Server, in []byte, st Status) []byte {
	t.Helper()
	out, got, err := s.Step(in)
	if got != st {
		t.Fatalf("server Step: %v (%v), want %v", got, err, st)
	}
	return out
}

func encodeResponse(t testing.TB, id uint8, typ Type, data []byte) []byte {
	t.Helper()
	b, err := encodeTyped(CodeResponse, id, typ, data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeRequest(t testing.TB, id uint8, typ Type, data []byte) []byte {
	t.Helper()
	b, err := encodeTyped(CodeRequest, id, typ, data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msResponse builds an MSCHAPv2 Response as a peer computes it.
func msResponse(t testing.TB, id, msID uint8, challenge [ChallengeLen]byte, name string, ph [16]byte) []byte {
	t.Helper()
	r := &MSCHAPv2{OpCode: OpResponse, ID: msID, Name: []byte(name)}
	r.PeerChallenge[0] = 0x42
	r.NTResponse = GenerateNTResponse(challenge, r.PeerChallenge, r.Name, ph)
	data, err := r.Marshal(CodeResponse)
	if err != nil {
		t.Fatal(err)
	}
	return encodeResponse(t, id, TypeMSCHAPv2, data)
}
