package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/mailmcp/mailmcp/internal/metrics"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// Hook queues and delivers the events one webhook wants.
type Hook struct {
	cfg    Config
	opt    Options
	q      store.Queue
	client *http.Client
	log    *slog.Logger
	kick   chan struct{}
}

// New prepares a webhook; call Run to deliver.
func New(cfg Config, opt Options, log *slog.Logger) *Hook {
	opt.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hook{
		cfg: cfg, opt: opt, q: store.NewQueue("webhook." + cfg.Name),
		client: &http.Client{
			Timeout: opt.Timeout,
			// A redirect could carry the bearer token elsewhere: never follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:  log.With("component", "webhook", "webhook", cfg.Name),
		kick: make(chan struct{}, 1),
	}
}

// Name is the webhook's name.
func (h *Hook) Name() string { return h.cfg.Name }

// Wants reports whether e passes the webhook's filters.
func (h *Hook) Wants(e *watch.Event) bool {
	return h.cfg.Filter.Match(e) && watch.SenderAllowed(e, h.cfg.Senders)
}

// Enqueue implements watch.Sink: queue the wanted events inside the feed's
// append transaction.
func (h *Hook) Enqueue(tx store.Tx, evs []watch.Event) error {
	for _, e := range evs {
		if !h.Wants(&e) {
			continue
		}
		b, err := json.Marshal(h.bound(e))
		if err != nil {
			return err
		}
		if _, err := h.q.Push(tx, b, time.Time{}); err != nil {
			return fmt.Errorf("webhook %s: %w", h.cfg.Name, err)
		}
	}
	return nil
}

// Kick wakes the worker (call after events were appended).
func (h *Hook) Kick() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// Pending counts queued deliveries.
func (h *Hook) Pending(ctx context.Context, st store.Store) (int, error) {
	n := 0
	err := st.View(ctx, func(tx store.Tx) error {
		var err error
		n, err = h.q.Len(tx)
		return err
	})
	return n, err
}

// Run delivers queued events until ctx ends.
func (h *Hook) Run(ctx context.Context, st store.Store) {
	t := time.NewTicker(h.opt.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			did, err := h.once(ctx, st)
			if err != nil {
				h.log.Warn("webhook queue", "err", err)
				break
			}
			if !did {
				break
			}
		}
		if n, err := h.Pending(ctx, st); err == nil {
			metrics.SetWebhookQueue(h.cfg.Name, n)
		}
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		case <-t.C:
		}
	}
}

// outcome of one POST.
type outcome struct {
	ok         bool
	retryAfter time.Duration // > 0: retry then; 0 with !ok: give up
	reason     string
}

// once claims, delivers and settles one item; false when none was due.
func (h *Hook) once(ctx context.Context, st store.Store) (bool, error) {
	var it *store.QueueItem
	now := time.Now()
	err := st.Update(ctx, func(tx store.Tx) error {
		var err error
		it, err = h.q.Claim(tx, now, h.opt.Lease)
		return err
	})
	if err != nil || it == nil {
		return false, err
	}
	var e watch.Event
	if err := json.Unmarshal(it.Payload, &e); err != nil {
		h.log.Error("dropping an unreadable queued event", "err", err)
		return true, st.Update(ctx, func(tx store.Tx) error { return h.q.Ack(tx, it.Key) })
	}
	out := h.post(ctx, e, it.Attempts)
	if ctx.Err() != nil {
		return false, nil // the lease ends and the item is retried
	}
	switch {
	case out.ok:
		return true, st.Update(ctx, func(tx store.Tx) error { return h.q.Ack(tx, it.Key) })
	case out.retryAfter > 0 && time.Since(it.Enqueued) < h.opt.MaxAge:
		d := out.retryAfter
		h.log.Info("webhook delivery failed; will retry", "event", e.ID, "attempt", it.Attempts, "reason", out.reason, "in", d.Round(time.Millisecond))
		return true, st.Update(ctx, func(tx store.Tx) error { return h.q.Retry(tx, it.Key, time.Now().Add(d)) })
	default:
		h.log.Error("webhook delivery given up", "event", e.ID, "attempts", it.Attempts, "reason", out.reason)
		return true, st.Update(ctx, func(tx store.Tx) error { return h.q.Ack(tx, it.Key) })
	}
}

// post sends one event and classifies the answer.
func (h *Hook) post(ctx context.Context, e watch.Event, attempts int) outcome {
	req, err := h.request(e, time.Now())
	if err != nil {
		return outcome{reason: err.Error()}
	}
	resp, err := h.client.Do(req.WithContext(ctx))
	if err != nil {
		var ue interface{ Unwrap() error }
		reason := err.Error()
		if errors.As(err, &ue) {
			reason = ue.Unwrap().Error() // without the URL
		}
		return outcome{retryAfter: h.backoff(attempts), reason: reason}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	reason := fmt.Sprintf("HTTP %d %q", resp.StatusCode, string(snippet))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return outcome{ok: true}
	case c == http.StatusTooManyRequests || c == http.StatusRequestTimeout || c == http.StatusTooEarly || c >= 500:
		d := h.backoff(attempts)
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			d = ra
		}
		return outcome{retryAfter: d, reason: reason}
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return outcome{reason: reason + ": the receiver refused the token or signature; check token_env/token_file or secret_env/secret_file"}
	default:
		return outcome{reason: reason + ": the receiver refused the request; check the webhook url and format"}
	}
}

// backoff doubles with each attempt, from RetryMin up to RetryMax.
func (h *Hook) backoff(attempts int) time.Duration {
	d := h.opt.RetryMin
	for i := 1; i < attempts && d < h.opt.RetryMax; i++ {
		d *= 2
	}
	return jitter(min(d, h.opt.RetryMax))
}

// retryAfter parses a Retry-After header (RFC 9110 10.2.3): seconds or an
// HTTP date, capped at an hour.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 10*time.Millisecond), time.Hour), true
}

// jitter spreads d by ±25%.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.75 + rand.Float64()/2))
}

// Attach makes h a sink of f and wakes its worker after every append.
func (h *Hook) Attach(f *watch.Feed) {
	f.AddSink(h)
	f.Listen(func([]watch.Event) { h.Kick() })
}
