package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// dockerEnv is the environment the Dockerfile's ENV lines give the image.
func dockerEnv(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	env := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "ENV "); ok {
			for _, kv := range regexp.MustCompile(`(\w+)=(\S+)`).FindAllStringSubmatch(rest, -1) {
				env[kv[1]] = kv[2]
			}
		}
	}
	return env
}

// TestContainerStartsWithEnvOnly runs the binary with the image's
// environment and an account given only by variables, as the README's
// docker run does, and checks that it serves.
func TestContainerStartsWithEnvOnly(t *testing.T) {
	srv, _ := startDemo(t)
	addr := freeAddr(t)
	cmd := binary(t, "serve", "--http", addr, "--behind-proxy")
	env := childEnv(t)
	for k, v := range dockerEnv(t) {
		if k == "MAILMCP_STATE_DIR" {
			v = t.TempDir() // the image's volume
		}
		env = append(env, k+"="+v)
	}
	ih, ip := splitAddr(srv.IMAPAddr)
	sh, sp := splitAddr(srv.SMTPAddr)
	env = append(env, "MAILMCP_CONFIG=", "MAILMCP_HTTP_TOKEN_FILE=",
		"MAILMCP_HTTP_TOKEN=0123456789abcdef0123456789abcdef",
		"MAILMCP_EMAIL=dana@demo.test", "MAILMCP_PASSWORD=demo",
		"MAILMCP_IMAP_HOST="+ih, "MAILMCP_IMAP_PORT="+strconv.Itoa(ip), "MAILMCP_IMAP_TLS=plain",
		"MAILMCP_SMTP_HOST="+sh, "MAILMCP_SMTP_PORT="+strconv.Itoa(sp), "MAILMCP_SMTP_TLS=plain")
	for k, v := range dockerEnv(t) {
		if k != "MAILMCP_STATE_DIR" {
			env = append(env, k+"="+v)
		}
	}
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitHealthy(t, "http://"+addr, &logs)
}
