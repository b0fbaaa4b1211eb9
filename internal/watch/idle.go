package watch

import (
	"context"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// checkSchedule is how often an idling watcher ends IDLE to look for mail
// itself. Some servers accept IDLE and never push anything (Cyrus does
// this), so a watcher checks every poll interval until the server is seen
// to push; each push doubles the interval (up to the IDLE refresh), and a
// check that finds mail IDLE did not announce marks the server as not
// pushing and goes back to the poll interval.
type checkSchedule struct {
	min, max time.Duration
	every    time.Duration
	silent   bool // a check found mail that IDLE never announced
}

func newCheckSchedule(poll, refresh time.Duration) checkSchedule {
	return checkSchedule{min: poll, max: max(poll, refresh), every: poll}
}

// pushed: the server sent unilateral data while idling.
func (s *checkSchedule) pushed() {
	s.silent = false
	s.every = min(s.every*2, s.max)
}

// missed: a check found mail that no push announced.
func (s *checkSchedule) missed() {
	s.silent = true
	s.every = s.min
}

// schedule applies fn to the check schedule and says whether the server
// was marked as not pushing before.
func (w *Watcher) schedule(fn func(*checkSchedule)) (wasSilent bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wasSilent = w.sched.silent
	fn(&w.sched)
	return wasSilent
}

// checkEvery is the current interval between checks while idling.
func (w *Watcher) checkEvery() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sched.every
}

func (w *Watcher) idleLoop(ctx context.Context, c *imapclient.Client, ac *activityConn) error {
	refresh := time.NewTimer(w.opt.IdleRefresh)
	defer refresh.Stop()
	check := time.NewTimer(w.opt.PollInterval)
	defer check.Stop()
	tick := time.NewTicker(max(w.opt.QuietAfter/4, 10*time.Millisecond))
	defer tick.Stop()
	lastCheck := time.Now()
	for {
		var idle *imapclient.IdleCommand
		err := w.cmd(ctx, c, "idle", func() error {
			var err error
			idle, err = c.Idle()
			return err
		})
		if err != nil {
			return err
		}
		refresh.Reset(w.opt.IdleRefresh)
		check.Reset(time.Until(lastCheck.Add(w.checkEvery())))
		woke, quiet := false, false
	wait:
		for {
			select {
			case <-ctx.Done():
				_ = idle.Close()
				return ctx.Err()
			case <-c.Closed():
				return errClosed()
			case <-w.wake:
				woke = true
				break wait
			case <-refresh.C:
				break wait
			case <-check.C:
				break wait
			case <-tick.C:
				if ac.quiet() >= w.opt.QuietAfter {
					quiet = true
					break wait
				}
			}
		}
		err = w.cmd(ctx, c, "end idle", func() error {
			if err := idle.Close(); err != nil {
				return err
			}
			return idle.Wait()
		})
		if err != nil {
			return err
		}
		if woke {
			w.schedule((*checkSchedule).pushed)
		}
		probe := !woke && (quiet || !time.Now().Before(lastCheck.Add(w.checkEvery())))
		if probe {
			// NOOP collects what a lazy server queued (RFC 9051 6.1.2); the
			// probe in sync finds new mail even if nothing says so.
			if err := w.cmd(ctx, c, "noop", func() error { return c.Noop().Wait() }); err != nil {
				if quiet {
					return fault.Errorf(fault.KindOf(err), "watch", "the IMAP server was silent for %s and did not answer NOOP: %w", w.opt.QuietAfter, err)
				}
				return err
			}
		}
		unannounced, err := w.sync(ctx, c, time.Time{}, false, probe)
		if err != nil {
			return err
		}
		if probe {
			lastCheck = time.Now()
			if unannounced && !w.schedule((*checkSchedule).missed) {
				w.log.Info("the server did not announce new mail during IDLE; checking every poll interval", "poll_interval", w.opt.PollInterval)
			}
		}
	}
}

func (w *Watcher) pollLoop(ctx context.Context, c *imapclient.Client) error {
	t := time.NewTicker(w.opt.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.Closed():
			return errClosed()
		case <-t.C:
		}
		observed := time.Now()
		if err := w.cmd(ctx, c, "noop", func() error { return c.Noop().Wait() }); err != nil {
			return err
		}
		select {
		case <-w.wake:
		default:
		}
		if _, err := w.sync(ctx, c, observed, false, true); err != nil {
			return err
		}
	}
}
