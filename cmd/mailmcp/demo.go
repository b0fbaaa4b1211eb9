package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

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
imap = { host = %q, port = %d, tls = "plain" }
smtp = { host = %q, port = %d, tls = "plain" }
`, demo.Email, demo.Name, demoPasswordCommand, ih, ip, sh, sp)
}

func cmdDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	f.register(fs)
	printCfg := fs.Bool("print-config", false, "start only the demo mail servers, print a config for them to stdout, and run until interrupted")
	imapAddr := fs.String("imap-addr", "", "demo IMAP listen address (default: a free loopback port; 127.0.0.1:1143 with --print-config)")
	smtpAddr := fs.String("smtp-addr", "", "demo SMTP listen address (default: a free loopback port; 127.0.0.1:1587 with --print-config)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	log, closeLog, err := f.logger(stderr, "info")
	if err != nil {
		return err
	}
	defer closeLog()
	if *printCfg {
		if *imapAddr == "" {
			*imapAddr = "127.0.0.1:1143"
		}
		if *smtpAddr == "" {
			*smtpAddr = "127.0.0.1:1587"
		}
	}
	srv, err := demo.Start(demo.Options{IMAPAddr: *imapAddr, SMTPAddr: *smtpAddr, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Close(cctx)
	}()
	if *printCfg {
		fmt.Fprint(stdout, demoTOML(srv))
		log.Info("demo mail servers running; press Ctrl-C to stop")
		<-ctx.Done()
		return nil
	}
	return serveConfig(ctx, demoConfig(srv, demoStateDir()), f, log, stdin, stdout)
}

// demoStateDir keeps demo state apart from real accounts' state.
func demoStateDir() string { return config.DefaultStateDir() + "-demo" }
