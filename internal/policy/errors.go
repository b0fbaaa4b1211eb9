package policy

import (
	"context"
	"errors"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
)

// storeErr classifies a failure of the shared state store during op:
// another process holding it too long is unavailable (try again), an ended
// context is cancelled or timeout, anything else is a local fault (disk,
// permissions). A classified error inside err keeps its kind.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	kind := fault.Local
	switch {
	case errors.Is(err, store.ErrBusy):
		kind = fault.Unavailable
	case errors.Is(err, context.Canceled):
		kind = fault.Cancelled
	case errors.Is(err, context.DeadlineExceeded):
		kind = fault.Timeout
	}
	return fault.Wrap(kind, op, err)
}
