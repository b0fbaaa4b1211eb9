package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode"
)

// Limits on where a password may come from.
const (
	maxSecretBytes     = 64 << 10
	maxStderrInError   = 200
	defaultCommandWait = 30 * time.Second
)

// SecretSource says where a password or app password lives. Exactly one field
// must be set. A secret is never a command-line flag or a tool argument.
//
//   - Env: the name of an environment variable holding the secret.
//   - File: a file holding the secret; one trailing newline is removed. A file
//     readable by group or others still works but is reported as a problem.
//     A leading "~/" is the user's home directory.
//   - Command: a shell command whose first line of standard output is the
//     secret, e.g. "pass show mail/work | head -1". It runs as `sh -c COMMAND`
//     (like aerc's and msmtp's password commands, so pipes and quoting behave
//     as users expect; the config file is the user's own, so the shell is not
//     an injection surface). It is bounded by the context's deadline, or 30 s
//     when the context has none. Its standard error appears in errors only
//     cut to 200 characters, stripped of control characters, and with any
//     text equal to the secret removed.
type SecretSource struct {
	Env     string `json:"env,omitempty" toml:"env,omitempty"`
	File    string `json:"file,omitempty" toml:"file,omitempty"`
	Command string `json:"command,omitempty" toml:"command,omitempty"`
}

// ErrNoSecretSource is returned when a SecretSource names no source.
var ErrNoSecretSource = errors.New("auth: no password source configured (set one of env, file, command)")

// IsZero reports whether no source is set.
func (s SecretSource) IsZero() bool { return s.Env == "" && s.File == "" && s.Command == "" }

// Describe names the source without revealing anything, e.g. `env MAIL_PW`.
func (s SecretSource) Describe() string {
	switch {
	case s.Env != "":
		return "env " + s.Env
	case s.File != "":
		return "file " + s.File
	case s.Command != "":
		return "command"
	}
	return "none"
}

// Resolve reads the secret. Problems are warnings worth showing the user (a
// group-readable file) that did not stop resolution.
func (s SecretSource) Resolve(ctx context.Context) (secret Secret, problems []string, err error) {
	n := 0
	for _, v := range []string{s.Env, s.File, s.Command} {
		if v != "" {
			n++
		}
	}
	switch {
	case n == 0:
		return "", nil, ErrNoSecretSource
	case n > 1:
		return "", nil, errors.New("auth: password source must set exactly one of env, file, command")
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", nil, fmt.Errorf("auth: read password: environment variable %s is not set or empty", s.Env)
		}
		return Secret(v), nil, nil
	case s.File != "":
		return readSecretFile(s.File)
	default:
		v, err := runSecretCommand(ctx, s.Command)
		return v, nil, err
	}
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

func readSecretFile(name string) (Secret, []string, error) {
	path := expandHome(name)
	f, err := os.Open(path)
	if err != nil {
		return "", nil, fmt.Errorf("auth: read password file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", nil, fmt.Errorf("auth: read password file: %w", err)
	}
	var problems []string
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		problems = append(problems, fmt.Sprintf("password file %s is readable by group or others (mode %#o); run: chmod 600 %s", path, perm, path))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", problems, fmt.Errorf("auth: read password file %s: %w", path, err)
	}
	if len(b) > maxSecretBytes {
		return "", problems, fmt.Errorf("auth: read password file %s: larger than %d bytes", path, maxSecretBytes)
	}
	v := string(b)
	if t, ok := strings.CutSuffix(v, "\n"); ok {
		v = strings.TrimSuffix(t, "\r")
	}
	if v == "" {
		return "", problems, fmt.Errorf("auth: read password file %s: file is empty", path)
	}
	return Secret(v), problems, nil
}

// boundedBuffer keeps the first max bytes written and discards the rest.
type boundedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func runSecretCommand(ctx context.Context, command string) (Secret, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultCommandWait)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	stdout := &boundedBuffer{max: maxSecretBytes}
	stderr := &boundedBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second // a grandchild holding the pipes must not hang us
	err := cmd.Run()
	out := stdout.buf.String()
	first, _, _ := strings.Cut(out, "\n")
	first = strings.TrimSuffix(first, "\r")
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("auth: password command: %w", ctx.Err())
		}
		msg := safeStderr(stderr.buf.String(), out, first)
		if msg != "" {
			return "", fmt.Errorf("auth: password command failed (%v): %s", err, msg)
		}
		return "", fmt.Errorf("auth: password command failed (%v)", err)
	}
	if first == "" {
		return "", errors.New("auth: password command printed nothing on its first line")
	}
	return Secret(first), nil
}

// safeStderr makes a command's standard error fit for an error message: the
// secret (and anything the command printed on stdout) removed, control
// characters dropped, cut short.
func safeStderr(stderr string, secrets ...string) string {
	for _, s := range secrets {
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); len(line) >= 4 {
				stderr = strings.ReplaceAll(stderr, line, redacted)
			}
		}
	}
	stderr = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, stderr)
	stderr = strings.Join(strings.Fields(stderr), " ")
	if len(stderr) > maxStderrInError {
		cut := maxStderrInError
		for cut > 0 && !utf8RuneStart(stderr[cut]) {
			cut--
		}
		stderr = stderr[:cut] + "…"
	}
	return stderr
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
