package compose

import (
	"bytes"
	"fmt"
	"mime"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// md renders CommonMark + GFM. Raw HTML in the source is never passed
// through (goldmark omits it unless WithUnsafe), and links with dangerous
// schemes (javascript:, vbscript:, file:, non-image data:) are dropped, so
// the HTML alternative carries only what the Markdown itself describes.
var md = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(html.WithHardWraps(), html.WithXHTML()),
)

// markdownToHTML renders src into a minimal HTML document.
func markdownToHTML(src string) (string, error) {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n")
	if err := md.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("compose: render markdown: %w", err)
	}
	b.WriteString("</body></html>\n")
	return b.String(), nil
}

// mimeParse parses a media type, always returning a non-nil params map.
func mimeParse(ct string) (string, map[string]string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if params == nil {
		params = map[string]string{}
	}
	return mt, params, err
}
