package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

var (
	// ErrPartNotFound means the message has no part with the requested section number.
	ErrPartNotFound = errors.New("part not found")
	// ErrTooLarge means the decoded part exceeds the size limit.
	ErrTooLarge = errors.New("part exceeds size limit")
	// ErrNotText means the part is not a text-like type.
	ErrNotText = errors.New("part is not text")
)

// extraction is the state of an ExtractPart walk.
type extraction struct {
	id     string
	w      io.Writer
	max    int64
	strict bool // fail with ErrTooLarge instead of truncating
	found  *node
}

// ExtractPart streams the decoded content of the part with IMAP section
// number partID (RFC 3501 §6.4.5, e.g. "2" or "1.3") from the raw message
// r to w, without holding it in memory, and returns its metadata. For a
// message/rfc822 part the embedded message is written as is. At most max
// bytes are written; a larger part fails with ErrTooLarge (w may then hold
// a partial prefix). Only I/O errors, ErrPartNotFound and ErrTooLarge fail.
func ExtractPart(r io.Reader, partID string, w io.Writer, max int64) (Attachment, error) {
	info, err := ExtractPartInfo(r, partID, w, max)
	return info.Attachment, err
}

// TextAttachment is a text-like part decoded for an agent.
type TextAttachment struct {
	Attachment
	Text      string `json:"text"`
	Truncated bool   `json:"truncated,omitempty"`
}

// ExtractText decodes a text-like part (text/*, JSON, XML, CSV, YAML,
// iCalendar, message/*…) to sanitised UTF-8, reading at most maxBytes of
// decoded content (the rest is counted in Size and flagged Truncated).
// HTML is converted to Markdown. Other types fail with ErrNotText.
func ExtractText(r io.Reader, partID string, maxBytes int64) (*TextAttachment, error) {
	var buf bytes.Buffer
	n, err := extract(r, partID, &extraction{w: &buf, max: maxBytes})
	if err != nil {
		return nil, err
	}
	info := PartInfo{Attachment: nodeAttachment(n), Charset: n.params["charset"]}
	text, err := TextOf(info, buf.Bytes())
	if err != nil {
		return nil, err
	}
	return &TextAttachment{Attachment: info.Attachment, Text: text, Truncated: n.truncatedAt > 0}, nil
}

func extract(r io.Reader, partID string, t *extraction) (*node, error) {
	partID = strings.TrimSpace(partID)
	if partID == "" {
		return nil, fmt.Errorf("parse: extract part: empty part id: %w", ErrPartNotFound)
	}
	t.id = partID
	src := &ioErrReader{r: r}
	w := &walker{opt: ParseOptions{}.withDefaults(), probs: &problems{}, target: t}
	_, err := w.message(bufio.NewReaderSize(src, 64<<10), "", 0, true)
	if src.err != nil {
		return nil, fmt.Errorf("parse: extract part %s: %w", partID, src.err)
	}
	if t.found == nil {
		if err != nil && !errors.Is(err, errDone) {
			return nil, fmt.Errorf("parse: extract part %s: %w", partID, err)
		}
		return nil, fmt.Errorf("parse: extract part %s: %w", partID, ErrPartNotFound)
	}
	if err != nil && !errors.Is(err, errDone) {
		return nil, fmt.Errorf("parse: extract part %s: %w", partID, err)
	}
	return t.found, nil
}

// extractWalk is entity() in extraction mode: copy the target part, descend
// towards it, skip everything else undecoded.
func (w *walker) extractWalk(h *headerBlock, n *node, body io.Reader, depth, nest int) error {
	t := w.target
	cte := h.get("Content-Transfer-Encoding")
	if n.id == t.id {
		dec, _, _ := transferDecoder(body, cte)
		cr := &countReader{r: dec}
		lw := &limitWriter{w: t.w, max: t.max}
		if _, err := io.Copy(lw, cr); err != nil && !errors.Is(err, errLimit) {
			return err
		}
		n.size = cr.n
		if lw.over {
			if t.strict {
				t.found = n
				return fmt.Errorf("parse: extract part %s: %w (%d bytes)", t.id, ErrTooLarge, t.max)
			}
			n.truncatedAt = t.max
			if _, err := io.Copy(io.Discard, cr); err != nil {
				return err
			}
			n.size = cr.n
		}
		t.found = n
		return errDone
	}
	if n.id != "" && !strings.HasPrefix(t.id, n.id+".") {
		_, err := io.Copy(io.Discard, body)
		return err
	}
	switch {
	case strings.HasPrefix(n.mediaType, "multipart/"):
		return w.multipart(n, h, body, depth, nest)
	case isMessageType(n.mediaType) && depth < 16:
		dec, _, _ := transferDecoder(body, cte)
		_, err := w.message(bufio.NewReaderSize(dec, 16<<10), n.id, depth+1, false)
		return err
	}
	_, err := io.Copy(io.Discard, body)
	return err
}

var errLimit = errors.New("limit reached")

// limitWriter writes at most max bytes, then reports over.
type limitWriter struct {
	w    io.Writer
	max  int64
	n    int64
	over bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n+int64(len(p)) > l.max {
		room := l.max - l.n
		if room > 0 {
			if _, err := l.w.Write(p[:room]); err != nil {
				return 0, err
			}
			l.n += room
		}
		l.over = true
		return 0, errLimit
	}
	k, err := l.w.Write(p)
	l.n += int64(k)
	return k, err
}

func nodeAttachment(n *node) Attachment {
	return Attachment{PartID: n.id, Filename: n.filename, MediaType: n.mediaType, Size: n.size,
		Inline: n.disposition == "inline", ContentID: n.contentID}
}

// isTextLike reports types an agent can read as text.
func isTextLike(mt, filename string) bool {
	if strings.HasPrefix(mt, "text/") || strings.HasPrefix(mt, "message/") {
		return true
	}
	if strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/csv", "application/x-csv",
		"application/javascript", "application/x-javascript", "application/ecmascript",
		"application/yaml", "application/x-yaml", "application/toml", "application/x-sh",
		"application/ics", "application/x-ndjson", "application/sql", "application/x-tex",
		"application/pgp-keys", "application/pgp-signature", "application/x-subrip":
		return true
	}
	if mt == "application/octet-stream" {
		switch strings.ToLower(pathExt(filename)) {
		case ".txt", ".csv", ".json", ".xml", ".md", ".log", ".yaml", ".yml", ".ics", ".eml", ".html", ".htm", ".tsv":
			return true
		}
	}
	return false
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}
