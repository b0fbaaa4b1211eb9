package testrig

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// dovecotStopTimeout bounds a graceful stop. The Dovecot master always
// sleeps 1 s while shutting down (SIGQUIT to children, then
// i_sleep_msecs(1000)), so ~1.1 s is normal.
const dovecotStopTimeout = 10 * time.Second

func (s *Stack) dovecotProbes() []probe {
	return []probe{
		{name: "imap", addr: s.IMAPAddr(), greeting: "* OK"},
		{name: "imaps", addr: s.IMAPSAddr(), implicitTLS: true, greeting: "* OK"},
		{name: "pop3", addr: s.POP3Addr(), greeting: "+OK"},
		{name: "pop3s", addr: s.POP3SAddr(), implicitTLS: true, greeting: "+OK"},
	}
}

// dovecotPID returns the PID of this stack's Dovecot master, 0 if not running.
func (s *Stack) dovecotPID() int { return dovecotMaster(s.l.DovecotRun, s.l.DovecotConf) }

// StartDovecot starts Dovecot (a no-op when it runs) and waits until IMAP
// and IMAPS send their greeting.
func (s *Stack) StartDovecot() error {
	s.dovecotMu.Lock()
	defer s.dovecotMu.Unlock()
	return s.startDovecot()
}

func (s *Stack) startDovecot() error {
	if s.dovecotPID() != 0 {
		return nil
	}
	// A SIGKILLed master leaves its PID file; the PID may be reused by now.
	_ = os.Remove(filepath.Join(s.l.DovecotRun, "master.pid"))
	if err := s.runLogged("dovecot", s.bins.dovecot, "-c", s.l.DovecotConf); err != nil {
		return fmt.Errorf("start dovecot: %w%s", err, logTails(s.l.StartLog, s.l.DovecotLog))
	}
	err := s.waitReady(s.dovecotProbes(), func() error {
		if s.dovecotPID() == 0 {
			return errors.New("dovecot master exited")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("start dovecot: %w%s", err, logTails(s.l.StartLog, s.l.DovecotLog))
	}
	return nil
}

// StopDovecot stops Dovecot gracefully (SIGTERM to the master, which ends
// its children; stragglers such as login processes still holding clients
// are killed) and waits until the IMAP ports are closed. About 1.1 s.
func (s *Stack) StopDovecot() error {
	s.dovecotMu.Lock()
	defer s.dovecotMu.Unlock()
	return s.stopDovecot()
}

func (s *Stack) stopDovecot() error {
	pid := s.dovecotPID()
	if pid == 0 {
		return nil
	}
	if err := stopSession(pid, dovecotStopTimeout); err != nil {
		return fmt.Errorf("stop dovecot: %w", err)
	}
	if err := waitClosed(5*time.Second, s.IMAPAddr(), s.IMAPSAddr()); err != nil {
		return fmt.Errorf("stop dovecot: %w", err)
	}
	return nil
}

// KillDovecot sends SIGKILL to the Dovecot master and all its children (a
// crash: clients see their connections drop) and waits until they are gone.
func (s *Stack) KillDovecot() error {
	s.dovecotMu.Lock()
	defer s.dovecotMu.Unlock()
	pid := s.dovecotPID()
	if pid == 0 {
		return nil
	}
	if err := killSession(pid, 5*time.Second); err != nil {
		return fmt.Errorf("kill dovecot: %w", err)
	}
	_ = os.Remove(filepath.Join(s.l.DovecotRun, "master.pid"))
	if err := waitClosed(5*time.Second, s.IMAPAddr(), s.IMAPSAddr()); err != nil {
		return fmt.Errorf("kill dovecot: %w", err)
	}
	return nil
}

// RestartDovecot stops Dovecot gracefully and starts it again.
func (s *Stack) RestartDovecot() error {
	s.dovecotMu.Lock()
	defer s.dovecotMu.Unlock()
	if err := s.stopDovecot(); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if err := s.startDovecot(); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}

// runLogged runs a server's start command with stdin from /dev/null and
// stdout/stderr appended to the start log. Never a pipe: the Dovecot master
// keeps its stderr open for its whole life, so a pipe would never see EOF.
func (s *Stack) runLogged(what, bin string, args ...string) error {
	logf, err := os.OpenFile(s.l.StartLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "%s: %s %v\n", time.Now().Format(time.RFC3339Nano), bin, args)
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = s.StateDir
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
