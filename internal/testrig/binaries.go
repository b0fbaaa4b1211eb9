package testrig

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// binaries are the server programs the rig runs.
type binaries struct {
	dovecot, doveadm, postfix string
}

// Debian locations, used when the directories are not on PATH (go test
// inherits the caller's PATH, which may lack /usr/sbin).
var sbinDirs = []string{"/usr/sbin", "/usr/bin", "/sbin"}

// helpers that must exist next to the main programs.
var requiredFiles = []string{
	"/usr/lib/dovecot/imap",
	"/usr/lib/dovecot/lmtp",
	"/usr/lib/dovecot/pop3",
	"/usr/lib/postfix/sbin/master",
	"/usr/lib/postfix/sbin/smtpd",
}

func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range sbinDirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// findBinaries locates dovecot, doveadm and postfix, or says what is missing.
func findBinaries() (binaries, error) {
	var b binaries
	var missing []string
	for name, dst := range map[string]*string{"dovecot": &b.dovecot, "doveadm": &b.doveadm, "postfix": &b.postfix} {
		p, err := findBinary(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		*dst = p
	}
	for _, f := range requiredFiles {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return b, errors.New("missing " + strings.Join(missing, ", "))
	}
	return b, nil
}
