package eap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// Native Go fuzz targets: the decoder, and each state machine fed a
// sequence of packets. `go test` runs their seed corpora; `go test -fuzz
// FuzzServer ./impl/auth/eap` searches.

// maxFuzzPackets bounds the packets one fuzz input holds.
const maxFuzzPackets = 12

// splitPackets reads a fuzz input as packets, each a two-octet length and
// that many octets.
func splitPackets(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 && len(out) < maxFuzzPackets {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n > len(b) {
			n = len(b)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinPackets(ps [][]byte) []byte {
	var out []byte
	for _, p := range ps {
		out = binary.BigEndian.AppendUint16(out, uint16(len(p)))
		out = append(out, p...)
	}
	return out
}

// The configurations of the fuzzed machines; the seed runs use the same,
// with the same randomness, so that their transcripts are valid inputs.
func fuzzServerConfig() ServerConfig {
	return ServerConfig{Methods: []Type{TypeMSCHAPv2, TypeMD5Challenge}, MaxRetries: 1, Password: lookup, Rand: detRand(7)}
}

func fuzzClientConfig() ClientConfig {
	return ClientConfig{Identity: []byte("alice"), Password: []byte(alicePass), Methods: []Type{TypeMSCHAPv2, TypeMD5Challenge}, Rand: detRand(8)}
}

// seedRuns runs clients against servers and returns, per run, the
// packets each side received.
func seedRuns(f *testing.F, srvCfg func() ServerConfig, cliCfg func() ClientConfig) (toServer, toClient [][][]byte) {
	f.Helper()
	clients := []ClientConfig{
		{Identity: []byte("alice"), Password: []byte(alicePass)},
		{Identity: []byte("alice"), Password: []byte("wrong")},
		{Identity: []byte("alice"), Password: []byte(alicePass), Methods: []Type{TypeMD5Challenge}},
		{Identity: []byte("alice"), Password: []byte("wrong"), Methods: []Type{TypeMD5Challenge}},
		{Identity: []byte("mallory"), Password: []byte("x")},
	}
	servers := []ServerConfig{
		{},
		{Methods: []Type{TypeMD5Challenge}},
	}
	for _, sc := range servers {
		for _, cc := range clients {
			base := srvCfg()
			if sc.Methods != nil {
				base.Methods = sc.Methods
			}
			cbase := cliCfg()
			cbase.Identity, cbase.Password = cc.Identity, cc.Password
			if cc.Methods != nil {
				cbase.Methods = cc.Methods
			}
			s, err := NewServer(base)
			if err != nil {
				f.Fatal(err)
			}
			c, err := NewClient(cbase)
			if err != nil {
				f.Fatal(err)
			}
			o := run(f, s, c)
			var ts, tc [][]byte
			for i, p := range o.transcript {
				if i%2 == 0 {
					tc = append(tc, p)
				} else {
					ts = append(ts, p)
				}
			}
			toServer, toClient = append(toServer, ts), append(toClient, tc)
		}
	}
	return toServer, toClient
}

// checkErr: an error names the package and, if malformed, is a
// *DecodeError inside the packet.
func checkErr(t *testing.T, err error, in []byte) {
	t.Helper()
	if err == nil {
		return
	}
	if !strings.HasPrefix(err.Error(), "eap: ") {
		t.Fatalf("error %q lacks the eap: prefix", err)
	}
	var de *DecodeError
	if errors.As(err, &de) && (de.Offset < 0 || de.Offset > len(in) || de.Reason == "") {
		t.Fatalf("DecodeError offset %d outside the %d-octet packet or without a reason", de.Offset, len(in))
	}
}

// FuzzDecode: Decode never panics; a failure is a *DecodeError matching
// ErrMalformed inside the input; what decodes encodes back to the same
// octets, and the typed views of known Types re-marshal to the Type-Data.
func FuzzDecode(f *testing.F) {
	toServer, toClient := seedRuns(f, fuzzServerConfig, fuzzClientConfig)
	for _, run := range append(toServer, toClient...) {
		for _, p := range run {
			f.Add(p)
		}
	}
	f.Add([]byte{1, 1, 0, 6, 3, 4})
	f.Add([]byte{2, 1, 0, 10, 254, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not a *DecodeError matching ErrMalformed", err)
			}
			checkErr(t, err, b)
			return
		}
		enc, err := p.Encode()
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("Encode = % X, %v\nwant % X", enc, err, b)
		}
		switch p.Type {
		case TypeMSCHAPv2:
			m, err := ParseMSCHAPv2(p.Code, p.Data)
			if err != nil {
				t.Fatalf("decoded, but ParseMSCHAPv2: %v", err)
			}
			if d, err := m.Marshal(p.Code); err != nil || !bytes.Equal(d, p.Data) {
				t.Fatalf("MSCHAPv2 Marshal = % X, %v\nwant % X", d, err, p.Data)
			}
		case TypeMD5Challenge:
			m, err := ParseMD5Challenge(p.Code, p.Data)
			if err != nil {
				t.Fatalf("decoded, but ParseMD5Challenge: %v", err)
			}
			if d, err := m.Marshal(); err != nil || !bytes.Equal(d, p.Data) {
				t.Fatalf("MD5 Marshal = % X, %v\nwant % X", d, err, p.Data)
			}
		}
	})
}

// FuzzServer feeds a server a sequence of Responses. Besides never
// panicking, it must keep its contract (Failure exactly with an error, the
// EAP-Failure or EAP-Success it sends), and it may report Success only if
// the input held a proof that verifies against the identity's password,
// checked here independently of the server's state: an MD5 value or an
// NT-Response computed for the challenge the server had just sent.
func FuzzServer(f *testing.F) {
	toServer, _ := seedRuns(f, fuzzServerConfig, fuzzClientConfig)
	for _, run := range toServer {
		f.Add(joinPackets(run))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := NewServer(fuzzServerConfig())
		if err != nil {
			t.Fatal(err)
		}
		req, st, err := s.Step(nil)
		if st != Continue || err != nil {
			t.Fatalf("start: %v %v", st, err)
		}
		ended, proved := false, false
		var msk []byte
		for _, in := range splitPackets(b) {
			last := mustDecode(t, req)
			out, st, err := s.Step(in)
			checkErr(t, err, in)
			if ended {
				if out != nil || !errors.Is(err, ErrFinished) {
					t.Fatalf("after the end: % X, %v", out, err)
				}
				continue
			}
			if (st == Failure) != (err != nil) || (err != nil && errors.Is(err, ErrFinished)) {
				t.Fatalf("status %v with error %v", st, err)
			}
			if ok, key := serverProof(t, s, last, in); ok {
				proved, msk = true, key
			}
			p, derr := Decode(out)
			if derr != nil {
				t.Fatalf("server sent an undecodable packet % X: %v", out, derr)
			}
			switch st {
			case Continue:
				if p.Code != CodeRequest {
					t.Fatalf("Continue with a %v", p.Code)
				}
				req = out
			case Success:
				if p.Code != CodeSuccess || p.Identifier != in[1] {
					t.Fatalf("Success with %v Identifier %d; want EAP-Success answering %d", p.Code, p.Identifier, in[1])
				}
				if !proved {
					t.Fatalf("Success without a verifying proof in the input")
				}
				if s.Method() == TypeMSCHAPv2 && !bytes.Equal(s.MSK(), msk) {
					t.Fatalf("MSK % X, want % X", s.MSK(), msk)
				}
				if s.Method() == TypeMD5Challenge && s.MSK() != nil {
					t.Fatal("MSK from MD5")
				}
				ended = true
			case Failure:
				if p.Code != CodeFailure || s.MSK() != nil {
					t.Fatalf("Failure with %v, MSK % X", p.Code, s.MSK())
				}
				ended = true
			}
		}
	})
}

// serverProof reports whether Response in answers Request last with a
// proof that verifies for the server's identity (and, for MSCHAPv2, the
// MSK that proof yields).
func serverProof(t *testing.T, s *Server, last *Packet, in []byte) (bool, []byte) {
	pw, known := users[string(s.Identity())]
	p, err := Decode(in)
	if !known || err != nil || p.Code != CodeResponse || p.Identifier != last.Identifier || p.Type != last.Type {
		return false, nil
	}
	switch p.Type {
	case TypeMD5Challenge:
		c, _ := ParseMD5Challenge(last.Code, last.Data)
		r, _ := ParseMD5Challenge(p.Code, p.Data)
		v := MD5Response(p.Identifier, []byte(pw), c.Value)
		return bytes.Equal(v[:], r.Value), nil
	case TypeMSCHAPv2:
		c, _ := ParseMSCHAPv2(last.Code, last.Data)
		r, _ := ParseMSCHAPv2(p.Code, p.Data)
		if r.OpCode != OpResponse || r.ID != c.ID || !bytes.Equal(UserName(r.Name), UserName(s.Identity())) {
			return false, nil
		}
		challenge := c.Challenge
		if c.OpCode == OpFailure {
			f, err := ParseFailureMessage(c.Message)
			if err != nil || !f.Retry {
				return false, nil
			}
			challenge = f.Challenge
		} else if c.OpCode != OpChallenge {
			return false, nil
		}
		ph, _ := NTPasswordHash([]byte(pw))
		if GenerateNTResponse(challenge, r.PeerChallenge, r.Name, ph) != r.NTResponse {
			return false, nil
		}
		return true, MSCHAPv2MSK(ph, r.NTResponse)
	}
	return false, nil
}

// FuzzClient feeds a client a sequence of authenticator packets. Besides
// never panicking and keeping its contract, it may report Success only for
// an EAP-Success answering its last Response, after it answered an MD5
// challenge or after the input held the right authenticator response for
// its own MSCHAPv2 Response, checked here independently.
func FuzzClient(f *testing.F) {
	_, toClient := seedRuns(f, fuzzServerConfig, fuzzClientConfig)
	for _, run := range toClient {
		f.Add(joinPackets(run))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := NewClient(fuzzClientConfig())
		if err != nil {
			t.Fatal(err)
		}
		ended := false
		var (
			lastResp   *Packet
			challenge  *MSCHAPv2 // the Challenge the client answered
			msResp     *MSCHAPv2 // its Response
			serverOK   bool      // a right authenticator response arrived
			md5Sent    bool
			mskWant    []byte
			passHash   [16]byte
			passHashOK bool
		)
		passHash, err = NTPasswordHash([]byte(alicePass))
		passHashOK = err == nil
		for _, in := range splitPackets(b) {
			out, st, err := c.Step(in)
			checkErr(t, err, in)
			if ended {
				if out != nil || !errors.Is(err, ErrFinished) {
					t.Fatalf("after the end: % X, %v", out, err)
				}
				continue
			}
			if (st == Failure) != (err != nil) || (err != nil && errors.Is(err, ErrFinished)) {
				t.Fatalf("status %v with error %v", st, err)
			}
			p, _ := Decode(in)
			switch st {
			case Continue:
				r, derr := Decode(out)
				if derr != nil || r.Code != CodeResponse || r.Identifier != p.Identifier {
					t.Fatalf("Continue with % X (%v), want a Response with Identifier %d", out, derr, p.Identifier)
				}
				lastResp = r
				switch {
				case r.Type == TypeMD5Challenge:
					md5Sent = true
				case r.Type == TypeMSCHAPv2 && r.Data[0] == byte(OpResponse):
					challenge, _ = ParseMSCHAPv2(p.Code, p.Data)
					msResp, _ = ParseMSCHAPv2(r.Code, r.Data)
					mskWant = MSCHAPv2MSK(passHash, msResp.NTResponse)
				case r.Type == TypeMSCHAPv2 && r.Data[0] == byte(OpSuccess) && msResp != nil && passHashOK:
					// Independent check of the Success Request it accepted.
					m, _ := ParseMSCHAPv2(p.Code, p.Data)
					got, _, _ := ParseSuccessMessage(m.Message)
					want := GenerateAuthenticatorResponse(passHash, msResp.NTResponse, msResp.PeerChallenge, challenge.Challenge, []byte("alice"))
					if got != want {
						t.Fatalf("client acknowledged a wrong authenticator response %s", AuthString(got))
					}
					serverOK = true
				}
			case Success:
				if out != nil || p.Code != CodeSuccess || lastResp == nil || p.Identifier != lastResp.Identifier {
					t.Fatalf("Success on % X", in)
				}
				switch c.Method() {
				case TypeMSCHAPv2:
					if !serverOK || !bytes.Equal(c.MSK(), mskWant) {
						t.Fatalf("MSCHAPv2 Success without the verified authenticator response, or MSK % X", c.MSK())
					}
				case TypeMD5Challenge:
					if !md5Sent || c.MSK() != nil {
						t.Fatal("MD5 Success without the answer, or with an MSK")
					}
				default:
					t.Fatalf("Success without a method")
				}
				ended = true
			case Failure:
				if out != nil || c.MSK() != nil {
					t.Fatalf("Failure sends % X, MSK % X", out, c.MSK())
				}
				ended = true
			}
		}
	})
}
