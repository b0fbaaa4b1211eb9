package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/config"
)

// cmdSetup: mailmcp setup openclaw | claude-desktop | service.
func cmdSetup(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("want openclaw, claude-desktop or service")}
	}
	switch args[0] {
	case "openclaw":
		return setupOpenClaw(args[1:], stdout, stderr)
	case "claude-desktop", "clients":
		return setupClaudeDesktop(args[1:], stdout, stderr)
	case "service":
		return setupService(args[1:], stdout, stderr)
	}
	return usageError{fmt.Errorf("unknown setup target %q: want openclaw, claude-desktop or service", args[0])}
}

// homeDir is the user's home; setup commands never guess beyond it.
func homeDir() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil || h == "" {
		return "", fmt.Errorf("cannot find the home directory: set HOME")
	}
	return h, nil
}

// selfPath is the absolute path of the running mailmcp binary, which is
// what clients should start.
func selfPath() string {
	p, err := os.Executable()
	if err != nil {
		return "mailmcp"
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return p
}

// serveArgs are the arguments a client passes to start mailmcp over stdio.
// The config path is spelled out when it is not the default, because
// clients such as OpenClaw give the child only a minimal environment.
func serveArgs(configPath string) []string {
	args := []string{"serve"}
	if configPath == "" {
		if p := os.Getenv("MAILMCP_CONFIG"); p != "" {
			configPath = p
		}
	}
	if configPath != "" {
		if abs, err := filepath.Abs(configPath); err == nil {
			configPath = abs
		}
		args = append(args, "--config", configPath)
	}
	return args
}

// fileWriter writes setup output: nothing in dry-run mode, and otherwise a
// timestamped backup of any file it replaces, then an atomic replace.
type fileWriter struct {
	dryRun bool
	out    io.Writer
	now    func() time.Time
}

// write replaces path with data (mode for new files) and reports what it
// did. An unchanged file is left alone.
func (w *fileWriter) write(path string, data []byte, mode fs.FileMode) error {
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if exists && bytes.Equal(old, data) {
		fmt.Fprintf(w.out, "unchanged: %s\n", path)
		return nil
	}
	if w.dryRun {
		verb := "would create"
		if exists {
			verb = "would update"
		}
		fmt.Fprintf(w.out, "%s %s:\n%s\n", verb, path, indentText(string(data)))
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if exists {
		st, err := os.Stat(path)
		if err == nil {
			mode = st.Mode().Perm()
		}
		backup := path + ".bak-" + w.clock().Format("20060102-150405")
		if err := os.WriteFile(backup, old, 0o600); err != nil {
			return fmt.Errorf("back up %s: %w", path, err)
		}
		fmt.Fprintf(w.out, "backed up %s to %s\n", path, backup)
	}
	if err := writeAtomic(path, data, mode); err != nil {
		return err
	}
	verb := "created"
	if exists {
		verb = "updated"
	}
	fmt.Fprintf(w.out, "%s %s\n", verb, path)
	return nil
}

func (w *fileWriter) clock() time.Time {
	if w.now != nil {
		return w.now()
	}
	return time.Now()
}

// writeAtomic writes data to a temporary file beside path and renames it
// over path, so a crash never leaves a half-written config.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func indentText(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// mergeServerEntry reads the JSON/JSON5 file at path (missing is fine),
// sets root.<section...>.<name> = entry and returns the new text. Other
// keys keep their values and order.
func mergeServerEntry(path string, section []string, name string, entry *jsonObject) ([]byte, error) {
	root := newObject()
	data, err := os.ReadFile(path)
	switch {
	case err == nil && len(bytes.TrimSpace(data)) > 0:
		v, err := parseJSON5(data)
		if err != nil {
			return nil, fmt.Errorf("%s is not valid JSON5 (%v): fix it or move it away; nothing was changed", path, err)
		}
		o, ok := v.(*jsonObject)
		if !ok {
			return nil, fmt.Errorf("%s does not hold a JSON object; nothing was changed", path)
		}
		root = o
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	obj := root
	for i, k := range section {
		obj, err = obj.object(k)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w; nothing was changed", path, strings.Join(section[:i+1], "."), err)
		}
	}
	obj.set(name, entry)
	return marshalOrdered(root)
}

// defaultTokenFile is where setup service keeps the daemon's HTTP tokens.
func defaultTokenFile() string {
	return filepath.Join(filepath.Dir(config.DefaultPath()), "http-tokens")
}
