package conformance

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/ikev2ref/ikev2ref/internal/keytable"
)

// Target is the IUT's address and ports.
type Target struct {
	Addr     netip.Addr
	IKEPort  uint16 // 500
	NATTPort uint16 // 4500
}

// Judgement is one numbered judgement of a case's ladder.
type Judgement struct {
	Step     int    `json:"step"`
	What     string `json:"what"`
	OK       bool   `json:"ok"`
	Expected string `json:"expected,omitempty"`
	Seen     string `json:"seen,omitempty"`
	Diff     string `json:"diff,omitempty"`
}

// Packet is one datagram the tester sent or received, for the case's pcap.
type Packet struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	Data     []byte // the UDP payload (with the non-ESP marker on port 4500)
}

// T is a running case: the tester's side of the ladder and its record.
type T struct {
	Case    *Case
	Profile *Profile
	Target  Target
	Local   netip.Addr // the tester's address (zero: chosen by the system)

	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	log        []string
	judgements []Judgement
	verdict    Verdict // set by Skipf/Inconclusivef; FAIL comes from judgements
	reason     string
	packets    []Packet
	keys       []keytable.IKESA
	cleanups   []func()
	start      time.Time
}

// Context is cancelled when the case's time is up.
func (t *T) Context() context.Context { return t.ctx }

// Logf adds a line to the case's log.
func (t *T) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.log = append(t.log, fmt.Sprintf("%8.3fs ", time.Since(t.start).Seconds())+fmt.Sprintf(format, args...))
}

// Check records judgement n: ok, with what was expected and what was seen
// (message structures, one element per line, so that a failure shows a
// readable diff). It returns ok; the case goes on.
func (t *T) Check(n int, what string, ok bool, expected, seen string) bool {
	j := Judgement{Step: n, What: what, OK: ok, Expected: expected, Seen: seen}
	if !ok && (expected != "" || seen != "") {
		j.Diff = Diff(expected, seen)
	}
	t.mu.Lock()
	t.judgements = append(t.judgements, j)
	t.mu.Unlock()
	if ok {
		t.Logf("J%d PASS %s", n, what)
	} else {
		t.Logf("J%d FAIL %s: expected %q, seen %q", n, what, expected, seen)
	}
	return ok
}

// Judge is Check with ok = (expected == seen).
func (t *T) Judge(n int, what, expected, seen string) bool {
	return t.Check(n, what, expected == seen, expected, seen)
}

// Require is Check that ends the case when the judgement fails.
func (t *T) Require(n int, what string, ok bool, expected, seen string) {
	if !t.Check(n, what, ok, expected, seen) {
		runtime.Goexit()
	}
}

// Failf records a failed judgement n and ends the case.
func (t *T) Failf(n int, format string, args ...any) {
	t.Check(n, fmt.Sprintf(format, args...), false, "", "")
	runtime.Goexit()
}

// Inconclusivef ends the case without a verdict on the IUT: the case could
// not reach what it judges (no answer, a setup refused).
func (t *T) Inconclusivef(format string, args ...any) {
	t.end(Inconclusive, fmt.Sprintf(format, args...))
}

// Skipf ends the case as not applicable to the IUT.
func (t *T) Skipf(format string, args ...any) {
	t.end(Skip, fmt.Sprintf(format, args...))
}

func (t *T) end(v Verdict, reason string) {
	t.mu.Lock()
	if t.verdict == "" {
		t.verdict, t.reason = v, reason
	}
	t.mu.Unlock()
	t.Logf("%s: %s", v, reason)
	runtime.Goexit()
}

// Cleanup registers f to run when the case ends (last in, first out).
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// RecordPacket adds a datagram to the case's pcap.
func (t *T) RecordPacket(p Packet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p.Data = append([]byte(nil), p.Data...)
	t.packets = append(t.packets, p)
}

// RecordKeys adds an IKE SA's keys to the case's Wireshark key table.
func (t *T) RecordKeys(k keytable.IKESA) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keys = append(t.keys, k)
}

// Trigger starts the profile's trigger command name (Profile.Triggers)
// and returns without waiting for it (the command may wait for the
// exchange it starts, which the case drives); it is reaped or killed when
// the case ends. A missing trigger or a command that cannot start ends the
// case as inconclusive.
func (t *T) Trigger(name string) {
	argv := t.Profile.Triggers[name]
	if len(argv) == 0 {
		t.Inconclusivef("the profile has no %q trigger", name)
	}
	var out strings.Builder
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Inconclusivef("trigger %s: %v", name, err)
	}
	t.Logf("trigger %s: %s", name, strings.Join(argv, " "))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-done:
			t.Logf("trigger %s ended (%v): %s", name, err, strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Logf("trigger %s killed after 20 s", name)
		}
	})
}

// Diff is a unified diff of expected against seen, line by line.
func Diff(expected, seen string) string {
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(strings.TrimRight(expected, "\n") + "\n"), B: difflib.SplitLines(strings.TrimRight(seen, "\n") + "\n"),
		FromFile: "expected", ToFile: "seen", Context: 3,
	})
	if err != nil {
		return fmt.Sprintf("expected:\n%s\nseen:\n%s", expected, seen)
	}
	return d
}
