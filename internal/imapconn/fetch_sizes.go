package imapconn

import (
	"context"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/parse"
)

// decodedSizes asks a server with BINARY (RFC 3516; part of IMAP4rev2)
// for the exact decoded size of every encoded leaf part whose body was not
// downloaded, so fetch_message lists the size get_attachment will deliver
// instead of an estimate from the encoded size (a base64 attachment's
// padding alone makes that off by up to two bytes). Best effort, in a
// FETCH of its own after the message was read: a server that refuses (NO
// [UNKNOWN-CTE]) or even drops the connection on a malformed part (Dovecot
// 2.3 does, on a base64-encoded multipart of the corpus) leaves the
// estimates and costs fetch_message nothing.
func (p *Pool) decodedSizes(ctx context.Context, ref MessageRef, tree *partTree) {
	byID := map[string]*parse.Part{}
	var items []*imap.FetchItemBinarySectionSize
	for _, part := range tree.all {
		if len(part.Children) > 0 || part.Message != nil || part.Body != nil || part.Octets <= 0 {
			continue
		}
		mt := strings.ToLower(part.MediaType)
		if strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(part.Encoding)) {
		case "base64", "quoted-printable":
		default:
			continue // 7bit, 8bit, binary: the encoded size is the size
		}
		path, ok := parsePartID(part.ID)
		if !ok || byID[part.ID] != nil {
			continue
		}
		byID[part.ID] = part
		items = append(items, &imap.FetchItemBinarySectionSize{Part: path})
	}
	if len(items) == 0 {
		return
	}
	sizes := map[string]int64{}
	err := p.Do(ctx, Op{Name: "fetch sizes", Folder: ref.Folder}, func(ctx context.Context, c *Conn) error {
		clear(sizes)
		if !c.Has(imap.CapBinary) {
			return nil
		}
		if err := ref.checkValidity(c); err != nil {
			return err
		}
		cmd := c.c.Fetch(imap.UIDSetNum(ref.UID), &imap.FetchOptions{UID: true, BinarySectionSize: items})
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			for item := msg.Next(); item != nil; item = msg.Next() {
				if it, ok := item.(imapclient.FetchItemDataBinarySectionSize); ok && it.Size > 0 {
					sizes[partID(it.Part)] = int64(it.Size)
				}
			}
		}
		return cmd.Close()
	})
	if err != nil {
		p.log.Debug("BINARY.SIZE failed; attachment sizes stay estimates", "err", err)
		return
	}
	for id, n := range sizes {
		if part := byID[id]; part != nil {
			part.DecodedSize = n
		}
	}
}
