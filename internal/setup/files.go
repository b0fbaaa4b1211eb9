package setup

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

// homeDir is the user's home; setup commands never guess beyond it.
func homeDir() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil || h == "" {
		return "", fmt.Errorf("cannot find the home directory: set HOME")
	}
	return h, nil
}

// command is the mailmcp binary a client should start: cmd when given,
// else the running binary (SelfPath).
func command(cmd string) (string, error) {
	if cmd != "" {
		return cmd, nil
	}
	return SelfPath()
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

// FileWriter writes setup output: nothing in dry-run mode, and otherwise a
// timestamped backup of any file it replaces, then an atomic replace.
type FileWriter struct {
	DryRun bool
	Out    io.Writer
	Now    func() time.Time
}

// Write replaces path with data (mode for new files) and reports what it
// did. An unchanged file is left alone.
func (w *FileWriter) Write(path string, data []byte, mode fs.FileMode) error {
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if exists && bytes.Equal(old, data) {
		fmt.Fprintf(w.Out, "unchanged: %s\n", path)
		return nil
	}
	if w.DryRun {
		verb := "would create"
		if exists {
			verb = "would update"
		}
		fmt.Fprintf(w.Out, "%s %s:\n%s\n", verb, path, indentText(string(data)))
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
		fmt.Fprintf(w.Out, "backed up %s to %s\n", path, backup)
	}
	if err := WriteAtomic(path, data, mode); err != nil {
		return err
	}
	verb := "created"
	if exists {
		verb = "updated"
	}
	fmt.Fprintf(w.Out, "%s %s\n", verb, path)
	return nil
}

func (w *FileWriter) clock() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// WriteAtomic writes data to a temporary file beside path and renames it
// over path, so a crash never leaves a half-written config.
func WriteAtomic(path string, data []byte, mode fs.FileMode) error {
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

// DefaultTokenFile is where setup service keeps the daemon's HTTP tokens.
func DefaultTokenFile() string {
	return filepath.Join(filepath.Dir(config.DefaultPath()), "http-tokens")
}
