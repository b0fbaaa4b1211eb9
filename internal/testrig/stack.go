package testrig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stack is a running Dovecot + Postfix pair on loopback.
type Stack struct {
	Host                            string // "127.0.0.1"
	IMAPPort, IMAPSPort             int    // STARTTLS, implicit TLS
	POP3Port, POP3SPort             int    // POP3 with STLS, implicit TLS
	SubmissionPort, SubmissionsPort int    // 587-style STARTTLS, 465-style implicit TLS; AUTH required
	MXPort                          int    // no auth, local domain only
	Domain                          string // "example.test"
	CAFile                          string // PEM of the test CA
	CAPool                          *x509.CertPool
	StateDir                        string

	l      layout
	bins   binaries
	owned  bool // this process started the stack (and serves oauth/socketmap)
	keep   bool // leave the state directory behind on Close
	oauth  *oauthServer
	smap   *socketmapServer
	reaper *reaper
	certs  tlsFiles

	oauthURL      string
	startedIn     time.Duration
	socketmapAddr string

	populateSeq atomic.Uint64

	dovecotMu sync.Mutex
	postfixMu sync.Mutex
	closeOnce sync.Once
	closeErr  error
}

// Options tune Start. The zero value is what Require uses.
type Options struct {
	// Host is the loopback address to listen on (default 127.0.0.1).
	Host string
	// Domain is the local mail domain (default example.test).
	Domain string
	// KeepState leaves the state directory (logs, mail) after Close.
	KeepState bool
	// AuthDebug turns on Dovecot's auth_debug (verbose, for diagnosing).
	AuthDebug bool
}

// Start starts a private stack in a new temporary directory and returns when
// every listener has greeted. It needs root and the Debian packages
// (scripts/install-mailstack.sh). Call Close to stop it.
func Start(opts Options) (*Stack, error) {
	t0 := time.Now()
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Domain == "" {
		opts.Domain = "example.test"
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("start stack: must run as root (Dovecot and Postfix masters need it)")
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("start stack: %w (run scripts/install-mailstack.sh as root)", err)
	}
	ids, err := lookupSystemIDs()
	if err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}
	cleanupLeftovers(os.TempDir())

	dir, err := os.MkdirTemp("", stateDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}
	s := &Stack{
		Host:     opts.Host,
		Domain:   opts.Domain,
		StateDir: dir,
		l:        newLayout(dir),
		bins:     bins,
		owned:    true,
		keep:     opts.KeepState || os.Getenv("MAILMCP_RIG_KEEP") != "",
	}
	ok := false
	defer func() {
		if !ok {
			_ = s.Close()
		}
	}()
	if err := s.prepare(ids); err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}
	if s.reaper, err = startReaper(s.l, s.keep); err != nil {
		return nil, fmt.Errorf("start stack: %w", err)
	}
	// Ports are picked free, but another process may take one before the
	// daemons bind it: retry with fresh ports when a bind fails.
	for attempt := 1; ; attempt++ {
		err = s.startDaemons(ids, opts)
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "in use") {
			return nil, fmt.Errorf("start stack: %w", err)
		}
		_ = s.KillDovecot()
		_ = s.KillPostfix()
	}
	ok = true
	s.startedIn = time.Since(t0)
	return s, nil
}

// prepare creates the state directory content and the in-process endpoints.
func (s *Stack) prepare(ids systemIDs) error {
	if err := prepareDirs(s.l, ids); err != nil {
		return err
	}
	var err error
	if s.certs, err = generateCerts(s.l.TLSDir, s.Domain); err != nil {
		return err
	}
	s.CAFile = s.certs.CAFile
	if s.CAPool, err = loadCAPool(s.CAFile); err != nil {
		return err
	}
	if err := createUsersDir(s.l.UsersDir, ids.dovecotGID); err != nil {
		return err
	}
	if err := createTokensFile(s.l.TokensFile); err != nil {
		return err
	}
	if s.oauth, err = startOAuthServer(s.Host, s.lookupToken); err != nil {
		return err
	}
	s.oauthURL = s.oauth.url
	if s.smap, err = startSocketmap(s.Host, s.vmailboxLookup); err != nil {
		return err
	}
	s.socketmapAddr = s.smap.addr()
	return nil
}

// startDaemons picks ports, renders the configuration, records the stack in
// rig.json and starts Dovecot, then Postfix.
func (s *Stack) startDaemons(ids systemIDs, opts Options) error {
	ports, err := FreePorts(s.Host, 7)
	if err != nil {
		return err
	}
	s.IMAPPort, s.IMAPSPort, s.SubmissionPort, s.SubmissionsPort, s.MXPort = ports[0], ports[1], ports[2], ports[3], ports[4]
	s.POP3Port, s.POP3SPort = ports[5], ports[6]
	authDebug := "no"
	if opts.AuthDebug {
		authDebug = "yes"
	}
	err = renderConfigs(configData{
		layout:               s.l,
		Host:                 s.Host,
		Domain:               s.Domain,
		IMAPPort:             s.IMAPPort,
		IMAPSPort:            s.IMAPSPort,
		POP3Port:             s.POP3Port,
		POP3SPort:            s.POP3SPort,
		SubmissionPort:       s.SubmissionPort,
		SubmissionsPort:      s.SubmissionsPort,
		MXPort:               s.MXPort,
		OAuthURL:             s.oauthURL,
		SocketmapAddr:        s.socketmapAddr,
		CertFile:             s.certs.CertFile,
		KeyFile:              s.certs.KeyFile,
		MailUser:             ids.mailUser,
		MailGroup:            ids.mailGroup,
		MailUID:              ids.mailUID,
		MailGID:              ids.mailGID,
		DefaultQuota:         defaultQuota,
		MaxUserIPConnections: MaxUserIPConnections,
		AuthDebug:            authDebug,
		VirtualPrefix:        VirtualPrefix,
	})
	if err != nil {
		return err
	}
	if err := s.saveState(); err != nil {
		return err
	}
	// Dovecot first: an smtpd that finds no Dovecot auth socket when a
	// client connects (the readiness probe on submissions) exits fatally,
	// and Postfix's master then throttles the whole service.
	if err := s.StartDovecot(); err != nil {
		return err
	}
	return s.StartPostfix()
}

// StartDuration is how long Start took (zero for an attached stack).
func (s *Stack) StartDuration() time.Duration { return s.startedIn }

// MaxUserIPConnections is Dovecot's mail_max_userip_connections for IMAP: a
// test that leaks connections for one user fails at the next login.
const MaxUserIPConnections = 10

// Close stops the stack if this process started it: Dovecot and Postfix in
// parallel (~1.1 s, Dovecot's built-in shutdown sleep), the in-process
// endpoints, and the state directory unless kept. For an attached stack it
// does nothing.
func (s *Stack) Close() error {
	if !s.owned {
		return nil
	}
	s.closeOnce.Do(func() {
		var wg sync.WaitGroup
		var dErr, pErr error
		if s.bins.dovecot != "" {
			wg.Add(2)
			go func() { defer wg.Done(); dErr = s.StopDovecot() }()
			go func() { defer wg.Done(); pErr = s.StopPostfix() }()
			wg.Wait()
		}
		errs := []error{dErr, pErr, s.oauth.close(), s.smap.close()}
		if dErr == nil && pErr == nil && !s.keep {
			errs = append(errs, os.RemoveAll(s.StateDir))
		}
		s.reaper.done()
		s.closeErr = errors.Join(errs...)
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("stop stack: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// TLSConfig trusts the test CA (verification stays on) and names the
// server by Host, which the certificate carries as an IP SAN.
func (s *Stack) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

func (s *Stack) addr(port int) string { return net.JoinHostPort(s.Host, strconv.Itoa(port)) }

// IMAPAddr is host:port of IMAP with STARTTLS.
func (s *Stack) IMAPAddr() string { return s.addr(s.IMAPPort) }

// IMAPSAddr is host:port of IMAP with implicit TLS.
func (s *Stack) IMAPSAddr() string { return s.addr(s.IMAPSPort) }

// POP3Addr is host:port of POP3 with STLS.
func (s *Stack) POP3Addr() string { return s.addr(s.POP3Port) }

// POP3SAddr is host:port of POP3 with implicit TLS.
func (s *Stack) POP3SAddr() string { return s.addr(s.POP3SPort) }

// SubmissionAddr is host:port of submission with STARTTLS (AUTH required).
func (s *Stack) SubmissionAddr() string { return s.addr(s.SubmissionPort) }

// SubmissionsAddr is host:port of submission with implicit TLS.
func (s *Stack) SubmissionsAddr() string { return s.addr(s.SubmissionsPort) }

// MXAddr is host:port of the MX-style SMTP port (no AUTH, local domain only).
func (s *Stack) MXAddr() string { return s.addr(s.MXPort) }

// LMTPSocket is the path of Dovecot's LMTP unix socket.
func (s *Stack) LMTPSocket() string { return s.l.DovecotRun + "/lmtp" }

// OAuthIntrospectionURL is the token-introspection endpoint Dovecot calls.
func (s *Stack) OAuthIntrospectionURL() string { return s.oauthURL }

// DovecotConfig is the path of the private dovecot.conf (for doveadm -c).
func (s *Stack) DovecotConfig() string { return s.l.DovecotConf }

// PostfixConfigDir is the private Postfix config directory (for postfix -c,
// postqueue -c).
func (s *Stack) PostfixConfigDir() string { return s.l.PostfixConf }

// RigFile is the JSON description of the stack; point MAILMCP_RIG at it to
// let other test binaries attach.
func (s *Stack) RigFile() string { return s.l.RigFile }

// AddressOutside returns an address in a domain the stack does not serve.
// Submission accepts mail to it and Postfix bounces it locally (a DSN to
// the sender); nothing leaves the machine.
func (s *Stack) AddressOutside() string { return "nobody-" + randomHex(3) + "@outside.invalid" }

// FreePorts reserves n distinct free TCP ports on host by listening on port 0
// (all at once, so they differ) and releasing them.
func FreePorts(host string, n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("pick free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
