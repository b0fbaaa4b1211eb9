// Package config loads mailmcp's configuration: a TOML file with any number
// of accounts, plus a single account described entirely by MAILMCP_*
// environment variables (for Docker and for MCP clients that only pass env).
//
// Loading never fails silently: every problem is reported with the file, the
// line and the key it concerns, so `mailmcp config check` can print them all
// at once. Secrets are never part of the configuration itself; an account
// names where its secret comes from (an environment variable, a file or a
// command's output).
package config
