package testrig

import (
	"os"
	"path/filepath"
	"time"
)

// stateDirPrefix names the temporary state directories (os.MkdirTemp).
const stateDirPrefix = "mailmcp-rig-"

// cleanupLeftovers stops the stacks of earlier runs whose owner process is
// gone (a crash the reaper could not handle, e.g. the machine's processes
// were killed wholesale) and removes their state directories. Only PIDs
// whose command line or working directory points into such a directory are
// signalled.
func cleanupLeftovers(tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, stateDirPrefix+"*"))
	for _, dir := range dirs {
		st, err := loadState(filepath.Join(dir, "rig.json"))
		if err != nil {
			// Not (yet) a complete stack: maybe another process is just
			// creating it. Remove only old, empty-looking leftovers.
			if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > time.Hour {
				if _, err := os.Stat(filepath.Join(dir, "dovecot", "run", "master.pid")); err != nil {
					_ = os.RemoveAll(dir)
				}
			}
			continue
		}
		if st.StateDir != dir {
			continue
		}
		if alive(st.OwnerPID) && cmdline(st.OwnerPID) == st.OwnerCmdline {
			continue // still in use
		}
		l := newLayout(dir)
		if pid := dovecotMaster(l.DovecotRun, l.DovecotConf); pid != 0 {
			_ = stopSession(pid, 5*time.Second)
		}
		if pid := postfixMaster(l.PostfixQueue); pid != 0 {
			_ = stopSession(pid, 5*time.Second)
		}
		if !st.Keep {
			_ = os.RemoveAll(dir)
		}
	}
}
