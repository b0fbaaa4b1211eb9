package auth

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Account authentication methods.
const (
	MethodOAuth    = "oauth"
	MethodPassword = "password"
)

// StatusInput describes one configured account for Status.
type StatusInput struct {
	Account  string
	Method   string // MethodOAuth or MethodPassword
	Provider string
	Password SecretSource // MethodPassword only
}

// StatusReport is what `mailmcp auth status` shows for one account. It holds
// no secret.
type StatusReport struct {
	Account         string
	Method          string
	Provider        string
	LoggedIn        bool      // oauth: a token is saved; password: the source is usable
	Expiry          time.Time // access token expiry (zero: unknown)
	Expired         bool
	HasRefreshToken bool
	Scopes          []string
	ObtainedAt      time.Time
	LastRefresh     time.Time
	PasswordSource  string // e.g. "env MAIL_PW"
	Problems        []string
}

// Status inspects each account without touching the network and without
// running password commands (they may prompt): OAuth accounts from their
// token files, password accounts from their source's presence and
// permissions.
func Status(store *TokenStore, accounts []StatusInput) []StatusReport {
	now := time.Now()
	reports := make([]StatusReport, 0, len(accounts))
	for _, a := range accounts {
		r := StatusReport{Account: a.Account, Method: a.Method, Provider: a.Provider}
		switch a.Method {
		case MethodOAuth:
			oauthStatus(store, a, now, &r)
		case MethodPassword:
			passwordStatus(a.Password, &r)
		default:
			r.Problems = append(r.Problems, fmt.Sprintf("unknown auth method %q", a.Method))
		}
		reports = append(reports, r)
	}
	return reports
}

func oauthStatus(store *TokenStore, a StatusInput, now time.Time, r *StatusReport) {
	t, err := store.Load(a.Account)
	if errors.Is(err, ErrNoToken) {
		r.Problems = append(r.Problems, fmt.Sprintf("not logged in: run `mailmcp auth login %s`", a.Account))
		return
	}
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return
	}
	r.LoggedIn = true
	r.Expiry, r.Scopes, r.ObtainedAt, r.LastRefresh = t.Expiry, t.Scopes, t.ObtainedAt, t.LastRefresh
	r.HasRefreshToken = t.RefreshToken != ""
	r.Expired = !t.Expiry.IsZero() && !now.Before(t.Expiry)
	r.Problems = append(r.Problems, t.Problems...)
	if r.Expired && !r.HasRefreshToken {
		r.Problems = append(r.Problems, fmt.Sprintf("access token expired and there is no refresh token: run `mailmcp auth login %s`", a.Account))
	}
	if a.Provider != "" && t.Provider != "" && a.Provider != t.Provider {
		r.Problems = append(r.Problems, fmt.Sprintf("token was issued by %s but the account is configured for %s: run `mailmcp auth login %s`", t.Provider, a.Provider, a.Account))
	}
}

func passwordStatus(s SecretSource, r *StatusReport) {
	r.PasswordSource = s.Describe()
	switch {
	case s.IsZero():
		r.Problems = append(r.Problems, ErrNoSecretSource.Error())
	case s.Env != "":
		if os.Getenv(s.Env) == "" {
			r.Problems = append(r.Problems, fmt.Sprintf("environment variable %s is not set in this shell (it must be set where mailmcp runs)", s.Env))
			return
		}
		r.LoggedIn = true
	case s.File != "":
		fi, err := os.Stat(expandHome(s.File))
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("password file: %v", err))
			return
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("password file %s is readable by group or others (mode %#o); run: chmod 600 %s", s.File, perm, s.File))
		}
		r.LoggedIn = true
	default:
		r.LoggedIn = true // a command is only checked when it runs
	}
}

// WriteStatus prints reports for humans.
func WriteStatus(out io.Writer, reports []StatusReport) {
	now := time.Now()
	for _, r := range reports {
		fmt.Fprintf(out, "%s (%s", r.Account, r.Method)
		if r.Provider != "" {
			fmt.Fprintf(out, ", %s", r.Provider)
		}
		fmt.Fprintln(out, ")")
		switch r.Method {
		case MethodOAuth:
			if r.LoggedIn {
				fmt.Fprintf(out, "  logged in since %s", r.ObtainedAt.Local().Format(time.DateTime))
				if !r.LastRefresh.IsZero() {
					fmt.Fprintf(out, ", last refresh %s", r.LastRefresh.Local().Format(time.DateTime))
				}
				fmt.Fprintln(out)
				switch {
				case r.Expiry.IsZero():
					fmt.Fprintln(out, "  access token expiry unknown")
				case r.Expired:
					fmt.Fprintf(out, "  access token expired %s ago", now.Sub(r.Expiry).Round(time.Second))
				default:
					fmt.Fprintf(out, "  access token valid for %s", r.Expiry.Sub(now).Round(time.Second))
				}
				if !r.Expiry.IsZero() {
					if r.HasRefreshToken {
						fmt.Fprintln(out, " (refreshes automatically)")
					} else {
						fmt.Fprintln(out, " (no refresh token)")
					}
				}
				if len(r.Scopes) > 0 {
					fmt.Fprintf(out, "  scopes: %s\n", strings.Join(r.Scopes, " "))
				}
			}
		case MethodPassword:
			fmt.Fprintf(out, "  password from %s\n", r.PasswordSource)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(out, "  problem: %s\n", p)
		}
	}
}
