package tools

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Args reads a call's arguments, collecting every problem so one error
// result can name them all.
type Args struct {
	m    map[string]any
	errs []string
	req  mcp.CallToolRequest
}

func newArgs(req mcp.CallToolRequest) *Args {
	m := req.GetArguments()
	if m == nil {
		m = map[string]any{}
	}
	return &Args{m: m, req: req}
}

// Request is the underlying MCP request (progress tokens, session).
func (a *Args) Request() mcp.CallToolRequest { return a.req }

func (a *Args) fail(format string, args ...any) {
	a.errs = append(a.errs, fmt.Sprintf(format, args...))
}

// Err returns the collected problems as one invalid-argument fault, or nil.
func (a *Args) Err() error {
	if len(a.errs) == 0 {
		return nil
	}
	return fault.New(fault.Invalid, "arguments", strings.Join(a.errs, "; "))
}

// Has reports whether name was given (and not null).
func (a *Args) Has(name string) bool { v, ok := a.m[name]; return ok && v != nil }

// String returns a string argument, or def.
func (a *Args) String(name, def string) string {
	v, ok := a.m[name]
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		a.fail("%s must be a string", name)
		return def
	}
	return s
}

// Int returns an integer argument within [min, max], or def.
func (a *Args) Int(name string, def, min, max int) int {
	v, ok := a.m[name]
	if !ok || v == nil {
		return def
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) {
		a.fail("%s must be a whole number", name)
		return def
	}
	if f < float64(min) || f > float64(max) {
		a.fail("%s must be between %d and %d, got %v", name, min, max, f)
		return def
	}
	return int(f)
}

// Bool returns a boolean argument, or def.
func (a *Args) Bool(name string, def bool) bool {
	v, ok := a.m[name]
	if !ok || v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		a.fail("%s must be true or false", name)
		return def
	}
	return b
}

// OptBool returns nil when the argument is absent.
func (a *Args) OptBool(name string) *bool {
	if !a.Has(name) {
		return nil
	}
	b := a.Bool(name, false)
	return &b
}

// Strings returns a list of strings.
func (a *Args) Strings(name string) []string {
	v, ok := a.m[name]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		a.fail("%s must be a list of strings", name)
		return nil
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			a.fail("%s must be a list of strings", name)
			return nil
		}
		out = append(out, s)
	}
	return out
}

// Date parses YYYY-MM-DD or RFC 3339.
func (a *Args) Date(name string) time.Time {
	s := a.String(name, "")
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	a.fail("%s must be a date like 2026-11-22, got %q", name, s)
	return time.Time{}
}

// NoControl refuses CR, LF and other control characters in a value that
// goes into a protocol command (header search, folder name).
func (a *Args) NoControl(name, v string) string {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		a.fail("%s must not contain line breaks or control characters", name)
		return ""
	}
	return v
}
