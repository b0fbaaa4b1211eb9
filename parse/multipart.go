package parse

import (
	"bufio"
	"bytes"
	"io"
)

// multipartReader splits a multipart body (RFC 2046 §5.1.1) into parts as
// a stream. It is line based and tolerant: a missing close delimiter ends
// the last part at EOF, over-long lines are passed through, transport
// padding after a delimiter is accepted, and a part with no header section
// keeps its first line as body.
type multipartReader struct {
	br       *bufio.Reader
	dash     []byte // "--" + boundary
	started  bool
	done     bool // close delimiter seen or EOF
	closed   bool // close delimiter seen
	cur      *partReader
	parts    int
	preamble []byte // first bytes before the first delimiter, kept for fallback
}

const maxPreamble = 1 << 20

func newMultipartReader(br *bufio.Reader, boundary string) *multipartReader {
	return &multipartReader{br: br, dash: []byte("--" + boundary)}
}

// delimiter classifies a line as a boundary delimiter, close delimiter, or neither.
func (m *multipartReader) delimiter(line []byte) (delim, final bool) {
	if !bytes.HasPrefix(line, m.dash) {
		return false, false
	}
	rest := line[len(m.dash):]
	if bytes.HasPrefix(rest, []byte("--")) {
		final = true
		rest = rest[2:]
	}
	// RFC 2046: only linear whitespace may follow the boundary.
	for _, c := range rest {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false, false
		}
	}
	return !final, final
}

// next returns the header and body of the next part, or io.EOF.
func (m *multipartReader) next() (*headerBlock, *partReader, error) {
	if m.cur != nil {
		if _, err := io.Copy(io.Discard, m.cur); err != nil {
			return nil, nil, err
		}
		m.cur = nil
	}
	if m.done {
		return nil, nil, io.EOF
	}
	if !m.started {
		m.started = true
		atStart := true
		for {
			line, err := m.br.ReadSlice('\n')
			if len(line) == 0 && err != nil {
				if err == io.EOF {
					m.done = true
					return nil, nil, io.EOF
				}
				if err != bufio.ErrBufferFull {
					return nil, nil, err
				}
			}
			if atStart {
				if d, f := m.delimiter(line); d || f {
					if f {
						m.done, m.closed = true, true
						return nil, nil, io.EOF
					}
					break
				}
			}
			if len(m.preamble) < maxPreamble {
				m.preamble = append(m.preamble, line...)
			}
			atStart = err == nil
			if err == io.EOF {
				m.done = true
				return nil, nil, io.EOF
			}
			if err != nil && err != bufio.ErrBufferFull {
				return nil, nil, err
			}
		}
	}
	h, err := readHeader(m.br, false)
	if err != nil {
		return nil, nil, err
	}
	m.parts++
	p := &partReader{m: m, atStart: true}
	if h.leftover != nil {
		// The "header" line belongs to the body: check it is not itself a delimiter.
		p.pushLine(h.leftover)
	}
	if h.eof {
		p.ended = true
		m.done = true
	}
	m.cur = p
	return h, p, nil
}

// partReader yields one part's body: everything up to (not including) the
// line break that precedes the next delimiter line.
type partReader struct {
	m       *multipartReader
	buf     []byte // data ready to return
	own     []byte // backing store for buf
	heldNL  []byte // line break withheld until the next line is known
	atStart bool   // next read starts a line
	ended   bool
}

func (p *partReader) pushLine(line []byte) {
	if d, f := p.m.delimiter(line); d || f {
		p.ended = true
		if f {
			p.m.done, p.m.closed = true, true
		}
		return
	}
	p.emit(line, true)
}

// emit queues a line (or fragment) for output, holding back its line break.
func (p *partReader) emit(line []byte, complete bool) {
	p.own = append(p.own[:0], p.heldNL...)
	p.heldNL = p.heldNL[:0]
	body := line
	if complete && len(line) > 0 && line[len(line)-1] == '\n' {
		nl := 1
		if len(line) > 1 && line[len(line)-2] == '\r' {
			nl = 2
		}
		body = line[:len(line)-nl]
		p.heldNL = append(p.heldNL, line[len(line)-nl:]...)
	}
	p.own = append(p.own, body...)
	p.buf = p.own
}

func (p *partReader) Read(b []byte) (int, error) {
	for len(p.buf) == 0 {
		if p.ended {
			return 0, io.EOF
		}
		line, err := p.m.br.ReadSlice('\n')
		switch {
		case err == nil:
			if p.atStart {
				if d, f := p.m.delimiter(line); d || f {
					p.ended = true
					if f {
						p.m.done, p.m.closed = true, true
					}
					return 0, io.EOF
				}
			}
			p.emit(line, true)
			p.atStart = true
		case err == bufio.ErrBufferFull:
			p.emit(line, false)
			p.atStart = false
		case err == io.EOF:
			// No close delimiter: the part (and the multipart) ends at EOF.
			if p.atStart && len(line) > 0 {
				if d, f := p.m.delimiter(line); d || f {
					p.ended, p.m.done, p.m.closed = true, true, f
					return 0, io.EOF
				}
			}
			p.emit(line, false)
			p.own = append(p.own, p.heldNL...)
			p.heldNL = nil
			p.buf = p.own
			p.ended, p.m.done = true, true
		default:
			return 0, err
		}
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}
