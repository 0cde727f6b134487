package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test harness: the reference server (cmd/refserver) as the IUT, on
// 127.0.0.1 with free high ports, configured as conformance/profiles/
// refserver.json says.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// TestMain removes the binaries built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildTools builds cmd/refserver once per test binary.
func buildTools(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "conformance-bin-")
		if buildErr != nil {
			return
		}
		for _, cmd := range []string{"refserver"} {
			c := exec.Command("go", "build", "-o", filepath.Join(binDir, cmd), "./cmd/"+cmd)
			c.Dir = ".."
			if out, err := c.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build ./cmd/%s: %v\n%s", cmd, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// refserverConf is internal/swanctl's default.swanctl.conf with the PSK of
// the profile.
func refserverConf(psk string) string {
	return `connections {
  default {
    version = 2
    local_addrs = 127.0.0.1
    remote_addrs = %any
    proposals = aes128gcm16-prfsha256-x25519, aes256-sha256-ecp256, aes256-sha1-modp2048
    local {
      auth = psk
      id = server@ikev2ref.example
    }
    remote {
      auth = psk
      id = %any
    }
    children {
      net {
        mode = tunnel
        local_ts = 198.51.100.0/24
        remote_ts = dynamic
        esp_proposals = aes128gcm16, aes256-sha256
      }
    }
  }
}

secrets {
  ike-default {
    id-1 = server@ikev2ref.example
    secret = "` + psk + `"
  }
}
`
}

func refserverProfile(t *testing.T) *Profile {
	t.Helper()
	p, err := ReadProfile("profiles/refserver.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// freeUDPPorts returns n distinct UDP ports free on 127.0.0.1 right now.
func freeUDPPorts(t *testing.T, n int) []uint16 {
	t.Helper()
	var conns []*net.UDPConn
	var ports []uint16
	for range n {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		ports = append(ports, uint16(c.LocalAddr().(*net.UDPAddr).Port))
	}
	for _, c := range conns {
		c.Close()
	}
	return ports
}

// startRefserver starts the reference server as the IUT and returns its
// target and a stop function (also registered with t.Cleanup); args are
// extra flags (e.g. --force-cookies). The control socket is ctlPath(target).
func startRefserver(t *testing.T, args ...string) (Target, func()) {
	t.Helper()
	bin := buildTools(t)
	prof := refserverProfile(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "swanctl.conf")
	if err := os.WriteFile(conf, []byte(refserverConf(prof.PSK)), 0o600); err != nil {
		t.Fatal(err)
	}
	// A unix socket path must be short: t.TempDir can be long.
	sockDir, err := os.MkdirTemp("", "rs")
	if err != nil {
		t.Fatal(err)
	}
	ctl := filepath.Join(sockDir, "ctl")
	ports := freeUDPPorts(t, 2)
	var logs bytes.Buffer
	cmd := exec.Command(filepath.Join(bin, "refserver"), "--config", conf, "--listen", "127.0.0.1",
		"--ike-port", fmt.Sprint(ports[0]), "--natt-port", fmt.Sprint(ports[1]), "--ctl", ctl,
		"--no-dataplane", "--log-level", "debug")
	cmd.Args = append(cmd.Args, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		once.Do(func() {
			cmd.Process.Kill()
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
			}
			os.RemoveAll(sockDir)
			if t.Failed() {
				t.Logf("refserver output:\n%s", logs.String())
			}
		})
	}
	t.Cleanup(stop)
	// Ready when the control socket answers (bounded: 10 s).
	ready := false
	for i := 0; i < 200 && !ready; i++ {
		select {
		case <-exited:
			t.Fatalf("refserver exited early:\n%s", logs.String())
		default:
		}
		ready = ctlStats(ctl)
		if !ready {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !ready {
		stop()
		t.Fatalf("refserver did not come up:\n%s", logs.String())
	}
	target := Target{Addr: netip.MustParseAddr("127.0.0.1"), IKEPort: ports[0], NATTPort: ports[1]}
	ctlPaths.Store(target, ctl)
	return target, stop
}

// ctlPaths maps a started refserver's Target to its control socket.
var ctlPaths sync.Map

// ctlCommand sends one control request (a JSON line) to the refserver of
// target and returns the response line.
func ctlCommand(target Target, request string) (string, error) {
	path, ok := ctlPaths.Load(target)
	if !ok {
		return "", fmt.Errorf("no refserver at %v", target)
	}
	c, err := net.DialTimeout("unix", path.(string), time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := c.Write([]byte(request + "\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

// ctlStats asks the control socket for its stats.
func ctlStats(path string) bool {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(`{"command":"stats"}` + "\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.Contains(line, `"ok":true`)
}
