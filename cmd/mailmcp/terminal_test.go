package main

import (
	"bufio"
	"errors"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// waitForLine reads r (a child's output) until a line containing want
// arrives, and keeps draining it so the child never blocks on a full pipe.
func waitForLine(t *testing.T, r *bufio.Scanner, want string, timeout time.Duration) (string, bool) {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sent := false
		for r.Scan() {
			if !sent && strings.Contains(r.Text(), want) {
				found <- r.Text()
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case line, ok := <-found:
		return line, ok
	case <-time.After(timeout):
		return "", false
	}
}

// TestTerminalNotice: serve and demo started in a terminal (stdin a real
// pty) say on stderr that they speak MCP on stdin/stdout, how to connect,
// --http and Ctrl-C; started by a client (stdin a pipe) they do not.
func TestTerminalNotice(t *testing.T) {
	for _, command := range []string{"demo", "serve"} {
		t.Run(command, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pty: %v", err)
			}
			defer ptmx.Close()
			defer tty.Close()
			cmd := binary(t, command)
			cmd.Stdin = tty
			stderr, _ := cmd.StderrPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
			line, ok := waitForLine(t, bufio.NewScanner(stderr), "speaks MCP", 10*time.Second)
			if !ok {
				t.Fatalf("mailmcp %s in a terminal printed no notice", command)
			}
			for _, want := range []string{"stdin/stdout", "--http", "Ctrl-C", "client"} {
				if !strings.Contains(line, want) {
					t.Errorf("notice lacks %q: %s", want, line)
				}
			}
		})
	}
	// stdin a pipe, as an MCP client starts it: no notice.
	cmd := binary(t, "demo")
	cmd.Stdin = strings.NewReader("")
	out, _ := cmd.CombinedOutput()
	if strings.Contains(string(out), "speaks MCP") {
		t.Errorf("notice printed with stdin a pipe:\n%s", out)
	}
}

// TestDemoPrintConfigPortTaken: with 127.0.0.1:1143 taken, demo
// --print-config picks a free IMAP port, says so, and prints a config
// that points at it; given explicitly, a taken address fails naming the
// flag.
func TestDemoPrintConfigPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", demoIMAPAddr)
	if err != nil {
		t.Logf("%s already taken by someone else: %v", demoIMAPAddr, err)
	} else {
		defer ln.Close()
	}
	cmd := binary(t, "demo", "--print-config")
	stdout, _ := cmd.StdoutPipe()
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	line, ok := waitForLine(t, bufio.NewScanner(stdout), "imap = ", 10*time.Second)
	if !ok {
		t.Fatalf("no config printed:\n%s", logs.String())
	}
	m := regexp.MustCompile(`port = (\d+)`).FindStringSubmatch(line)
	if m == nil || m[1] == "1143" {
		t.Fatalf("want a free port instead of 1143: %s\n%s", line, logs.String())
	}
	conn, err := net.Dial("tcp", "127.0.0.1:"+m[1])
	if err != nil {
		t.Fatalf("the printed IMAP port does not answer: %v", err)
	}
	conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "--imap-addr") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "is taken") || !strings.Contains(logs.String(), "--imap-addr") {
		t.Errorf("stderr does not say the port was taken and which flag chooses one:\n%s", logs.String())
	}

	out, err := binary(t, "demo", "--print-config", "--imap-addr", demoIMAPAddr).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(string(out), "--imap-addr") {
		t.Errorf("an explicit taken address must fail naming --imap-addr: %v\n%s", err, out)
	}
}
