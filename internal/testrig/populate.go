package testrig

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Populate fills folder of u with n small generated messages (Subject
// "Message <i>", i from 1) by writing Maildir files directly: 100k messages
// take seconds instead of minutes of APPEND. Dovecot indexes them on the
// next access (its first SELECT of a 100k folder takes ~0.3 s). folder is
// "INBOX" or a name like "Archive" or "Projects/2024" (ASCII, no '.').
func (s *Stack) Populate(tb testing.TB, u User, folder string, n int) {
	tb.Helper()
	s.PopulateFunc(tb, u, folder, n, func(i int) []byte { return GeneratedMessage(u, i) })
}

// PopulateFunc is Populate with the messages produced by gen(i), i from 1
// to n. Messages should use CRLF line endings.
func (s *Stack) PopulateFunc(tb testing.TB, u User, folder string, n int, gen func(i int) []byte) {
	tb.Helper()
	if err := s.populate(u, folder, n, gen); err != nil {
		tb.Fatalf("testrig: %v", err)
	}
}

// GeneratedMessage is message i as Populate writes it for u.
func GeneratedMessage(u User, i int) []byte {
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return []byte("From: Sender <sender@example.test>\r\n" +
		"To: " + u.Email + "\r\n" +
		"Subject: Message " + strconv.Itoa(i) + "\r\n" +
		"Date: " + date.Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <" + strconv.Itoa(i) + "." + localPart(u.Email) + "@testrig.example.test>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"This is generated message number " + strconv.Itoa(i) + ".\r\n")
}

func (s *Stack) populate(u User, folder string, n int, gen func(int) []byte) error {
	dir, err := s.maildirPath(u, folder)
	if err != nil {
		return fmt.Errorf("populate %s %s: %w", u.Email, folder, err)
	}
	uid, gid, err := mailOwner()
	if err != nil {
		return fmt.Errorf("populate: %w", err)
	}
	if err := s.mkdirMail(dir, uid, gid); err != nil {
		return fmt.Errorf("populate %s %s: %w", u.Email, folder, err)
	}
	cur := filepath.Join(dir, "cur")
	base := time.Now().Unix()
	pid := os.Getpid()
	tag := randomHex(3)
	seq := s.populateSeq.Add(uint64(n)) - uint64(n)
	// A few writers in parallel: creating many files is syscall-bound.
	workers := min(4, max(1, n/256))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1 + w; i <= n; i += workers {
				msg := gen(i)
				// Maildir name: <time>.<unique>.<host>,S=<size>:2,<flags> (no
				// flags: unseen). S= spares Dovecot a stat for the size. Dovecot
				// assigns UIDs in file name order (time, then the rest as a
				// string), so the counter (increasing across calls) is
				// zero-padded to keep the messages in generation order.
				name := fmt.Sprintf("%d.Q%012dP%d%s.testrig,S=%d:2,", base, seq+uint64(i), pid, tag, len(msg))
				if err := writeOwned(filepath.Join(cur, name), msg, uid, gid); err != nil {
					errs[w] = fmt.Errorf("populate %s %s: message %d: %w", u.Email, folder, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// maildirPath maps an IMAP folder name to its Maildir++ directory.
func (s *Stack) maildirPath(u User, folder string) (string, error) {
	local, domain, ok := strings.Cut(strings.ToLower(u.Email), "@")
	if !ok {
		return "", fmt.Errorf("bad address %q", u.Email)
	}
	root := filepath.Join(s.l.MailDir, domain, local, "Maildir")
	if strings.EqualFold(folder, "INBOX") {
		return root, nil
	}
	for _, r := range folder {
		if r > 126 || r < 32 || r == '.' || r == '\\' {
			return "", fmt.Errorf("folder %q: only printable ASCII without '.' is supported", folder)
		}
	}
	if folder == "" || strings.HasPrefix(folder, "/") || strings.HasSuffix(folder, "/") || strings.Contains(folder, "//") {
		return "", fmt.Errorf("bad folder name %q", folder)
	}
	return filepath.Join(root, "."+strings.ReplaceAll(folder, "/", ".")), nil
}

// mkdirMail creates dir (and its cur/new/tmp) plus any missing parents below
// the mail root, owned by the mail user so Dovecot can write there.
func (s *Stack) mkdirMail(dir string, uid, gid int) error {
	rel, err := filepath.Rel(s.l.MailDir, dir)
	if err != nil {
		return err
	}
	p := s.l.MailDir
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		if err := mkdirOwned(p, uid, gid); err != nil {
			return err
		}
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := mkdirOwned(filepath.Join(dir, sub), uid, gid); err != nil {
			return err
		}
	}
	return nil
}

func mkdirOwned(p string, uid, gid int) error {
	err := os.Mkdir(p, 0o700)
	if os.IsExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.Chown(p, uid, gid)
}

func writeOwned(path string, data []byte, uid, gid int) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chown(uid, gid); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mailOwner is the uid/gid owning all Maildirs (Debian's "mail" user).
func mailOwner() (int, int, error) {
	u, err := user.Lookup("mail")
	if err != nil {
		return 0, 0, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid, nil
}
