package gitrepo

import (
	"bytes"
	"fmt"
	"math"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// deltaBase is an object's previous version, which the server has.
type deltaBase struct {
	id   plumbing.Hash
	data []byte
}

// delta encodes target as a git delta (gitformat-pack, "Deltified
// representation") against base: what they share at the start and at the
// end is copied, the rest inserted. A bump's change to a tree or a values
// file is one region, so this is as small as a delta gets, in one pass.
// It returns nil when the delta would not be smaller than half of target,
// and for an empty target (git refuses a delta under 4 bytes).
func delta(base, target []byte) []byte {
	if len(target) == 0 {
		return nil
	}
	prefix := 0
	for prefix < len(base) && prefix < len(target) && base[prefix] == target[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(base)-prefix && suffix < len(target)-prefix && base[len(base)-1-suffix] == target[len(target)-1-suffix] {
		suffix++
	}
	middle := target[prefix : len(target)-suffix]
	if len(middle) > len(target)/2 {
		return nil
	}
	var d bytes.Buffer
	d.Write(deltaSize(len(base)))
	d.Write(deltaSize(len(target)))
	deltaCopy(&d, 0, prefix)
	for len(middle) > 0 {
		n := min(len(middle), 0x7f) // an insert carries at most 127 bytes
		d.WriteByte(byte(n))
		d.Write(middle[:n])
		middle = middle[n:]
	}
	deltaCopy(&d, len(base)-suffix, suffix)
	return d.Bytes()
}

// deltaSize is the little-endian base-128 size of a delta's header.
func deltaSize(n int) []byte {
	var b []byte
	for ; n >= 0x80; n >>= 7 {
		b = append(b, byte(n)|0x80)
	}
	return append(b, byte(n))
}

// deltaCopy writes instructions copying n bytes of the base from off: at
// most 0xffffff bytes each, offset and size in little-endian bytes that a
// bit of the opcode announces, zero bytes left out.
func deltaCopy(d *bytes.Buffer, off, n int) {
	for n > 0 {
		size := min(n, 0xffffff)
		op := byte(0x80)
		var args []byte
		for i := range 4 {
			if b := byte(off >> (8 * i)); b != 0 {
				op |= 1 << i
				args = append(args, b)
			}
		}
		for i := range 3 {
			if b := byte(size >> (8 * i)); b != 0 {
				op |= 0x10 << i
				args = append(args, b)
			}
		}
		d.WriteByte(op)
		d.Write(args)
		off, n = off+size, n-size
	}
}

// errDelta is a delta that does not apply to its base.
var errDelta = fmt.Errorf("%w: a delta that does not apply to its base", packfile.ErrMalformedPackFile)

// applyDelta returns the object that delta (gitformat-pack, "Deltified
// representation") makes of base, in a slice of exactly its size: the
// history's trees are read back by the thousand, and a cache bounded by
// their lengths holds them (packfile.PatchDelta's buffer grows up to twice
// a tree's size). The caller bounds the size the delta announces.
func applyDelta(base, delta []byte) ([]byte, error) {
	var sizes [2]uint64
	for i := range sizes {
		for shift := 0; ; shift += 7 {
			if len(delta) == 0 || shift > 56 {
				return nil, errDelta
			}
			b := delta[0]
			delta = delta[1:]
			sizes[i] |= uint64(b&0x7f) << shift
			if b&0x80 == 0 {
				break
			}
		}
	}
	if sizes[0] != uint64(len(base)) || sizes[1] > math.MaxInt32 {
		return nil, errDelta
	}
	out := make([]byte, 0, sizes[1])
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		switch {
		case op&0x80 != 0: // copy from the base
			var args [7]uint64 // offset bytes 0-3, size bytes 0-2
			for bit := range 7 {
				if op&(1<<bit) == 0 {
					continue
				}
				if len(delta) == 0 {
					return nil, errDelta
				}
				args[bit], delta = uint64(delta[0]), delta[1:]
			}
			off := args[0] | args[1]<<8 | args[2]<<16 | args[3]<<24
			n := args[4] | args[5]<<8 | args[6]<<16
			if n == 0 {
				n = 0x10000
			}
			if off+n > uint64(len(base)) || uint64(len(out))+n > sizes[1] {
				return nil, errDelta
			}
			out = append(out, base[off:off+n]...)
		case op != 0: // insert op bytes of the delta
			n := int(op)
			if n > len(delta) || uint64(len(out)+n) > sizes[1] {
				return nil, errDelta
			}
			out, delta = append(out, delta[:n]...), delta[n:]
		default:
			return nil, errDelta
		}
	}
	if uint64(len(out)) != sizes[1] {
		return nil, errDelta
	}
	return out, nil
}
