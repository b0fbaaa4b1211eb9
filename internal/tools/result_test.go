package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// TestOneErrorMapping: errResult (result.go) is the only code that makes
// an error result, so every error carries structuredContent.error and the
// audit log can read its kind. A handler that needs to fail returns
// errResult(a *fault.Error).
func TestOneErrorMapping(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == "result.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, bad := range []string{"NewToolResultError", "IsError = true", "IsError: true"} {
				if strings.Contains(line, bad) {
					t.Errorf("%s:%d makes an error result itself (%s); return errResult(fault error) instead", f, i+1, bad)
				}
			}
		}
	}
}

// TestErrorResultShape: the text is a sentence with the next step and the
// kind, and the structured error carries all four fields.
func TestErrorResultShape(t *testing.T) {
	res := errResult(notFoundErr())
	info, ok := structuredError(t, res)
	if !ok || info.Kind != "not_found" || info.Message != `folder "Reciepts" does not exist` || info.Hint != "Call list_folders to see the names" || info.Retryable {
		t.Fatalf("structured error = %+v (ok %v)", info, ok)
	}
	if got, want := resultText(res), `folder "Reciepts" does not exist. Call list_folders to see the names. (error: not_found)`; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	// A message ending in a quote still ends as a sentence.
	if got := resultText(errResult(fault.New(fault.Invalid, "account", `unknown account "nope"`))); got != `unknown account "nope". (error: invalid_argument)` {
		t.Errorf("text = %q", got)
	}
	// A bare error is a bug: internal, with its text.
	if info, _ := structuredError(t, errResult(os.ErrClosed)); info.Kind != "internal" || info.Message == "" {
		t.Errorf("bare error = %+v", info)
	}
}

func notFoundErr() error {
	return fault.New(fault.NotFound, "select", `folder "Reciepts" does not exist`).WithHint("Call list_folders to see the names")
}
