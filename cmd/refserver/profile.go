package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

// A CPU profile for performance work, without a flag in the user-facing
// interface: IKEV2REF_CPUPROFILE=FILE writes FILE.PID with the first
// IKEV2REF_CPUPROFILE_SECONDS seconds (default 30) of the server's life
// (`go tool pprof FILE`). docs/perf.md says how the tunnel figures were
// examined with it.
func init() {
	path := os.Getenv("IKEV2REF_CPUPROFILE")
	if path == "" {
		return
	}
	secs, err := strconv.Atoi(os.Getenv("IKEV2REF_CPUPROFILE_SECONDS"))
	if err != nil || secs <= 0 {
		secs = 30
	}
	f, err := os.Create(path + "." + strconv.Itoa(os.Getpid()))
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	go func() {
		time.Sleep(time.Duration(secs) * time.Second)
		pprof.StopCPUProfile()
		f.Close()
	}()
}
