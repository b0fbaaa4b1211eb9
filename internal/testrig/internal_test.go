package testrig

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocalPart(t *testing.T) {
	for in, want := range map[string]string{
		"TestFoo":                          "foo",
		"TestFoo/sub_case#01":              "foo.sub.case.01",
		"Test":                             "user",
		"":                                 "user",
		"TestÜmlaut/x":                     "mlaut.x",
		"TestAVeryLongNameThatGoesOnAndOn": "averylongnamethatgoesonandon",
	} {
		got := localPart(in)
		if got != want {
			t.Errorf("localPart(%q) = %q, want %q", in, got, want)
		}
		if strings.HasPrefix(got, ".") || strings.HasSuffix(got, ".") || strings.Contains(got, "..") {
			t.Errorf("localPart(%q) = %q is not a valid dot-atom", in, got)
		}
	}
}

func TestMaildirPath(t *testing.T) {
	s := &Stack{l: newLayout("/state")}
	u := User{Email: "Bob-1@example.test"}
	for folder, want := range map[string]string{
		"INBOX":         "/state/mail/example.test/bob-1/Maildir",
		"Archive":       "/state/mail/example.test/bob-1/Maildir/.Archive",
		"Projects/2024": "/state/mail/example.test/bob-1/Maildir/.Projects.2024",
	} {
		got, err := s.maildirPath(u, folder)
		if err != nil || got != want {
			t.Errorf("maildirPath(%q) = %q, %v; want %q", folder, got, err, want)
		}
	}
	for _, bad := range []string{"", "a.b", "/x", "x/", "a//b", "Entwürfe"} {
		if _, err := s.maildirPath(u, bad); err == nil {
			t.Errorf("maildirPath(%q) accepted", bad)
		}
	}
}

// The socketmap speaks netstrings, keeps the connection open for several
// lookups and distinguishes OK, NOTFOUND and TEMP.
func TestSocketmapProtocol(t *testing.T) {
	srv, err := startSocketmap("127.0.0.1", func(name, key string) (string, error) {
		switch key {
		case "yes@example.test":
			return "OK", nil
		case "broken@example.test":
			return "", fmt.Errorf("disk on fire")
		}
		return "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	conn, err := net.DialTimeout("tcp", srv.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for req, want := range map[string]string{
		"vmailbox yes@example.test":    "OK OK",
		"vmailbox no@example.test":     "NOTFOUND ",
		"vmailbox broken@example.test": "TEMP disk on fire",
		"malformed":                    "PERM malformed request",
	} {
		if _, err := conn.Write([]byte(netstring(req))); err != nil {
			t.Fatal(err)
		}
		got, err := readNetstring(br)
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		if string(got) != want {
			t.Errorf("%q: got %q, want %q", req, got, want)
		}
	}
	// A bad netstring ends the connection.
	_, _ = conn.Write([]byte("99999999:x,"))
	if _, err := readNetstring(br); err == nil {
		t.Error("server answered an oversized netstring")
	}
}

func TestVmailboxLookupStripsExtension(t *testing.T) {
	dir := t.TempDir()
	s := &Stack{Domain: "example.test", l: newLayout(dir)}
	if err := os.MkdirAll(filepath.Join(s.l.UsersDir, "example.test"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.l.UsersDir, "example.test", "bob"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"bob@example.test":       "OK",
		"BOB+news@example.test":  "OK",
		"alice@example.test":     "",
		"../bob@example.test":    "",
		"bob@../example.test":    "",
		"+x@example.test":        "",
		"bob@example.test@other": "",
	} {
		got, err := s.vmailboxLookup("vmailbox", key)
		if err != nil || got != want {
			t.Errorf("lookup %q = %q, %v; want %q", key, got, err, want)
		}
	}
}

// A test binary that dies without stopping its stack (a panic in a test,
// go test's -timeout, SIGKILL) must not leave servers running: the reaper
// stops them and removes the state directory.
func TestCrashedOwnerIsCleanedUp(t *testing.T) {
	if os.Getenv("TESTRIG_CRASH_CHILD") == "1" {
		s, err := Start(Options{})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(3)
		}
		fmt.Printf("STACK %s %d %d\n", s.StateDir, s.dovecotPID(), s.postfixPID())
		panic("simulated crash of a test binary while its stack runs")
	}
	Require(t) // skips where the servers cannot run
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashedOwnerIsCleanedUp$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TESTRIG_CRASH_CHILD=1")
	timer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child did not crash:\n%s", out)
	}
	var dir string
	var dpid, ppid int
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "STACK ") {
			fmt.Sscanf(line, "STACK %s %d %d", &dir, &dpid, &ppid)
		}
	}
	if dir == "" || dpid == 0 || ppid == 0 {
		t.Fatalf("child did not report a running stack:\n%s", out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, statErr := os.Stat(dir)
		left := append(sessionMembers(dpid), sessionMembers(ppid)...)
		if len(left) == 0 && os.IsNotExist(statErr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the owner crashed: processes %v still alive, state dir stat: %v", left, statErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
