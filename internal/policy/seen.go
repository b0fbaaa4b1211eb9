package policy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
)

// Codes and secrets seen in received mail are remembered, keyed-hashed
// (HMAC-SHA-256 with a random key kept in the state store; never the
// values themselves), for SeenTTL, so that a send carrying one of them —
// pasted, re-spaced, full-width, base64-encoded, without any of the
// wording around it — is held for confirmation like a send that looks
// like a code. Every mailmcp process of a state directory shares them.

const (
	// SeenTTL is how long a code or secret from received mail is
	// remembered: one-time codes live minutes, reset links a day or two.
	SeenTTL = 72 * time.Hour
	// maxSeenPerText bounds what one received text records.
	maxSeenPerText = 64
	// maxMatchCandidates bounds the hashes computed for one outgoing text.
	maxMatchCandidates = 1000000
	seenKeyName        = "seen-key"
)

func seenBucket(account string) string { return "policy.seen." + account }

// ReceivedSecrets extracts from received text what a send must not carry
// out unconfirmed: 4-8 digit codes near one-time-code wording (digits
// joined across spaces and separators), values of password assignments,
// and tokens in the formats of secretRules. Values are normalised as the
// outgoing side normalises them.
func ReceivedSecrets(text string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		v = compact(v)
		if len(v) < 4 || seen[v] || len(out) >= maxSeenPerText {
			return
		}
		seen[v] = true
		out = append(out, v)
	}
	for _, v := range variants(text) {
		for _, w := range otpWindows(v) {
			for _, g := range digitGroups(w) {
				if len(g) >= 4 && len(g) <= 8 && !looksLikeYear(g) {
					add(g)
				}
			}
		}
		for _, r := range secretRules {
			if r.kind == "private key" {
				continue
			}
			for _, m := range r.re.FindAllStringSubmatch(v, 16) {
				val := m[0]
				if len(m) > 1 && m[1] != "" {
					val = m[1]
					if notAPassword[strings.ToLower(strings.TrimRight(val, ".,;:!?"))] {
						continue
					}
				}
				add(strings.TrimRight(val, ".,;:!?"))
			}
		}
	}
	return out
}

// compact is the matching form of a value: lower case, separators out.
func compact(v string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(codeSep, r) || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, strings.ToLower(v))
}

// RecordSeen remembers the codes and secrets in received texts (a message
// read or fetched) for SeenTTL. Nothing is written when there are none.
func (l *Ledger) RecordSeen(ctx context.Context, account string, texts ...string) error {
	var vals []string
	for _, t := range texts {
		vals = append(vals, ReceivedSecrets(t)...)
	}
	if len(vals) == 0 {
		return nil
	}
	exp := make([]byte, 8)
	binary.BigEndian.PutUint64(exp, uint64(l.now().Add(SeenTTL).Unix()))
	return l.st.Update(ctx, func(tx store.Tx) error {
		key, err := seenKey(tx)
		if err != nil {
			return err
		}
		b := tx.Bucket(seenBucket(account))
		for _, v := range vals {
			if err := b.Put(seenHash(key, v), exp); err != nil {
				return fmt.Errorf("policy: record seen secrets: %w", err)
			}
		}
		return nil
	})
}

// seenKey returns the store's HMAC key, creating it on first use.
func seenKey(tx store.Tx) ([]byte, error) {
	meta := tx.Bucket("policy.meta")
	if k := meta.Get(seenKeyName); len(k) == 32 {
		return append([]byte(nil), k...), nil
	}
	if !tx.Writable() {
		return nil, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := meta.Put(seenKeyName, k); err != nil {
		return nil, fmt.Errorf("policy: seen-secrets key: %w", err)
	}
	return k, nil
}

func seenHash(key []byte, v string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// SeenSet is an account's unexpired seen codes and secrets, loaded once
// for one outgoing message. The zero value and nil match nothing.
type SeenSet struct {
	key    []byte
	hashes map[string]bool
}

// SeenSecrets loads the account's unexpired seen codes and secrets and
// drops expired ones.
func (l *Ledger) SeenSecrets(ctx context.Context, account string) (*SeenSet, error) {
	s := &SeenSet{hashes: map[string]bool{}}
	now := uint64(l.now().Unix())
	var expired []string
	err := l.st.View(ctx, func(tx store.Tx) error {
		k, err := seenKey(tx)
		if err != nil || k == nil {
			return err
		}
		s.key = k
		return tx.Bucket(seenBucket(account)).Scan(store.ScanOptions{}, func(h string, v []byte) error {
			if len(v) == 8 && binary.BigEndian.Uint64(v) < now {
				expired = append(expired, h)
				return nil
			}
			s.hashes[h] = true
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("policy: load seen secrets: %w", err)
	}
	if len(expired) > 0 {
		_ = l.st.Update(ctx, func(tx store.Tx) error {
			b := tx.Bucket(seenBucket(account))
			for _, h := range expired {
				if err := b.Delete(h); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return s, nil
}

// Match reports whether text carries a seen code or secret, in any of the
// forms variants produces: digit windows of 4-8 digits out of numbers
// written with separators, word tokens, and whitespace-separated words
// (passwords with punctuation). Past maxMatchCandidates it stops and
// reports unchecked: the caller treats that as a match (fail closed), so
// padding cannot push a code beyond the check.
func (s *SeenSet) Match(text string) (hit, unchecked bool) {
	if s == nil || len(s.hashes) == 0 {
		return false, false
	}
	n := 0
	try := func(v string) bool {
		n++
		return s.hashes[seenHash(s.key, v)]
	}
	for _, v := range variants(text) {
		for _, g := range digitGroups(v) {
			for size := 4; size <= 8 && size <= len(g); size++ {
				for i := 0; i+size <= len(g); i++ {
					if try(g[i : i+size]) {
						return true, false
					}
				}
			}
			if n > maxMatchCandidates {
				return false, true
			}
		}
		lower := strings.ToLower(v)
		for _, t := range alnumTokens(lower, 4) {
			if try(t) || try(compact(t)) {
				return true, false
			}
		}
		// Words, and runs of up to six words joined: a password or token
		// split by spaces ("Xq7p Lm2z Rv") or carrying punctuation.
		for _, line := range strings.Split(lower, "\n") {
			words := strings.Fields(line)
			for i := range words {
				words[i] = compact(strings.Trim(words[i], ".,;:!?\"'“”()<>[]"))
			}
			for i := range words {
				joined := ""
				for k := i; k < len(words) && k < i+6; k++ {
					joined += words[k]
					if len(joined) >= 4 && try(joined) {
						return true, false
					}
				}
			}
			if n > maxMatchCandidates {
				return false, true
			}
		}
		if n > maxMatchCandidates {
			return false, true
		}
	}
	return false, false
}

// seenFindings checks one piece of outgoing content against seen.
func seenFindings(seen *SeenSet, t Text) []Finding {
	switch hit, unchecked := seen.Match(t.Text); {
	case hit:
		return []Finding{{Kind: "code or secret from received mail", Where: t.Where}}
	case unchecked:
		return []Finding{{Kind: "too large to check for codes from received mail", Where: t.Where}}
	}
	return nil
}
