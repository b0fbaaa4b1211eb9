package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Part is one MIME part as an IMAP server describes it in BODYSTRUCTURE
// (RFC 3501 §7.4.2), plus the header and body bytes a client fetched for
// it. ParseParts renders a tree of Parts exactly as Parse renders the raw
// message, so a client can download BODYSTRUCTURE, the headers and only
// the bodies that BodiesNeeded names — never an attachment.
type Part struct {
	// ID is the part's IMAP section number in Parse's scheme (RFC 3501
	// §6.4.5): "" for a multipart message root, "1" for the body of a
	// single-part message; the root of a message encapsulated in part X is
	// X when it is multipart, X.1 otherwise.
	ID string

	// The server's description of the part.
	MediaType         string            // lower-case "type/subtype"
	Params            map[string]string // Content-Type parameters
	Disposition       string            // "" when absent
	DispositionParams map[string]string
	ContentID         string
	Encoding          string // Content-Transfer-Encoding
	Octets            int64  // size of the encoded body
	// DecodedSize is the exact decoded size when the server told it
	// (BINARY.SIZE, RFC 3516); 0 means unknown, and the size is estimated
	// from Octets (EstimateDecoded).
	DecodedSize int64

	// Header is the raw header section: BODY[HEADER] for the message root,
	// BODY[X.HEADER] for the root of a message encapsulated in part X,
	// BODY[ID.MIME] otherwise. When nil, the part is described from the
	// fields above. For a message root it is also the message header.
	Header []byte
	// Body is the raw (transfer-encoded) body, or its first bytes when
	// BodyTruncated; nil when not fetched.
	Body          []byte
	BodyTruncated bool

	// Children are the parts of a multipart.
	Children []*Part
	// Message is the root part of a message/rfc822 part's content.
	Message *Part
}

// ParseParts builds the Message from a part tree whose headers and needed
// bodies have been filled in (BodiesNeeded). Sizes of parts whose bodies
// were not fetched are estimated from their encoded size (see
// EstimateDecoded). It reads nothing and cannot fail.
func ParseParts(root *Part, opt ParseOptions) *Message {
	w := &walker{opt: opt.withDefaults(), probs: &problems{}}
	m := w.partMessage(root, "", 0)
	m.Problems = w.probs.list
	return m
}

// BodiesNeeded lists the parts of root whose bodies ParseParts uses: text
// bodies, calendars, delivery and disposition reports, header-only
// attachments. Everything else is rendered from the structure alone. It
// applies the same depth and part-count bounds as ParseParts.
func BodiesNeeded(root *Part, opt ParseOptions) []*Part {
	opt = opt.withDefaults()
	var out []*Part
	count := 0
	var walk func(p *Part, depth int)
	walk = func(p *Part, depth int) {
		count++
		if p == nil || count > opt.MaxParts {
			return
		}
		switch {
		case len(p.Children) > 0:
			for _, c := range p.Children {
				walk(c, depth)
			}
		case p.Message != nil:
			if depth+1 <= opt.MaxDepth {
				walk(p.Message, depth+1)
			}
		default:
			n := describeFields(p, "text/plain")
			if keepsText(n) || (n.mediaType == "text/rfc822-headers" && depth+1 <= opt.MaxDepth) {
				out = append(out, p)
			}
		}
	}
	walk(root, 0)
	return out
}

// PartInfo is a part's listing (as in Message.Attachments) plus the
// charset its text needs.
type PartInfo struct {
	Attachment
	Charset string `json:"charset,omitempty"`
}

// DescribePart returns what the rendering lists about p, from its header
// when fetched, else from its structure fields. Size is the estimate from
// the encoded size.
func DescribePart(p *Part) PartInfo {
	w := &walker{opt: ParseOptions{}.withDefaults(), probs: &problems{}}
	n := w.partNode(p, "application/octet-stream")
	n.size = sizeOf(p, p.Encoding)
	return PartInfo{Attachment: nodeAttachment(n), Charset: n.params["charset"]}
}

// DecodeTransfer returns a reader that decodes the Content-Transfer-Encoding
// of r as it streams (base64 and quoted-printable tolerantly; unknown
// encodings pass through).
func DecodeTransfer(r io.Reader, encoding string) io.Reader {
	dec, _, _ := transferDecoder(r, encoding)
	return dec
}

// sizeOf is a part's decoded size: exact when the server said, else
// estimated.
func sizeOf(p *Part, encoding string) int64 {
	if p.DecodedSize > 0 {
		return p.DecodedSize
	}
	return EstimateDecoded(p.Octets, encoding)
}

// EstimateDecoded estimates a body's decoded size from its encoded size:
// base64 in lines of 76 characters plus CRLF (within about 1% for other
// line lengths); every other encoding counts as its encoded size (an upper
// bound for quoted-printable).
func EstimateDecoded(octets int64, encoding string) int64 {
	if octets <= 0 {
		return 0
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64", "x-base64":
		lines := (octets + 77) / 78
		d := (octets - 2*lines) * 3 / 4
		return max(d, 0)
	}
	return octets
}

// TextOf decodes a text-like part's decoded bytes to sanitised UTF-8
// (HTML as Markdown). b may be a prefix of the content; a cut multi-byte
// character at its end is dropped. Other types fail with ErrNotText.
func TextOf(info PartInfo, b []byte) (string, error) {
	if !isTextLike(info.MediaType, info.Filename) {
		return "", fmt.Errorf("parse: text of part %s (%s): %w", info.PartID, info.MediaType, ErrNotText)
	}
	if int64(len(b)) < info.Size {
		for i := 0; i < 3 && len(b) > 0 && b[len(b)-1]&0xC0 == 0x80; i++ {
			b = b[:len(b)-1]
		}
	}
	cs := info.Charset
	if cs == "" && info.MediaType == "text/html" {
		cs = sniffHTMLCharset(b)
	}
	text, _ := decodeCharset(b, cs)
	if info.MediaType == "text/html" {
		return HTMLToMarkdown(text), nil
	}
	return SanitizeText(text), nil
}

// ExtractPartInfo is ExtractPart returning the part's charset too.
func ExtractPartInfo(r io.Reader, partID string, w io.Writer, max int64) (PartInfo, error) {
	n, err := extract(r, partID, &extraction{w: w, max: max, strict: true})
	if err != nil {
		return PartInfo{}, err
	}
	return PartInfo{Attachment: nodeAttachment(n), Charset: n.params["charset"]}, nil
}

// partMessage renders the message whose root part is root; prefix is the
// section number of the enclosing message/rfc822 part ("" at top level).
func (w *walker) partMessage(root *Part, prefix string, depth int) *Message {
	m := &Message{PartID: prefix}
	h := partHeader(root, prefix == "")
	fillHeaders(m, h, w.opt.Headers, w.probs, prefix)
	n := w.partEntity(root, h, depth, "text/plain")
	assemble(m, n, w.probs)
	return m
}

// partEntity is entity() for a part tree: the server's structure gives
// the shape, the part's header its meaning, the fetched body its text.
func (w *walker) partEntity(p *Part, h *headerBlock, depth int, defType string) *node {
	w.parts++
	if w.parts > w.opt.MaxParts {
		if w.parts == w.opt.MaxParts+1 {
			w.probs.add(p.ID, "limit", fmt.Sprintf("more than %d parts; the rest is not examined", w.opt.MaxParts))
		}
		return nil
	}
	n := w.describe(h, p.ID, defType)
	// The server's tree decides what is a container.
	switch {
	case len(p.Children) > 0 && !strings.HasPrefix(n.mediaType, "multipart/"):
		n.mediaType = p.MediaType
	case p.Message != nil && !isMessageType(n.mediaType):
		n.mediaType = "message/rfc822"
	}
	cte := h.get("Content-Transfer-Encoding")
	switch {
	case len(p.Children) > 0:
		childType := "text/plain"
		if n.mediaType == "multipart/digest" {
			childType = "message/rfc822"
		}
		for _, c := range p.Children {
			if cn := w.partEntity(c, partHeader(c, false), depth, childType); cn != nil {
				n.children = append(n.children, cn)
			}
		}
		return n
	case p.Message != nil:
		n.size = p.Octets
		if depth+1 > w.opt.MaxDepth {
			w.probs.add(p.ID, "depth", "nested message too deep; listed as attachment only")
			return n
		}
		n.msg = w.partMessage(p.Message, p.ID, depth+1)
		return n
	}
	n.size = sizeOf(p, cte)
	headers := n.mediaType == "text/rfc822-headers" || isMessageType(n.mediaType)
	if !keepsText(n) && !headers {
		return n
	}
	if p.Body == nil {
		if keepsText(n) {
			w.probs.add(p.ID, "truncated", "text part not downloaded (download budget exhausted)")
		}
		return n
	}
	dec, st, known := transferDecoder(bytes.NewReader(p.Body), cte)
	if !known {
		w.probs.add(p.ID, "encoding", "unknown Content-Transfer-Encoding "+strconvQuote(cte)+"; body left undecoded")
	}
	cr := &countReader{r: dec}
	if headers {
		if depth+1 > w.opt.MaxDepth {
			w.probs.add(p.ID, "depth", "nested message too deep; listed as attachment only")
			return n
		}
		// Reading from memory cannot fail.
		sub, _ := w.message(bufio.NewReader(cr), p.ID, depth+1, false)
		n.msg, n.headersOnly = sub, n.mediaType == "text/rfc822-headers"
		return n
	}
	_ = w.readText(n, cr) // reading from memory cannot fail
	if p.BodyTruncated {
		w.probs.add(p.ID, "truncated", fmt.Sprintf("text part of about %d bytes; only the first %d downloaded", n.size, cr.n))
	} else {
		n.size = cr.n
		w.reportDecode(p.ID, cte, st)
	}
	return n
}

// partNode describes p alone (DescribePart).
func (w *walker) partNode(p *Part, defType string) *node {
	n := w.describe(partHeader(p, false), p.ID, defType)
	if p.Message != nil && !isMessageType(n.mediaType) {
		n.mediaType = "message/rfc822"
	}
	return n
}

// partHeader parses p's fetched header, or synthesises one from its
// structure fields.
func partHeader(p *Part, top bool) *headerBlock {
	if p.Header != nil {
		h, _ := readHeader(bufio.NewReader(bytes.NewReader(p.Header)), top)
		if h != nil {
			return h
		}
	}
	return fieldsHeader(p)
}

// describeFields describes p from its structure fields only (before its
// header is fetched).
func describeFields(p *Part, defType string) *node {
	w := &walker{opt: ParseOptions{}.withDefaults(), probs: &problems{}}
	return w.describe(fieldsHeader(p), p.ID, defType)
}

// fieldsHeader writes the structure fields as MIME header fields so that
// describe() interprets them exactly as it would the real header (RFC 2231
// parameters, encoded words).
func fieldsHeader(p *Part) *headerBlock {
	h := &headerBlock{}
	if p.MediaType != "" {
		h.fields = append(h.fields, rawField{Name: "Content-Type", Value: p.MediaType + formatParams(p.Params)})
	}
	if p.Disposition != "" {
		h.fields = append(h.fields, rawField{Name: "Content-Disposition", Value: p.Disposition + formatParams(p.DispositionParams)})
	}
	if p.ContentID != "" {
		h.fields = append(h.fields, rawField{Name: "Content-ID", Value: p.ContentID})
	}
	if p.Encoding != "" {
		h.fields = append(h.fields, rawField{Name: "Content-Transfer-Encoding", Value: p.Encoding})
	}
	return h
}

func formatParams(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(params[k])
		fmt.Fprintf(&b, "; %s=\"%s\"", k, v)
	}
	return b.String()
}
