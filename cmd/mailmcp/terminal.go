package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// A person who starts serve or demo in a terminal sees nothing happen:
// the process waits for JSON-RPC on stdin. noticeTerminal tells them, in
// one line on stderr, what it is doing and what to do instead. It says
// nothing when stdin is not a terminal (an MCP client started it) or when
// serving HTTP.
func noticeTerminal(command string, f serveFlags, stdin io.Reader, stderr io.Writer) {
	if f.httpAddr != "" || !isTerminal(stdin) {
		return
	}
	fmt.Fprintln(stderr, stdioNotice(command))
}

func stdioNotice(command string) string {
	return fmt.Sprintf("mailmcp %s speaks MCP on stdin/stdout and waits for an MCP client, not for typing: "+
		"let a client start it ('mailmcp setup claude-desktop --print' shows the config), "+
		"or run 'mailmcp %s --http 127.0.0.1:8025' and connect the client to http://127.0.0.1:8025/mcp. Ctrl-C stops.",
		command, command)
}

// isTerminal reports whether r is a terminal (not /dev/null, a pipe or a
// file).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
