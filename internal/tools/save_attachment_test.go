package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveAttachment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "downloads") // created on first save
	outside := t.TempDir()
	h := newHarness(t, harnessOptions{Info: func(i *AccountInfo) { i.DownloadDir = dir; i.InlineAttachmentMax = 1000 }})
	fx := deliverAttachments(t, h, 300000) // far over the inline limit

	var out saveOut
	h.Decode("save_attachment", map[string]any{"id": fx.id, "part": "2"}, &out)
	got, err := os.ReadFile(filepath.Join(dir, "Bericht-März.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if sha(got) != sha(fx.pdf) || out.SHA256 != sha(fx.pdf) || out.Size != int64(len(fx.pdf)) ||
		out.Path != filepath.Join(dir, "Bericht-März.pdf") || out.MediaType != "application/pdf" {
		t.Fatalf("saved %+v", out)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("download dir: %v %v", st.Mode(), err)
	}

	// Never overwrite unless asked.
	if msg := h.Fail("save_attachment", map[string]any{"id": fx.id, "part": "2"}); !strings.Contains(msg, "already exists") || !strings.Contains(msg, "overwrite") {
		t.Errorf("second save: %s", msg)
	}
	if err := os.WriteFile(filepath.Join(dir, "Bericht-März.pdf"), []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.Decode("save_attachment", map[string]any{"id": fx.id, "part": "2", "overwrite": true}, &out)
	if got, _ := os.ReadFile(out.Path); sha(got) != sha(fx.pdf) || !out.Overwrote {
		t.Errorf("overwrite: %+v", out)
	}

	// A chosen name, in a sub-directory; the text part decoded.
	h.Decode("save_attachment", map[string]any{"id": fx.id, "part": "3", "filename": "lists/people latin1.csv"}, &out)
	if got, _ := os.ReadFile(filepath.Join(dir, "lists", "people latin1.csv")); string(got) != "name,city\r\nJos\xe9,Z\xfcrich" {
		t.Errorf("csv saved as %q", got)
	}

	// Escapes are refused.
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(outside, "victim.txt")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, want string }{
		{"../x.pdf", `".."`},
		{"a/../../x.pdf", `".."`},
		{"/etc/passwd", "absolute"},
		{`C:\x.pdf`, "absolute"},
		{"bad\x00name.pdf", "control"},
		{"bad\nname.pdf", "control"},
		{"out/x.pdf", "escapes"},
		{"link.txt", "already exists"},
	} {
		msg := h.Fail("save_attachment", map[string]any{"id": fx.id, "part": "2", "filename": c.name})
		if !strings.Contains(msg, c.want) {
			t.Errorf("filename %q: %s", c.name, msg)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("a file outside the download directory was changed: %q", b)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Fatalf("files appeared outside the download directory: %v", entries)
	}
	// overwrite replaces the link itself, never its target.
	h.Decode("save_attachment", map[string]any{"id": fx.id, "part": "3", "filename": "link.txt", "overwrite": true}, &out)
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("overwrite followed a symlink out: %q", b)
	}
	if st, err := os.Lstat(filepath.Join(dir, "link.txt")); err != nil || st.Mode()&os.ModeSymlink != 0 {
		t.Errorf("link.txt after overwrite: %v %v", st.Mode(), err)
	}

	if msg := h.Fail("save_attachment", map[string]any{"id": fx.id, "part": "8"}); !strings.Contains(msg, "not_found") {
		t.Errorf("missing part: %s", msg)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".mailmcp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestSaveAttachmentNeedsDownloadDir(t *testing.T) {
	h := newHarness(t, harnessOptions{Info: func(i *AccountInfo) { i.DownloadDir = "" }})
	fx := deliverAttachments(t, h, 100)
	if msg := h.Fail("save_attachment", map[string]any{"id": fx.id, "part": "2"}); !strings.Contains(msg, "download") {
		t.Errorf("no download dir: %s", msg)
	}
}
