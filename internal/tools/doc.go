// Package tools defines mailmcp's MCP tools: one registry of self-describing
// tools (name, title, description, schemas, all four annotations, whether it
// writes) with thin handlers over imapconn and parse.
//
// Errors the agent can act on (bad argument, unknown folder, login refused,
// timeout) come back as tool results with isError set and a next step; only
// programmer faults are Go errors.
package tools
