package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpExitsZero: -h and --help are a request, not a mistake.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"serve", "-h"}, {"doctor", "--help"}, {"tools", "-h"}, {"setup", "openclaw", "-h"}, {"auth", "-h"}, {"setup", "-h"}, {"auth", "status", "--help"}} {
		cmd := binary(t, args...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "help requested") {
			t.Errorf("mailmcp %v: %v\n%s", args, err, out)
		}
	}
	if out, err := binary(t, "serve", "--no-such-flag").CombinedOutput(); err == nil {
		t.Errorf("an unknown flag must fail:\n%s", out)
	}
}

// TestToolsJSONShape: tools --json prints what tools/list returns.
func TestToolsJSONShape(t *testing.T) {
	out, err := binary(t, "tools", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tools []map[string]any `json:"tools"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Tools) == 0 {
		t.Fatalf("want {\"tools\": [...]}: %v\n%.200s", err, out)
	}
}

// TestServiceUnitVerifies runs systemd-analyze verify --user on the unit
// setup service writes, where systemd-analyze exists.
func TestServiceUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing under CI")
		}
		t.Skip("no systemd-analyze")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("MAILMCP_CONFIG", "")
	bin, _ := exec.LookPath("true")
	if err := execute(t.Context(), []string{"setup", "service", "--os", "linux", "--command", bin}, nil, new(strings.Builder), new(strings.Builder)); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(home, ".config", "systemd", "user", "mailmcp.service")
	text, _ := os.ReadFile(unit)
	for _, bad := range []string{"network-online.target", "PrivateTmp"} {
		if strings.Contains(string(text), bad) {
			t.Errorf("a user unit cannot use %s:\n%s", bad, text)
		}
	}
	verify := exec.Command(sa, "verify", "--user", unit)
	// A user manager needs a runtime directory, which a CI container lacks.
	verify.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
	if out, err := verify.CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze verify --user: %v\n%s", err, out)
	}
}
