package testrig

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode"
)

// User is a mailbox on the stack. Username is what IMAP LOGIN and SMTP AUTH
// take (the full address).
type User struct{ Email, Username, Password string }

// QuotaLimit is the storage quota of users made by QuotaUser.
const QuotaLimit = "100K"

// defaultQuota applies to every other user; large enough for Populate
// benchmarks with 100k small messages.
const defaultQuota = "2G"

// NewUser adds a fresh user with an empty mailbox. The name is derived from
// the test name plus random characters, so tests never share a mailbox. The
// servers see the user at once (Dovecot re-reads its passwd-file, Postfix
// asks the test process through a socketmap).
func (s *Stack) NewUser(tb testing.TB) User {
	tb.Helper()
	u, err := s.AddUser(tb.Name(), "")
	if err != nil {
		tb.Fatalf("testrig: %v", err)
	}
	return u
}

// QuotaUser adds a fresh user whose storage quota is QuotaLimit (100 KiB).
func (s *Stack) QuotaUser(tb testing.TB) User {
	tb.Helper()
	u, err := s.AddUser(tb.Name(), QuotaLimit)
	if err != nil {
		tb.Fatalf("testrig: %v", err)
	}
	return u
}

// AddUser adds a user whose local part starts with hint (sanitised); quota,
// if not empty, is a Dovecot storage limit such as "100K" or "10M".
//
// Each user gets its own passwd-file (UsersDir/<domain>/<local part>):
// Dovecot re-checks a passwd-file at most once per second, so appending to
// one shared file would leave a user unknown for up to a second, while a
// file at a path never looked up before is read at once.
func (s *Stack) AddUser(hint, quota string) (User, error) {
	local := localPart(hint) + "-" + randomHex(4)
	u := User{
		Email:    local + "@" + s.Domain,
		Password: "pw-" + randomHex(8),
	}
	u.Username = u.Email
	// passwd-file: user:password:uid:gid:gecos:home:shell:extra_fields
	line := u.Email + ":{PLAIN}" + u.Password + "::::::"
	if quota != "" {
		line += "userdb_quota_rule=*:storage=" + quota
	}
	if err := s.writeUserFile(local, line+"\n"); err != nil {
		return User{}, fmt.Errorf("add user %s: %w", u.Email, err)
	}
	return u, nil
}

// writeUserFile creates the passwd-file of one user atomically (Dovecot must
// never see it half-written), readable by Dovecot's auth process.
func (s *Stack) writeUserFile(local, content string) error {
	dir := filepath.Join(s.l.UsersDir, strings.ToLower(s.Domain))
	gid, err := dirGroup(s.l.UsersDir)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o750); err == nil {
		if err := os.Chown(dir, 0, gid); err != nil {
			return err
		}
	} else if !os.IsExist(err) {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chown(0, gid); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	final := filepath.Join(dir, local)
	if _, err := os.Stat(final); err == nil {
		return fmt.Errorf("user file %s exists", final)
	}
	return os.Rename(tmp.Name(), final)
}

// userExists reports whether email has a passwd-file.
func (s *Stack) userExists(email string) bool {
	local, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if !ok || local == "" || strings.ContainsAny(local, "/\\") || strings.HasPrefix(local, ".") || strings.ContainsAny(domain, "/\\") || strings.HasPrefix(domain, ".") {
		return false
	}
	_, err := os.Stat(filepath.Join(s.l.UsersDir, domain, local))
	return err == nil
}

// createUsersDir makes the passwd-file directory readable by Dovecot's auth
// process (group dovecot) but not by everyone.
func createUsersDir(path string, dovecotGID int) error {
	if err := os.Mkdir(path, 0o750); err != nil {
		return fmt.Errorf("create users dir: %w", err)
	}
	if err := os.Chown(path, 0, dovecotGID); err != nil {
		return fmt.Errorf("create users dir: %w", err)
	}
	return nil
}

// dirGroup returns the group owning dir.
func dirGroup(dir string) (int, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no owner information", dir)
	}
	return int(st.Gid), nil
}

// localPart turns a test name into a short, valid local part (lower-case
// letters and digits, runs of anything else as one '.', at most 28 chars).
func localPart(hint string) string {
	if len(hint) >= 4 && strings.EqualFold(hint[:4], "test") {
		hint = hint[4:]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(hint) {
		if b.Len() >= 28 {
			break
		}
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "."):
			b.WriteByte('.')
		}
	}
	s := strings.Trim(b.String(), ".")
	if s == "" {
		s = "user"
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("testrig: crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}
