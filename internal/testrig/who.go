package testrig

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ConnectionCount returns how many IMAP sessions Dovecot has for u right
// now (doveadm who against the private configuration). A test can check it
// drops back to zero after closing its clients, to catch connection leaks.
func (s *Stack) ConnectionCount(u User) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, s.bins.doveadm, "-c", s.l.DovecotConf, "who", "-1", strings.ToLower(u.Username)).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("connection count: doveadm who: %w: %s", err, strings.TrimSpace(string(out)))
	}
	// -1 prints one line per connection: "username proto pid ip" after a header.
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == "imap" && strings.EqualFold(f[0], u.Username) {
			n++
		}
	}
	return n, nil
}
