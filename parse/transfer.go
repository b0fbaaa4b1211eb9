package parse

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// transferDecoder returns a reader decoding the Content-Transfer-Encoding
// cte (RFC 2045 §6) of r. Malformed input never fails: the decoder skips
// what it cannot decode and counts it in bad. known is false for
// encodings we pass through undecoded (uuencode, binhex, x-token…).
func transferDecoder(r io.Reader, cte string) (dec io.Reader, stats *decodeStats, known bool) {
	stats = &decodeStats{}
	switch strings.ToLower(strings.Trim(strings.TrimSpace(cte), `"`)) {
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit", "none":
		return r, stats, true
	case "base64", "x-base64":
		return newBase64Reader(r, stats), stats, true
	case "quoted-printable", "x-quoted-printable", "qp":
		return &qpReader{src: bufio.NewReaderSize(r, 4096), stats: stats}, stats, true
	default:
		return r, stats, false
	}
}

// decodeStats counts tolerated encoding errors.
type decodeStats struct {
	bad int // invalid characters or sequences skipped
}

var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = byte(i)
	}
	return t
}()

// base64Reader decodes RFC 2045 §6.8 base64 line by line. It ignores
// whitespace, treats "=" as the end of a quantum (so concatenated padded
// chunks still decode), skips whole lines holding characters outside the
// alphabet (mailing-list footers appended to a base64 body, stray text),
// and stops at a blank line after padding (what follows is not data).
type base64Reader struct {
	src     *bufio.Reader
	stats   *decodeStats
	out     []byte // decoded bytes not yet returned (a window of back)
	back    []byte // reused backing store
	acc     uint32
	n       int // sextets in acc
	sawPad  bool
	stopped bool
	err     error
}

func newBase64Reader(r io.Reader, stats *decodeStats) *base64Reader {
	return &base64Reader{src: bufio.NewReaderSize(r, 4096), stats: stats}
}

func (d *base64Reader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			if d.n == 1 {
				d.stats.bad++ // a lone trailing sextet cannot form a byte
				d.n = 0
			}
			d.out = d.back[:0]
			d.flushQuantum()
			if len(d.out) > 0 {
				break
			}
			return 0, d.err
		}
		line, err := d.src.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil
		}
		d.err = err
		if d.stopped {
			continue
		}
		d.back = d.decodeLine(line, d.back[:0])
		d.out = d.back
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

func (d *base64Reader) flushQuantum() {
	switch d.n {
	case 2:
		d.out = append(d.out, byte(d.acc>>4))
	case 3:
		d.out = append(d.out, byte(d.acc>>10), byte(d.acc>>2))
	}
	d.acc, d.n = 0, 0
}

func (d *base64Reader) decodeLine(line, out []byte) []byte {
	content := false
	for _, c := range line {
		switch {
		case b64[c] != 0xFF || c == '=':
			content = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			d.stats.bad++
			return out // not base64: skip the whole line
		}
	}
	if !content {
		if d.sawPad {
			d.stopped = true
		}
		return out
	}
	for _, c := range line {
		v := b64[c]
		if v == 0xFF {
			if c == '=' {
				d.out = out
				d.flushQuantum()
				out = d.out
				d.sawPad = true
			}
			continue
		}
		d.acc = d.acc<<6 | uint32(v)
		d.n++
		if d.n == 4 {
			out = append(out, byte(d.acc>>16), byte(d.acc>>8), byte(d.acc))
			d.acc, d.n = 0, 0
		}
	}
	return out
}

// decodeBase64Lenient decodes a whole base64 string with the stream rules.
func decodeBase64Lenient(b []byte) ([]byte, int) {
	st := &decodeStats{}
	out, _ := io.ReadAll(newBase64Reader(bytes.NewReader(b), st))
	return out, st.bad
}

// qpReader decodes RFC 2045 §6.7 quoted-printable line by line. An "="
// not followed by two hex digits or a line break is kept literally (the
// common "=" in unencoded URLs); trailing blanks before a hard break are
// transport padding and dropped (rule 3).
type qpReader struct {
	src   *bufio.Reader
	stats *decodeStats
	out   []byte
	back  []byte
	err   error
}

func (d *qpReader) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		line, err := d.src.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil
			d.back = d.decodeLine(line, false)
			d.out = d.back
			continue
		}
		d.err = err
		d.back = d.decodeLine(line, true)
		d.out = d.back
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

func (d *qpReader) decodeLine(line []byte, complete bool) []byte {
	out := d.back[:0]
	nl := []byte(nil)
	if complete && bytes.HasSuffix(line, []byte("\n")) {
		if bytes.HasSuffix(line, []byte("\r\n")) {
			nl, line = line[len(line)-2:], line[:len(line)-2]
		} else {
			nl, line = line[len(line)-1:], line[:len(line)-1]
		}
	}
	if nl != nil {
		line = bytes.TrimRight(line, " \t")
	}
	soft := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
			out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
			i += 2
			continue
		}
		if i == len(line)-1 || isBlank(string(line[i+1:])) {
			if nl != nil || i == len(line)-1 {
				soft = true
				break
			}
		}
		d.stats.bad++
		out = append(out, '=')
	}
	if !soft {
		out = append(out, nl...)
	}
	return out
}
