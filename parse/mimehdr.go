package parse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
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

func (h *headerBlock) has(name string) bool {
	for _, f := range h.fields {
		if equalFold(f.Name, name) {
			return true
		}
	}
	return false
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
		if first && top && bytes.HasPrefix(content, []byte("From ")) {
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

// isFieldLine reports whether line starts with a field name (printable
// ASCII except ':' — RFC 5322 §3.6.8) followed, perhaps after blanks, by ':'.
func isFieldLine(line []byte) bool {
	for i, c := range line {
		if c == ':' {
			return i > 0
		}
		if c == ' ' || c == '\t' {
			rest := bytes.TrimLeft(line[i:], " \t")
			return i > 0 && len(rest) > 0 && rest[0] == ':'
		}
		if c < 33 || c > 126 {
			return false
		}
	}
	return false
}

func trimSpaceBytes(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
