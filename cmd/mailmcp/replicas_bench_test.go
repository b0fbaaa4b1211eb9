package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// BenchmarkIdleReplica1000Folders runs one serve --http replica on the
// PostgreSQL backend holding 1000 watched folders (10 Dovecot accounts of
// 100 folders each, watch = true, defaults otherwise), waits until it
// holds every folder's lease and the watchers settled, then measures its
// CPU time and resident memory while no mail arrives.
// Reported: cpu-%core (of one core, over the measured window) and rss-MB.
//
//	go test ./cmd/mailmcp -run '^$' -bench IdleReplica1000Folders -benchtime 1x
func BenchmarkIdleReplica1000Folders(b *testing.B) {
	s := testrig.Require(b)
	url := testrig.RequirePostgres(b)
	const accounts, folders = 10, 100
	dir := b.TempDir()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "state_dir = %q\npostgres_url = %q\n", filepath.Join(dir, "state"), url)
	for a := range accounts {
		u := s.NewUser(b)
		names := []string{`"INBOX"`}
		s.Populate(b, u, "INBOX", 1)
		for f := 1; f < folders; f++ {
			name := fmt.Sprintf("F%03d", f)
			s.Populate(b, u, name, 1)
			names = append(names, strconv.Quote(name))
		}
		pw := filepath.Join(dir, fmt.Sprintf("pw%d", a))
		if err := os.WriteFile(pw, []byte(u.Password), 0o600); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&cfg, `
[[accounts]]
id = "a%d"
email = %q
provider = "generic"
password_file = %q
ca_file = %q
watch = true
watch_folders = [%s]
imap = { host = %q, port = %d, tls = "implicit" }
smtp = { host = %q, port = %d, tls = "implicit" }
`, a, u.Email, pw, s.CAFile, strings.Join(names, ", "), s.Host, s.IMAPSPort, s.Host, s.SubmissionsPort)
	}
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := binary(b, "serve", "--config", cfgPath, "--http", freeAddr(b))
	addr := cmd.Args[len(cmd.Args)-1]
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitHealthy(b, "http://"+addr, logs)
	// Every lease taken, then time for the first catch-up of every folder.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			b.Fatal(err)
		}
		var body struct {
			Leases []string `json:"leases"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if len(body.Leases) == accounts*folders {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("holds %d of %d leases after 2 minutes:\n%s", len(body.Leases), accounts*folders, tail(logs.String(), 3000))
		}
		time.Sleep(time.Second)
	}
	time.Sleep(20 * time.Second)
	pid := cmd.Process.Pid
	const window = 30 * time.Second
	for b.Loop() {
		c0 := cpuTime(b, pid)
		time.Sleep(window)
		c1 := cpuTime(b, pid)
		b.ReportMetric(100*float64(c1-c0)/float64(window), "cpu-%core")
		b.ReportMetric(float64(rssBytes(b, pid))/(1<<20), "rss-MB")
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz
}

// rssBytes is the process's resident set size.
func rssBytes(tb testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}
