package testrig

import (
	"fmt"
	"io"
	"os/exec"
	"syscall"
)

// reaper is a tiny shell process that outlives a crashed owner. It blocks
// reading a pipe from the owner; a clean Close writes "done" and it exits.
// If the owner dies first (a test panicked, go test's -timeout fired, the
// binary got SIGKILL), the read returns EOF and it stops Dovecot and Postfix
// itself, checking that each PID still belongs to this state directory.
type reaper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

const reaperScript = `
S="$1"; KEEP="$2"
read line
[ "$line" = done ] && exit 0
# kill_session SID: SIGKILL every process whose session is SID
kill_session() {
  for f in /proc/[0-9]*/stat; do
    l=$(cat "$f" 2>/dev/null) || continue
    set -- ${l##*") "}
    if [ "$4" = "$SID" ]; then p=${f#/proc/}; kill -KILL "${p%/stat}" 2>/dev/null; fi
  done
}
dpid=$(tr -dc 0-9 < "$S/dovecot/run/master.pid" 2>/dev/null)
if [ -n "$dpid" ] && tr '\0' ' ' < "/proc/$dpid/cmdline" 2>/dev/null | grep -qF -- "$S/dovecot/dovecot.conf"; then
  kill -TERM "$dpid"
else
  dpid=""
fi
ppid=$(tr -dc 0-9 < "$S/postfix/spool/pid/master.pid" 2>/dev/null)
if [ -n "$ppid" ] && [ "$(readlink "/proc/$ppid/cwd")" = "$S/postfix/spool" ]; then
  kill -TERM "$ppid"
else
  ppid=""
fi
i=0
while [ -n "$dpid" ] && [ -d "/proc/$dpid" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
for SID in $dpid $ppid; do kill_session; done
[ "$KEEP" = 1 ] || rm -rf "$S"
`

func startReaper(l layout, keep bool) (*reaper, error) {
	k := "0"
	if keep {
		k = "1"
	}
	cmd := exec.Command("/bin/sh", "-c", reaperScript, "testrig-reaper", l.StateDir, k)
	// Own session: a Ctrl-C to the test's process group must not kill it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start reaper: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start reaper: %w", err)
	}
	return &reaper{cmd: cmd, stdin: stdin}, nil
}

// done tells the reaper the stack was stopped cleanly and waits for it.
func (r *reaper) done() {
	if r == nil {
		return
	}
	_, _ = io.WriteString(r.stdin, "done\n")
	_ = r.stdin.Close()
	_ = r.cmd.Wait()
}
