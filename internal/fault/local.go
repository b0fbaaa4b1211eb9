package fault

import (
	"errors"
	"io/fs"
	"syscall"
)

// LocalFS reports whether err is a failure of the local file system that
// repeating the call, or passing other arguments, would meet again until a
// person acts: a full disk or quota, a read-only file system, a refused
// permission, an I/O error.
func LocalFS(err error) bool {
	for _, e := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, fs.ErrPermission, syscall.EIO} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// LocalHint is the next step after a LocalFS error err while using what
// (a file or directory, named so that the user can find it: "the state
// file /var/lib/mailmcp/state.db"). The path of an *fs.PathError in err
// is named when what is empty.
func LocalHint(what string, err error) string {
	if what == "" {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			what = pe.Path
		} else {
			what = "mailmcp's files"
		}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "The disk holding " + what + " is full; tell the user, who must free space there"
	case errors.Is(err, syscall.EROFS):
		return what + " is on a read-only file system; tell the user, who must make it writable"
	case errors.Is(err, fs.ErrPermission):
		return "mailmcp may not write " + what + "; tell the user, who must fix its permissions"
	case errors.Is(err, syscall.EIO):
		return "The disk holding " + what + " reported an I/O error; tell the user"
	}
	return "Something is wrong with " + what + "; tell the user"
}

// FromFS returns err as a local_error for op with the hint for what, or err
// itself when it is not a LocalFS failure or is already classified. The
// text of err is kept as it is.
func FromFS(op, what string, err error) error {
	if err == nil || As(err) != nil || !LocalFS(err) {
		return err
	}
	return &Error{Kind: Local, Op: op, Err: err, Hint: LocalHint(what, err)}
}
