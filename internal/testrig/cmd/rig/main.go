// Command rig runs the mailmcp test mail stack outside `go test`, so several
// test binaries (or a developer's shell) can share one stack.
//
//	rig up [-json FILE] [-keep]   start, write the stack description to FILE
//	                              once every listener is ready, then serve
//	                              until SIGINT/SIGTERM and stop the stack
//	rig down FILE                 ask the `rig up` that wrote FILE to stop
//
// Tests attach with MAILMCP_RIG=FILE (see testrig.Require). The `rig up`
// process must keep running: it serves the OAuth introspection endpoint and
// the Postfix socketmap.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "down":
		err = down(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "rig: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: rig up [-json FILE] [-keep] | rig down FILE")
	os.Exit(2)
}

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	jsonPath := fs.String("json", "", "also copy the stack description (rig.json) to this file once ready")
	keep := fs.Bool("keep", false, "keep the state directory (logs, mail) after stopping")
	_ = fs.Parse(args)

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	s, err := testrig.Start(testrig.Options{KeepState: *keep})
	if err != nil {
		return err
	}
	defer s.Close()
	desc := s.RigFile()
	if *jsonPath != "" {
		b, err := os.ReadFile(s.RigFile())
		if err != nil {
			return fmt.Errorf("up: %w", err)
		}
		tmp := *jsonPath + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return fmt.Errorf("up: %w", err)
		}
		if err := os.Rename(tmp, *jsonPath); err != nil {
			return fmt.Errorf("up: %w", err)
		}
		desc = *jsonPath
	}
	fmt.Printf("rig: up in %v: IMAP %s IMAPS %s submission %s submissions %s MX %s\n",
		s.StartDuration().Round(time.Millisecond), s.IMAPAddr(), s.IMAPSAddr(), s.SubmissionAddr(), s.SubmissionsAddr(), s.MXAddr())
	fmt.Printf("export %s=%s\n", testrig.EnvRig, desc)
	<-sigs
	t0 := time.Now()
	if err := s.Close(); err != nil {
		return err
	}
	if *jsonPath != "" {
		_ = os.Remove(*jsonPath)
	}
	fmt.Printf("rig: stopped in %v\n", time.Since(t0).Round(time.Millisecond))
	return nil
}

func down(args []string) error {
	if len(args) != 1 {
		usage()
	}
	return testrig.Down(args[0], 20*time.Second)
}
