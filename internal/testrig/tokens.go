package testrig

import (
	"fmt"
	"os"
	"strings"
)

// Bearer tokens live in an append-only file in the state directory
// ("<token> <email>" issues, "-<token>" revokes), so every process attached
// to the stack can issue and revoke, and the owner's introspection endpoint
// sees the change on the next request.

// IssueToken returns a new bearer token that the introspection endpoint
// reports as active for u. Tokens are random, so tests never share one.
func (s *Stack) IssueToken(u User) string {
	tok := "tok-" + randomHex(16)
	if err := appendLine(s.l.LockFile, s.l.TokensFile, tok+" "+strings.ToLower(u.Username)); err != nil {
		// Only a broken state directory gets here; a test cannot go on.
		panic(fmt.Sprintf("testrig: issue token: %v", err))
	}
	return tok
}

// AddToken makes the introspection endpoint accept a token minted
// elsewhere (e.g. by auth/oauthtest during a real login flow) for u.
func (s *Stack) AddToken(u User, token string) {
	if token == "" || strings.ContainsAny(token, " \n") {
		panic("testrig: AddToken: token must be non-empty without spaces")
	}
	if err := appendLine(s.l.LockFile, s.l.TokensFile, token+" "+strings.ToLower(u.Username)); err != nil {
		panic(fmt.Sprintf("testrig: add token: %v", err))
	}
}

// RevokeToken makes the endpoint report token as inactive from now on.
func (s *Stack) RevokeToken(token string) {
	if err := appendLine(s.l.LockFile, s.l.TokensFile, "-"+token); err != nil {
		panic(fmt.Sprintf("testrig: revoke token: %v", err))
	}
}

// lookupToken returns the user a token belongs to, or "" when the token is
// unknown or revoked.
func (s *Stack) lookupToken(token string) (string, error) {
	if token == "" || strings.ContainsAny(token, " \n") {
		return "", nil
	}
	b, err := readLocked(s.l.LockFile, s.l.TokensFile)
	if err != nil {
		return "", fmt.Errorf("lookup token: %w", err)
	}
	user := ""
	for _, line := range strings.Split(string(b), "\n") {
		if line == "-"+token {
			user = ""
			continue
		}
		if t, u, ok := strings.Cut(line, " "); ok && t == token {
			user = u
		}
	}
	return user, nil
}

func createTokensFile(path string) error {
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return fmt.Errorf("create tokens file: %w", err)
	}
	return nil
}
