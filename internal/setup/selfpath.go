package setup

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// SelfPath is the absolute path of the running mailmcp binary, which is
// what clients should start. A binary that 'go run' or 'go test' built
// lives in a go-build directory (the build cache or a temporary one) that
// disappears: recording it would leave the client starting nothing, so
// SelfPath refuses and says how to build a lasting binary.
func SelfPath() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fault.Errorf(fault.Local, "setup", "cannot find this binary's path (%v): pass --command /path/to/mailmcp", err)
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	if InBuildCache(p) {
		return "", fault.Errorf(fault.Invalid, "setup",
			"this mailmcp runs from the Go build cache (%s; 'go run' or 'go test'), which disappears: build it first: go build -o ~/bin/mailmcp ./cmd/mailmcp, then run ~/bin/mailmcp setup again (or pass --command)", p)
	}
	return p, nil
}

// InBuildCache reports whether path lies in a directory the go command
// builds into and later removes: the build cache ($GOCACHE, by default
// ~/.cache/go-build) or a temporary $TMPDIR/go-build123/ work directory.
func InBuildCache(path string) bool {
	if c := os.Getenv("GOCACHE"); c != "" && strings.HasPrefix(path, filepath.Clean(c)+string(filepath.Separator)) {
		return true
	}
	for _, el := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if digits, ok := strings.CutPrefix(el, "go-build"); ok && strings.Trim(digits, "0123456789") == "" {
			return true
		}
	}
	return false
}
