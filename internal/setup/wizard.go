package setup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"golang.org/x/term"

	"github.com/mailmcp/mailmcp/internal/config"
)

// AccountOptions are the settings of the 'accounts add' wizard.
type AccountOptions struct {
	// ConfigPath is the file the account is appended to (created if
	// missing; default config.DefaultPath()).
	ConfigPath string
	// Check, when set, tests the new password account live before it is
	// saved: cfg is the configuration with the account added, id its id.
	// It prints what it checked on out and reports whether all passed.
	Check func(ctx context.Context, cfg *config.Config, id string, out io.Writer) bool
}

// AddAccount runs the interactive wizard: it asks for the address,
// provider, servers and credentials, tests the login (Check), and appends
// the account to the config file, keeping what was there verbatim.
func AddAccount(ctx context.Context, o AccountOptions, stdin io.Reader, stdout io.Writer) error {
	path := o.ConfigPath
	if path == "" {
		path = config.DefaultPath()
	}
	w := &wizard{in: bufio.NewReader(stdin), stdin: stdin, out: stdout}
	return w.run(ctx, path, o.Check)
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

// The file format's values, spelled as the config file spells them.
const (
	tlsImplicit  = "implicit"
	tlsStartTLS  = "starttls"
	tlsPlain     = "plain"
	authPassword = "password"
	authOAuth2   = "oauth2"
)

// newAccount is what the wizard collects, shaped as the config file's
// [[accounts]] table so the TOML encoder writes it.
type newAccount struct {
	ID              string       `toml:"id"`
	Email           string       `toml:"email"`
	Name            string       `toml:"name,omitempty"`
	Provider        string       `toml:"provider"`
	Auth            string       `toml:"auth"`
	PasswordEnv     string       `toml:"password_env,omitempty"`
	PasswordFile    string       `toml:"password_file,omitempty"`
	PasswordCommand string       `toml:"password_command,omitempty"`
	Protocol        string       `toml:"protocol,omitempty"`
	IMAP            *serverEntry `toml:"imap,omitempty,inline"`
	POP3            *serverEntry `toml:"pop3,omitempty,inline"`
	SMTP            *serverEntry `toml:"smtp,omitempty,inline"`
	OAuth           *oauthEntry  `toml:"oauth,omitempty"`
}

type serverEntry struct {
	Host string `toml:"host"`
	Port int    `toml:"port"`
	TLS  string `toml:"tls"`
}

type oauthEntry struct {
	ClientID         string `toml:"client_id"`
	ClientSecretFile string `toml:"client_secret_file,omitempty"`
	Tenant           string `toml:"tenant,omitempty"`
}

func (w *wizard) run(ctx context.Context, path string, check func(context.Context, *config.Config, string, io.Writer) bool) error {
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
			na.Email = a.Address
			break
		}
		fmt.Fprintln(w.out, "  that is not an email address")
	}
	domain := na.Email[strings.LastIndex(na.Email, "@")+1:]
	detected := providerForDomain(domain)
	if detected != "generic" {
		fmt.Fprintf(w.out, "Detected provider: %s\n", detected)
	}
	if na.Provider, err = w.choose("Provider", detected, config.ProviderNames()...); err != nil {
		return err
	}
	if na.Name, err = w.ask("Your name (for outgoing mail)", ""); err != nil {
		return err
	}
	if na.Provider == "generic" {
		if err := w.servers(&na, domain); err != nil {
			return err
		}
	}
	for {
		if na.ID, err = w.ask("Short account id", suggestID(na.Provider, domain, taken)); err != nil {
			return err
		}
		if !config.ValidID(na.ID) {
			fmt.Fprintln(w.out, "  use 1-32 of a-z 0-9 - _")
			continue
		}
		if taken[na.ID] {
			fmt.Fprintln(w.out, "  that id is already used")
			continue
		}
		break
	}
	if err := w.credentials(&na, path); err != nil {
		return err
	}
	block, err := na.toml(time.Now())
	if err != nil {
		return err
	}
	if check != nil && na.Auth == authPassword {
		ok, err := w.liveTest(ctx, existing, block, path, na.ID, check)
		if err != nil {
			return err
		}
		if !ok {
			save, err := w.choose("The connection test failed. Save the account anyway?", "no", "yes", "no")
			if err != nil {
				return err
			}
			if save == "no" {
				if na.PasswordFile != "" {
					os.Remove(na.PasswordFile)
				}
				if na.OAuth != nil && na.OAuth.ClientSecretFile != "" {
					os.Remove(na.OAuth.ClientSecretFile)
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
	fw := &FileWriter{Out: w.out, Now: time.Now}
	if err := fw.Write(path, text, 0o600); err != nil {
		return err
	}
	if na.Auth == authOAuth2 {
		fmt.Fprintf(w.out, "Next: mailmcp auth login %s   (then: mailmcp doctor --account %s)\n", na.ID, na.ID)
	} else {
		fmt.Fprintf(w.out, "Next: mailmcp doctor --account %s, then connect a client (mailmcp setup openclaw | claude-desktop)\n", na.ID)
	}
	return nil
}

// servers asks how mail is read (IMAP or POP3) and for the endpoints of a
// generic provider.
func (w *wizard) servers(na *newAccount, domain string) error {
	ask := func(proto, host string, implicitPort, starttlsPort int) (*serverEntry, error) {
		s := &serverEntry{}
		var err error
		if s.Host, err = w.ask(proto+" server", host+"."+domain); err != nil {
			return nil, err
		}
		if s.TLS, err = w.choose(proto+" TLS", tlsImplicit, tlsImplicit, tlsStartTLS, tlsPlain); err != nil {
			return nil, err
		}
		def := implicitPort
		if s.TLS != tlsImplicit {
			def = starttlsPort
		}
		for {
			v, err := w.ask(proto+" port", strconv.Itoa(def))
			if err != nil {
				return nil, err
			}
			if s.Port, err = strconv.Atoi(v); err == nil && s.Port > 0 && s.Port < 65536 {
				return s, nil
			}
			fmt.Fprintln(w.out, "  want a port number")
		}
	}
	proto, err := w.choose("Read mail with", "imap", "imap", "pop3")
	if err != nil {
		return err
	}
	if proto == "pop3" {
		fmt.Fprintln(w.out, "POP3: mail is downloaded once into a local copy and stays on the server; the agent sees one folder, INBOX.")
		na.Protocol = "pop3"
		if na.POP3, err = ask("POP3", "pop", 995, 110); err != nil {
			return err
		}
	} else if na.IMAP, err = ask("IMAP", "imap", 993, 143); err != nil {
		return err
	}
	na.SMTP, err = ask("SMTP", "smtp", 465, 587)
	return err
}

// credentials asks how the account logs in and where its secret lives.
func (w *wizard) credentials(na *newAccount, cfgPath string) error {
	var err error
	switch na.Provider {
	case "outlook":
		fmt.Fprintln(w.out, "Microsoft 365 and Outlook.com accept only OAuth (basic authentication is disabled).")
		na.Auth = authOAuth2
	case "gmail":
		fmt.Fprintln(w.out, "Gmail: an app password (needs 2-step verification; myaccount.google.com/apppasswords) or OAuth with your own Google Cloud client.")
		v, err := w.choose("Login with", "app-password", "app-password", "oauth")
		if err != nil {
			return err
		}
		na.Auth = authPassword
		if v == "oauth" {
			na.Auth = authOAuth2
		}
	default:
		na.Auth = authPassword
		if na.Provider != "generic" {
			fmt.Fprintf(w.out, "%s needs an app password, created in the provider's account security settings.\n", na.Provider)
		}
	}
	if na.Auth == authOAuth2 {
		return w.oauthClient(na, cfgPath)
	}
	store, err := w.choose("Keep the password in", "file", "file", "env", "command")
	if err != nil {
		return err
	}
	switch store {
	case "env":
		na.PasswordEnv, err = w.ask("Environment variable holding it", "MAILMCP_PASSWORD_"+strings.ToUpper(strings.ReplaceAll(na.ID, "-", "_")))
	case "command":
		na.PasswordCommand, err = w.ask("Command printing it (e.g. pass show mail/work)", "")
	default:
		var pw string
		if pw, err = w.secret("Password or app password"); err != nil {
			return err
		}
		if pw == "" {
			return errors.New("empty password")
		}
		if na.PasswordFile, err = saveSecret(filepath.Join(filepath.Dir(cfgPath), "passwords", na.ID), pw); err != nil {
			return err
		}
		fmt.Fprintf(w.out, "saved the password in %s (mode 600)\n", na.PasswordFile)
	}
	return err
}

// oauthClient asks for the OAuth app's client id, its secret (Google
// desktop clients have one; Microsoft public clients do not) and, for
// Microsoft, the tenant.
func (w *wizard) oauthClient(na *newAccount, cfgPath string) error {
	na.OAuth = &oauthEntry{}
	var err error
	if na.OAuth.ClientID, err = w.ask("OAuth client id of your app", ""); err != nil {
		return err
	}
	hint := "OAuth client secret (leave empty if the app has none)"
	if na.Provider == "gmail" {
		hint = "OAuth client secret (Google desktop-app clients have one, shown beside the client id)"
	}
	secret, err := w.secret(hint)
	if err != nil {
		return err
	}
	if secret != "" {
		if na.OAuth.ClientSecretFile, err = saveSecret(filepath.Join(filepath.Dir(cfgPath), "secrets", na.ID+"-oauth-client"), secret); err != nil {
			return err
		}
		fmt.Fprintf(w.out, "saved the client secret in %s (mode 600)\n", na.OAuth.ClientSecretFile)
	}
	if na.Provider == "outlook" {
		if na.OAuth.Tenant, err = w.ask("Tenant (common, organizations, consumers or a GUID)", "common"); err != nil {
			return err
		}
	}
	return nil
}

// saveSecret writes secret to file (mode 600, directory 700) and returns
// the file's path.
func saveSecret(file, secret string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(file), err)
	}
	if err := WriteAtomic(file, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return file, nil
}

// toml renders the account as a config block through the TOML encoder,
// which escapes every value the way TOML requires.
func (na *newAccount) toml(now time.Time) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# added by 'mailmcp accounts add' on %s\n", now.Format(time.DateOnly))
	enc := toml.NewEncoder(&b)
	if err := enc.Encode(struct {
		Accounts []*newAccount `toml:"accounts"`
	}{[]*newAccount{na}}); err != nil {
		return nil, fmt.Errorf("encode the account: %w", err)
	}
	return b.Bytes(), nil
}

// liveTest validates the would-be config and logs in to IMAP and SMTP
// with it. It reports false (after printing why) when a check fails.
func (w *wizard) liveTest(ctx context.Context, existing, block []byte, path, id string, check func(context.Context, *config.Config, string, io.Writer) bool) (bool, error) {
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
	fmt.Fprintln(w.out, "Testing the connection...")
	return check(ctx, cfg, id, w.out), nil
}
