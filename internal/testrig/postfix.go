package testrig

import (
	"errors"
	"fmt"
	"os/exec"
	"time"
)

const postfixStopTimeout = 10 * time.Second

func (s *Stack) postfixProbes() []probe {
	return []probe{
		{name: "submission", addr: s.SubmissionAddr(), greeting: "220 "},
		{name: "submissions", addr: s.SubmissionsAddr(), implicitTLS: true, greeting: "220 "},
		{name: "mx", addr: s.MXAddr(), greeting: "220 "},
	}
}

// postfixPID returns the PID of this stack's Postfix master, 0 if not running.
func (s *Stack) postfixPID() int { return postfixMaster(s.l.PostfixQueue) }

// StartPostfix starts Postfix (a no-op when it runs) and waits until
// submission, submissions and the MX port send their greeting.
func (s *Stack) StartPostfix() error {
	s.postfixMu.Lock()
	defer s.postfixMu.Unlock()
	return s.startPostfix()
}

func (s *Stack) startPostfix() error {
	if s.postfixPID() != 0 {
		return nil
	}
	if err := s.runLogged("postfix", s.bins.postfix, "-c", s.l.PostfixConf, "start"); err != nil {
		return fmt.Errorf("start postfix: %w%s%s", err, s.postfixCheck(), logTails(s.l.StartLog, s.l.PostfixLog))
	}
	err := s.waitReady(s.postfixProbes(), func() error {
		if s.postfixPID() == 0 {
			return errors.New("postfix master exited")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("start postfix: %w%s", err, logTails(s.l.StartLog, s.l.PostfixLog))
	}
	return nil
}

// postfixCheck runs "postfix check" for an error message. Postfix commands
// report problems only to syslog or maillog_file unless stderr is a
// terminal, so a failed start can be silent otherwise.
func (s *Stack) postfixCheck() string {
	out, err := exec.Command(s.bins.postfix, "-c", s.l.PostfixConf, "check").CombinedOutput()
	if err == nil && len(out) == 0 {
		return ""
	}
	return fmt.Sprintf("\n--- postfix check (%v) ---\n%s", err, out)
}

// StopPostfix stops Postfix gracefully (SIGTERM to the master, which ends
// its children) and waits until its ports are closed.
func (s *Stack) StopPostfix() error {
	s.postfixMu.Lock()
	defer s.postfixMu.Unlock()
	return s.stopPostfix()
}

func (s *Stack) stopPostfix() error {
	pid := s.postfixPID()
	if pid == 0 {
		return nil
	}
	if err := stopSession(pid, postfixStopTimeout); err != nil {
		return fmt.Errorf("stop postfix: %w", err)
	}
	if err := waitClosed(5*time.Second, s.SubmissionAddr(), s.SubmissionsAddr(), s.MXAddr()); err != nil {
		return fmt.Errorf("stop postfix: %w", err)
	}
	return nil
}

// KillPostfix sends SIGKILL to the Postfix master and all its children and
// waits until they are gone. Queued mail stays in the queue.
func (s *Stack) KillPostfix() error {
	s.postfixMu.Lock()
	defer s.postfixMu.Unlock()
	pid := s.postfixPID()
	if pid == 0 {
		return nil
	}
	if err := killSession(pid, 5*time.Second); err != nil {
		return fmt.Errorf("kill postfix: %w", err)
	}
	if err := waitClosed(5*time.Second, s.SubmissionAddr(), s.SubmissionsAddr(), s.MXAddr()); err != nil {
		return fmt.Errorf("kill postfix: %w", err)
	}
	return nil
}

// RestartPostfix stops Postfix gracefully and starts it again.
func (s *Stack) RestartPostfix() error {
	s.postfixMu.Lock()
	defer s.postfixMu.Unlock()
	if err := s.stopPostfix(); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if err := s.startPostfix(); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}
