package testrig

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
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
	if err := appendLine(s.l.LockFile, s.l.UsersFile, line); err != nil {
		return User{}, fmt.Errorf("add user %s: %w", u.Email, err)
	}
	return u, nil
}

// userExists reports whether email (lower case) is in the passwd-file.
func (s *Stack) userExists(email string) (bool, error) {
	b, err := readLocked(s.l.LockFile, s.l.UsersFile)
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, _, _ := strings.Cut(line, ":")
		if name != "" && strings.EqualFold(name, email) {
			return true, nil
		}
	}
	return false, nil
}

// createUsersFile makes the empty passwd-file readable by Dovecot's auth
// process (user dovecot) but not by everyone.
func createUsersFile(path string, dovecotGID int) error {
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		return fmt.Errorf("create users file: %w", err)
	}
	if err := os.Chown(path, 0, dovecotGID); err != nil {
		return fmt.Errorf("create users file: %w", err)
	}
	return nil
}

// localPart turns a test name into a short, valid local part.
func localPart(hint string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(hint) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "."):
			b.WriteByte('.')
		}
		if b.Len() >= 28 {
			break
		}
	}
	s := strings.Trim(b.String(), ".")
	s = strings.TrimPrefix(s, "test")
	s = strings.Trim(s, ".")
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
