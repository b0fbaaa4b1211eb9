package testrig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// rigState is the JSON description of a stack written to rig.json. It lets
// other processes attach (MAILMCP_RIG) and lets the next start clean up a
// stack whose owner died.
type rigState struct {
	Host            string `json:"host"`
	Domain          string `json:"domain"`
	IMAPPort        int    `json:"imap_port"`
	IMAPSPort       int    `json:"imaps_port"`
	POP3Port        int    `json:"pop3_port"`
	POP3SPort       int    `json:"pop3s_port"`
	SubmissionPort  int    `json:"submission_port"`
	SubmissionsPort int    `json:"submissions_port"`
	MXPort          int    `json:"mx_port"`
	CAFile          string `json:"ca_file"`
	StateDir        string `json:"state_dir"`
	OAuthURL        string `json:"oauth_introspection_url"`
	SocketmapAddr   string `json:"socketmap_addr"`
	OwnerPID        int    `json:"owner_pid"`
	OwnerCmdline    string `json:"owner_cmdline"`
	Keep            bool   `json:"keep,omitempty"`
}

func (s *Stack) saveState() error {
	st := rigState{
		Host: s.Host, Domain: s.Domain,
		IMAPPort: s.IMAPPort, IMAPSPort: s.IMAPSPort, POP3Port: s.POP3Port, POP3SPort: s.POP3SPort,
		SubmissionPort: s.SubmissionPort, SubmissionsPort: s.SubmissionsPort, MXPort: s.MXPort,
		CAFile: s.CAFile, StateDir: s.StateDir,
		OAuthURL: s.oauthURL, SocketmapAddr: s.socketmapAddr,
		OwnerPID: os.Getpid(), OwnerCmdline: cmdline(os.Getpid()),
		Keep: s.keep,
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("save rig state: %w", err)
	}
	tmp := s.l.RigFile + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save rig state: %w", err)
	}
	if err := os.Rename(tmp, s.l.RigFile); err != nil {
		return fmt.Errorf("save rig state: %w", err)
	}
	return nil
}

func loadState(path string) (rigState, error) {
	var st rigState
	b, err := os.ReadFile(path)
	if err != nil {
		return st, fmt.Errorf("load rig state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("load rig state %s: %w", path, err)
	}
	if st.StateDir == "" || !filepath.IsAbs(st.StateDir) {
		return st, fmt.Errorf("load rig state %s: no absolute state_dir", path)
	}
	return st, nil
}

// Attach returns a Stack for a stack another process started and described
// in the rig.json file at path (what MAILMCP_RIG names). The owner keeps
// serving the OAuth endpoint and the socketmap; users and tokens made here
// reach it through files in the state directory. Close does nothing.
func Attach(path string) (*Stack, error) {
	st, err := loadState(path)
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	if !alive(st.OwnerPID) {
		return nil, fmt.Errorf("attach %s: owner process %d is gone", path, st.OwnerPID)
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	pool, err := loadCAPool(st.CAFile)
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	s := &Stack{
		Host: st.Host, Domain: st.Domain,
		IMAPPort: st.IMAPPort, IMAPSPort: st.IMAPSPort, POP3Port: st.POP3Port, POP3SPort: st.POP3SPort,
		SubmissionPort: st.SubmissionPort, SubmissionsPort: st.SubmissionsPort, MXPort: st.MXPort,
		CAFile: st.CAFile, CAPool: pool, StateDir: st.StateDir,
		l: newLayout(st.StateDir), bins: bins,
		oauthURL: st.OAuthURL, socketmapAddr: st.SocketmapAddr,
	}
	if s.dovecotPID() == 0 || s.postfixPID() == 0 {
		return nil, fmt.Errorf("attach %s: dovecot or postfix is not running", path)
	}
	return s, nil
}

// Down asks the process that started the stack described by the rig.json at
// path (a `rig up`) to stop it, and waits until that process is gone.
func Down(path string, timeout time.Duration) error {
	st, err := loadState(path)
	if err != nil {
		return fmt.Errorf("down: %w", err)
	}
	pid := st.OwnerPID
	if !alive(pid) || cmdline(pid) != st.OwnerCmdline {
		return fmt.Errorf("down: stack owner %d is not running", pid)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("down: signal %d: %w", pid, err)
	}
	if err := waitGone(timeout, pid); err != nil {
		return fmt.Errorf("down: %w", err)
	}
	return nil
}
