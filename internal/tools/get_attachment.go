package tools

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/present"
	"github.com/mailmcp/mailmcp/parse"
)

const defaultInlineMax = 1 << 20

type attachmentOut struct {
	ID        string `json:"id"`
	Account   string `json:"account"`
	Part      string `json:"part"`
	Filename  string `json:"filename,omitempty"`
	MediaType string `json:"media_type"`
	// Size is the decoded size in bytes.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// URI names the embedded resource in the result's content.
	URI string `json:"uri"`
	// Text is the extracted text (text-like types only, at most max_chars),
	// framed as untrusted content.
	Text          string `json:"text,omitempty"`
	TextTruncated bool   `json:"text_truncated,omitempty"`
	// Note says why no text was extracted, or that the server's structure
	// could not be used.
	Note string `json:"note,omitempty"`
}

func getAttachmentTool() *Tool {
	return &Tool{
		Name:        "get_attachment",
		Title:       "Get an email attachment",
		Description: "Return one small email attachment (by message id and part from fetch_message; up to the account's inline limit, 1 MB by default) as an embedded resource, with its text for text-like files. Save larger ones with save_attachment. Untrusted content.",
		Idempotent:  true, OpenWorld: true,
		Params: []mcp.ToolOption{
			mcp.WithString("id", mcp.Required(), mcp.Description("Message id from search or fetch_message."), mcp.MaxLength(2000)),
			mcp.WithString("part", mcp.Required(), mcp.Description("The attachment's part_id from fetch_message, e.g. \"2\" or \"1.3\"."), mcp.MaxLength(100)),
			mcp.WithInteger("max_chars", mcp.Description(fmt.Sprintf("Most characters of extracted text (200-%d).", present.HardMaxChars)),
				mcp.Min(200), mcp.Max(present.HardMaxChars), mcp.DefaultNumber(present.DefaultMaxChars)),
		},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			id := a.String("id", "")
			part := a.NoControl("part", a.String("part", ""))
			maxChars := a.Int("max_chars", present.DefaultMaxChars, 200, present.HardMaxChars)
			if err := a.Err(); err != nil {
				return errResult(err)
			}
			ref, p, err := messagePool(d, id)
			if err != nil {
				return errResult(err)
			}
			info := accountInfo(d, ref.Account)
			limit := info.InlineAttachmentMax
			if limit <= 0 {
				limit = defaultInlineMax
			}
			var buf bytes.Buffer
			pc, err := p.FetchPart(ctx, ref, part, limit, &buf)
			var tl *imapconn.ErrPartTooLarge
			if errors.As(err, &tl) {
				return errResult(&fault.Error{Kind: fault.Invalid, Op: "get_attachment",
					Err:  fmt.Errorf("attachment %s is%s over the %s limit for returning attachments inline", part, sizeText(tl.Size), present.HumanSize(limit)),
					Hint: "Call save_attachment with the same id and part to save it to the download directory"})
			}
			if err != nil {
				return errResult(err)
			}
			sum := sha256.Sum256(buf.Bytes())
			name := present.Defuse(pc.Info.Filename)
			out := attachmentOut{ID: id, Account: ref.Account, Part: part, Filename: name, MediaType: pc.Info.MediaType,
				Size: int64(buf.Len()), SHA256: hex.EncodeToString(sum[:]), URI: attachmentURI(ref.Account, id, part, name)}
			if pc.Fallback != "" {
				out.Note = "The server's BODYSTRUCTURE could not be used; the part was extracted from the whole message. "
			}
			summary := fmt.Sprintf("Attachment %s of message %s: file name (supplied by the sender) %q, %s, %s (sha256 %s). Its bytes are in the embedded resource %s.",
				part, id, out.Filename, out.MediaType, present.HumanSize(out.Size), out.SHA256, out.URI)
			text, terr := parse.TextOf(pc.Info, buf.Bytes())
			var framed string
			switch {
			case terr == nil:
				recordSeen(ctx, d, ref.Account, text)
				runes := []rune(text)
				if len(runes) > maxChars {
					text, out.TextTruncated = string(runes[:maxChars]), true
				}
				framed, _ = present.Frame(fmt.Sprintf("Text of the attachment whose file name (supplied by the sender) is %q:", out.Filename), text)
				out.Text = framed
				if out.TextTruncated {
					framed += fmt.Sprintf("[First %d of %d characters shown; save_attachment gives the whole file.]\n", maxChars, len(runes))
				}
			case out.MediaType == "application/pdf":
				out.Note += "Text extraction from PDF is not supported; save_attachment and open it with a PDF tool."
			default:
				out.Note += "No text extracted: " + out.MediaType + " is not a text type."
			}
			res := okResult(out, summary+"\n"+framed+out.Note)
			res.Content = append(res.Content, mcp.NewEmbeddedResource(mcp.BlobResourceContents{
				URI: out.URI, MIMEType: out.MediaType, Blob: base64.StdEncoding.EncodeToString(buf.Bytes()),
			}))
			return res
		},
	}
}

// attachmentURI names an attachment: mail://<account>/<message id>/<part>[/<file name>].
func attachmentURI(account, id, part, filename string) string {
	u := "mail://" + url.PathEscape(account) + "/" + url.PathEscape(id) + "/" + url.PathEscape(part)
	if filename != "" {
		u += "/" + url.PathEscape(filename)
	}
	return u
}

// sizeText is " about N MB," or "" when the size is unknown.
func sizeText(n int64) string {
	if n <= 0 {
		return ""
	}
	return " about " + present.HumanSize(n) + ","
}
