package parse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
)

// rawField is one header field as read: name and raw (unfolded) value.
type rawField struct {
	Name  string
	Value string
}

const maxHeaderBytes = 256 << 10 // per header block; the rest is skipped

// headerBlock is the result of reading one header section.
type headerBlock struct {
	fields []rawField
	// leftover is a line that ended the header without a blank line (a
	// part without headers, or garbage): it belongs to the body.
	leftover []byte
	// eof reports that the input ended inside or right after the header.
	eof       bool
	truncated bool
	badLines  int
}

func (h *headerBlock) get(name string) string {
	for _, f := range h.fields {
		if equalFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// readLine reads one line including its terminator, bounded at max bytes
// (the rest of an over-long line is discarded). At EOF the last line may
// lack a terminator; err is io.EOF only when nothing was read.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == nil {
		return line, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		if len(line) > 0 && err == io.EOF {
			return line, nil
		}
		return line, err
	}
	buf := append([]byte(nil), line...)
	for {
		line, err = br.ReadSlice('\n')
		if len(buf) < max {
			buf = append(buf, line...)
		}
		if err == nil || err == io.EOF {
			return buf, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

// readHeader reads an RFC 5322 §2.2 header section tolerantly: unfolds
// continuation lines, skips an mbox "From " line at the very top, accepts
// spaces before the colon, and treats the first line that is neither a
// field nor a continuation as the start of the body.
func readHeader(br *bufio.Reader, top bool) (*headerBlock, error) {
	h := &headerBlock{}
	total := 0
	var cur []byte
	flush := func() {
		if cur == nil {
			return
		}
		if i := bytes.IndexByte(cur, ':'); i > 0 {
			name := string(bytes.TrimRight(cur[:i], " \t"))
			h.fields = append(h.fields, rawField{Name: name, Value: string(trimSpaceBytes(cur[i+1:]))})
		}
		cur = nil
	}
	first := true
	for {
		line, err := readLine(br, maxHeaderBytes)
		if err != nil && err != io.EOF {
			return h, err
		}
		if len(line) == 0 {
			h.eof = true
			flush()
			return h, nil
		}
		total += len(line)
		content := bytes.TrimRight(line, "\r\n")
		if len(content) == 0 {
			flush()
			return h, nil
		}
		if first && top && (bytes.HasPrefix(content, []byte("From ")) || mboxFromLine.Match(content)) {
			first = false
			continue // mbox separator line
		}
		first = false
		if content[0] == ' ' || content[0] == '\t' {
			if cur != nil && total <= maxHeaderBytes {
				cur = append(cur, ' ')
				cur = append(cur, trimSpaceBytes(content)...)
			}
			continue
		}
		if !isFieldLine(content) {
			flush()
			h.badLines++
			h.leftover = append([]byte(nil), line...)
			return h, nil
		}
		flush()
		if total > maxHeaderBytes {
			h.truncated = true
			continue
		}
		cur = append([]byte(nil), content...)
	}
}

// isFieldLine reports whether line starts with a field name followed by
// ':'. RFC 5322 §3.6.8 allows printable ASCII except ':'; real mail also
// has blanks inside or after the name, which we accept (a name must not
// start with a blank and is bounded in length).
func isFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || i > 200 || line[0] == ' ' || line[0] == '\t' {
		return false
	}
	for _, c := range line[:i] {
		if (c < 33 || c > 126) && c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// mboxFromLine matches an mbox separator ("From addr  Thu Aug 22 18:29:40 2002"),
// sometimes mangled into a "From:" field by the tool that exported it.
var mboxFromLine = regexp.MustCompile(`^From:? +\S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d\d(:\d\d)? +(\S+ +)?\d{4}\s*$`)

func trimSpaceBytes(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
