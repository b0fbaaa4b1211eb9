package policy

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Finding is one suspected secret in outgoing content. It names the kind
// and where, never the secret itself.
type Finding struct {
	Kind  string `json:"kind"`
	Where string `json:"where"`
}

type secretRule struct {
	kind string
	re   *regexp.Regexp
}

// secretRules are formats that are hard to produce by accident. They err on
// the side of a confirmation with a warning, never on a silent send.
var secretRules = []secretRule{
	{"private key", regexp.MustCompile(`-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----`)},
	{"AWS access key", regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"GitHub token", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b`)},
	{"GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}\b`)},
	{"Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}\b`)},
	{"Stripe secret key", regexp.MustCompile(`\b[rs]k_live_[A-Za-z0-9]{20,}\b`)},
	{"Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}\b`)},
	{"OpenAI or Anthropic API key", regexp.MustCompile(`\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{32,}\b`)},
	{"JSON web token", regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\b`)},
	{"password assignment", regexp.MustCompile(`(?i)\b(?:password|passwd|pwd|passphrase|passcode|pw|kennwort|mot de passe|contraseña)\s*(?:[:=]|\bis\b|\bwas\b)\s*["'“]?([^\s"'”]{4,})`)},
}

// notAPassword are words that follow "the password is" in ordinary
// prose ("the password is required").
var notAPassword = map[string]bool{
	"required": true, "incorrect": true, "wrong": true, "invalid": true, "expired": true, "correct": true,
	"missing": true, "empty": true, "changed": true, "reset": true, "being": true, "sent": true, "set": true,
	"stored": true, "saved": true, "encrypted": true, "hashed": true, "the": true, "your": true, "not": true,
	"too": true, "case-sensitive": true, "attached": true, "below": true, "above": true, "same": true,
	"still": true, "now": true, "also": true, "only": true, "valid": true, "weak": true, "strong": true,
}

// otpContext is wording that surrounds one-time codes in received mail.
var otpContext = regexp.MustCompile(`(?i)(verification|security|confirmation|login|log[- ]?in|sign[- ]?in|one[- ]time|authentication|auth|2fa|mfa|two[- ]factor|otp|passcode|access|activation|guard|recovery|reset|backup) ?(code|password|pin|number|key)|\bcode\s*(?:is|:)|\byour code\b|\bpin\s*(?:is|:)|\bpasscode\b|\botp\b|\btan\b`)

// ScanText looks for secrets in one piece of outgoing text; where names
// it in findings ("body", "attachment report.txt", …). The text is
// normalised and decoded first (see variants), so a full-width, spaced or
// base64-encoded secret is found like a plain one.
func ScanText(where, text string) []Finding {
	var out []Finding
	kinds := map[string]bool{}
	for _, v := range variants(text) {
		for _, r := range secretRules {
			if kinds[r.kind] {
				continue
			}
			if matchRule(r, v) {
				kinds[r.kind] = true
				out = append(out, Finding{Kind: r.kind, Where: where})
			}
		}
		if !kinds["one-time code"] && hasOTP(v) {
			kinds["one-time code"] = true
			out = append(out, Finding{Kind: "one-time code", Where: where})
		}
	}
	return out
}

func matchRule(r secretRule, v string) bool {
	if r.kind != "password assignment" {
		return r.re.MatchString(v)
	}
	for _, m := range r.re.FindAllStringSubmatch(v, 16) {
		if !notAPassword[strings.ToLower(strings.TrimRight(m[1], ".,;:!?"))] {
			return true
		}
	}
	return false
}

// otpWindows returns the text around one-time-code wording, where a code
// copied from received mail sits.
func otpWindows(text string) []string {
	var out []string
	for _, l := range otpContext.FindAllStringIndex(text, 16) {
		start, end := max(l[0]-200, 0), min(l[1]+200, len(text))
		for start > 0 && !utf8.RuneStart(text[start]) {
			start--
		}
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end++
		}
		out = append(out, text[start:end])
	}
	return out
}

// hasOTP reports a one-time code: a 4-8 digit number (its digits possibly
// spaced or grouped, "4 8 3 9 2 0", "48 39 20") within a few lines of
// one-time-code wording, as when a received login code is pasted or
// forwarded.
func hasOTP(text string) bool {
	for _, w := range otpWindows(text) {
		for _, g := range digitGroups(w) {
			if len(g) >= 4 && len(g) <= 8 && !looksLikeYear(g) {
				return true
			}
		}
	}
	return false
}

func looksLikeYear(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) == 4 && (strings.HasPrefix(s, "19") || strings.HasPrefix(s, "20"))
}
