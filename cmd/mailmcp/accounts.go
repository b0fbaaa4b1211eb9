package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/mailmcp/mailmcp/internal/config"
)

// cmdAccounts: mailmcp accounts add.
func cmdAccounts(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{errors.New("want 'add'")}
	}
	fs := flag.NewFlagSet("accounts add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	skipTest := fs.Bool("no-test", false, "write the account without the live connection test")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	path := c.configPath
	if path == "" {
		path = config.DefaultPath()
	}
	w := &wizard{in: bufio.NewReader(stdin), stdin: stdin, out: stdout}
	return w.run(ctx, path, !*skipTest)
}

// wizard asks its questions on out and reads answers line by line, so it
// works on a terminal and from a script alike.
type wizard struct {
	in    *bufio.Reader
	stdin io.Reader
	out   io.Writer
}

var errInputEnded = errors.New("input ended before the wizard finished")

func (w *wizard) ask(prompt, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(w.out, "%s [%s]: ", prompt, def)
	} else {
		fmt.Fprintf(w.out, "%s: ", prompt)
	}
	line, err := w.in.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		fmt.Fprintln(w.out)
		return "", errInputEnded
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return def, nil
	}
	return line, nil
}

// choose asks until the answer is one of options.
func (w *wizard) choose(prompt, def string, options ...string) (string, error) {
	for {
		v, err := w.ask(fmt.Sprintf("%s (%s)", prompt, strings.Join(options, ", ")), def)
		if err != nil {
			return "", err
		}
		for _, o := range options {
			if strings.EqualFold(v, o) {
				return o, nil
			}
		}
		fmt.Fprintf(w.out, "  please answer one of: %s\n", strings.Join(options, ", "))
	}
}

// secret reads a password without echo on a terminal.
func (w *wizard) secret(prompt string) (string, error) {
	if f, ok := w.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(w.out, "%s (not shown): ", prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(w.out)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return w.ask(prompt, "")
}

// providerForDomain guesses the provider preset from the address's domain.
func providerForDomain(domain string) string {
	d := strings.ToLower(domain)
	switch {
	case d == "gmail.com" || d == "googlemail.com":
		return "gmail"
	case d == "outlook.com" || d == "hotmail.com" || d == "live.com" || d == "msn.com" ||
		strings.HasPrefix(d, "outlook.") || strings.HasPrefix(d, "hotmail.") || strings.HasSuffix(d, ".onmicrosoft.com"):
		return "outlook"
	case d == "yahoo.com" || strings.HasPrefix(d, "yahoo.") || d == "ymail.com":
		return "yahoo"
	case d == "icloud.com" || d == "me.com" || d == "mac.com":
		return "icloud"
	case d == "fastmail.com" || d == "fastmail.fm":
		return "fastmail"
	case d == "zoho.com" || d == "zohomail.com" || strings.HasPrefix(d, "zoho."):
		return "zoho"
	}
	return "generic"
}

// suggestID derives an unused account id from the provider or domain.
func suggestID(provider, domain string, taken map[string]bool) string {
	base := provider
	if provider == "generic" {
		base = strings.ToLower(strings.Split(domain, ".")[0])
		base = regexp.MustCompile(`[^a-z0-9_-]`).ReplaceAllString(base, "")
		if base == "" || !config.ValidID(base) {
			base = "mail"
		}
	}
	id := base
	for n := 2; taken[id]; n++ {
		id = base + strconv.Itoa(n)
	}
	return id
}

// newAccount is what the wizard collects.
type newAccount struct {
	id, email, name, provider  string
	auth                       config.AuthKind
	imap, smtp                 config.Server
	passwordKey, passwordValue string // e.g. password_file, /path
	clientID, tenant           string
}

func (w *wizard) run(ctx context.Context, path string, test bool) error {
	existing, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	taken := map[string]bool{}
	if len(existing) > 0 {
		cfg, err := config.Load(config.Options{Path: path, Env: func(string) (string, bool) { return "", false }})
		if err != nil {
			return fmt.Errorf("the existing config has problems; fix them first ('mailmcp config check --config %s'): %w", path, err)
		}
		for _, id := range cfg.AccountIDs() {
			taken[id] = true
		}
	}
	fmt.Fprintf(w.out, "Add a mail account to %s\n", path)
	var na newAccount
	for {
		v, err := w.ask("Email address", "")
		if err != nil {
			return err
		}
		a, perr := mail.ParseAddress(v)
		if perr == nil && strings.Contains(a.Address, "@") {
			na.email = a.Address
			break
		}
		fmt.Fprintln(w.out, "  that is not an email address")
	}
	domain := na.email[strings.LastIndex(na.email, "@")+1:]
	detected := providerForDomain(domain)
	if detected != "generic" {
		fmt.Fprintf(w.out, "Detected provider: %s\n", detected)
	}
	if na.provider, err = w.choose("Provider", detected, config.ProviderNames()...); err != nil {
		return err
	}
	if na.name, err = w.ask("Your name (for outgoing mail)", ""); err != nil {
		return err
	}
	if na.provider == "generic" {
		if err := w.servers(&na, domain); err != nil {
			return err
		}
	}
	for {
		if na.id, err = w.ask("Short account id", suggestID(na.provider, domain, taken)); err != nil {
			return err
		}
		if !config.ValidID(na.id) {
			fmt.Fprintln(w.out, "  use 1-32 of a-z 0-9 - _")
			continue
		}
		if taken[na.id] {
			fmt.Fprintln(w.out, "  that id is already used")
			continue
		}
		break
	}
	if err := w.credentials(&na, path); err != nil {
		return err
	}
	block := na.toml()
	if test && na.auth == config.AuthPassword {
		ok, err := w.liveTest(ctx, existing, block, path, na.id)
		if err != nil {
			return err
		}
		if !ok {
			save, err := w.choose("The connection test failed. Save the account anyway?", "no", "yes", "no")
			if err != nil {
				return err
			}
			if save == "no" {
				if na.passwordKey == "password_file" {
					os.Remove(na.passwordValue)
				}
				return errors.New("account not saved")
			}
		}
	}
	var text []byte
	text = append(text, existing...)
	if len(text) > 0 && !bytes.HasSuffix(text, []byte("\n")) {
		text = append(text, '\n')
	}
	if len(text) > 0 {
		text = append(text, '\n')
	}
	text = append(text, block...)
	fw := &fileWriter{out: w.out, now: time.Now}
	if err := fw.write(path, text, 0o600); err != nil {
		return err
	}
	if na.auth == config.AuthOAuth2 {
		fmt.Fprintf(w.out, "Next: mailmcp auth login %s   (then: mailmcp doctor --account %s)\n", na.id, na.id)
	} else {
		fmt.Fprintf(w.out, "Next: mailmcp doctor --account %s, then connect a client (mailmcp setup openclaw | claude-desktop)\n", na.id)
	}
	return nil
}

// servers asks for the IMAP and SMTP endpoints of a generic provider.
func (w *wizard) servers(na *newAccount, domain string) error {
	ask := func(s *config.Server, proto, host string, implicitPort, starttlsPort int) error {
		var err error
		if s.Host, err = w.ask(proto+" server", host+"."+domain); err != nil {
			return err
		}
		tlsMode, err := w.choose(proto+" TLS", string(config.TLSImplicit), string(config.TLSImplicit), string(config.TLSStartTLS), string(config.TLSPlain))
		if err != nil {
			return err
		}
		s.TLS = config.TLSMode(tlsMode)
		def := implicitPort
		if s.TLS != config.TLSImplicit {
			def = starttlsPort
		}
		for {
			v, err := w.ask(proto+" port", strconv.Itoa(def))
			if err != nil {
				return err
			}
			if s.Port, err = strconv.Atoi(v); err == nil && s.Port > 0 && s.Port < 65536 {
				return nil
			}
			fmt.Fprintln(w.out, "  want a port number")
		}
	}
	if err := ask(&na.imap, "IMAP", "imap", 993, 143); err != nil {
		return err
	}
	return ask(&na.smtp, "SMTP", "smtp", 465, 587)
}

// credentials asks how the account logs in and where its secret lives.
func (w *wizard) credentials(na *newAccount, cfgPath string) error {
	var err error
	switch na.provider {
	case "outlook":
		fmt.Fprintln(w.out, "Microsoft 365 and Outlook.com accept only OAuth (basic authentication is disabled).")
		na.auth = config.AuthOAuth2
	case "gmail":
		fmt.Fprintln(w.out, "Gmail: an app password (needs 2-step verification; myaccount.google.com/apppasswords) or OAuth with your own Google Cloud client.")
		v, err := w.choose("Login with", "app-password", "app-password", "oauth")
		if err != nil {
			return err
		}
		na.auth = config.AuthPassword
		if v == "oauth" {
			na.auth = config.AuthOAuth2
		}
	default:
		na.auth = config.AuthPassword
		if na.provider != "generic" {
			fmt.Fprintf(w.out, "%s needs an app password, created in the provider's account security settings.\n", na.provider)
		}
	}
	if na.auth == config.AuthOAuth2 {
		if na.clientID, err = w.ask("OAuth client id of your app", ""); err != nil {
			return err
		}
		if na.provider == "outlook" {
			if na.tenant, err = w.ask("Tenant (common, organizations, consumers or a GUID)", "common"); err != nil {
				return err
			}
		}
		return nil
	}
	store, err := w.choose("Keep the password in", "file", "file", "env", "command")
	if err != nil {
		return err
	}
	switch store {
	case "env":
		na.passwordKey = "password_env"
		na.passwordValue, err = w.ask("Environment variable holding it", "MAILMCP_PASSWORD_"+strings.ToUpper(strings.ReplaceAll(na.id, "-", "_")))
	case "command":
		na.passwordKey = "password_command"
		na.passwordValue, err = w.ask("Command printing it (e.g. pass show mail/work)", "")
	default:
		var pw string
		if pw, err = w.secret("Password or app password"); err != nil {
			return err
		}
		if pw == "" {
			return errors.New("empty password")
		}
		file := filepath.Join(filepath.Dir(cfgPath), "passwords", na.id)
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return fmt.Errorf("create password directory: %w", err)
		}
		if err := writeAtomic(file, []byte(pw+"\n"), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(w.out, "saved the password in %s (mode 600)\n", file)
		na.passwordKey, na.passwordValue = "password_file", file
	}
	return err
}

// toml renders the account as a config block.
func (na *newAccount) toml() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# added by 'mailmcp accounts add' on %s\n[[accounts]]\n", time.Now().Format(time.DateOnly))
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s = %s\n", k, strconv.Quote(v))
		}
	}
	kv("id", na.id)
	kv("email", na.email)
	kv("name", na.name)
	kv("provider", na.provider)
	kv("auth", string(na.auth))
	kv(na.passwordKey, na.passwordValue)
	if na.imap.Host != "" {
		fmt.Fprintf(&b, "imap = { host = %s, port = %d, tls = %s }\n", strconv.Quote(na.imap.Host), na.imap.Port, strconv.Quote(string(na.imap.TLS)))
		fmt.Fprintf(&b, "smtp = { host = %s, port = %d, tls = %s }\n", strconv.Quote(na.smtp.Host), na.smtp.Port, strconv.Quote(string(na.smtp.TLS)))
	}
	if na.clientID != "" {
		b.WriteString("[accounts.oauth]\n")
		fmt.Fprintf(&b, "client_id = %s\n", strconv.Quote(na.clientID))
		if na.tenant != "" {
			fmt.Fprintf(&b, "tenant = %s\n", strconv.Quote(na.tenant))
		}
	}
	return b.Bytes()
}

// liveTest validates the would-be config and logs in to IMAP and SMTP
// with it. It reports false (after printing why) when a check fails.
func (w *wizard) liveTest(ctx context.Context, existing, block []byte, path, id string) (bool, error) {
	dir, err := os.MkdirTemp("", "mailmcp-wizard-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(tmp, append(append(append([]byte{}, existing...), '\n'), block...), 0o600); err != nil {
		return false, err
	}
	cfg, err := config.Load(config.Options{Path: tmp, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		return false, fmt.Errorf("the new account is not valid: %w", err)
	}
	cfg.Path = path
	a := cfg.Account(id)
	fmt.Fprintln(w.out, "Testing the connection...")
	r := &doctorReport{out: w.out}
	log := slog.New(slog.DiscardHandler)
	doctorAccount(ctx, r, cfg, a, 15*time.Second, log)
	return r.failed == 0, nil
}
