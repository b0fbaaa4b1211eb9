package tools

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/present"
	"github.com/mailmcp/mailmcp/parse"
)

// maxSaveBytes bounds one saved attachment (IMAP BODYSTRUCTURE sizes are
// 32-bit anyway).
const maxSaveBytes = 4 << 30

type saveOut struct {
	ID        string `json:"id"`
	Account   string `json:"account"`
	Part      string `json:"part"`
	Path      string `json:"path"`
	Filename  string `json:"filename"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Overwrote bool   `json:"overwrote,omitempty"`
	Note      string `json:"note,omitempty"`
}

func saveAttachmentTool() *Tool {
	return &Tool{
		Name:        "save_attachment",
		Title:       "Save an email attachment to disk",
		Description: "Save one email attachment (by message id and part from fetch_message) as a file in the account's download directory, any size. Returns its path, size and SHA-256. Never replaces a file unless overwrite is true.",
		Writes:      true, Destructive: true, Idempotent: false, OpenWorld: true,
		Params: []mcp.ToolOption{
			mcp.WithString("id", mcp.Required(), mcp.Description("Message id from search or fetch_message."), mcp.MaxLength(2000)),
			mcp.WithString("part", mcp.Required(), mcp.Description("The attachment's part_id from fetch_message, e.g. \"2\" or \"1.3\"."), mcp.MaxLength(100)),
			mcp.WithString("filename", mcp.Description("File name (or relative path) inside the download directory. Default: the attachment's own name."), mcp.MaxLength(255)),
			mcp.WithBoolean("overwrite", mcp.Description("Replace an existing file of that name."), mcp.DefaultBool(false)),
		},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			id := a.String("id", "")
			part := a.NoControl("part", a.String("part", ""))
			want := a.String("filename", "")
			overwrite := a.Bool("overwrite", false)
			if err := a.Err(); err != nil {
				return errResult(err)
			}
			ref, err := imapconn.ParseID(id)
			if err != nil {
				return errResult(err)
			}
			rel, err := agentPath(want)
			if err != nil {
				return errResult(err)
			}
			info := accountInfo(d, ref.Account)
			if info.ReadOnly {
				return errResult(&fault.Error{Kind: fault.ReadOnly, Op: "save_attachment", Err: fmt.Errorf("account %q is read-only", ref.Account),
					Hint: "Use get_attachment for small attachments"})
			}
			if info.DownloadDir == "" {
				return errResult(&fault.Error{Kind: fault.Invalid, Op: "save_attachment", Err: errors.New("no download directory is configured for this account"),
					Hint: "Ask the user to set download_dir in the mailmcp config; get_attachment works for small attachments"})
			}
			p, err := d.Mail.Pool(ref.Account)
			if err != nil {
				return errResult(err)
			}
			out, err := saveAttachment(ctx, p, ref, part, info.DownloadDir, rel, overwrite)
			if err != nil {
				return errResult(err)
			}
			out.ID, out.Account, out.Part = id, ref.Account, part
			text := fmt.Sprintf("Saved attachment %s of message %s to %s (%s, %s, sha256 %s).", part, id, out.Path, out.MediaType, present.HumanSize(out.Size), out.SHA256)
			if out.Note != "" {
				text += " " + out.Note
			}
			return okResult(out, text)
		},
	}
}

// saveAttachment streams the part into a temporary file inside dir, then
// links (or, with overwrite, renames) it to its name. Every file system
// operation goes through os.Root, which refuses any path that leaves dir,
// including through symbolic links.
func saveAttachment(ctx context.Context, p *imapconn.Pool, ref imapconn.MessageRef, part, dir, rel string, overwrite bool) (*saveOut, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, dirError("create the download directory", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, dirError("open the download directory", err)
	}
	defer root.Close()
	tmp := ".mailmcp-" + rand.Text() + ".part"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, dirError("create a temporary file", err)
	}
	done := false
	defer func() {
		if !done {
			_ = root.Remove(tmp)
		}
	}()
	h := sha256.New()
	pc, err := p.FetchPart(ctx, ref, part, maxSaveBytes, io.MultiWriter(f, h))
	if cerr := f.Close(); err == nil && cerr != nil {
		err = dirError("write the file", cerr)
	}
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Local && fe.Hint == "" {
		fe.Hint = downloadDirHint // the disk filled up while the part streamed in
	}
	if err != nil {
		return nil, err
	}
	if rel == "" {
		rel = defaultName(pc.Info)
	}
	if d := path.Dir(rel); d != "." {
		if err := root.MkdirAll(d, 0o700); err != nil {
			return nil, fileError("create directory "+d, err)
		}
	}
	out := &saveOut{Path: filepath.Join(dir, filepath.FromSlash(rel)), Filename: path.Base(rel), MediaType: pc.Info.MediaType,
		Size: pc.Info.Size, SHA256: hex.EncodeToString(h.Sum(nil))}
	if pc.Fallback != "" {
		out.Note = "The server's BODYSTRUCTURE could not be used; the part was extracted from the whole message."
	}
	// A hard link never replaces an existing name (no-clobber, atomic).
	err = root.Link(tmp, rel)
	switch {
	case err == nil:
		done = true
		_ = root.Remove(tmp)
		return out, nil
	case errors.Is(err, fs.ErrExist) && overwrite:
		if st, serr := root.Lstat(rel); serr == nil && st.IsDir() {
			return nil, &fault.Error{Kind: fault.Invalid, Op: "save_attachment", Err: fmt.Errorf("%q is a directory", rel), Hint: "Choose another filename"}
		}
		if err := root.Rename(tmp, rel); err != nil {
			return nil, fileError("replace "+rel, err)
		}
		done, out.Overwrote = true, true
		return out, nil
	case errors.Is(err, fs.ErrExist):
		return nil, &fault.Error{Kind: fault.Invalid, Op: "save_attachment", Err: fmt.Errorf("%s already exists", out.Path),
			Hint: "Pass overwrite: true to replace it, or choose another filename"}
	}
	return nil, fileError("save as "+rel, err)
}

// agentPath checks a file name from the agent: a relative path inside the
// download directory, each component sanitised. Absolute paths, "..",
// and control characters are refused outright rather than repaired.
func agentPath(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	bad := func(why string) (string, error) {
		return "", &fault.Error{Kind: fault.Invalid, Op: "save_attachment", Err: fmt.Errorf("filename %q: %s", truncateRunes(name, 80), why),
			Hint: "Give a plain file name such as \"report.pdf\" (or a relative path like \"invoices/report.pdf\"); files are always saved inside the download directory"}
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return bad("control characters are not allowed")
	}
	name = strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(name, "/") || filepath.IsAbs(name) || filepath.VolumeName(name) != "" || driveLetter(name) {
		return bad("absolute paths are not allowed")
	}
	var parts []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			return bad("\"..\" is not allowed")
		}
		s := parse.SanitizeFilename(c)
		if s == "" || s == "." || s == ".." {
			return bad("a path component is empty after sanitising")
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return bad("no file name")
	}
	if len(parts) > 8 {
		return bad("too many directories")
	}
	return strings.Join(parts, "/"), nil
}

// driveLetter reports a Windows absolute path ("C:/x", "C:x").
func driveLetter(name string) bool {
	return len(name) >= 2 && name[1] == ':' && (name[0]|0x20) >= 'a' && (name[0]|0x20) <= 'z'
}

// defaultName is the attachment's own (sanitised) name, else one made from
// its part id and media type.
func defaultName(info parse.PartInfo) string {
	if n := parse.SanitizeFilename(info.Filename); n != "" && n != "." && n != ".." && !strings.HasPrefix(n, ".") {
		return n
	}
	ext := ".bin"
	if exts, _ := mime.ExtensionsByType(info.MediaType); len(exts) > 0 {
		ext = exts[0]
	}
	return "attachment-" + strings.ReplaceAll(info.PartID, ".", "-") + ext
}

const downloadDirHint = "The download directory cannot be written (see the cause); tell the user, who must free disk space or fix download_dir. get_attachment works for small attachments"

// dirError is a failure of the download directory itself (it cannot be
// created, opened or written: full, read-only, not writable, not a
// directory): a local error no file name avoids, for the user to fix.
func dirError(what string, err error) *fault.Error {
	return &fault.Error{Kind: fault.Local, Op: "save_attachment", Err: fmt.Errorf("%s: %w", what, err),
		Hint: downloadDirHint}
}

// fileError classifies a failure to store the file under the name the
// agent chose: the disk's failures are local errors, anything else comes
// from the name (os.Root refuses paths that leave the directory).
func fileError(what string, err error) error {
	if localFS(err) {
		return dirError(what, err)
	}
	return &fault.Error{Kind: fault.Invalid, Op: "save_attachment", Err: fmt.Errorf("%s: %w", what, err),
		Hint: "The file could not be written inside the download directory (paths that leave it, including through symbolic links, are refused); choose another filename"}
}

// localFS reports file system errors that no other file name would avoid.
func localFS(err error) bool {
	for _, e := range []error{fs.ErrPermission, syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
