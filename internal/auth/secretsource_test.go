package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecretSourceEnv(t *testing.T) {
	t.Setenv("MAILMCP_TEST_PW", "pa ss")
	s, probs, err := SecretSource{Env: "MAILMCP_TEST_PW"}.Resolve(testCtx(t))
	if err != nil || s.Reveal() != "pa ss" || len(probs) != 0 {
		t.Fatalf("= %q %v %v", s.Reveal(), probs, err)
	}
	if _, _, err := (SecretSource{Env: "MAILMCP_TEST_UNSET_VAR"}).Resolve(testCtx(t)); err == nil {
		t.Fatal("unset variable accepted")
	}
}

func TestSecretSourceFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pw")
	os.WriteFile(p, []byte("line1\n\n"), 0o600)
	s, probs, err := SecretSource{File: p}.Resolve(testCtx(t))
	if err != nil || s.Reveal() != "line1\n" || len(probs) != 0 {
		t.Fatalf("only one trailing newline may go: %q %v %v", s.Reveal(), probs, err)
	}
	os.WriteFile(p, []byte("crlf\r\n"), 0o644)
	os.Chmod(p, 0o644)
	s, probs, err = SecretSource{File: p}.Resolve(testCtx(t))
	if err != nil || s.Reveal() != "crlf" {
		t.Fatalf("= %q %v", s.Reveal(), err)
	}
	if len(probs) != 1 || !strings.Contains(probs[0], "chmod 600") {
		t.Fatalf("group/world-readable file not reported: %v", probs)
	}
	os.WriteFile(p, nil, 0o600)
	if _, _, err := (SecretSource{File: p}).Resolve(testCtx(t)); err == nil {
		t.Fatal("empty file accepted")
	}
}

func TestSecretSourceCommand(t *testing.T) {
	s, _, err := SecretSource{Command: "printf 'first|x\\nsecond\\n' | tr '|' '-'"}.Resolve(testCtx(t))
	if err != nil || s.Reveal() != "first-x" {
		t.Fatalf("= %q %v", s.Reveal(), err)
	}
	// A failing command whose stderr repeats the secret: the error keeps
	// the message but never the secret.
	_, _, err = SecretSource{Command: "echo hunter2-secret; echo \"bad: hunter2-secret $(printf '\\033[31m')red\" >&2; exit 3"}.Resolve(testCtx(t))
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "\x1b") ||
		!strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "bad: [redacted]") {
		t.Fatalf("err = %q", err)
	}
	_, _, err = SecretSource{Command: "echo " + strings.Repeat("e", 2000) + " >&2; exit 1"}.Resolve(testCtx(t))
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("stderr not bounded: %d bytes", len(err.Error()))
	}
	if _, _, err := (SecretSource{Command: "true"}).Resolve(testCtx(t)); err == nil {
		t.Fatal("empty output accepted")
	}
}

func TestSecretSourceCommandDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := SecretSource{Command: "sleep 10 & sleep 10"}.Resolve(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestSecretSourceExactlyOne(t *testing.T) {
	if _, _, err := (SecretSource{}).Resolve(testCtx(t)); !errors.Is(err, ErrNoSecretSource) {
		t.Fatal(err)
	}
	if _, _, err := (SecretSource{Env: "A", File: "b"}).Resolve(testCtx(t)); err == nil {
		t.Fatal("two sources accepted")
	}
}
