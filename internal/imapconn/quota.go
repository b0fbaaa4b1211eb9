package imapconn

import (
	"context"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// Quota is one quota root's usage (RFC 9208). Absent fields mean the
// server reports no such resource.
type Quota struct {
	Root         string `json:"root"`
	StorageUsed  *int64 `json:"storage_used_bytes,omitempty"`
	StorageLimit *int64 `json:"storage_limit_bytes,omitempty"`
	Messages     *int64 `json:"messages,omitempty"`
	MessageLimit *int64 `json:"message_limit,omitempty"`
}

// Quota returns the quota roots of INBOX (GETQUOTAROOT), or nil when the
// server does not offer QUOTA.
func (p *Pool) Quota(ctx context.Context) ([]Quota, error) {
	var out []Quota
	err := p.Do(ctx, Op{Name: "get quota", Idempotent: true}, func(ctx context.Context, c *Conn) error {
		out = nil
		if !c.Has(imap.CapQuota) {
			return nil
		}
		data, err := c.c.GetQuotaRoot("INBOX").Wait()
		if err != nil {
			return err
		}
		for _, d := range data {
			q := Quota{Root: d.Root}
			if r, ok := d.Resources[imap.QuotaResourceStorage]; ok {
				// STORAGE is in units of 1024 octets (RFC 9208 5.1).
				used, limit := r.Usage*1024, r.Limit*1024
				q.StorageUsed, q.StorageLimit = &used, &limit
			}
			if r, ok := d.Resources[imap.QuotaResourceMessage]; ok {
				used, limit := r.Usage, r.Limit
				q.Messages, q.MessageLimit = &used, &limit
			}
			out = append(out, q)
		}
		return nil
	})
	return out, err
}

// KnownCaps returns the capabilities of an idle pooled connection without
// connecting, or nil when none is open.
func (p *Pool) KnownCaps() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil
	}
	// Every connection of a pool talks to the same server, so any one's
	// capabilities are the pool's.
	c := p.idle[0]
	caps := make([]string, 0, len(c.caps))
	for cp := range c.caps {
		caps = append(caps, string(cp))
	}
	slices.Sort(caps)
	return caps
}

// features names what mailmcp uses from a capability list, in a fixed order.
var features = []struct {
	name string
	caps []imap.Cap // any of them (CapSet.Has knows what IMAP4rev2 implies)
}{
	{"move", []imap.Cap{imap.CapMove}},
	{"uidplus", []imap.Cap{imap.CapUIDPlus}},
	{"idle", []imap.Cap{imap.CapIdle}},
	{"condstore", []imap.Cap{imap.CapCondStore}},
	{"qresync", []imap.Cap{imap.CapQResync}},
	{"quota", []imap.Cap{imap.CapQuota}},
	{"special-use", []imap.Cap{imap.CapSpecialUse}},
	{"list-status", []imap.Cap{imap.CapListStatus}},
	{"esearch", []imap.Cap{imap.CapESearch}},
	{"thread", []imap.Cap{"THREAD=REFERENCES"}},
	{"sort", []imap.Cap{imap.CapSort}},
	{"utf8", []imap.Cap{imap.CapUTF8Accept}},
	{"literal+", []imap.Cap{imap.CapLiteralPlus, imap.CapLiteralMinus}},
	{"compress", []imap.Cap{"COMPRESS=DEFLATE"}},
	{"gmail", []imap.Cap{CapGmail}},
}

// Features summarises capabilities as the feature names mailmcp uses:
// move, uidplus, idle, condstore, qresync, quota, special-use, list-status,
// esearch, thread, sort, utf8, literal+, compress, gmail.
func Features(caps []string) []string {
	set := imap.CapSet{}
	for _, c := range caps {
		set[imap.Cap(c)] = struct{}{}
	}
	out := []string{}
	for _, f := range features {
		if slices.ContainsFunc(f.caps, set.Has) {
			out = append(out, f.name)
		}
	}
	return out
}
