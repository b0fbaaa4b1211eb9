package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseOptions tunes Parse. The zero value is ready to use.
type ParseOptions struct {
	// Headers lists extra header fields to copy into Message.Headers.
	Headers []string
	// MaxTextBytes bounds the decoded bytes kept from any one text part
	// (default 4 MiB); the rest is counted and reported as a problem.
	MaxTextBytes int64
	// MaxDepth bounds nested message/rfc822 levels (default 5).
	MaxDepth int
	// MaxParts bounds the number of MIME parts examined (default 1000).
	MaxParts int
}

const (
	defaultMaxText   = 4 << 20
	defaultMaxDepth  = 5
	defaultMaxParts  = 1000
	maxMultipartNest = 64
)

func (o ParseOptions) withDefaults() ParseOptions {
	if o.MaxTextBytes <= 0 {
		o.MaxTextBytes = defaultMaxText
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = defaultMaxDepth
	}
	if o.MaxParts <= 0 {
		o.MaxParts = defaultMaxParts
	}
	return o
}

// problems collects tolerated defects; it is shared by a message and all
// its nested messages (part ids say where each one is).
type problems struct{ list []Problem }

func (p *problems) add(part, kind, detail string) {
	const maxProblems = 100
	if len(p.list) < maxProblems {
		p.list = append(p.list, Problem{Part: part, Kind: kind, Detail: detail})
	}
}

// ioErrReader remembers the first non-EOF error of the source, so that Parse
// can tell real I/O failures (returned) from malformed content (tolerated).
type ioErrReader struct {
	r   io.Reader
	err error
}

func (e *ioErrReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// Parse reads one RFC 5322 message from r, streaming: only text parts are
// kept (bounded), every other part is decoded to count its size and
// discarded. Malformed input is tolerated and listed in Message.Problems;
// the error is non-nil only when reading r fails.
func Parse(r io.Reader, opt ParseOptions) (*Message, error) {
	src := &ioErrReader{r: r}
	w := &walker{opt: opt.withDefaults(), probs: &problems{}}
	br := bufio.NewReaderSize(src, 64<<10)
	m, err := w.message(br, "", 0, true)
	if src.err != nil {
		return nil, fmt.Errorf("parse: read message: %w", src.err)
	}
	if err != nil {
		return nil, fmt.Errorf("parse: read message: %w", err)
	}
	m.Problems = w.probs.list
	return m, nil
}

// walker holds the state of one Parse call.
type walker struct {
	opt   ParseOptions
	probs *problems
	parts int
	// target, when set, makes the walk an extraction of one part (ExtractPart).
	target *extraction
}

// childID numbers the i-th child of a part (RFC 3501 §6.4.5).
func childID(parent string, i int) string {
	if parent == "" {
		return strconv.Itoa(i)
	}
	return parent + "." + strconv.Itoa(i)
}

// node is one MIME part of the tree built during the walk.
type node struct {
	id          string
	mediaType   string
	params      map[string]string
	disposition string
	filename    string
	contentID   string
	size        int64
	text        string // decoded text, for parts kept as text
	hasText     bool
	children    []*node
	msg         *Message // message/rfc822 content
	headersOnly bool     // text/rfc822-headers
	truncatedAt int64    // extraction: bytes kept when cut
}

// message reads a header section and the body that follows from br.
// prefix is the section number of the enclosing message/rfc822 part ("" at
// top level).
func (w *walker) message(br *bufio.Reader, prefix string, depth int, top bool) (*Message, error) {
	h, err := readHeader(br, top)
	if err != nil {
		return nil, err
	}
	m := &Message{PartID: prefix}
	if w.target == nil {
		fillHeaders(m, h, w.opt.Headers, w.probs, prefix)
	}
	var body io.Reader = br
	if h.leftover != nil {
		body = io.MultiReader(strings.NewReader(string(h.leftover)), br)
	}
	mt, _ := parseMediaType(h.get("Content-Type"))
	id := prefix
	if !strings.HasPrefix(mt, "multipart/") {
		id = childID(prefix, 1)
	}
	root, err := w.entity(h, body, id, depth, "text/plain", 0)
	if err != nil {
		return nil, err
	}
	if w.target == nil {
		assemble(m, root, w.probs)
	}
	return m, nil
}

var errDone = errors.New("parse: part found")

// entity walks one part: its header h and raw body. defType is the default
// media type (RFC 2046 §5.1.5: message/rfc822 inside multipart/digest).
func (w *walker) entity(h *headerBlock, body io.Reader, id string, depth int, defType string, nest int) (*node, error) {
	w.parts++
	n := w.describe(h, id, defType)

	if w.target != nil {
		return n, w.extractWalk(h, n, body, depth, nest)
	}
	if w.parts > w.opt.MaxParts {
		if w.parts == w.opt.MaxParts+1 {
			w.probs.add(id, "limit", fmt.Sprintf("more than %d parts; the rest is not examined", w.opt.MaxParts))
		}
		_, err := io.Copy(io.Discard, body)
		return nil, err
	}

	cte := h.get("Content-Transfer-Encoding")
	switch {
	case strings.HasPrefix(n.mediaType, "multipart/"):
		return n, w.multipart(n, h, body, depth, nest)
	case isMessageType(n.mediaType) || n.mediaType == "text/rfc822-headers":
		dec, st, _ := transferDecoder(body, cte)
		cr := &countReader{r: dec}
		if depth+1 > w.opt.MaxDepth {
			w.probs.add(id, "depth", "nested message too deep; listed as attachment only")
			_, err := io.Copy(io.Discard, cr)
			n.size = cr.n
			return n, err
		}
		nbr := bufio.NewReaderSize(cr, 16<<10)
		sub, err := w.message(nbr, id, depth+1, false)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(io.Discard, nbr); err != nil {
			return nil, err
		}
		w.reportDecode(id, cte, st)
		n.msg, n.size = sub, cr.n
		n.headersOnly = n.mediaType == "text/rfc822-headers"
		return n, nil
	}
	dec, st, known := transferDecoder(body, cte)
	if !known {
		w.probs.add(id, "encoding", "unknown Content-Transfer-Encoding "+strconvQuote(cte)+"; body left undecoded")
	}
	cr := &countReader{r: dec}
	if keepsText(n) {
		if err := w.readText(n, cr); err != nil {
			return nil, err
		}
	} else if _, err := io.Copy(io.Discard, cr); err != nil {
		return nil, err
	}
	n.size = cr.n
	w.reportDecode(id, cte, st)
	return n, nil
}

// describe reads what a part's header says about it: media type (defType
// when absent or invalid), disposition, file name and content id.
func (w *walker) describe(h *headerBlock, id, defType string) *node {
	n := &node{id: id}
	ctRaw := h.get("Content-Type")
	n.mediaType, n.params = parseMediaType(ctRaw)
	if n.mediaType == "" || !strings.Contains(n.mediaType, "/") {
		if ctRaw != "" && n.mediaType != "" {
			w.probs.add(id, "header", "invalid Content-Type "+strconvQuote(ctRaw))
		}
		n.mediaType, n.params = defType, map[string]string{}
		if defType == "text/plain" && ctRaw != "" {
			if cs, ok := paramsFrom(ctRaw)["charset"]; ok {
				n.params["charset"] = cs
			}
		}
	}
	disp, dparams := parseMediaType(h.get("Content-Disposition"))
	n.disposition = disp
	name := dparams["filename"]
	if name == "" {
		name = n.params["name"]
	}
	n.filename = SanitizeFilename(decodeWords(name))
	n.contentID = strings.Trim(strings.TrimSpace(SanitizeText(h.get("Content-ID"))), "<>")
	return n
}

// readText keeps the decoded text of n, at most MaxTextBytes of it; the
// rest is counted and reported.
func (w *walker) readText(n *node, cr *countReader) error {
	limit := w.opt.MaxTextBytes
	b, err := io.ReadAll(io.LimitReader(cr, limit))
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return err
	}
	if cr.n > limit {
		w.probs.add(n.id, "truncated", fmt.Sprintf("text part of %d bytes cut to %d", cr.n, limit))
	}
	n.text, n.hasText = w.decodeText(n, b), true
	return nil
}

func (w *walker) reportDecode(id, cte string, st *decodeStats) {
	if st.bad == 0 {
		return
	}
	kind := "base64"
	if strings.Contains(strings.ToLower(cte), "quoted") {
		kind = "quoted_printable"
	}
	w.probs.add(id, kind, fmt.Sprintf("%d invalid characters skipped", st.bad))
}

func (w *walker) multipart(n *node, h *headerBlock, body io.Reader, depth, nest int) error {
	if nest >= maxMultipartNest {
		w.probs.add(n.id, "depth", "multipart nesting too deep; skipped")
		_, err := io.Copy(io.Discard, body)
		return err
	}
	cte := strings.ToLower(strings.TrimSpace(h.get("Content-Transfer-Encoding")))
	boundary := n.params["boundary"]
	br, ok := body.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(body, 16<<10)
	}
	if cte == "base64" || cte == "quoted-printable" {
		// RFC 2045 §6.4 forbids encoding a multipart. Some mailers label
		// it so anyway: decode only when the boundary is not in plain sight.
		head, _ := br.Peek(16 << 10)
		if boundary == "" || !bytes.Contains(head, []byte("--"+boundary)) {
			dec, _, _ := transferDecoder(br, cte)
			br = bufio.NewReaderSize(dec, 16<<10)
		}
	}
	if boundary == "" {
		w.probs.add(n.id, "boundary", "multipart without boundary; body read as text")
		return w.fallbackText(n, br)
	}
	mr := newMultipartReader(br, boundary)
	childType := "text/plain"
	if n.mediaType == "multipart/digest" {
		childType = "message/rfc822"
	}
	for i := 1; ; i++ {
		ph, pr, err := mr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		child, err := w.entity(ph, pr, childID(n.id, i), depth, childType, nest+1)
		if err != nil {
			return err
		}
		if child != nil {
			n.children = append(n.children, child)
		}
	}
	if mr.parts == 0 {
		w.probs.add(n.id, "boundary", "boundary "+strconvQuote(boundary)+" never found; body read as text")
		n.text, n.hasText = repair8bit(mr.preamble), true
		return nil
	}
	if !mr.closed {
		w.probs.add(n.id, "boundary", "missing closing boundary")
	}
	_, err := io.Copy(io.Discard, br) // epilogue
	return err
}

func (w *walker) fallbackText(n *node, r io.Reader) error {
	cr := &countReader{r: r}
	b, err := io.ReadAll(io.LimitReader(cr, w.opt.MaxTextBytes))
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return err
	}
	n.text, n.hasText = repair8bit(b), true
	return nil
}

// decodeText converts a text part to UTF-8 from its declared charset, or
// repairs undeclared 8-bit bytes; HTML may declare its charset in <meta>.
func (w *walker) decodeText(n *node, b []byte) string {
	cs := n.params["charset"]
	if cs == "" && n.mediaType == "text/html" {
		cs = sniffHTMLCharset(b)
	}
	s, ok := decodeCharset(b, cs)
	if !ok {
		if knownCharset(cs) {
			w.probs.add(n.id, "charset", "bytes invalid for declared charset "+strconvQuote(cs))
		} else {
			w.probs.add(n.id, "charset", "unknown charset "+strconvQuote(cs)+"; decoded as UTF-8 with windows-1252 fallback")
		}
	}
	return s
}

// keepsText reports whether a part's decoded text is kept: inline text
// bodies and the machine-readable parts we summarise.
func keepsText(n *node) bool {
	switch n.mediaType {
	case "text/plain", "text/html", "text/enriched", "text/richtext":
		return isBodyCandidate(n)
	case "text/calendar", "application/ics",
		"message/delivery-status", "message/global-delivery-status",
		"message/disposition-notification", "message/global-disposition-notification",
		"message/feedback-report", "application/pgp-encrypted":
		return true
	}
	return false
}

// isBodyCandidate: a text part is body unless it is an attachment.
func isBodyCandidate(n *node) bool {
	switch n.mediaType {
	case "text/plain", "text/html", "text/enriched", "text/richtext":
	default:
		return false
	}
	if n.disposition == "attachment" {
		return false
	}
	return n.filename == "" || n.disposition == "inline"
}

func isMessageType(mt string) bool {
	return mt == "message/rfc822" || mt == "message/global"
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

func paramsFrom(v string) map[string]string {
	_, p := parseMediaType("x/x;" + v[strings.IndexByte(v+";", ';'):])
	return p
}

func strconvQuote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(SanitizeText(repair8bit([]byte(s))))
}
