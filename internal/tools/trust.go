package tools

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/parse"
)

// Known correspondents are learned from the newest Sent messages at most
// once per seedEvery, bounded to seedMessages envelopes (envelopes only:
// cheap), and grow with every send.
const (
	seedEvery    = 24 * time.Hour
	seedMessages = 300
	knownMax     = 5000
)

// trustFor computes the trust signals of a message fetched from folder. It
// never fails the fetch: without a ledger the new-sender and
// correspondent-lookalike checks are skipped.
func trustFor(ctx context.Context, d *Deps, p *imapconn.Pool, folder string, m *parse.Message, from string) policy.Trust {
	acct := p.Account()
	ids, why := authServIDs(d, acct)
	in := policy.TrustInput{ProviderAuthServIDs: ids, NoVerdicts: why}
	if _, own, ok := strings.Cut(strings.ToLower(acct.Email), "@"); ok {
		in.OwnDomain = own
	}
	if in.NoVerdicts == "" {
		in.NoVerdicts = savedNotDelivered(ctx, p, folder)
	}
	if d.Ledger != nil {
		seedKnown(ctx, d, p)
		if set, err := d.Ledger.KnownSet(ctx, acct.ID, knownMax); err == nil {
			in.Known = func(a string) bool { return set[a] }
			domains := map[string]bool{}
			if _, own, ok := strings.Cut(strings.ToLower(acct.Email), "@"); ok {
				domains[own] = true
			}
			for a := range set {
				if _, dom, ok := strings.Cut(a, "@"); ok {
					domains[dom] = true
				}
			}
			for dom := range domains {
				in.KnownDomains = append(in.KnownDomains, dom)
			}
		}
	}
	// The account's own address is never a "new sender".
	if in.Known != nil {
		self, _ := policy.NormAddress(acct.Email)
		known := in.Known
		in.Known = func(a string) bool { return a == self || known(a) }
	}
	return policy.Assess(m, from, in)
}

// authServIDs are the Authentication-Results producers to believe for an
// account: configured ones, else the provider preset's, else the IMAP
// host's registrable domain and its subdomains. An IP or localhost IMAP
// host (a local bridge, a test server) names no domain: then no header is
// believed, and why says so.
func authServIDs(d *Deps, acct *imapconn.Account) (ids []string, why string) {
	if ids := accountInfo(d, acct.ID).AuthServIDs; len(ids) > 0 {
		return ids, ""
	}
	if ids := policy.ProviderAuthServIDs(acct.Provider); len(ids) > 0 {
		return ids, ""
	}
	host := strings.ToLower(strings.TrimSuffix(acct.IMAP.Host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return nil, policy.NoAuthServIDs
	}
	dom, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return nil, policy.NoAuthServIDs
	}
	return []string{dom, "." + dom}, ""
}

// savedNotDelivered says why a message in the Drafts or Sent folder has no
// verdicts: it was saved there (APPENDed) by a client, with whatever
// headers its author wrote, not delivered by the server.
func savedNotDelivered(ctx context.Context, p *imapconn.Pool, folder string) string {
	for _, role := range []string{"drafts", "sent"} {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		f, err := p.FolderForRole(rctx, role)
		cancel()
		if err == nil && f == folder {
			return "no trusted authentication results: the message is in " + f + ", saved there by a mail client rather than delivered, so its Authentication-Results headers are not verdicts"
		}
	}
	return ""
}

// seedKnown learns known correspondents from the Sent folder when that
// has not been done recently, from the messages the account itself sent
// (sentByAccount). Failures are logged, never fatal.
func seedKnown(ctx context.Context, d *Deps, p *imapconn.Pool) {
	id := p.Account().ID
	if t, err := d.Ledger.SeededAt(ctx, id); err != nil || time.Since(t) < seedEvery {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	sent, err := p.FolderForRole(sctx, "sent")
	if err != nil {
		d.Log.Debug("known correspondents: no Sent folder", "account", id, "err", err)
		_ = d.Ledger.MarkSeeded(ctx, id)
		return
	}
	self, _ := policy.NormAddress(p.Account().Email)
	var addrs []string
	cursor := ""
	for n := 0; n < seedMessages; {
		page, err := p.Search(sctx, sent, imapconn.Criteria{}, 100, cursor)
		if err != nil {
			d.Log.Warn("known correspondents: reading Sent", "account", id, "err", err)
			return
		}
		for _, e := range page.Messages {
			if !sentByAccount(ctx, d, id, self, e) {
				continue
			}
			for _, a := range append(append([]imapconn.Address(nil), e.To...), e.Cc...) {
				if na, err := policy.NormAddress(a.Email); err == nil {
					addrs = append(addrs, na)
				}
			}
		}
		n += len(page.Messages)
		if page.NextCursor == "" || len(page.Messages) == 0 {
			break
		}
		cursor = page.NextCursor
	}
	if err := d.Ledger.AddKnown(ctx, id, addrs); err != nil {
		d.Log.Warn("known correspondents: store", "account", id, "err", err)
		return
	}
	_ = d.Ledger.MarkSeeded(ctx, id)
}

// sentByAccount reports whether a message in Sent may teach known
// correspondents (issue 14, item 3): its only From is the account's
// address, it has a Message-ID, and the agent did not place it there with
// copy or move. Mail that arrived from others never counts, so a crafted
// message copied into Sent cannot make its recipients "known".
func sentByAccount(ctx context.Context, d *Deps, account, self string, e imapconn.Envelope) bool {
	if len(e.From) != 1 || e.MessageID == "" {
		return false
	}
	if n, err := policy.NormAddress(e.From[0].Email); err != nil || n != self {
		return false
	}
	placed, err := d.Ledger.Placed(ctx, account, e.MessageID)
	return err == nil && !placed
}

// trustText is the server's own line about the sender, placed before the
// untrusted content so that no message can forge or hide it.
func trustText(t policy.Trust) string {
	var b strings.Builder
	b.WriteString("Sender checks (by mailmcp): ")
	switch {
	case t.Unverified && t.UnverifiedWhy != "":
		b.WriteString(t.UnverifiedWhy)
	case t.Unverified:
		b.WriteString("no authentication results from your provider")
	default:
		fmt.Fprintf(&b, "spf=%s dkim=%s dmarc=%s (by %s)", or(t.SPF, "none"), or(t.DKIM, "none"), or(t.DMARC, "none"), t.VerifiedBy)
	}
	b.WriteString("\n")
	for _, w := range t.Warnings {
		b.WriteString("Warning: " + w + "\n")
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
