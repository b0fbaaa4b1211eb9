package servers

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// MoxVersion is the mox release scripts/install-servers.sh builds.
const MoxVersion = "v0.0.15"

func init() { starters[Mox] = startMox }

// moxPorts are localserve's fixed ports ("the regular port numbers +
// 1000"); mox.conf is rewritten to free ports before the first start, so
// several test binaries can run mox at once.
var moxPorts = []int{1025, 1465, 1587, 1143, 1993, 1080, 1443, 1081}

// startMox runs `mox localserve` (mox's own development mode: one account
// mox@localhost, every address delivers to it, submitted mail is delivered
// locally). Its TLS certificate is self-signed for "localhost" with no IP
// SAN, so clients connect to host localhost.
//
// Known differences (observed with v0.0.15, also with a raw IMAP session):
// UID SEARCH BODY misses single-part messages; its junk filter may file a
// message the account sent itself under "Rejects".
func startMox() (*Server, error) {
	bin, err := program("bin/mox")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mailmcp-mox-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := run(dir, nil, bin, "localserve", "-dir", data, "-ip", "127.0.0.1", "-initonly"); err != nil {
		return nil, fmt.Errorf("mox init: %w", err)
	}
	ports, err := testrig.FreePorts("127.0.0.1", len(moxPorts))
	if err != nil {
		return nil, err
	}
	byOld := map[int]int{}
	for i, p := range moxPorts {
		byOld[p] = ports[i]
	}
	conf := filepath.Join(data, "mox.conf")
	if err := rewritePorts(conf, byOld); err != nil {
		return nil, err
	}
	if err := quietJunkFilter(filepath.Join(data, "domains.conf")); err != nil {
		return nil, err
	}
	d, err := startDaemon("mox", dir, bin, nil, "localserve", "-dir", data)
	if err != nil {
		return nil, err
	}
	pem, err := waitFile(d, filepath.Join(data, "localhost.crt"), 30*time.Second)
	if err != nil {
		_ = d.stop()
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		_ = d.stop()
		return nil, fmt.Errorf("mox: no certificate in localhost.crt")
	}
	tc := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	imaps, smtps := byOld[1993], byOld[1465]
	if err := waitGreeting(d, hostPort(imaps), "* OK", tc, 60*time.Second); err != nil {
		_ = d.stop()
		return nil, err
	}
	user := User{Email: "mox@localhost", Username: "mox@localhost", Password: "moxmoxmox"}
	return &Server{
		Name: Mox, Version: MoxVersion,
		IMAP:   Endpoint{Host: "localhost", Port: imaps, TLS: TLSImplicit},
		SMTP:   Endpoint{Host: "localhost", Port: smtps, TLS: TLSImplicit},
		TLS:    tc,
		Shared: true,
		newUser: func(string) (User, error) {
			return user, nil
		},
		close: func() error { err := d.stop(); removeState(dir); return err },
	}, nil
}

// rewritePorts replaces every "Port: N" line of mox.conf whose N is a key
// of byOld.
func rewritePorts(path string, byOld map[int]int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mox config: %w", err)
	}
	re := regexp.MustCompile(`(?m)^(\s*Port:\s*)(\d+)\s*$`)
	seen := 0
	out := re.ReplaceAllFunc(b, func(line []byte) []byte {
		m := re.FindSubmatch(line)
		old, _ := strconv.Atoi(string(m[2]))
		if n, ok := byOld[old]; ok {
			seen++
			return []byte(string(m[1]) + strconv.Itoa(n))
		}
		return line
	})
	if seen == 0 {
		return fmt.Errorf("mox config %s: no Port lines to rewrite (format changed?)", path)
	}
	return os.WriteFile(path, out, 0o644)
}

// waitFile waits for a file the daemon writes at start.
func waitFile(d *daemon, path string, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return b, nil
		}
		if e := d.exited(); e != nil {
			return nil, e
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: %s not written after %s", d.name, path, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// quietJunkFilter removes the account's JunkFilter block from
// domains.conf: localserve's content filter files messages the account
// sent itself under "Rejects", which would hide delivered mail from INBOX.
func quietJunkFilter(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mox domains config: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	var out []string
	depth := -1 // indentation of the JunkFilter key while inside its block
	for _, l := range lines {
		trimmed := strings.TrimLeft(l, "\t")
		indent := len(l) - len(trimmed)
		if depth >= 0 {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") || indent > depth {
				continue
			}
			depth = -1
		}
		if strings.HasPrefix(trimmed, "JunkFilter:") {
			depth = indent
			continue
		}
		out = append(out, l)
	}
	if len(out) == len(lines) {
		return fmt.Errorf("mox domains config %s: no JunkFilter block (format changed?)", path)
	}
	return os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644)
}
