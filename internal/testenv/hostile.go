package testenv

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"fmt"
	"hash"
	"io"
)

// Hostile answers of a Git server, written as they are generated so that
// neither the server nor the test holds what they claim.

// ZipBombPack writes a pack of one blob that claims, and inflates to,
// size bytes of zeros (deflate packs about a thousand of them in a byte),
// stopping once max bytes of the pack are written (max 0: never). A
// client that trusts the header reads on and inflates; one that checks
// the size first stops after a few bytes.
func ZipBombPack(w io.Writer, size, max int64) (int64, error) {
	cw := &countWriter{w: w, max: max}
	sum := sha1.New()
	out := io.MultiWriter(cw, sum)
	var hdr bytes.Buffer
	hdr.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x01")
	hdr.Write(objectHeader(3, size)) // OBJ_BLOB
	if _, err := out.Write(hdr.Bytes()); err != nil {
		return cw.n, err
	}
	if err := writeZeros(out, size); err != nil {
		return cw.n, err
	}
	_, err := cw.Write(sum.Sum(nil))
	return cw.n, err
}

// writeZeros writes size zeros compressed with zlib to w.
func writeZeros(w io.Writer, size int64) error {
	zw, _ := zlib.NewWriterLevel(w, zlib.BestCompression)
	zero := make([]byte, 64<<10)
	for size > 0 {
		n := min(size, int64(len(zero)))
		if _, err := zw.Write(zero[:n]); err != nil {
			return err
		}
		size -= n
	}
	return zw.Close()
}

// objectHeader is a pack entry's type and size (gitformat-pack).
func objectHeader(typ byte, size int64) []byte {
	b := []byte{typ<<4 | byte(size&0x0f)}
	size >>= 4
	for size > 0 {
		b[len(b)-1] |= 0x80
		b = append(b, byte(size&0x7f))
		size >>= 7
	}
	return b
}

// countWriter counts what it writes and fails past max (0: no limit).
type countWriter struct {
	w      io.Writer
	n, max int64
}

var errWritten = fmt.Errorf("testenv: hostile answer cut at its limit")

func (c *countWriter) Write(b []byte) (int, error) {
	if c.max > 0 && c.n+int64(len(b)) > c.max {
		b = b[:max(c.max-c.n, 0)]
		n, _ := c.w.Write(b)
		c.n += int64(n)
		return n, errWritten
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// pktWriter frames what is written to it as side-band-64k pkt-lines on
// band 1: the packfile section of a protocol v2 fetch answer.
type pktWriter struct{ w io.Writer }

func (p pktWriter) Write(b []byte) (int, error) {
	done := 0
	for len(b) > 0 {
		n := min(len(b), 65515)
		if _, err := fmt.Fprintf(p.w, "%04x\x01", n+5); err != nil {
			return done, err
		}
		if _, err := p.w.Write(b[:n]); err != nil {
			return done, err
		}
		done, b = done+n, b[n:]
	}
	return done, nil
}

// ZipBombFetchAnswer writes a protocol v2 fetch answer whose packfile
// section holds ZipBombPack(size, max).
func ZipBombFetchAnswer(w io.Writer, size, max int64) (int64, error) {
	if _, err := io.WriteString(w, pkt("packfile\n")); err != nil {
		return 0, err
	}
	n, err := ZipBombPack(pktWriter{w}, size, max)
	if err != nil {
		return n, err
	}
	_, err = io.WriteString(w, "0000")
	return n, err
}

// EndlessAdvertisement writes a protocol v2 capability advertisement
// ("version 2", then capability lines that never end) up to max bytes;
// with refs it writes an ls-refs answer of ever more branches instead.
func EndlessAdvertisement(w io.Writer, refs bool, max int64) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	cw := &countWriter{w: bw, max: max}
	if !refs {
		if _, err := io.WriteString(cw, pkt("version 2\n")+pkt("ls-refs\n")+pkt("fetch=shallow filter\n")); err != nil {
			return cw.n, err
		}
	}
	var h hash.Hash = sha1.New()
	for i := 0; ; i++ {
		line := fmt.Sprintf("x-capability-%d=%0200d\n", i, i)
		if refs {
			h.Write([]byte{byte(i)})
			line = fmt.Sprintf("%x refs/heads/branch-%0200d\n", h.Sum(nil), i)
		}
		if _, err := io.WriteString(cw, pkt(line)); err != nil {
			return cw.n, err
		}
	}
}

func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// FetchAnswer is a protocol v2 fetch answer whose packfile section holds
// pack: a Fault.Body for a server that sends a pack other than the one
// asked for.
func FetchAnswer(pack []byte) []byte {
	var b bytes.Buffer
	b.WriteString(pkt("packfile\n"))
	pktWriter{&b}.Write(pack)
	b.WriteString("0000")
	return b.Bytes()
}

// EmptyPack is a pack of no objects.
func EmptyPack() []byte {
	p := []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00")
	sum := sha1.Sum(p)
	return append(p, sum[:]...)
}
