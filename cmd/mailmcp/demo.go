package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/demo"
)

// demoPasswordCommand hands the demo's public password to the account the
// same way a real password command would (no secret: it is "demo").
const demoPasswordCommand = "printf %s " + demo.Password

// demoConfig is an account config pointing at a running demo service.
func demoConfig(srv *demo.Server, stateDir string) *config.Config {
	ih, ip := splitAddr(srv.IMAPAddr)
	sh, sp := splitAddr(srv.SMTPAddr)
	no := false
	cfg := &config.Config{
		StateDir: stateDir,
		LogLevel: "info",
		Accounts: []config.Account{{
			ID: "demo", Email: demo.Email, Name: demo.Name, Provider: "generic", Auth: config.AuthPassword,
			PasswordCommand: demoPasswordCommand, MaxConnections: 3, SentSavedByServer: &no,
			Index: true, IndexMaxBytes: config.DefaultIndexMaxBytes,
			AuthServIDs: []string{"mx." + demo.Domain},
			IMAP:        config.Server{Host: ih, Port: ip, TLS: config.TLSPlain},
			SMTP:        config.Server{Host: sh, Port: sp, TLS: config.TLSPlain},
		}},
	}
	return cfg
}

func splitAddr(addr string) (string, int) {
	h, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return h, n
}

// demoTOML renders the demo account as config file text.
func demoTOML(srv *demo.Server) string {
	ih, ip := splitAddr(srv.IMAPAddr)
	sh, sp := splitAddr(srv.SMTPAddr)
	return fmt.Sprintf(`# mailmcp demo account: valid while 'mailmcp demo --print-config' runs.
[[accounts]]
id = "demo"
email = %q
name = %q
provider = "generic"
password_command = %q
sent_saved_by_server = false
index = true
imap = { host = %q, port = %d, tls = "plain" }
smtp = { host = %q, port = %d, tls = "plain" }
`, demo.Email, demo.Name, demoPasswordCommand, ih, ip, sh, sp)
}

// demoFlags are demo's flags beyond serve's.
type demoFlags struct {
	printConfig        bool
	imapAddr, smtpAddr string
}

func newDemoCmd() *cobra.Command {
	var f serveFlags
	var d demoFlags
	c := &cobra.Command{
		Use:   "demo",
		Short: "serve MCP on an embedded demo mailbox (no account needed)",
		Long: `Serve MCP, like 'serve', on an embedded demo mailbox with sample mail
(in-process IMAP and SMTP servers on loopback; nothing leaves the machine).
With --print-config it starts only the demo mail servers and prints a config
file for them, to try 'serve', 'doctor' or a client against them.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return cmdDemo(c.Context(), f, d, c.InOrStdin(), c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	fs := c.Flags()
	f.register(fs)
	fs.BoolVar(&d.printConfig, "print-config", false, "start only the demo mail servers, print a config for them to stdout, and run until interrupted")
	fs.StringVar(&d.imapAddr, "imap-addr", "", "demo IMAP listen `ADDR` (default: a free loopback port; with --print-config 127.0.0.1:1143 unless taken)")
	fs.StringVar(&d.smtpAddr, "smtp-addr", "", "demo SMTP listen `ADDR` (default: a free loopback port; with --print-config 127.0.0.1:1587 unless taken)")
	return c
}

func cmdDemo(ctx context.Context, f serveFlags, d demoFlags, stdin io.Reader, stdout, stderr io.Writer) error {
	log, closeLog, err := f.logger(stderr, "info")
	if err != nil {
		return err
	}
	defer closeLog()
	if d.printConfig {
		// Fixed ports keep a printed config valid across runs; when one is
		// taken (another demo, a real server) a free one will do.
		if d.imapAddr == "" {
			d.imapAddr = demoPort(demoIMAPAddr, "IMAP", "--imap-addr", log)
		}
		if d.smtpAddr == "" {
			d.smtpAddr = demoPort(demoSMTPAddr, "SMTP", "--smtp-addr", log)
		}
	}
	srv, err := demo.Start(demo.Options{IMAPAddr: d.imapAddr, SMTPAddr: d.smtpAddr, Logger: log})
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: choose free loopback addresses with --imap-addr and --smtp-addr, or leave them out", err)
	}
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Close(cctx)
	}()
	if d.printConfig {
		fmt.Fprint(stdout, demoTOML(srv))
		log.Info("demo mail servers running; press Ctrl-C to stop")
		<-ctx.Done()
		return nil
	}
	noticeTerminal("demo", f, stdin, stderr)
	return serveConfig(ctx, demoConfig(srv, demoStateDir()), f, log, stdin, stdout)
}

// The demo's listen addresses with --print-config, unless taken.
const (
	demoIMAPAddr = "127.0.0.1:1143"
	demoSMTPAddr = "127.0.0.1:1587"
)

// demoPort returns addr when it can be bound, or "" (a free port) after
// saying which flag picks one.
func demoPort(addr, proto, flag string, log *slog.Logger) string {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn(fmt.Sprintf("%s is taken: the demo %s server listens on a free port instead (the printed config has it; %s chooses one)", addr, proto, flag), "err", err)
		return ""
	}
	ln.Close()
	return addr
}

// demoStateDir keeps demo state apart from real accounts' state.
func demoStateDir() string { return config.DefaultStateDir() + "-demo" }
