package fault

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestKindStringNeverPanics(t *testing.T) {
	if got := Kind("made_up").String(); got != "made_up" {
		t.Fatalf("unknown kind printed %q", got)
	}
	if got := Kind("").String(); got != "internal" {
		t.Fatalf("empty kind printed %q", got)
	}
}

func TestWrapKeepsCauseAndInnerKind(t *testing.T) {
	cause := &fs.PathError{Op: "write", Path: "x", Err: errors.New("no space left on device")}
	err := Wrap(Local, "save_attachment", cause)
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Fatal("the typed cause is lost")
	}
	if KindOf(err) != Local {
		t.Fatalf("kind = %s", KindOf(err))
	}
	// The innermost classification wins over an outer guess.
	inner := New(NotFound, "select", `folder "X" does not exist`)
	if got := KindOf(Wrap(ConnLost, "search", fmt.Errorf("search: %w", inner))); got != NotFound {
		t.Fatalf("outer wrap replaced the inner kind: %s", got)
	}
	if Wrap(Local, "x", nil) != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
}

func TestKindOfContextAndRetry(t *testing.T) {
	if KindOf(fmt.Errorf("x: %w", context.Canceled)) != Cancelled {
		t.Fatal("context.Canceled is not Cancelled")
	}
	if KindOf(context.DeadlineExceeded) != Timeout || !IsRetryable(context.DeadlineExceeded) {
		t.Fatal("deadline is not a retryable timeout")
	}
	if KindOf(errors.New("boom")) != Internal || IsRetryable(errors.New("boom")) {
		t.Fatal("an unclassified error must be internal and not retryable")
	}
	if got := New(Invalid, "search", "limit must be 1-100").WithHint("Pass a smaller limit").Error(); got != "limit must be 1-100. Pass a smaller limit" {
		t.Fatalf("Error() = %q", got)
	}
}
