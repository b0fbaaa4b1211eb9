package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp"
	"github.com/mailmcp/mailmcp/internal/config"
)

// The demo account.
const (
	Domain   = "demo.mailmcp.test"
	Email    = "dana@" + Domain
	Name     = "Dana Demo"
	Password = "demo"
)

// Folders created in the demo store, in order.
var Folders = []string{"INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash"}

// Server is a running demo mail service.
type Server struct {
	IMAPAddr, SMTPAddr string

	user *imapmemserver.User
	// The listeners are ours to close: Close may run before Serve has
	// registered them with the servers.
	il, sl net.Listener
	imap   *imapserver.Server
	smtp   *smtp.Server
	log    *slog.Logger
	wg     sync.WaitGroup
	// Seeded counts messages loaded per folder.
	Seeded map[string]int
}

// Options say where the servers listen ("" means a free loopback port).
type Options struct {
	IMAPAddr, SMTPAddr string
	Logger             *slog.Logger
}

// Start seeds the store from the embedded mailbox and starts both servers.
func Start(opt Options) (*Server, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log.With("component", "demo"), Seeded: map[string]int{}}
	s.user = imapmemserver.NewUser(Email, Password)
	for _, f := range Folders {
		if err := s.user.Create(f, nil); err != nil {
			return nil, fmt.Errorf("demo: create %s: %w", f, err)
		}
	}
	if err := s.seed(); err != nil {
		return nil, err
	}
	mem := imapmemserver.New()
	mem.AddUser(s.user)
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return demoSession{mem.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		// What imapmemserver really implements (REFERENCE §3); the server
		// adds IDLE, UNSELECT, ENABLE and friends for IMAP4rev1 itself.
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}, imap.CapMove: {}, imap.CapUIDPlus: {},
			imap.CapESearch: {}, imap.CapListStatus: {}, imap.CapLiteralPlus: {}, imap.CapIdle: {},
		},
		InsecureAuth: true, // loopback only, see listen
		Logger:       slogLogger{s.log},
	})
	il, err := listen(opt.IMAPAddr)
	if err != nil {
		return nil, fmt.Errorf("demo: IMAP listen: %w", err)
	}
	sl, err := listen(opt.SMTPAddr)
	if err != nil {
		il.Close()
		return nil, fmt.Errorf("demo: SMTP listen: %w", err)
	}
	s.smtp = smtp.NewServer(&backend{s: s})
	s.smtp.Domain = "localhost"
	s.smtp.AllowInsecureAuth = true
	s.smtp.MaxMessageBytes = 25 << 20
	s.smtp.MaxRecipients = 50
	s.smtp.ReadTimeout = 5 * time.Minute
	s.smtp.WriteTimeout = time.Minute
	s.smtp.ErrorLog = slogLogger{s.log}
	s.il, s.sl = il, sl
	s.IMAPAddr, s.SMTPAddr = il.Addr().String(), sl.Addr().String()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); _ = s.imap.Serve(il) }()
	go func() { defer s.wg.Done(); _ = s.smtp.Serve(sl) }()
	s.log.Info("demo mail servers up", "imap", s.IMAPAddr, "smtp", s.SMTPAddr)
	return s, nil
}

// listen binds addr, which must be on loopback: the demo speaks plain text.
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if !config.IsLoopback(host) {
		return nil, fmt.Errorf("%s is not a loopback address; the demo servers speak without TLS and stay on loopback", addr)
	}
	return net.Listen("tcp", addr)
}

// Close stops both servers and waits for their goroutines.
func (s *Server) Close(ctx context.Context) error {
	err := errors.Join(s.imap.Close(), s.smtp.Shutdown(ctx))
	s.il.Close()
	s.sl.Close()
	s.wg.Wait()
	return err
}

// Deliver appends a message to the demo INBOX, as the SMTP server does for
// local recipients.
func (s *Server) Deliver(folder string, raw []byte, flags []imap.Flag, t time.Time) error {
	_, err := s.user.Append(folder, literal{strings.NewReader(string(raw)), int64(len(raw))}, &imap.AppendOptions{Flags: flags, Time: t})
	return err
}

// seed loads testdata/demo into the store, oldest first per folder.
func (s *Server) seed() error {
	flags, err := readFlags()
	if err != nil {
		return err
	}
	for _, folder := range Folders {
		dir := path.Join("testdata/demo", folder)
		entries, err := fs.ReadDir(mailmcp.DemoMailbox, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo: read %s: %w", dir, err)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".eml") {
				continue
			}
			raw, err := fs.ReadFile(mailmcp.DemoMailbox, path.Join(dir, e.Name()))
			if err != nil {
				return fmt.Errorf("demo: read %s: %w", e.Name(), err)
			}
			if err := s.Deliver(folder, raw, flags[folder+"/"+e.Name()], messageDate(raw)); err != nil {
				return fmt.Errorf("demo: load %s/%s: %w", folder, e.Name(), err)
			}
			s.Seeded[folder]++
		}
	}
	return nil
}

// readFlags parses flags.tsv: "Folder/file.eml<TAB>\Seen \Flagged".
func readFlags() (map[string][]imap.Flag, error) {
	out := map[string][]imap.Flag{}
	data, err := fs.ReadFile(mailmcp.DemoMailbox, "testdata/demo/flags.tsv")
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demo: read flags.tsv: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		file, list, ok := strings.Cut(strings.TrimRight(line, "\r"), "\t")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(list) {
			out[file] = append(out[file], imap.Flag(f))
		}
	}
	return out, nil
}

type literal struct {
	*strings.Reader
	size int64
}

func (l literal) Size() int64 { return l.size }

type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) { l.l.Warn(fmt.Sprintf(format, v...)) }
func (l slogLogger) Println(v ...any)               { l.l.Warn(fmt.Sprint(v...)) }

// CreateFolder adds a folder to the demo store (tests use fresh folders to
// get exact counts).
func (s *Server) CreateFolder(name string) error { return s.user.Create(name, nil) }
