package compose

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// OpenInDir returns an Attachment for the regular file relPath inside dir.
// It refuses an empty dir (no attachment directory configured), absolute
// paths, any ".." element, and — through os.Root — symbolic links that
// lead out of dir. The file is opened again, still confined, when the
// message is built.
func OpenInDir(dir, relPath string) (*Attachment, error) {
	const f = "attachments"
	if dir == "" {
		return nil, errf(CodePathOutside, f, "this account has no attachment directory configured, so no files can be attached; ask the user to set attachment_dir, or attach files of existing messages by id")
	}
	if relPath == "" || strings.ContainsRune(relPath, 0) {
		return nil, errf(CodeInvalid, f, "empty or malformed file path")
	}
	if filepath.IsAbs(relPath) || strings.HasPrefix(relPath, "/") || strings.HasPrefix(relPath, `\`) {
		return nil, errf(CodePathOutside, f, "%q is an absolute path; give a path relative to the attachment directory", clip(relPath))
	}
	for _, el := range strings.FieldsFunc(relPath, func(r rune) bool { return r == '/' || r == '\\' }) {
		if el == ".." {
			return nil, errf(CodePathOutside, f, "%q leaves the attachment directory (\"..\" is not allowed)", clip(relPath))
		}
	}
	rel := filepath.Clean(filepath.FromSlash(relPath))
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, errf(CodeAttachment, f, "the attachment directory cannot be opened: %v", err)
	}
	defer root.Close()
	st, err := root.Stat(rel)
	if err != nil {
		return nil, statErr(relPath, err)
	}
	if !st.Mode().IsRegular() {
		return nil, errf(CodeAttachment, f, "%q is not a regular file", clip(relPath))
	}
	name := filepath.Base(rel)
	return &Attachment{
		Filename:    name,
		ContentType: TypeByFilename(name),
		Size:        st.Size(),
		Open: func() (io.ReadCloser, error) {
			root, err := os.OpenRoot(dir)
			if err != nil {
				return nil, err
			}
			defer root.Close()
			return root.Open(rel)
		},
	}, nil
}

func statErr(p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errf(CodeAttachment, "attachments", "%q does not exist in the attachment directory", clip(p))
	case strings.Contains(err.Error(), "escapes from parent") || strings.Contains(err.Error(), "path escapes"):
		return errf(CodePathOutside, "attachments", "%q leads out of the attachment directory (through a symbolic link)", clip(p))
	}
	return errf(CodeAttachment, "attachments", "%q cannot be read: %v", clip(p), err)
}
