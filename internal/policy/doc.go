// Package policy decides, in the server rather than in prompts, what an
// agent may send: the per-account send policy (disabled, drafts_only,
// confirm, allowlist, autonomous), single-use confirmations bound to the
// exact message, sending caps that hold across concurrent calls and
// processes, exfiltration guards (outgoing secrets, forwards to unknown
// recipients), and the trust signals attached to every message read
// (authentication verdicts from the account's own provider, display-name
// spoofing, first-time senders, lookalike domains).
//
// State that must be shared by every mailmcp process of a state directory
// (pending confirmations, cap counters, known correspondents) lives in the
// project's store; Decide itself is pure.
package policy
