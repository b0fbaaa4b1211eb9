package parse

import (
	"bufio"
	"strings"
)

// reportBlocks splits a delivery-status or disposition-notification body
// into its header-like field blocks (RFC 3464 §2.1: per-message fields,
// then one block per recipient, separated by blank lines).
func reportBlocks(text string) [][]rawField {
	var blocks [][]rawField
	br := bufio.NewReader(strings.NewReader(text))
	for {
		h, err := readHeader(br, false)
		if err != nil {
			break
		}
		if len(h.fields) > 0 {
			blocks = append(blocks, h.fields)
		}
		if h.eof {
			break
		}
		if h.leftover != nil && len(h.fields) == 0 {
			// Garbage line between blocks: skip it and go on.
			continue
		}
	}
	return blocks
}

func fieldValue(fs []rawField, name string) string {
	for _, f := range fs {
		if equalFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// typedAddress strips the address-type of a recipient field
// ("rfc822; user@example.com", RFC 3464 §2.3.1).
func typedAddress(v string) string {
	if _, rest, ok := strings.Cut(v, ";"); ok {
		v = rest
	}
	return DecodeHeader(strings.Trim(strings.TrimSpace(v), "<>"))
}

// parseDSN summarises a message/delivery-status body (RFC 3464 §2).
func parseDSN(text string) *DSNSummary {
	d := &DSNSummary{}
	for i, b := range reportBlocks(text) {
		if fieldValue(b, "Final-Recipient") == "" && fieldValue(b, "Original-Recipient") == "" && fieldValue(b, "Action") == "" {
			if i == 0 || d.ReportingMTA == "" {
				d.ReportingMTA = typedAddress(fieldValue(b, "Reporting-MTA"))
				d.OriginalEnvelopeID = DecodeHeader(fieldValue(b, "Original-Envelope-Id"))
				d.ArrivalDate = DecodeHeader(fieldValue(b, "Arrival-Date"))
			}
			continue
		}
		d.Recipients = append(d.Recipients, DSNRecipient{
			FinalRecipient:    typedAddress(fieldValue(b, "Final-Recipient")),
			OriginalRecipient: typedAddress(fieldValue(b, "Original-Recipient")),
			Action:            strings.ToLower(DecodeHeader(fieldValue(b, "Action"))),
			Status:            DecodeHeader(fieldValue(b, "Status")),
			Diagnostic:        typedAddress(fieldValue(b, "Diagnostic-Code")),
			RemoteMTA:         typedAddress(fieldValue(b, "Remote-MTA")),
		})
	}
	return d
}

// parseMDN summarises a message/disposition-notification body (RFC 8098 §3.2).
func parseMDN(text string) *MDNSummary {
	r := &MDNSummary{}
	for _, b := range reportBlocks(text) {
		if v := fieldValue(b, "Reporting-UA"); v != "" {
			r.ReportingUA = DecodeHeader(v)
		}
		if v := fieldValue(b, "Original-Recipient"); v != "" {
			r.OriginalRecipient = typedAddress(v)
		}
		if v := fieldValue(b, "Final-Recipient"); v != "" {
			r.FinalRecipient = typedAddress(v)
		}
		if v := fieldValue(b, "Original-Message-ID"); v != "" {
			r.OriginalMessageID = firstMsgID(v)
		}
		if v := fieldValue(b, "Disposition"); v != "" {
			r.Disposition = DecodeHeader(v)
			// disposition-mode ";" disposition-type ["/" modifier]
			if _, t, ok := strings.Cut(r.Disposition, ";"); ok {
				t = strings.TrimSpace(t)
				if i := strings.IndexAny(t, "/ "); i >= 0 {
					t = t[:i]
				}
				r.Type = strings.ToLower(t)
			}
		}
	}
	return r
}
