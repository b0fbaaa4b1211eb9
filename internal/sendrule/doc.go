// Package sendrule holds the parsed form of an account's send policy
// settings: the mode and the recipient allowlist. It is a leaf (standard
// library and x/net/idna only) so that config can validate and type these
// settings without importing policy, compose and the Markdown renderer;
// policy evaluates them.
package sendrule
