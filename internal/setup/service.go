package setup

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/httpfront"
)

const serviceLabel = "dev.mailmcp.mailmcp"

// ServiceOptions are the settings of 'setup service'.
type ServiceOptions struct {
	DryRun bool
	// OS is the service manager to write for: linux (systemd --user) or
	// darwin (launchd); default runtime.GOOS.
	OS string
	// Addr is the daemon's listen address (default 127.0.0.1:8025).
	Addr string
	// ConfigPath is the mailmcp config file the daemon uses.
	ConfigPath string
	// Command is the mailmcp binary to run (default: this one).
	Command string
	// TokenFile holds the HTTP bearer tokens (default: http-tokens beside
	// the config file; created with a random token when missing).
	TokenFile string
}

// Service writes a systemd user unit (Linux) or a launchd agent (macOS)
// that runs the mailmcp daemon, plus an HTTP token file when none exists.
func Service(o ServiceOptions, stdout io.Writer) error {
	home, err := homeDir()
	if err != nil {
		return err
	}
	if o.OS == "" {
		o.OS = runtime.GOOS
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8025"
	}
	cmd, err := command(o.Command)
	if err != nil {
		return err
	}
	if o.TokenFile == "" {
		o.TokenFile = DefaultTokenFile()
	}
	argv := append([]string{cmd}, serveArgs(o.ConfigPath)...)
	argv = append(argv, "--http", o.Addr)
	w := &FileWriter{DryRun: o.DryRun, Out: stdout, Now: time.Now}

	var path, text, start string
	switch o.OS {
	case "linux":
		dir := os.Getenv("XDG_CONFIG_HOME")
		if dir == "" {
			dir = filepath.Join(home, ".config")
		}
		path = filepath.Join(dir, "systemd", "user", "mailmcp.service")
		text = systemdUnit(argv, o.TokenFile)
		start = "systemctl --user daemon-reload && systemctl --user enable --now mailmcp.service\n" +
			"Logs: journalctl --user -u mailmcp -f\n" +
			"To keep it running while logged out: loginctl enable-linger $USER"
	case "darwin":
		path = filepath.Join(home, "Library", "LaunchAgents", serviceLabel+".plist")
		text = launchdPlist(argv, o.TokenFile, filepath.Join(home, "Library", "Logs", "mailmcp.log"))
		start = "launchctl bootstrap gui/$(id -u) " + shellQuote(path) + "\nLogs: " + filepath.Join(home, "Library", "Logs", "mailmcp.log")
	default:
		return fault.Errorf(fault.Invalid, "setup service", "--os %q: want linux or darwin", o.OS)
	}
	if err := ensureTokenFile(o.TokenFile, o.DryRun, stdout); err != nil {
		return err
	}
	if err := w.Write(path, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nStart it:\n%s\n", indentText(start))
	fmt.Fprintf(stdout, "Then check: curl -s http://%s/readyz\n", o.Addr)
	fmt.Fprintf(stdout, "Connect OpenClaw: mailmcp setup openclaw --url http://%s/mcp\n", o.Addr)
	return nil
}

// ensureTokenFile creates a token file with one random token (mode 0600)
// when none exists. The token is never printed.
func ensureTokenFile(path string, dryRun bool, out io.Writer) error {
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(out, "token file exists: %s\n", path)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("token file: %w", err)
	}
	if dryRun {
		fmt.Fprintf(out, "would create %s with a new random token (mode 600)\n", path)
		return nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("generate token: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := WriteAtomic(path, []byte(hex.EncodeToString(b[:])+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s with a new random token (clients send it as 'Authorization: Bearer <token>')\n", path)
	return nil
}

// systemdUnit renders the user unit. systemd splits ExecStart on spaces
// and honours double quotes; % must be doubled.
func systemdUnit(argv []string, tokenFile string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		a = strings.ReplaceAll(a, "%", "%%")
		if strings.ContainsAny(a, " \t\"\\") {
			a = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(a) + `"`
		}
		q[i] = a
	}
	return fmt.Sprintf(`# mailmcp daemon: written by 'mailmcp setup service'.
[Unit]
Description=mailmcp: email for AI agents (MCP over HTTP)
# No ordering on the network: a user manager cannot see the system's
# network targets; mailmcp connects lazily and retries.

[Service]
ExecStart=%s
Environment=%s
Restart=on-failure
RestartSec=5
# mailmcp drains in-flight calls for 5 s on SIGTERM.
TimeoutStopSec=15
NoNewPrivileges=yes
UMask=0077

[Install]
WantedBy=default.target
`, strings.Join(q, " "), systemdEnv(httpfront.EnvTokenFile, tokenFile))
}

func systemdEnv(k, v string) string {
	v = strings.ReplaceAll(v, "%", "%%")
	if strings.ContainsAny(v, " \t\"\\") {
		return `"` + k + "=" + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
	}
	return k + "=" + v
}

// launchdPlist renders the launchd agent.
func launchdPlist(argv []string, tokenFile, logFile string) string {
	var args strings.Builder
	for _, a := range argv {
		fmt.Fprintf(&args, "\n\t\t<string>%s</string>", html.EscapeString(a))
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- mailmcp daemon: written by 'mailmcp setup service'. -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>%s</string>
	<key>ProgramArguments</key>
	<array>%s
	</array>
	<key>EnvironmentVariables</key>
	<dict>
		<key>%s</key>
		<string>%s</string>
	</dict>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ThrottleInterval</key>
	<integer>5</integer>
	<key>StandardErrorPath</key>
	<string>%s</string>
	<key>ProcessType</key>
	<string>Background</string>
</dict>
</plist>
`, serviceLabel, args.String(), httpfront.EnvTokenFile, html.EscapeString(tokenFile), html.EscapeString(logFile))
}
