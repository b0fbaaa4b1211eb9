// Package httpfront is the HTTP side of 'mailmcp serve --http': the
// streamable HTTP (/mcp) and legacy SSE (/sse) transports of an MCP server
// behind bearer-token authentication, an Origin/Host guard against DNS
// rebinding, body and session limits, an access log, and the /healthz,
// /readyz and /metrics endpoints.
//
// Tokens are secrets: they come from a file or the environment
// (MAILMCP_HTTP_TOKEN_FILE, MAILMCP_HTTP_TOKEN), never from a flag, and
// only their SHA-256 digests are kept.
package httpfront
