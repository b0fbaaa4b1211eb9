package policy

import (
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode legacy charsets of forwarded mail
	"github.com/emersion/go-message/mail"
)

// Everything of a message that reaches its recipients is scanned: the
// subject and every header a reader sees, every MIME part whatever its
// type (text, HTML source — hidden text included —, binary attachments,
// whose bytes are scanned as text), attachment file names, and messages
// forwarded inline or attached as message/rfc822, recursively.

const (
	// maxOutgoingTexts bounds the pieces one message yields.
	maxOutgoingTexts = 200
	// maxOutgoingBytes bounds the bytes read in total.
	maxOutgoingBytes = 16 << 20
	maxNesting       = 5
)

// OutgoingTexts returns the pieces of content of the exact bytes to be
// sent, each named for the findings ("subject", "body", "attachment
// report.bin", "forwarded message: body"). A message that does not parse
// is returned whole as one piece.
func OutgoingTexts(raw []byte) []Text {
	w := &outWalker{budget: maxOutgoingBytes}
	if err := w.message(raw, "", 0); err != nil || len(w.out) == 0 {
		return append(w.out, Text{Where: "message", Text: string(raw[:min(len(raw), maxScanBytes)])})
	}
	return w.out
}

type outWalker struct {
	out    []Text
	budget int
}

func (w *outWalker) add(where, text string) {
	if strings.TrimSpace(text) == "" || len(w.out) >= maxOutgoingTexts {
		return
	}
	w.out = append(w.out, Text{Where: where, Text: text})
}

// message walks one message (the outgoing one, or a forwarded one).
func (w *outWalker) message(raw []byte, prefix string, depth int) error {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return err
	}
	h := mail.Header{Header: e.Header}
	subj, serr := h.Subject()
	if serr != nil {
		subj = h.Get("Subject")
	}
	w.add(prefix+"subject", subj)
	for _, k := range []string{"Comments", "Keywords", "X-Subject"} {
		w.add(prefix+strings.ToLower(k)+" header", h.Get(k))
	}
	return w.entity(e, prefix, depth)
}

// entity walks a MIME entity: multiparts part by part, message/rfc822
// as a nested message, any other part as content.
func (w *outWalker) entity(e *message.Entity, prefix string, depth int) error {
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				return err
			}
			if p == nil {
				return nil
			}
			if err := w.entity(p, prefix, depth); err != nil {
				return err
			}
		}
	}
	mt, params, _ := e.Header.ContentType()
	mt = strings.ToLower(mt)
	_, dparams, _ := e.Header.ContentDisposition()
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if d, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
		name = d
	}
	where := prefix + "body"
	if name != "" {
		w.add(prefix+"attachment name", name)
		where = prefix + "attachment " + name
	} else if mt != "" && mt != "text/plain" && mt != "text/html" {
		where = prefix + "attachment (" + mt + ")"
	}
	if w.budget <= 0 {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(e.Body, int64(min(w.budget, maxScanBytes))))
	w.budget -= len(b)
	if err != nil && len(b) == 0 {
		return nil // undecodable part: its raw form is still in the parent's bytes
	}
	if (mt == "message/rfc822" || mt == "message/global") && depth < maxNesting {
		if err := w.message(b, prefix+"forwarded message: ", depth+1); err == nil {
			return nil
		}
	}
	if mt == "text/html" {
		where = strings.Replace(where, "body", "HTML body", 1)
	}
	w.add(where, string(b))
	return nil
}
