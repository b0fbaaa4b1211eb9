package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// digestFields are the header fields a content digest covers: who sends,
// to whom, what about, in answer to what.
var digestFields = []string{"From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "In-Reply-To", "References"}

// addressFields are the digestFields that hold addresses.
var addressFields = map[string]bool{"From": true, "Sender": true, "Reply-To": true, "To": true, "Cc": true, "Bcc": true}

// ContentDigest is a digest of what a message says and to whom,
// independent of how it is encoded: the fields in digestFields (decoded,
// addresses lower-cased, white space folded) and every leaf part's media
// type, file name and decoded content, in order. The Date, the Message-ID,
// MIME boundaries and transfer encodings do not count, so two builds of one
// message have the same digest and a server that re-encodes a stored draft
// does not change it, while any change to a recipient, the subject, the
// body or an attachment does.
func ContentDigest(raw []byte) (string, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil {
		return "", fmt.Errorf("content digest: %w", err)
	}
	h := sha256.New()
	top := mail.Header{Header: e.Header}
	for _, f := range digestFields {
		fmt.Fprintf(h, "%s:", f)
		if addressFields[f] {
			if l, err := top.AddressList(f); err == nil {
				for _, a := range l {
					fmt.Fprintf(h, "%q<%s>,", a.Name, strings.ToLower(a.Address))
				}
				h.Write([]byte{0})
				continue
			}
		}
		v, err := top.Text(f)
		if err != nil {
			v = top.Get(f)
		}
		fmt.Fprintf(h, "%q\x00", strings.Join(strings.Fields(v), " "))
	}
	err = e.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return err
		}
		if part.MultipartReader() != nil {
			return nil
		}
		digestPart(h, path, part)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("content digest: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// digestPart adds one leaf part: its place, media type, file name and
// decoded content.
func digestPart(h hash.Hash, path []int, part *message.Entity) {
	mt, params, _ := part.Header.ContentType()
	_, dp, _ := part.Header.ContentDisposition()
	name := dp["filename"]
	if name == "" {
		name = params["name"]
	}
	fmt.Fprintf(h, "part %v %s %q\x00", path, strings.ToLower(mt), name)
	body := io.Reader(part.Body)
	if strings.HasPrefix(strings.ToLower(mt), "text/") {
		// Line endings and trailing white space are the encoder's, not the
		// content's.
		b, _ := io.ReadAll(part.Body)
		lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " \t")
		}
		body = strings.NewReader(strings.TrimRight(strings.Join(lines, "\n"), "\n"))
	}
	n, _ := io.Copy(h, body)
	fmt.Fprintf(h, "\x00%d\x00", n)
}
