package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// replicaSet is N `serve --http` processes of one deployment: one
// PostgreSQL state database, one Dovecot account with watch = true, one
// webhook, and a private state directory each (their own machines).
type replicaSet struct {
	rig   *watchRig
	url   string
	cfgs  []string
	addrs []string
	cmds  []*exec.Cmd
	logs  []*syncBuffer
}

func newReplicaSet(t *testing.T, n int) *replicaSet {
	rs := &replicaSet{rig: newWatchRig(t), url: testrig.RequirePostgres(t)}
	base, err := os.ReadFile(rs.rig.config)
	if err != nil {
		t.Fatal(err)
	}
	stateLine := regexp.MustCompile(`(?m)^state_dir = .*$`)
	for i := range n {
		dir := t.TempDir()
		cfg := stateLine.ReplaceAllString(string(base), fmt.Sprintf("state_dir = %q\npostgres_url = %q", filepath.Join(dir, "state"), rs.url))
		p := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		rs.cfgs = append(rs.cfgs, p)
		rs.addrs = append(rs.addrs, freeAddr(t))
		rs.cmds = append(rs.cmds, nil)
		rs.logs = append(rs.logs, nil)
		rs.start(t, i)
	}
	t.Cleanup(func() {
		for _, c := range rs.cmds {
			if c != nil && c.Process != nil {
				c.Process.Kill()
				c.Wait()
			}
		}
	})
	return rs
}

func (rs *replicaSet) start(t *testing.T, i int) {
	t.Helper()
	cmd := binary(t, "serve", "--config", rs.cfgs[i], "--http", rs.addrs[i])
	rs.logs[i] = &syncBuffer{}
	cmd.Stderr = rs.logs[i]
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs.cmds[i] = cmd
	waitHealthy(t, "http://"+rs.addrs[i], rs.logs[i])
}

// kill ends replica i: SIGKILL (a dead host) or SIGTERM (a deploy).
func (rs *replicaSet) kill(t *testing.T, i int, sig syscall.Signal) {
	t.Helper()
	rs.cmds[i].Process.Signal(sig)
	done := make(chan struct{})
	go func() { rs.cmds[i].Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		rs.cmds[i].Process.Kill()
		<-done
		t.Errorf("replica %d did not stop on %v", i, sig)
	}
	rs.cmds[i] = nil
}

// TestReplicasWatchOnce: three replicas over one PostgreSQL and one
// Dovecot account; 300 messages are delivered while one replica is killed
// -9 and another restarted. Every message gives exactly one event: the
// webhook receiver sees each message under one idempotency key (deliveries
// are at least once by contract, and a kill between POST and ack may
// repeat one, with the same key), and watch_inbox on a surviving replica
// returns each message once.
func TestReplicasWatchOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three daemons")
	}
	rs := newReplicaSet(t, 3)
	r := rs.rig
	// One folder, three replicas: one IDLE connection in all, the
	// leaseholder's (before any tool call opens a pool connection).
	if got := rs.waitConnections(t, 1); got != 1 {
		t.Fatalf("%d IMAP connections for one watched folder on three replicas, want 1", got)
	}
	// /readyz: every replica ready, one of them holding the lease.
	held := 0
	for i := range rs.addrs {
		ok, body := rs.ready(t, i)
		if !ok {
			t.Fatalf("replica %d not ready: %v", i, body)
		}
		leases, _ := body["leases"].([]any)
		held += len(leases)
	}
	if held != 1 {
		t.Errorf("%d leases held across replicas, want 1", held)
	}
	// A long-poll on a replica that does not hold the lease opens no
	// connection of its own: it reads the shared feed.
	for i := range rs.addrs {
		if _, body := rs.ready(t, i); len(body["leases"].([]any)) > 0 {
			continue
		}
		ci, err := client.NewStreamableHttpClient("http://" + rs.addrs[i] + "/mcp")
		if err != nil {
			t.Fatal(err)
		}
		initialize(t, ci)
		// /readyz above left one pooled connection per replica open.
		before, _ := rs.rig.stack.ConnectionCount(rs.rig.user)
		done := make(chan error, 1)
		go func() {
			req := mcp.CallToolRequest{}
			req.Params.Name = "watch_inbox"
			req.Params.Arguments = map[string]any{"timeout_seconds": 4}
			res, err := ci.CallTool(context.Background(), req)
			if err == nil && res.IsError {
				err = fmt.Errorf("%v", res.Content)
			}
			done <- err
		}()
		time.Sleep(2 * time.Second)
		if n, _ := rs.rig.stack.ConnectionCount(rs.rig.user); n != before {
			t.Errorf("a long-poll on replica %d (no lease): %d IMAP connections during it, %d before", i, n, before)
		}
		if err := <-done; err != nil {
			t.Errorf("watch_inbox on replica %d: %v", i, err)
		}
		ci.Close()
		break
	}

	c, err := client.NewStreamableHttpClient("http://" + rs.addrs[2] + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initialize(t, c)
	call := func(args map[string]any) map[string]any {
		req := mcp.CallToolRequest{}
		req.Params.Name = "watch_inbox"
		req.Params.Arguments = args
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			t.Fatalf("watch_inbox: %v %+v", err, res)
		}
		b, _ := json.Marshal(res.StructuredContent)
		var m map[string]any
		json.Unmarshal(b, &m)
		return m
	}
	cursor, _ := call(map[string]any{"timeout_seconds": 0})["cursor"].(string)
	if cursor == "" {
		t.Fatal("no starting cursor")
	}

	const n = 300
	for i := range n {
		switch i {
		case n / 3:
			rs.kill(t, 0, syscall.SIGKILL)
		case 2 * n / 3:
			rs.kill(t, 1, syscall.SIGTERM)
			rs.start(t, 1)
		}
		r.deliver(t, fmt.Sprintf("Replica mail %03d", i))
	}

	// watch_inbox on replica 2, which lived throughout.
	seen := map[string]int{}
	deadline := time.Now().Add(90 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		m := call(map[string]any{"since": cursor, "timeout_seconds": 5})
		cursor, _ = m["cursor"].(string)
		evs, _ := m["events"].([]any)
		for _, e := range evs {
			b, _ := json.Marshal(e)
			if s := regexp.MustCompile(`Replica mail \d{3}`).FindString(string(b)); s != "" {
				seen[s]++
			}
		}
	}
	if len(seen) != n {
		t.Errorf("watch_inbox saw %d of %d messages", len(seen), n)
	}
	for s, k := range seen {
		if k != 1 {
			t.Errorf("watch_inbox returned %q %d times", s, k)
		}
	}

	// Webhooks: every message, one event id each.
	ids := rs.webhookEvents("Replica mail ", n, 60*time.Second)
	r.mu.Lock()
	t.Logf("%d webhook deliveries for %d messages", len(r.received), n)
	r.mu.Unlock()
	if len(ids) != n {
		t.Errorf("webhooks for %d of %d messages", len(ids), n)
	}
	for s, set := range ids {
		if len(set) != 1 {
			t.Errorf("%q has %d events, want 1", s, len(set))
		}
	}
	if t.Failed() {
		for i, l := range rs.logs {
			t.Logf("replica %d log tail:\n%s", i, tail(l.String(), 3000))
		}
	}
}

// ready reads replica i's /readyz.
func (rs *replicaSet) ready(t *testing.T, i int) (bool, map[string]any) {
	t.Helper()
	resp, err := http.Get("http://" + rs.addrs[i] + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode == http.StatusOK, body
}

// webhookEvents waits up to d for webhooks of n messages whose subjects
// start with prefix and returns the event ids seen per subject.
func (rs *replicaSet) webhookEvents(prefix string, n int, d time.Duration) map[string]map[uint64]bool {
	r := rs.rig
	deadline := time.Now().Add(d)
	for {
		ids := map[string]map[uint64]bool{}
		r.mu.Lock()
		for _, doc := range r.received {
			s := doc.Event.Subject()
			if !strings.HasPrefix(s, prefix) {
				continue
			}
			if ids[s] == nil {
				ids[s] = map[uint64]bool{}
			}
			ids[s][doc.Event.ID] = true
		}
		r.mu.Unlock()
		if len(ids) >= n || time.Now().After(deadline) {
			return ids
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReplicasPostgresRestart: the database stops while mail arrives; the
// replicas report it on /readyz, and when it is back every message reaches
// the webhook with one event, nothing lost.
func TestReplicasPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons")
	}
	rs := newReplicaSet(t, 2)
	pg, _ := testrig.RequirePostgresServer(t)
	if got := rs.waitConnections(t, 1); got != 1 {
		t.Fatalf("%d IMAP connections, want 1", got)
	}
	for i := range 10 {
		rs.rig.deliver(t, fmt.Sprintf("Restart mail %02d", i))
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			pg.Start()
		}
	}()
	for i := 10; i < 30; i++ {
		rs.rig.deliver(t, fmt.Sprintf("Restart mail %02d", i))
	}
	deadline := time.Now().Add(15 * time.Second)
	var body map[string]any
	for ok := true; ok && time.Now().Before(deadline); {
		ok, body = rs.ready(t, 0)
		if ok {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if probs, _ := body["problems"].(map[string]any); probs["state_db"] == nil {
		t.Errorf("/readyz with the database down: %v", body)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	stopped = false
	for i := 30; i < 40; i++ {
		rs.rig.deliver(t, fmt.Sprintf("Restart mail %02d", i))
	}
	ids := rs.webhookEvents("Restart mail ", 40, 90*time.Second)
	if len(ids) != 40 {
		t.Errorf("webhooks for %d of 40 messages", len(ids))
	}
	for s, set := range ids {
		if len(set) != 1 {
			t.Errorf("%q has %d events, want 1", s, len(set))
		}
	}
	deadline = time.Now().Add(20 * time.Second)
	for ok := false; !ok; {
		if ok, body = rs.ready(t, 0); !ok && time.Now().After(deadline) {
			t.Fatalf("not ready after the database returned: %v", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if t.Failed() {
		for i, l := range rs.logs {
			t.Logf("replica %d log tail:\n%s", i, tail(l.String(), 3000))
		}
	}
}

// waitConnections waits up to 10 s for the account's IMAP connection count
// to become want, and returns the count last seen (held for a second, so
// a replica that is late to start its watcher is counted).
func (rs *replicaSet) waitConnections(t *testing.T, want int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	got := -1
	for time.Now().Before(deadline) {
		n, err := rs.rig.stack.ConnectionCount(rs.rig.user)
		if err != nil {
			t.Fatal(err)
		}
		if got = n; got == want {
			time.Sleep(time.Second)
			if got, _ = rs.rig.stack.ConnectionCount(rs.rig.user); got == want {
				return got
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
