// Package setup connects mailmcp to its surroundings: it adds the server
// to OpenClaw's and Claude Desktop's configuration files (merging into
// JSON5 while keeping the other settings and their order, with a
// timestamped backup), writes the OpenClaw skill, writes a systemd user
// unit or launchd agent for the daemon with its HTTP token file, and runs
// the interactive 'accounts add' wizard, whose config block is written by
// the TOML encoder.
//
// Clients are given an absolute path to a lasting mailmcp binary: a binary
// that 'go run' built in the build cache is refused (SelfPath).
package setup
