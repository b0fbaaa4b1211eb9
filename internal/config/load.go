package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	File string // "" for the environment
	Line int    // 0 when unknown
	Key  string // e.g. accounts[1].imap.port, or MAILMCP_IMAP_PORT
	Msg  string
}

func (p Problem) String() string {
	where := p.File
	if where == "" {
		where = "environment"
	}
	if p.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, p.Line)
	}
	if p.Key != "" {
		return fmt.Sprintf("%s: %s: %s", where, p.Key, p.Msg)
	}
	return fmt.Sprintf("%s: %s", where, p.Msg)
}

// Error is returned by Load when the configuration has problems.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "config: %d problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Options say where Load looks.
type Options struct {
	// Path of the TOML file; "" means DefaultPath(). A missing file at the
	// default path is not an error (the environment may describe an account).
	Path string
	// Env looks up environment variables; nil means os.LookupEnv.
	Env func(string) (string, bool)
}

// Load reads the file, adds the environment account, fills defaults and
// validates. On problems it returns the config so far and an *Error.
func Load(opt Options) (*Config, error) {
	env := opt.Env
	if env == nil {
		env = os.LookupEnv
	}
	path, explicit := opt.Path, opt.Path != ""
	if !explicit {
		if p, ok := env("MAILMCP_CONFIG"); ok && p != "" {
			path, explicit = p, true
		} else {
			path = DefaultPath()
		}
	}
	cfg := &Config{}
	var probs []Problem
	var loc *locator
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		cfg.Path = path
		loc = newLocator(data)
		probs = append(probs, decode(path, data, cfg)...)
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// No file: fine when the environment describes an account.
	default:
		return cfg, &Error{Problems: []Problem{{File: path, Msg: fmt.Sprintf("cannot read: %v", err)}}}
	}
	envAcct, envProbs := fromEnv(env)
	probs = append(probs, envProbs...)
	if envAcct != nil {
		cfg.Accounts = append(cfg.Accounts, *envAcct)
	}
	if cfg.StateDir == "" {
		if v, ok := env("MAILMCP_STATE_DIR"); ok && v != "" {
			cfg.StateDir = v
		} else {
			cfg.StateDir = DefaultStateDir()
		}
	}
	if cfg.PostgresURL == "" {
		if v, ok := env("MAILMCP_POSTGRES_URL"); ok {
			cfg.PostgresURL = v
		}
	}
	if cfg.StateBackend == "" {
		if v, ok := env("MAILMCP_STATE_BACKEND"); ok && v != "" {
			cfg.StateBackend = StateBackend(v)
		} else if cfg.PostgresURL != "" {
			cfg.StateBackend = StatePostgres
		} else {
			cfg.StateBackend = StateFile
		}
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	for i := range cfg.Accounts {
		cfg.Accounts[i].applyDefaults()
		cfg.Accounts[i].applyStateDefaults(cfg.StateDir)
	}
	for i := range cfg.Webhooks {
		cfg.Webhooks[i].applyDefaults(i)
	}
	fileAccounts := len(cfg.Accounts)
	if envAcct != nil {
		fileAccounts--
	}
	probs = append(probs, validate(cfg, path, loc, fileAccounts)...)
	if len(probs) > 0 {
		return cfg, &Error{Problems: probs}
	}
	return cfg, nil
}

// decode parses TOML strictly: unknown keys are errors with their line.
func decode(path string, data []byte, cfg *Config) []Problem {
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	err := dec.Decode(cfg)
	if err == nil {
		return nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var probs []Problem
		for _, e := range strict.Errors {
			row, _ := e.Position()
			probs = append(probs, Problem{File: path, Line: row, Key: joinKey(e.Key()), Msg: "unknown setting (see the settings table in the README)"})
		}
		return probs
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		return []Problem{{File: path, Line: row, Key: joinKey(de.Key()), Msg: de.Error()}}
	}
	return []Problem{{File: path, Msg: err.Error()}}
}

func joinKey(k toml.Key) string { return strings.Join(k, ".") }

// fromEnv builds the single account the MAILMCP_* variables describe, or nil
// when MAILMCP_EMAIL is unset.
func fromEnv(env func(string) (string, bool)) (*Account, []Problem) {
	get := func(k string) string { v, _ := env(k); return v }
	email := get("MAILMCP_EMAIL")
	if email == "" {
		return nil, nil
	}
	var probs []Problem
	port := func(k string) int {
		v := get(k)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 65535 {
			probs = append(probs, Problem{Key: k, Msg: fmt.Sprintf("%q is not a port number (1-65535)", v)})
			return 0
		}
		return n
	}
	a := &Account{
		ID:              get("MAILMCP_ACCOUNT_ID"),
		Email:           email,
		Name:            get("MAILMCP_NAME"),
		Provider:        Provider(get("MAILMCP_PROVIDER")),
		Username:        get("MAILMCP_USERNAME"),
		Auth:            AuthKind(get("MAILMCP_AUTH")),
		PasswordFile:    get("MAILMCP_PASSWORD_FILE"),
		PasswordCommand: get("MAILMCP_PASSWORD_COMMAND"),
		CAFile:          get("MAILMCP_CA_FILE"),
		SendPolicy:      get("MAILMCP_SEND_POLICY"),
		IMAP:            Server{Host: get("MAILMCP_IMAP_HOST"), Port: port("MAILMCP_IMAP_PORT"), TLS: TLSMode(get("MAILMCP_IMAP_TLS"))},
		SMTP:            Server{Host: get("MAILMCP_SMTP_HOST"), Port: port("MAILMCP_SMTP_PORT"), TLS: TLSMode(get("MAILMCP_SMTP_TLS"))},
	}
	if _, ok := env("MAILMCP_PASSWORD"); ok {
		a.PasswordEnv = "MAILMCP_PASSWORD"
	}
	if a.ID == "" {
		a.ID = "default"
	}
	return a, probs
}
