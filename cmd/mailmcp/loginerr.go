package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/mailmcp/mailmcp/internal/auth"
)

// loginError is a failed 'auth login' told once: what happened and the fix,
// without the stack of "auth: login X: auth: …" prefixes the layers add.
// It wraps the original error for errors.Is.
type loginError struct {
	msg string
	err error
}

func (e *loginError) Error() string { return e.msg }
func (e *loginError) Unwrap() error { return e.err }

// explainLogin turns the error of auth.Login for account into a loginError.
// stdinClosed says whether a pasted redirect was impossible.
func explainLogin(err error, account, provider string, stdinClosed bool) error {
	if err == nil {
		return nil
	}
	again := fmt.Sprintf("'mailmcp auth login %s'", account)
	var ue *url.Error
	var msg string
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		msg = "interrupted before the authorization arrived; nothing was saved"
		if stdinClosed {
			msg += ". stdin was closed, so the address the browser ends on could not be pasted: run " + again +
				" in a terminal, or open the printed address in a browser on this machine and let it return"
		} else {
			msg += ": run " + again + " again and finish in the browser (or paste the address it ends on)"
		}
	case errors.As(err, &ue) && isNetwork(ue.Err):
		host := ue.URL
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Scheme + "://" + u.Host
		}
		msg = fmt.Sprintf("cannot reach %s (%v): check the network connection (and HTTPS_PROXY if you use a proxy), then run %s again",
			host, netCause(ue.Err), again)
	default:
		msg = trimAuthPrefixes(auth.Explain(err, provider, account))
	}
	return &loginError{msg: account + ": " + msg, err: err}
}

// isNetwork reports whether err is a failure to reach a server (DNS,
// refused, timeout, unreachable) rather than an answer from it.
func isNetwork(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &oe) || errors.As(err, &de) || errors.As(err, &ne)
}

// netCause is the innermost readable network error ("lookup x: no such
// host", "connect: connection refused").
func netCause(err error) error {
	var de *net.DNSError
	if errors.As(err, &de) {
		return de
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// trimAuthPrefixes drops the "auth: " and "login X: " prefixes that the
// auth package's layers each add.
func trimAuthPrefixes(s string) string {
	s = authPrefix.ReplaceAllString(s, "$1")
	if strings.HasPrefix(s, "login ") {
		if j := strings.Index(s, ": "); j > 0 {
			s = s[j+2:]
		}
	}
	return s
}

// authPrefix is an "auth: " at the start or after another prefix, not
// inside a word ("oauth: ").
var authPrefix = regexp.MustCompile(`(^|: )auth: `)

// eofNotice wraps a login's stdin: the first time it ends, it says so on
// out (nothing can be pasted; only the browser's redirect can finish the
// login) and remembers it for explainLogin. The notice is written under
// the lock closed takes, so a caller that read closed() == true also sees
// the write.
type eofNotice struct {
	r   io.Reader
	out io.Writer
	mu  sync.Mutex
	eof bool
}

func (e *eofNotice) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		e.mu.Lock()
		if !e.eof {
			e.eof = true
			fmt.Fprintln(e.out, "stdin is closed: nothing can be pasted here, so only the browser returning to the address above can finish the login. Ctrl-C stops.")
		}
		e.mu.Unlock()
	}
	return n, err
}

func (e *eofNotice) closed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.eof
}
