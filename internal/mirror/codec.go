package mirror

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// On disk a record is a fixed header followed by its payload:
//
//	offset size field
//	0      4    magic "ESDJ"
//	4      2    format version (1)
//	6      2    reserved, zero
//	8      4    payload length
//	12     4    CRC32-C (Castagnoli) of the payload followed by the 8-byte sequence number
//	16     8    sequence number
//	24     n    payload
//
// All integers are big-endian. The CRC covers the sequence number as well as the payload,
// so that a header garbled in its seq field is caught too; a garbled length field shows as
// a payload that fails the CRC or a length over the bound.
const (
	headerSize    = 24
	formatVersion = 1
)

var (
	magic    = [4]byte{'E', 'S', 'D', 'J'}
	castagno = crc32.MakeTable(crc32.Castagnoli)
)

// header is the decoded fixed part of a record.
type header struct {
	length uint32
	crc    uint32
	seq    uint64
}

// errHeader and errChecksum describe why bytes are not a record; the scan decides whether
// that is a torn tail or corruption.
var (
	errHeader   = errors.New("bad header")
	errChecksum = errors.New("checksum mismatch")
)

// parseHeader checks magic, version and the length bound.
func parseHeader(b []byte, maxPayload uint32) (header, error) {
	if len(b) < headerSize {
		return header{}, fmt.Errorf("%w: %d bytes, want %d", errHeader, len(b), headerSize)
	}
	if [4]byte(b[0:4]) != magic {
		return header{}, fmt.Errorf("%w: magic %q", errHeader, b[0:4])
	}
	if v := binary.BigEndian.Uint16(b[4:6]); v != formatVersion {
		return header{}, fmt.Errorf("%w: format version %d, this esdr reads %d", errHeader, v, formatVersion)
	}
	h := header{
		length: binary.BigEndian.Uint32(b[8:12]),
		crc:    binary.BigEndian.Uint32(b[12:16]),
		seq:    binary.BigEndian.Uint64(b[16:24]),
	}
	if h.length > maxPayload {
		return header{}, fmt.Errorf("%w: payload length %d over the %d-byte bound", errHeader, h.length, maxPayload)
	}
	return h, nil
}

// checksum finishes the record CRC: payloadCRC is the CRC32-C of the payload alone, so
// that Append can compute it before it knows the sequence number.
func checksum(payloadCRC uint32, seq uint64) uint32 {
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	return crc32.Update(payloadCRC, castagno, s[:])
}

// encodePayload returns a buffer with room for the header followed by rec's payload, and
// the payload's CRC; seal fills in the header once the sequence number is known.
func encodePayload(rec *Record) ([]byte, uint32) {
	b := make([]byte, headerSize, headerSize+64+len(rec.Path)+len(rec.Query)+len(rec.Cluster)+len(rec.Body))
	for _, s := range []string{rec.Method, rec.Path, rec.Query, rec.ContentType, rec.Cluster} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, rec.Epoch)
	b = binary.AppendVarint(b, rec.Time.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(rec.Body)))
	b = append(b, rec.Body...)
	return b, crc32.Checksum(b[headerSize:], castagno)
}

// seal writes the header of an encoded record.
func seal(b []byte, payloadCRC uint32, seq uint64) {
	copy(b[0:4], magic[:])
	binary.BigEndian.PutUint16(b[4:6], formatVersion)
	binary.BigEndian.PutUint16(b[6:8], 0)
	binary.BigEndian.PutUint32(b[8:12], uint32(len(b)-headerSize))
	binary.BigEndian.PutUint32(b[12:16], checksum(payloadCRC, seq))
	binary.BigEndian.PutUint64(b[16:24], seq)
}

// decodePayload parses a payload whose checksum has already been verified.
func decodePayload(seq uint64, p []byte) (Record, error) {
	rec := Record{Seq: seq}
	var err error
	next := func() []byte {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			err = errors.New("bad field length")
			return nil
		}
		f := p[k : k+int(n)]
		p = p[k+int(n):]
		return f
	}
	for _, s := range []*string{&rec.Method, &rec.Path, &rec.Query, &rec.ContentType, &rec.Cluster} {
		*s = string(next())
	}
	if err != nil {
		return Record{}, err
	}
	epoch, k := binary.Uvarint(p)
	if k <= 0 {
		return Record{}, errors.New("bad epoch")
	}
	p = p[k:]
	nanos, k := binary.Varint(p)
	if k <= 0 {
		return Record{}, errors.New("bad time")
	}
	p = p[k:]
	rec.Epoch, rec.Time = epoch, time.Unix(0, nanos).UTC()
	rec.Body = append([]byte(nil), next()...)
	if err != nil || len(p) != 0 {
		return Record{}, errors.New("bad body")
	}
	return rec, nil
}

// parseRecord validates the record at the start of b (header, length, checksum, payload
// format) and returns it with its total size on disk.
func parseRecord(b []byte, maxPayload uint32) (Record, int, error) {
	h, err := parseHeader(b, maxPayload)
	if err != nil {
		return Record{}, 0, err
	}
	end := headerSize + int(h.length)
	if len(b) < end {
		return Record{}, 0, fmt.Errorf("%w: payload cut short (%d of %d bytes)", errHeader, len(b)-headerSize, h.length)
	}
	payload := b[headerSize:end]
	if checksum(crc32.Checksum(payload, castagno), h.seq) != h.crc {
		return Record{}, 0, fmt.Errorf("%w (seq %d)", errChecksum, h.seq)
	}
	rec, err := decodePayload(h.seq, payload)
	if err != nil {
		return Record{}, 0, fmt.Errorf("%w: payload of seq %d: %w", errChecksum, h.seq, err)
	}
	return rec, end, nil
}
