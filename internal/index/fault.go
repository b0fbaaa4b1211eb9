package index

import (
	"errors"
	"strings"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// faultOf gives an error of the index at path the kind a caller can act
// on: a full disk (or index_max_bytes), a damaged or unwritable file is a
// local error naming the file; SQLite's lock contention is unavailable
// (try again). ErrFull, ErrCorrupt and the cause stay reachable through
// errors.Is, the text is kept, and anything else (ErrReadOnly, a bug) is
// returned as it is.
func faultOf(path string, err error) error {
	if err == nil || fault.As(err) != nil {
		return err
	}
	what := "the local index " + path
	e := &fault.Error{Kind: fault.Local, Op: "index", Err: err}
	s := err.Error()
	switch {
	case errors.Is(err, ErrFull):
		e.Hint = "The disk holding " + what + " is full or the index reached index_max_bytes, so indexing stopped (search asks the server); tell the user, who must free space or raise index_max_bytes"
	case errors.Is(err, ErrCorrupt):
		e.Hint = what + " is damaged and is not used; `mailmcp index rebuild` builds it again (mailmcp also does when the process that maintains it restarts)"
	case fault.LocalFS(err):
		e.Hint = fault.LocalHint(what, err)
	case strings.Contains(s, "readonly database") || strings.Contains(s, "SQLITE_READONLY"):
		e.Hint = what + " cannot be written (a read-only file or file system); tell the user, who must make it writable"
	case strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY"):
		e.Kind, e.Hint = fault.Unavailable, "The local index is busy (another process writes it); try again in a moment"
	default:
		return err
	}
	return e
}
