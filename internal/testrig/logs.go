package testrig

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tailLines bounds how much of a log goes into an error message.
const tailLines = 25

// tail returns the last n lines of path (reads at most 64 KiB).
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	const maxRead = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > maxRead {
		_, _ = f.Seek(fi.Size()-maxRead, io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logTails formats the tails of the given logs for an error message, so a
// CI failure can be diagnosed from the test output alone.
func logTails(paths ...string) string {
	var buf bytes.Buffer
	for _, p := range paths {
		fmt.Fprintf(&buf, "\n--- last %d lines of %s ---\n%s", tailLines, filepath.Base(p), tail(p, tailLines))
	}
	return buf.String()
}

// DovecotLog is the path of Dovecot's log file (all services).
func (s *Stack) DovecotLog() string { return s.l.DovecotLog }

// PostfixLog is the path of Postfix's log file.
func (s *Stack) PostfixLog() string { return s.l.PostfixLog }

// LogTails returns the last lines of Dovecot's and Postfix's logs, for a
// test to print when it fails (t.Log(s.LogTails())).
func (s *Stack) LogTails() string {
	return logTails(s.l.DovecotLog, s.l.PostfixLog)
}
