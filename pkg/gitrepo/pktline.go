package gitrepo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/pktline"
)

// Special pkt-lines of protocol v2 (gitprotocol-common, gitprotocol-v2).
// go-git v5's pktline.Scanner refuses the delimiter and response-end
// packets, so protocol v2 answers are read with pktReader.
const (
	pktData = iota
	pktFlush
	pktDelim
	pktResponseEnd
)

// pktReader reads pkt-lines one at a time from a buffered reader that it
// shares with the side-band demultiplexer of a pack section.
type pktReader struct {
	r   *bufio.Reader
	buf []byte
	// what, max and left, when what is set, bound the bytes next reads.
	what      string
	max, left int64
}

// limit makes next fail with ErrLimit once more than n bytes of what
// were read.
func (p *pktReader) limit(what string, n int64) { p.what, p.max, p.left = what, n, n }

func newPktReader(r io.Reader) *pktReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	return &pktReader{r: br}
}

// next returns the kind of the next pkt-line and, for a data line, its
// payload, valid until the next call. An "ERR msg" line is returned as an
// error carrying msg.
func (p *pktReader) next() (int, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		if err == io.EOF {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	n, err := strconv.ParseUint(string(hdr[:]), 16, 16)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %q", pktline.ErrInvalidPktLen, hdr[:])
	}
	switch n {
	case 0:
		return pktFlush, nil, nil
	case 1:
		return pktDelim, nil, nil
	case 2:
		return pktResponseEnd, nil, nil
	case 3, 4:
		return 0, nil, fmt.Errorf("%w: %q", pktline.ErrInvalidPktLen, hdr[:])
	}
	n -= 4
	if p.what != "" {
		if p.left -= int64(n) + 4; p.left < 0 {
			return 0, nil, fmt.Errorf("%w: the %s holds more than its limit of %d bytes", ErrLimit, p.what, p.max)
		}
	}
	if cap(p.buf) < int(n) {
		p.buf = make([]byte, n)
	}
	p.buf = p.buf[:n]
	if _, err := io.ReadFull(p.r, p.buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	if bytes.HasPrefix(p.buf, []byte("ERR ")) {
		return 0, nil, &pktline.ErrorLine{Text: strings.TrimSpace(string(p.buf[4:]))}
	}
	return pktData, p.buf, nil
}

// line returns the next pkt-line as text without its trailing newline;
// kind tells flush and delimiter packets apart.
func (p *pktReader) line() (int, string, error) {
	kind, b, err := p.next()
	return kind, strings.TrimSuffix(string(b), "\n"), err
}

// v2Request encodes a protocol v2 command: the command line, the
// capabilities, a delimiter and the arguments, ended by a flush.
func v2Request(command string, caps, args []string) []byte {
	var buf bytes.Buffer
	e := pktline.NewEncoder(&buf)
	_ = e.EncodeString("command=" + command + "\n")
	for _, c := range caps {
		_ = e.EncodeString(c + "\n")
	}
	buf.WriteString("0001")
	for _, a := range args {
		_ = e.EncodeString(a + "\n")
	}
	_ = e.Flush()
	return buf.Bytes()
}
