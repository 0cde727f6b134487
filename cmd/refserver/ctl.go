package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ikev2ref/ikev2ref/impl/ike"
)

// The control protocol: one JSON request line per connection, one JSON
// response line.

// request is a control command.
type request struct {
	Command string `json:"command"`
	Name    string `json:"name,omitempty"`
	Child   string `json:"child,omitempty"`
	// Timeout bounds the wait of initiate, terminate and probe (Go
	// duration).
	Timeout string `json:"timeout,omitempty"`
	// Count is the number of echo requests of probe.
	Count int `json:"count,omitempty"`
	// IKE asks rekey for the IKE SA (Child is then empty).
	IKE bool `json:"ike,omitempty"`
	// impair takes one of: Impair, an impairment to add (the syntax of
	// ike.ParseImpairment: "drop --exchange IKE_AUTH --response --nth 1");
	// List, to list the active ones; Clear, to remove them all.
	Impair string `json:"impair,omitempty"`
	List   bool   `json:"list,omitempty"`
	Clear  bool   `json:"clear,omitempty"`
}

// response is the answer to a request.
type response struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
	// SAs: list-sas, and the SA concerned for initiate (absent: none).
	SAs   []saJSON   `json:"sas,omitempty"`
	Stats *statsJSON `json:"stats,omitempty"`
	Probe *probeJSON `json:"probe,omitempty"`
	// Impairments: the active impairments after an impair command.
	Impairments []impairJSON `json:"impairments,omitempty"`
}

// Control commands.
const (
	cmdInitiate  = "initiate"
	cmdTerminate = "terminate"
	cmdListSAs   = "list-sas"
	cmdStats     = "stats"
	cmdProbe     = "probe"
	cmdRekey     = "rekey"
	cmdImpair    = "impair"
)

var commands = []string{cmdInitiate, cmdTerminate, cmdRekey, cmdListSAs, cmdStats, cmdProbe, cmdImpair}

const (
	defaultInitiateTimeout  = 20 * time.Second
	defaultTerminateTimeout = 10 * time.Second
	defaultProbeTimeout     = 5 * time.Second
	defaultProbeCount       = 3
	maxProbeCount           = 1000
	maxWait                 = 10 * time.Minute
	pollInterval            = 50 * time.Millisecond
	// ctlIOTimeout bounds reading a request and writing a response.
	ctlIOTimeout = 10 * time.Second
	// maxRequest bounds a request line.
	maxRequest = 64 << 10
	// maxResponse bounds a response line read by the client.
	maxResponse = 64 << 20
)

func unknownCommand(c string) error {
	return fmt.Errorf("refserver: unknown command %q (commands: %s)", c, strings.Join(commands, ", "))
}

// listenCtl opens the control socket with mode 0600, replacing a stale
// socket file that nobody listens on.
func listenCtl(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("refserver: control socket %s: exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("refserver: control socket %s: another server is listening on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("refserver: control socket: removing the stale %s: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("refserver: control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("refserver: control socket: %w", err)
	}
	return l, nil
}

// acceptCtl serves the control socket until it is closed.
func (s *server) acceptCtl() {
	defer s.wg.Done()
	for {
		c, err := s.ctl.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("control socket", "error", err)
			}
			return
		}
		s.connsMu.Lock()
		select {
		case <-s.stopped:
			s.connsMu.Unlock()
			c.Close()
			return
		default:
		}
		s.conns[c] = true
		s.connsMu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveCtl(c)
			s.connsMu.Lock()
			delete(s.conns, c)
			s.connsMu.Unlock()
			c.Close()
		}()
	}
}

// serveCtl answers one request.
func (s *server) serveCtl(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(ctlIOTimeout))
	resp := func() response {
		line, err := bufio.NewReader(io.LimitReader(c, maxRequest)).ReadBytes('\n')
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			return fail(fmt.Errorf("refserver: reading the request: %w", err))
		}
		var req request
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return fail(fmt.Errorf("refserver: bad request: %w", err))
		}
		s.log.Info("control command", "command", req.Command, "name", req.Name, "child", req.Child, "ike", req.IKE)
		return s.handle(req)
	}()
	if !resp.OK {
		s.log.Warn("control command failed", "error", resp.Error)
	}
	b, _ := json.Marshal(resp)
	c.SetWriteDeadline(time.Now().Add(ctlIOTimeout))
	if _, err := c.Write(append(b, '\n')); err != nil {
		s.log.Warn("control socket: writing the response", "error", err)
	}
}

func fail(err error) response { return response{Error: err.Error()} }

// handle carries out one request.
func (s *server) handle(req request) response {
	if !slices.Contains(commands, req.Command) {
		if req.Command == "" {
			return fail(errors.New("refserver: the request has no command"))
		}
		return fail(unknownCommand(req.Command))
	}
	needName := req.Command == cmdInitiate || req.Command == cmdTerminate || req.Command == cmdProbe || req.Command == cmdRekey
	if needName && req.Name == "" {
		return fail(fmt.Errorf("refserver: %s needs a connection name", req.Command))
	}
	if !needName && (req.Name != "" || req.Child != "" || req.Timeout != "") {
		return fail(fmt.Errorf("refserver: %s takes no name, child or timeout", req.Command))
	}
	if req.Command != cmdRekey && req.IKE {
		return fail(fmt.Errorf("refserver: %s takes no ike", req.Command))
	}
	if req.Command != cmdImpair && (req.Impair != "" || req.List || req.Clear) {
		return fail(fmt.Errorf("refserver: %s takes no impair, list or clear", req.Command))
	}
	if req.Command == cmdRekey {
		switch {
		case req.IKE && req.Child != "":
			return fail(errors.New("refserver: rekey takes a child or ike, not both"))
		case req.Timeout != "":
			return fail(errors.New("refserver: rekey takes no timeout: it starts the rekey and does not wait"))
		}
	}
	if req.Command != cmdProbe && req.Count != 0 {
		return fail(fmt.Errorf("refserver: %s takes no count", req.Command))
	}
	if req.Count < 0 || req.Count > maxProbeCount {
		return fail(fmt.Errorf("refserver: count %d: want 1 to %d", req.Count, maxProbeCount))
	}
	timeout := defaultInitiateTimeout
	switch req.Command {
	case cmdTerminate:
		timeout = defaultTerminateTimeout
	case cmdProbe:
		timeout = defaultProbeTimeout
	}
	if req.Timeout != "" {
		d, err := time.ParseDuration(req.Timeout)
		if err != nil || d <= 0 || d > maxWait {
			return fail(fmt.Errorf("refserver: timeout %q: want a duration from 1ms to %v", req.Timeout, maxWait))
		}
		timeout = d
	}
	switch req.Command {
	case cmdImpair:
		return s.impair(req)
	case cmdListSAs:
		var sas []saJSON
		if err := s.do(func(time.Time) { sas = sasJSONWith(s.eng.SAs(), s.childCounters()) }); err != nil {
			return fail(err)
		}
		return response{OK: true, SAs: sas}
	case cmdStats:
		var st ike.Stats
		if err := s.do(func(time.Time) { st = s.eng.Stats() }); err != nil {
			return fail(err)
		}
		resp := response{OK: true, Stats: newStatsJSON(st, s.net.Stats())}
		if s.dp != nil {
			resp.Stats.DataPlane = newDataPlaneJSON(s.dp.Stats(), s.dp.SPD())
		}
		return resp
	case cmdProbe:
		count := req.Count
		if count == 0 {
			count = defaultProbeCount
		}
		return s.probe(req.Name, req.Child, count, timeout)
	case cmdInitiate:
		return s.initiate(req.Name, req.Child, timeout)
	case cmdRekey:
		return s.rekey(req.Name, req.Child, req.IKE)
	default:
		return s.terminate(req.Name, req.Child, timeout)
	}
}

// initiate starts an IKE SA and waits until it is ESTABLISHED (with the
// named Child SA, when one was named) or has failed. When the connection
// already has an IKE SA and the engine starts none (it creates the Child SA
// with CREATE_CHILD_SA, RFC 7296 section 1.3.1), it waits instead for the
// new Child SA (childWait).
func (s *server) initiate(name, child string, timeout time.Duration) response {
	before := map[uint64]bool{}
	var (
		err error
		cw  *childWait
	)
	if e := s.do(func(now time.Time) {
		old := s.eng.SAs()
		for _, sa := range old {
			before[sa.UniqueID] = true
		}
		for _, id := range s.downOrder {
			before[id] = true // (unique IDs are never reused)
		}
		oldChildDowns := slices.Clone(s.childDowns)
		var acts []ike.Action
		if acts, err = s.eng.Initiate(now, name, child); err != nil {
			return
		}
		s.act(acts)
		// A new IKE SA, even one that failed at once, is the usual wait.
		started := slices.ContainsFunc(s.eng.SAs(), func(sa ike.SAInfo) bool { return sa.Name == name && !before[sa.UniqueID] }) ||
			slices.ContainsFunc(s.downOrder, func(id uint64) bool { return !before[id] })
		if !started {
			cw = newChildWait(name, s.childName(name, child), old, oldChildDowns)
		}
	}); e != nil {
		return fail(e)
	}
	if err != nil {
		return fail(fmt.Errorf("refserver: initiate %s: %w", name, err))
	}
	if cw != nil {
		return s.waitChild(cw, timeout)
	}
	deadline := time.Now().Add(timeout)
	var target uint64 // the new IKE SA, once seen
	for {
		var (
			sa     *ike.SAInfo
			down   *downRecord
			downID uint64
		)
		if e := s.do(func(time.Time) {
			for _, x := range s.eng.SAs() {
				if x.Name == name && !before[x.UniqueID] && (target == 0 || x.UniqueID == target) {
					sa = &x
					break
				}
			}
			for _, id := range s.downOrder {
				if r := s.downs[id]; r.name == name && !before[id] && (target == 0 || id == target) {
					down, downID = &r, id
				}
			}
		}); e != nil {
			return fail(e)
		}
		switch {
		case sa != nil && sa.State == "ESTABLISHED":
			return established(*sa, child)
		case sa != nil:
			target = sa.UniqueID
		case down != nil:
			return fail(fmt.Errorf("refserver: initiate %s: IKE SA %s[%d] failed: %s", name, name, downID, down.reason))
		case target != 0:
			return fail(fmt.Errorf("refserver: initiate %s: IKE SA %s[%d] is gone", name, name, target))
		}
		if time.Now().After(deadline) {
			state := "not created"
			if sa != nil {
				state = fmt.Sprintf("%s[%d] still %s", name, sa.UniqueID, sa.State)
			}
			return fail(fmt.Errorf("refserver: initiate %s: timeout after %v: IKE SA %s", name, timeout, state))
		}
		time.Sleep(pollInterval)
	}
}

// childName is the name of the Child SA that Initiate creates for child:
// child itself, or the connection's first child when it is empty (as the
// engine picks it). On the loop.
func (s *server) childName(conn, child string) string {
	if child != "" {
		return child
	}
	for _, c := range s.cfg.Connections {
		if c.Name == conn && len(c.Children) > 0 {
			return c.Children[0].Name
		}
	}
	return ""
}

// waitChild polls cw until it decides or timeout passes.
func (s *server) waitChild(cw *childWait, timeout time.Duration) response {
	deadline := time.Now().Add(timeout)
	for {
		var (
			resp response
			done bool
		)
		if e := s.do(func(time.Time) {
			resp, done = cw.check(s.eng.SAs(), s.downs, s.childDowns)
		}); e != nil {
			return fail(e)
		}
		if done {
			return resp
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("refserver: initiate %s: timeout after %v: %s", cw.conn, timeout, cw.waiting()))
		}
		time.Sleep(pollInterval)
	}
}

// childWait is ctl initiate on a connection that already has an IKE SA: the
// engine creates the Child SA there with CREATE_CHILD_SA, and initiate
// waits until a Child SA of that name that was not there before the command
// is INSTALLED on one of the connection's IKE SAs (the one it was created
// on, or the successor of a rekeyed one), and fails when it is deleted
// first, when the connection's IKE SAs are all gone, or on the timeout.
// (A Child SA of the same name made meanwhile by a rekey of an existing
// one cannot be told apart from it.)
type childWait struct {
	conn, child string          // child "": any name
	ikes        map[uint64]bool // the connection's IKE SAs before the command
	seen        map[uint64]bool // the Child SAs there were (unique IDs)
	target      uint64          // the new Child SA, once seen
	name, state string          // its name and last state
	ikeID       uint64          // the IKE SA it is on
}

// newChildWait returns the wait for a new Child SA named child (""; any)
// of connection conn, given the SAs and the removed Child SAs before the
// command, or nil when the connection had no IKE SA then. The caller
// checks that Initiate started no IKE SA of its own.
func newChildWait(conn, child string, before []ike.SAInfo, childDowns []childDownRecord) *childWait {
	cw := &childWait{conn: conn, child: child, ikes: map[uint64]bool{}, seen: map[uint64]bool{}}
	for _, sa := range before {
		for _, c := range sa.Children {
			cw.seen[c.UniqueID] = true
		}
		if sa.Name == conn && sa.State != "DELETED" {
			cw.ikes[sa.UniqueID] = true
		}
	}
	if len(cw.ikes) == 0 {
		return nil
	}
	for _, d := range childDowns {
		cw.seen[d.id] = true
	}
	return cw
}

// check looks at the SAs (and the IKE and Child SAs that went away) and
// says whether the wait is over, with the answer.
func (cw *childWait) check(sas []ike.SAInfo, downs map[uint64]downRecord, childDowns []childDownRecord) (response, bool) {
	var (
		alive   bool // an IKE SA of the connection is left
		present bool // the target is still there
	)
	for _, sa := range sas {
		if sa.Name != cw.conn {
			continue
		}
		alive = alive || cw.ikes[sa.UniqueID] || sa.State == "ESTABLISHED"
		for _, c := range sa.Children {
			if cw.seen[c.UniqueID] || cw.child != "" && c.Name != cw.child ||
				cw.target != 0 && c.UniqueID != cw.target {
				continue
			}
			cw.target, cw.name, cw.state, cw.ikeID, present = c.UniqueID, c.Name, c.State, sa.UniqueID, true
			if c.State == "INSTALLED" {
				return childEstablished(sa, c), true
			}
		}
	}
	for _, d := range childDowns {
		if d.conn != cw.conn || cw.seen[d.id] {
			continue
		}
		if cw.target == 0 && (cw.child == "" || d.name == cw.child) || d.id == cw.target {
			return fail(fmt.Errorf("refserver: initiate %s: CHILD_SA %s{%d} on IKE SA %s[%d] was deleted before it was seen INSTALLED",
				cw.conn, d.name, d.id, cw.conn, d.ikeID)), true
		}
	}
	switch {
	case cw.target != 0 && !present:
		return fail(fmt.Errorf("refserver: initiate %s: CHILD_SA %s{%d} on IKE SA %s[%d] is gone (it was %s)",
			cw.conn, cw.name, cw.target, cw.conn, cw.ikeID, cw.state)), true
	case !alive:
		why := "IKE SA " + cw.ikeList() + " is gone"
		for _, id := range slices.Sorted(maps.Keys(cw.ikes)) {
			if r, ok := downs[id]; ok {
				why = fmt.Sprintf("IKE SA %s[%d] failed: %s", cw.conn, id, r.reason)
				break
			}
		}
		return fail(fmt.Errorf("refserver: initiate %s: no new %s: %s", cw.conn, cw.childLabel(), why)), true
	}
	return response{}, false
}

// waiting says what the wait is at, for the timeout's error.
func (cw *childWait) waiting() string {
	if cw.target != 0 {
		return fmt.Sprintf("CHILD_SA %s{%d} on IKE SA %s[%d] still %s", cw.name, cw.target, cw.conn, cw.ikeID, cw.state)
	}
	return fmt.Sprintf("no new %s on IKE SA %s", cw.childLabel(), cw.ikeList())
}

func (cw *childWait) childLabel() string {
	if cw.child == "" {
		return "CHILD_SA"
	}
	return "CHILD_SA " + cw.child
}

// ikeList names the IKE SAs the Child SA is awaited on.
func (cw *childWait) ikeList() string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(cw.ikes)) {
		ids = append(ids, fmt.Sprintf("%s[%d]", cw.conn, id))
	}
	return strings.Join(ids, ", ")
}

// childEstablished is the answer to an initiate that added a Child SA to
// an IKE SA.
func childEstablished(sa ike.SAInfo, c ike.ChildInfo) response {
	msg := fmt.Sprintf("CHILD_SA %s{%d} established on IKE_SA %s[%d] with SPIs %08x_i %08x_o and TS %s === %s",
		c.Name, c.UniqueID, sa.Name, sa.UniqueID, c.SPIIn, c.SPIOut, strings.Join(c.LocalTS, " "), strings.Join(c.RemoteTS, " "))
	return response{OK: true, Message: msg, SAs: sasJSON([]ike.SAInfo{sa})}
}

// rekey asks the engine to rekey the connection's IKE SA (ikeSA) or its
// Child SAs named child (RFC 7296 sections 1.3.2 and 1.3.3) and reports
// that the rekey started, with the connection's SAs as they are then; it
// does not wait for the exchange (swanctl --rekey does not either).
func (s *server) rekey(name, child string, ikeSA bool) response {
	var (
		err error
		sas []ike.SAInfo
	)
	if e := s.do(func(now time.Time) {
		var acts []ike.Action
		if acts, err = s.eng.Rekey(now, name, child, ikeSA); err != nil {
			return
		}
		s.act(acts)
		for _, sa := range s.eng.SAs() {
			if sa.Name == name {
				sas = append(sas, sa)
			}
		}
	}); e != nil {
		return fail(e)
	}
	if err != nil {
		return fail(fmt.Errorf("refserver: rekey %s: %w", name, err))
	}
	what := "CHILD_SAs of " + name
	switch {
	case ikeSA:
		what = "IKE_SA " + name
	case child != "":
		what = "CHILD_SA " + child + " of " + name
	}
	return response{OK: true, Message: "rekeying " + what, SAs: sasJSON(sas)}
}

// established is the answer to a successful initiate.
func established(sa ike.SAInfo, child string) response {
	msg := fmt.Sprintf("IKE_SA %s[%d] established between %s[%s]...%s[%s]",
		sa.Name, sa.UniqueID, sa.Local, sa.LocalID, sa.Remote, sa.RemoteID)
	found := false
	for _, c := range sa.Children {
		msg += fmt.Sprintf("\nCHILD_SA %s{%d} established with SPIs %08x_i %08x_o and TS %s === %s",
			c.Name, c.UniqueID, c.SPIIn, c.SPIOut, strings.Join(c.LocalTS, " "), strings.Join(c.RemoteTS, " "))
		found = found || c.Name == child
	}
	resp := response{OK: true, Message: msg, SAs: sasJSON([]ike.SAInfo{sa})}
	if child != "" && !found {
		resp.OK = false
		resp.Error = fmt.Sprintf("refserver: initiate %s: IKE SA established, but no CHILD_SA %s", sa.Name, child)
	}
	return resp
}

// terminate deletes the connection's IKE SAs (or the named Child SAs) and
// waits until they are gone.
func (s *server) terminate(name, child string, timeout time.Duration) response {
	var err error
	ids := map[uint64]bool{}
	if e := s.do(func(now time.Time) {
		for _, sa := range s.eng.SAs() {
			if sa.Name == name {
				ids[sa.UniqueID] = true
			}
		}
		var acts []ike.Action
		if child == "" {
			acts, err = s.eng.Terminate(now, name)
		} else {
			acts, err = s.eng.TerminateChild(now, name, child)
		}
		if err == nil {
			s.act(acts)
		}
	}); e != nil {
		return fail(e)
	}
	if err != nil {
		return fail(fmt.Errorf("refserver: terminate %s: %w", name, err))
	}
	what := "IKE_SAs of " + name
	if child != "" {
		what = "CHILD_SAs " + child + " of " + name
	}
	deadline := time.Now().Add(timeout)
	for {
		left := 0
		if e := s.do(func(time.Time) {
			for _, sa := range s.eng.SAs() {
				if !ids[sa.UniqueID] {
					continue
				}
				if child == "" {
					left++
					continue
				}
				for _, c := range sa.Children {
					if c.Name == child {
						left++
					}
				}
			}
		}); e != nil {
			return fail(e)
		}
		if left == 0 {
			return response{OK: true, Message: "terminated " + what}
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("refserver: terminate %s: timeout after %v: %d left", what, timeout, left))
		}
		time.Sleep(pollInterval)
	}
}

// ---- client ----

// ctlUsage is printed for usage errors of refserver ctl.
const ctlUsage = `usage: refserver ctl [--ctl SOCKET] COMMAND [ARGS]
  initiate NAME [--child CHILD] [--timeout 20s]
  terminate NAME [--child CHILD] [--timeout 10s]
  rekey NAME [--child CHILD | --ike]
  list-sas [--json]
  stats [--json]
  probe NAME [--child CHILD] [--count 3] [--timeout 5s] [--json]
  impair KIND[=ARG] [--exchange X] [--request|--response] [--nth N] [--json]
  impair --list [--json] | impair --clear
`

// runCtl is `refserver ctl ...`.
func runCtl(args []string, stdout, stderr io.Writer) int {
	fs := newCtlFlags(stderr)
	var pos []string
	for {
		if err := fs.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.fs.Arg(0))
		args = fs.fs.Args()[1:]
		if len(pos) == 1 && pos[0] == cmdImpair {
			// Its options are the impairment's (impair.go).
			if *fs.child != "" || *fs.timeout != 0 || *fs.count != 0 || *fs.ike {
				fmt.Fprintf(stderr, "refserver ctl: impair takes no --child, --timeout, --count or --ike\n%s", ctlUsage)
				return 2
			}
			return runImpair(*fs.ctl, *fs.json, args, stdout, stderr)
		}
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "refserver ctl: "+format+"\n", a...)
		fmt.Fprint(stderr, ctlUsage)
		return 2
	}
	if len(pos) == 0 {
		return usageErr("no command")
	}
	req := request{Command: pos[0], Child: *fs.child, IKE: *fs.ike}
	if *fs.count != 0 && req.Command != cmdProbe {
		return usageErr("%s takes no --count", req.Command)
	}
	if *fs.ike && req.Command != cmdRekey {
		return usageErr("%s takes no --ike", req.Command)
	}
	switch req.Command {
	case cmdRekey:
		switch {
		case len(pos) != 2:
			return usageErr("rekey takes one connection name")
		case *fs.ike && *fs.child != "":
			return usageErr("rekey takes --child or --ike, not both")
		case *fs.json || *fs.timeout != 0:
			return usageErr("rekey takes no --json or --timeout")
		}
		req.Name = pos[1]
	case cmdInitiate, cmdTerminate, cmdProbe:
		if len(pos) != 2 {
			return usageErr("%s takes one connection name", req.Command)
		}
		if *fs.json && req.Command != cmdProbe {
			return usageErr("%s takes no --json", req.Command)
		}
		if *fs.count < 0 || *fs.count > maxProbeCount {
			return usageErr("--count %d: want 1 to %d", *fs.count, maxProbeCount)
		}
		req.Name, req.Count = pos[1], *fs.count
		if *fs.timeout != 0 {
			req.Timeout = fs.timeout.String()
		}
	case cmdListSAs, cmdStats:
		if len(pos) != 1 {
			return usageErr("%s takes no arguments", req.Command)
		}
		if *fs.child != "" || *fs.timeout != 0 {
			return usageErr("%s takes no --child or --timeout", req.Command)
		}
	default:
		return usageErr("unknown command %q (commands: %s)", req.Command, strings.Join(commands, ", "))
	}
	wait := ctlIOTimeout
	if *fs.timeout > 0 {
		wait += *fs.timeout
	} else if req.Command == cmdInitiate {
		wait += defaultInitiateTimeout
	} else if req.Command == cmdTerminate {
		wait += defaultTerminateTimeout
	} else if req.Command == cmdProbe {
		wait += defaultProbeTimeout
	}
	resp, err := call(*fs.ctl, req, wait)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	if !resp.OK {
		if req.Command == cmdProbe && *fs.json && resp.Probe != nil {
			printJSON(stdout, stderr, resp.Probe)
		} else if resp.Message != "" {
			fmt.Fprintln(stdout, resp.Message)
		}
		fmt.Fprintln(stderr, resp.Error)
		return 1
	}
	switch req.Command {
	case cmdListSAs:
		if *fs.json {
			return printJSON(stdout, stderr, nonNil(resp.SAs))
		}
		writeSAs(stdout, resp.SAs, time.Now())
	case cmdStats:
		if resp.Stats == nil {
			fmt.Fprintln(stderr, "refserver ctl: the response has no stats")
			return 1
		}
		if *fs.json {
			return printJSON(stdout, stderr, resp.Stats)
		}
		writeStats(stdout, *resp.Stats)
	case cmdProbe:
		if *fs.json && resp.Probe != nil {
			return printJSON(stdout, stderr, resp.Probe)
		}
		fmt.Fprintln(stdout, resp.Message)
	default:
		fmt.Fprintln(stdout, resp.Message)
	}
	return 0
}

type ctlFlags struct {
	fs      *flag.FlagSet
	ctl     *string
	child   *string
	timeout *time.Duration
	json    *bool
	count   *int
	ike     *bool
}

func newCtlFlags(stderr io.Writer) *ctlFlags {
	fs := flag.NewFlagSet("refserver ctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, ctlUsage)
		fs.PrintDefaults()
	}
	return &ctlFlags{
		fs:      fs,
		ctl:     fs.String("ctl", defaultCtlPath(), "control `SOCKET` of the server"),
		child:   fs.String("child", "", "the Child SA (`CHILD`) of initiate, terminate, rekey or probe"),
		timeout: fs.Duration("timeout", 0, "how long initiate (default 20s), terminate (default 10s) or probe (default 5s) waits"),
		json:    fs.Bool("json", false, "print list-sas, stats or probe as JSON"),
		count:   fs.Int("count", 0, "echo requests that probe sends (default 3)"),
		ike:     fs.Bool("ike", false, "rekey the IKE SA"),
	}
}

func nonNil(s []saJSON) []saJSON {
	if s == nil {
		return []saJSON{}
	}
	return s
}

func printJSON(stdout, stderr io.Writer, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "refserver ctl: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}

// call sends one request and reads the response, all within wait.
func call(path string, req request, wait time.Duration) (response, error) {
	c, err := net.DialTimeout("unix", path, ctlIOTimeout)
	if err != nil {
		return response{}, fmt.Errorf("refserver ctl: is the server running? %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	b, _ := json.Marshal(req)
	if _, err := c.Write(append(b, '\n')); err != nil {
		return response{}, fmt.Errorf("refserver ctl: sending the request: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(c, maxResponse)).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return response{}, fmt.Errorf("refserver ctl: reading the response: %w", err)
	}
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		return response{}, fmt.Errorf("refserver ctl: bad response: %w", err)
	}
	return resp, nil
}
