package auth

import (
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a password, app password or token. Every way of printing it —
// %v, %s, %#v, slog, JSON, TOML — yields "[redacted]"; Reveal returns the
// value for the one place that needs it (the wire).
type Secret string

// Reveal returns the secret's value. Call it only where the value goes onto
// the wire.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// Format implements fmt.Formatter, so that no verb (%d, %x, …) prints the
// value.
func (s Secret) Format(f fmt.State, verb rune) { f.Write([]byte(redacted)) }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler, which encoding/json and TOML
// encoders use, so a Secret inside a struct cannot leak through them either.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }
