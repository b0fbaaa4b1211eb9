package watch

import (
	"log/slog"
	"math/rand/v2"
	"time"
)

// Options tune a Watcher; zero values mean the defaults.
type Options struct {
	// Poll forces NOOP polling even when the server has IDLE.
	Poll bool
	// PollInterval is the NOOP period without IDLE, and the longest an
	// idling watcher waits before checking for mail the server did not
	// announce, until the server is seen to push (60 s).
	PollInterval time.Duration
	// IdleRefresh re-issues IDLE this often (25 min; servers drop IDLE
	// after 29 min, RFC 2177).
	IdleRefresh time.Duration
	// QuietAfter: when the server sent nothing for this long, IDLE is
	// ended and NOOP must answer in time or the connection is replaced
	// (4 min; Dovecot sends "* OK Still here" every 2 min).
	QuietAfter time.Duration
	// DialTimeout bounds connect+login (15 s); CommandTimeout every
	// command (30 s).
	DialTimeout    time.Duration
	CommandTimeout time.Duration
	// BackoffMin and BackoffMax bound the reconnect delay (1 s, 2 min),
	// doubled per failure with ±25% jitter.
	BackoffMin time.Duration
	BackoffMax time.Duration
	// SnippetChars bounds the snippet (200); BodyChars > 0 adds that many
	// characters of body text to message events.
	SnippetChars int
	BodyChars    int
	Log          *slog.Logger
}

func (o *Options) withDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, 60*time.Second)
	def(&o.IdleRefresh, 25*time.Minute)
	def(&o.QuietAfter, 4*time.Minute)
	def(&o.DialTimeout, 15*time.Second)
	def(&o.CommandTimeout, 30*time.Second)
	def(&o.BackoffMin, time.Second)
	def(&o.BackoffMax, 2*time.Minute)
	if o.SnippetChars <= 0 {
		o.SnippetChars = 200
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// backoff is exponential with jitter.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(b.cur*2, b.max)
	}
	j := 0.75 + rand.Float64()/2 // ±25%
	return time.Duration(float64(b.cur) * j)
}

func (b *backoff) reset() { b.cur = 0 }
