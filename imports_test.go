package mailmcp_test

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/mailmcp/mailmcp/"

// noIO are the standard packages that reach the network, files or processes.
var noIO = map[string]bool{"net": true, "net/http": true, "net/smtp": true, "os": true, "os/exec": true, "syscall": true}

// TestImportRules checks the layering (go list of direct imports):
//   - the engine never imports internal/tools or cmd (no package imports upward);
//   - parse does no I/O: it imports none of net, net/http, net/smtp,
//     os, os/exec, syscall (net/mail, net/url and net/textproto only parse
//     text), and nothing from this module but its own subpackages;
//   - auth never imports the engine (imapconn, outbox, watch, submit);
//   - imapconn (IMAP) and submit (SMTP) are peers: neither imports the other;
//   - fault imports only the standard library;
//   - config imports neither policy nor compose.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	engine := []string{"imapconn", "submit", "outbox", "watch", "store", "auth", "parse", "compose", "policy", "fault", "config"}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		pkg, imps := strings.TrimPrefix(f[0], mod), f[1:]
		is := func(names ...string) bool {
			for _, n := range names {
				if pkg == n || pkg == "internal/"+n || strings.HasPrefix(pkg, n+"/") || strings.HasPrefix(pkg, "internal/"+n+"/") {
					return true
				}
			}
			return false
		}
		for _, imp := range imps {
			local, ours := strings.CutPrefix(imp, mod)
			switch {
			case is(engine...) && ours && (strings.HasPrefix(local, "internal/tools") || strings.HasPrefix(local, "cmd/")):
				t.Errorf("%s imports %s: the engine must not import tools or cmd", pkg, imp)
			case is("parse") && !strings.HasSuffix(pkg, "_test") && (noIO[imp] || (ours && !strings.HasPrefix(local, "parse"))):
				t.Errorf("%s imports %s: parse does no I/O and depends on nothing else of mailmcp", pkg, imp)
			case is("auth") && ours && (strings.HasPrefix(local, "internal/imapconn") || strings.HasPrefix(local, "internal/outbox") || strings.HasPrefix(local, "internal/watch") || strings.HasPrefix(local, "internal/submit")):
				t.Errorf("%s imports %s: auth must not import the engine", pkg, imp)
			case is("imapconn") && ours && strings.HasPrefix(local, "internal/submit"), is("submit") && ours && strings.HasPrefix(local, "internal/imapconn"):
				t.Errorf("%s imports %s: imapconn and submit are peers and must not import each other", pkg, imp)
			case is("fault") && strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				t.Errorf("%s imports %s: fault imports only the standard library", pkg, imp)
			case is("config") && ours && (strings.HasPrefix(local, "internal/policy") || strings.HasPrefix(local, "compose")):
				t.Errorf("%s imports %s: config must not import policy or compose", pkg, imp)
			}
		}
	}
}
