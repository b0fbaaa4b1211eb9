package policy

import (
	"regexp"
	"strings"
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
	{"password assignment", regexp.MustCompile(`(?i)\b(?:password|passwd|pwd|passphrase)\s*[:=]\s*\S{6,}`)},
}

// otpContext is wording that surrounds one-time codes in received mail.
var otpContext = regexp.MustCompile(`(?i)(verification|security|confirmation|login|sign[- ]?in|one[- ]time|authentication|2fa|two[- ]factor|otp|passcode|access) ?(code|password|pin)|\bcode is\b|\byour code\b`)

// otpCode is a standalone 4-8 digit number (optionally split 3-3).
var otpCode = regexp.MustCompile(`\b\d{3}[ -]?\d{3}\b|\b\d{4,8}\b`)

// ScanText looks for secrets in one piece of outgoing text; where names
// it in findings ("body", "attachment report.txt", …).
func ScanText(where, text string) []Finding {
	var out []Finding
	for _, r := range secretRules {
		if r.re.MatchString(text) {
			out = append(out, Finding{Kind: r.kind, Where: where})
		}
	}
	if hasOTP(text) {
		out = append(out, Finding{Kind: "one-time code", Where: where})
	}
	return out
}

// hasOTP reports a one-time code: a short number within a few lines of
// one-time-code wording, as when a received login code is pasted or
// forwarded.
func hasOTP(text string) bool {
	locs := otpContext.FindAllStringIndex(text, 8)
	for _, l := range locs {
		start, end := l[0]-200, l[1]+200
		if start < 0 {
			start = 0
		}
		if end > len(text) {
			end = len(text)
		}
		window := text[start:end]
		for _, m := range otpCode.FindAllString(window, -1) {
			if !looksLikeYear(m) {
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
