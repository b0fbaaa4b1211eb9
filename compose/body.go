package compose

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message"
)

// entity is one MIME entity to write: a leaf with a body, or a multipart
// with children.
type entity struct {
	header   message.Header
	body     func(w io.Writer) error
	children []*entity
}

// bodyTree lays out the parts:
//
//	text/plain                                   plain text only
//	multipart/alternative(text/plain, text/html)  Markdown
//	multipart/related(alternative, inline parts)  Markdown with cid: parts
//	multipart/mixed(body, attachments…)           any attachment
func bodyTree(v *valid) (*entity, error) {
	text := textEntity("text/plain", v.Text)
	body := text
	var related, mixed []*entity
	for i, a := range v.Attachments {
		e, err := attachmentEntity(i, a)
		if err != nil {
			return nil, err
		}
		if v.Markdown && a.Inline && a.ContentID != "" {
			related = append(related, e)
		} else {
			mixed = append(mixed, e)
		}
	}
	if v.Markdown {
		html, err := markdownToHTML(v.Text)
		if err != nil {
			return nil, err
		}
		body = multipart("multipart/alternative", text, textEntity("text/html", html))
		if len(related) > 0 {
			body = multipart("multipart/related", append([]*entity{body}, related...)...)
		}
	}
	if len(mixed) > 0 {
		body = multipart("multipart/mixed", append([]*entity{body}, mixed...)...)
	}
	return body, nil
}

func multipart(mediaType string, children ...*entity) *entity {
	e := &entity{children: children}
	// A boundary set here keeps go-message from re-setting Content-Type
	// (which would move it to the top of the header).
	var b [24]byte
	_, _ = rand.Read(b[:])
	e.header.SetContentType(mediaType, map[string]string{"boundary": hex.EncodeToString(b[:])})
	return e
}

// textEntity is a UTF-8 text part: 7bit when it is ASCII with short lines,
// else quoted-printable (RFC 2045 6.7). Line endings become CRLF.
func textEntity(mediaType, s string) *entity {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	e := &entity{}
	e.header.SetContentType(mediaType, map[string]string{"charset": "utf-8"})
	enc := "quoted-printable"
	if is7bit(s) {
		enc = "7bit"
	}
	e.header.Set("Content-Transfer-Encoding", enc)
	e.body = func(w io.Writer) error {
		if enc == "7bit" {
			_, err := io.WriteString(w, strings.ReplaceAll(s, "\n", "\r\n"))
			return err
		}
		_, err := io.WriteString(w, s) // the QP writer emits CRLF for LF
		return err
	}
	return e
}

// is7bit reports whether s is ASCII without NUL or bare CR and no line is
// longer than 998 octets (RFC 5322 2.1.1); 76 keeps lines readable.
func is7bit[T string | []byte](s T) bool {
	line := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			line = 0
			continue
		case c == 0 || c == '\r' || c >= 0x80:
			return false
		}
		line++
		if line > 998 {
			return false
		}
	}
	return true
}

// attachmentEntity writes one attachment: base64 except message/rfc822,
// which RFC 2046 5.2.1 allows only as 7bit, 8bit or binary.
func attachmentEntity(i int, a Attachment) (*entity, error) {
	f := fmt.Sprintf("attachments[%d]", i)
	e := &entity{}
	mt, params, _ := mimeParse(a.ContentType)
	if a.Filename != "" {
		// go-message writes a non-ASCII name as an RFC 2047 word, the legacy
		// form older clients read; the standard RFC 2231 filename follows.
		params["name"] = a.Filename
	}
	e.header.SetContentType(mt, params)
	disp := "attachment"
	if a.Inline {
		disp = "inline"
	}
	if a.Filename != "" {
		// RFC 2231 (filename*=utf-8''…) for non-ASCII names; go-message
		// would write RFC 2047 words, which RFC 2047 5 forbids in parameters.
		disp = mime.FormatMediaType(disp, map[string]string{"filename": a.Filename})
	}
	e.header.Set("Content-Disposition", disp)
	if a.ContentID != "" {
		e.header.Set("Content-ID", "<"+strings.Trim(a.ContentID, "<>")+">")
	}
	open := func() (io.ReadCloser, error) {
		rc, err := a.Open()
		if err != nil {
			return nil, errf(CodeAttachment, f, "cannot read %q: %v", clip(a.Filename), err)
		}
		return rc, nil
	}
	if strings.EqualFold(mt, "message/rfc822") {
		// The encoding depends on the content: read it first (bounded by
		// the size limit through the output buffer anyway).
		rc, err := open()
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(io.LimitReader(rc, DefaultMaxBytes*4))
		rc.Close()
		if err != nil {
			return nil, errf(CodeAttachment, f, "cannot read %q: %v", clip(a.Filename), err)
		}
		lf := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
		enc := "8bit"
		if is7bit(lf) {
			enc = "7bit"
		}
		raw = bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
		e.header.Set("Content-Transfer-Encoding", enc)
		e.body = func(w io.Writer) error { _, err := w.Write(raw); return err }
		return e, nil
	}
	e.header.Set("Content-Transfer-Encoding", "base64")
	e.body = func(w io.Writer) error {
		rc, err := open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.Copy(w, rc); err != nil {
			if err == errOversize {
				return err
			}
			return errf(CodeAttachment, f, "cannot read %q: %v", clip(a.Filename), err)
		}
		return nil
	}
	return e, nil
}

// writeEntity writes e (with header h) either as the top-level message
// (parent nil, to dst) or as a part of parent.
func writeEntity(dst io.Writer, parent *message.Writer, h message.Header, e *entity) error {
	var w *message.Writer
	var err error
	if parent == nil {
		w, err = message.CreateWriter(dst, h)
	} else {
		w, err = parent.CreatePart(h)
	}
	if err != nil {
		return fmt.Errorf("compose: write part: %w", err)
	}
	if e.children != nil {
		for _, c := range e.children {
			if err := writeEntity(nil, w, mergeHeader(c.header), c); err != nil {
				return err
			}
		}
	} else if err := e.body(w); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("compose: write part: %w", err)
	}
	return nil
}
