package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

func init() { starters[Cyrus] = startCyrus }

// Paths of Cyrus's programs: master, ctl_cyrusdb and lmtpd come with
// Debian's cyrus-common (installed with apt), imapd and idled from the
// cyrus-imapd package scripts/install-servers.sh unpacks into the cache
// (installing it would remove dovecot-imapd).
const (
	cyrusLib    = "/usr/lib/cyrus/bin"
	cyrusPkgBin = "cyrus/usr/lib/cyrus/bin"
	saslpasswd2 = "/usr/sbin/saslpasswd2"
)

// cyrusConf is imapd.conf: Debian's defaults for the namespace (INBOX.
// prefix, "." delimiter), sasldb users, special folders created at first
// login. %[1]s is the state directory.
const cyrusConf = `configdirectory: %[1]s/lib
proc_path: %[1]s/run/proc
mboxname_lockpath: %[1]s/run/lock
defaultpartition: default
partition-default: %[1]s/spool
altnamespace: no
unixhierarchysep: no
allowanonymouslogin: no
autocreate_quota: 102400
autocreate_inbox_folders: Drafts|Sent|Trash|Junk|Archive
specialusealways: 1
xlist-drafts: Drafts
xlist-sent: Sent
xlist-trash: Trash
xlist-junk: Junk
xlist-archive: Archive
umask: 077
sievedir: %[1]s/sieve
hashimapspool: true
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: %[1]s/sasldb2
sasl_mech_list: PLAIN LOGIN
admins: cyrus
lmtpsocket: %[1]s/run/socket/lmtp
idlesocket: %[1]s/run/socket/idle
notifysocket: %[1]s/run/socket/notify
syslog_prefix: cyrus-rig
servername: localhost
virtdomains: off
lmtp_downcase_rcpt: yes
imapidlepoll: 2
`

// cyrusMaster is cyrus.conf. %[1]s is the state directory, %[2]s the
// directory holding imapd and idled, %[3]d the IMAP port.
const cyrusMaster = `START {
	recover		cmd="` + cyrusLib + `/ctl_cyrusdb -C %[1]s/imapd.conf -r"
}
SERVICES {
	imap		cmd="%[2]s/imapd -C %[1]s/imapd.conf -U 30" listen="127.0.0.1:%[3]d" prefork=0 maxchild=20
	lmtpunix	cmd="` + cyrusLib + `/lmtpd -C %[1]s/imapd.conf" listen="%[1]s/run/socket/lmtp" prefork=0 maxchild=5
}
EVENTS {
	checkpoint	cmd="` + cyrusLib + `/ctl_cyrusdb -C %[1]s/imapd.conf -c" period=30
}
DAEMON {
	idled		cmd="%[2]s/idled -C %[1]s/imapd.conf"
}
`

// startCyrus runs Cyrus's master as root (it drops to the cyrus user) with
// its own configuration and data under a temporary directory. Cyrus has no
// SMTP server: the Server's SMTP endpoint is a small in-process
// submission server (go-smtp) that delivers through Cyrus's own lmtpd.
//
// Known differences (observed with 3.6.1 from Debian 12, also with a raw
// IMAP session): NAMESPACE (("INBOX." ".")): user folders live under
// INBOX. and a top-level folder is refused; special-use flags come
// lowercase (\drafts); \Recent is reported; IDLE is accepted but mail
// delivered meanwhile is not announced.
func startCyrus() (*Server, error) {
	if os.Geteuid() != 0 {
		return nil, unavailable("cyrus: the rig starts Cyrus's master as root (it drops to the cyrus user)")
	}
	for _, p := range []string{cyrusLib + "/master", cyrusLib + "/lmtpd", saslpasswd2} {
		if !isExecutable(p) {
			if _, err := program(cyrusPkgBin + "/imapd"); err != nil {
				return nil, err
			}
			if !isExecutable(p) {
				return nil, unavailable("cyrus: %s is missing (run scripts/install-servers.sh)", p)
			}
		}
	}
	imapd, err := program(cyrusPkgBin + "/imapd")
	if err != nil {
		return nil, err
	}
	cy, err := user.Lookup("cyrus")
	if err != nil {
		return nil, unavailable("cyrus: no cyrus user (cyrus-common not installed?): %v", err)
	}
	uid, _ := strconv.Atoi(cy.Uid)
	gid, _ := strconv.Atoi(cy.Gid)
	dir, err := os.MkdirTemp("", "mailmcp-cyrus-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) { removeState(dir); return nil, err }
	// The cache may sit under a home the cyrus user cannot enter: copy the
	// two programs next to the data.
	bin := filepath.Join(dir, "bin")
	for _, sub := range []string{"bin", "lib/db", "lib/log", "lib/proc", "lib/socket", "lib/user", "lib/quota", "lib/sieve",
		"run/proc", "run/lock", "run/socket", "spool", "sieve"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return fail(err)
		}
	}
	for _, name := range []string{"imapd", "idled"} {
		if err := copyFile(filepath.Join(filepath.Dir(imapd), name), filepath.Join(bin, name), 0o755); err != nil {
			return fail(err)
		}
	}
	ports, err := testrig.FreePorts("127.0.0.1", 1)
	if err != nil {
		return fail(err)
	}
	conf := filepath.Join(dir, "imapd.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(cyrusConf, dir)), 0o644); err != nil {
		return fail(err)
	}
	master := filepath.Join(dir, "cyrus.conf")
	if err := os.WriteFile(master, []byte(fmt.Sprintf(cyrusMaster, dir, bin, ports[0])), 0o644); err != nil {
		return fail(err)
	}
	sasldb := filepath.Join(dir, "sasldb2")
	if err := saslUser(sasldb, "cyrus", "cyrus-admin-pass"); err != nil {
		return fail(err)
	}
	if err := chownTree(dir, uid, gid); err != nil {
		return fail(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fail(err)
	}
	d, err := startDaemon("cyrus", dir, cyrusLib+"/master", nil,
		"-C", conf, "-M", master, "-p", filepath.Join(dir, "run", "master.pid"), "-D")
	if err != nil {
		return fail(err)
	}
	if err := waitGreeting(d, hostPort(ports[0]), "* OK", nil, 60*time.Second); err != nil {
		_ = d.stop()
		return fail(err)
	}
	sink, err := startLMTPSink(filepath.Join(dir, "run", "socket", "lmtp"))
	if err != nil {
		_ = d.stop()
		return fail(err)
	}
	var n atomic.Int64
	return &Server{
		Name: Cyrus, Version: cyrusVersion(),
		IMAP: Endpoint{Host: "127.0.0.1", Port: ports[0], TLS: TLSPlain},
		SMTP: Endpoint{Host: "127.0.0.1", Port: sink.port, TLS: TLSPlain},
		newUser: func(hint string) (User, error) {
			name := fmt.Sprintf("%s%d", userPart(hint), n.Add(1))
			u := User{Email: name + "@localhost", Username: name, Password: "testpass"}
			if err := saslUser(sasldb, name, u.Password); err != nil {
				return User{}, err
			}
			if err := os.Chown(sasldb, uid, gid); err != nil {
				return User{}, err
			}
			return u, nil
		},
		close: func() error {
			sink.close()
			err := d.stop()
			removeState(dir)
			return err
		},
	}, nil
}

// saslUser adds (or resets) a user in a private sasldb.
func saslUser(db, name, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, saslpasswd2, "-p", "-c", "-f", db, "-u", "localhost", name)
	cmd.Stdin = strings.NewReader(password)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("saslpasswd2 %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// cyrusVersion is the Debian version of cyrus-common, as stamped by the
// install script.
func cyrusVersion() string {
	b, err := os.ReadFile(filepath.Join(cacheDir(), "cyrus", "version"))
	if err != nil {
		return "3.6 (Debian)"
	}
	return strings.TrimSpace(string(b)) + " (Debian)"
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func chownTree(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// lmtpSink is a submission server for Cyrus, which has none: it accepts
// any AUTH PLAIN login and hands each message to Cyrus's lmtpd, one
// recipient's local part at a time.
type lmtpSink struct {
	port int
	srv  *smtp.Server
}

func startLMTPSink(socket string) (*lmtpSink, error) {
	ports, err := testrig.FreePorts("127.0.0.1", 1)
	if err != nil {
		return nil, err
	}
	s := smtp.NewServer(&sinkBackend{socket: socket})
	s.Addr = hostPort(ports[0])
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.MaxMessageBytes = 50 << 20
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return nil, err
	}
	go func() { _ = s.Serve(ln) }()
	return &lmtpSink{port: ports[0], srv: s}, nil
}

func (s *lmtpSink) close() { _ = s.srv.Close() }

type sinkBackend struct{ socket string }

func (b *sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &sinkSession{socket: b.socket}, nil
}

type sinkSession struct {
	socket string
	from   string
	to     []string
}

func (s *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	local, _, _ := strings.Cut(to, "@")
	s.to = append(s.to, local)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	conn, err := net.DialTimeout("unix", s.socket, 10*time.Second)
	if err != nil {
		return fmt.Errorf("lmtp dial: %w", err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return err
	}
	if err := c.Mail(s.from, nil); err != nil {
		return err
	}
	for _, to := range s.to {
		if err := c.Rcpt(to, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, bufio.NewReader(r)); err != nil {
		return err
	}
	// Close reports any recipient lmtpd refused (smtp.LMTPDataError).
	if err := w.Close(); err != nil {
		return fmt.Errorf("lmtp: %w", err)
	}
	return c.Quit()
}

func (s *sinkSession) Reset()        { s.from, s.to = "", nil }
func (s *sinkSession) Logout() error { return nil }
