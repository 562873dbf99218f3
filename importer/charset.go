package importer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Character encodings that Options.Charset names.
const (
	UTF8   = "utf-8"
	Latin1 = "latin1" // ISO 8859-1
)

// maxRecordBytes is the maximum size of one record in the input, in bytes. A larger record
// is almost always a file that is cut off inside a string or missing a closing bracket, and
// reading on would hold the rest of the file in memory. Tests lower it.
var maxRecordBytes int64 = 64 << 20

// bufferSize is the size of the read buffers.
const bufferSize = 64 << 10

// ParseCharset returns UTF8 or Latin1 for a name of one of them, case-insensitively, so
// that a command can reject an unknown Options.Charset before it opens any file.
func ParseCharset(name string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8":
		return UTF8, nil
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "iso_8859-1":
		return Latin1, nil
	}
	return "", fmt.Errorf("unknown charset %q: use %s or %s", name, UTF8, Latin1)
}

// EncodingError reports input that is not text in the file's character encoding. Reading
// stops at the first such byte.
type EncodingError struct {
	File    string
	Offset  int64  // offset of the byte from the start of the file, byte-order mark included
	Byte    byte   // the first byte that is not valid
	Charset string // UTF8 or Latin1
	// Record is the 1-based number of the list's element that was being read: the byte is
	// in it or in the white space before it. It is 0 for a byte before the list or after it.
	Record int

	// utf8Text is the character whose UTF-8 encoding starts at Offset, when a file read as
	// Latin-1 turns out to be UTF-8.
	utf8Text string
}

func (e *EncodingError) Error() string {
	file := e.File
	if e.Record > 0 {
		file = fmt.Sprintf("%s: record %d", e.File, e.Record)
	}
	switch {
	case e.Charset == Latin1 && e.utf8Text != "":
		return fmt.Sprintf("%s: the bytes at offset %d are the UTF-8 encoding of %q, so the file is UTF-8: "+
			"read it without charset %s", file, e.Offset, e.utf8Text, Latin1)
	case e.Charset == Latin1:
		// Latin-1 gives 0x80 to 0x9F to C1 control characters, which no text contains. A file
		// that has them is usually Windows-1252, where they are letters and punctuation.
		return fmt.Sprintf("%s: byte 0x%02X at offset %d is a control character in Latin-1: "+
			"the file is probably Windows-1252, which the importer does not read; convert it to UTF-8",
			file, e.Byte, e.Offset)
	}
	return fmt.Sprintf("%s: invalid UTF-8 at byte offset %d (byte 0x%02X): the file must be UTF-8; "+
		"if it is Latin-1 (ISO 8859-1), import it with -charset %s", file, e.Offset, e.Byte, Latin1)
}

// errRecordTooLarge is returned by textReader.Read when a record grows past maxRecordBytes.
var errRecordTooLarge = errors.New("record too large")

// textReader returns the input as UTF-8: checked when the file is UTF-8, converted when it
// is Latin-1. It counts the bytes of the file it has consumed, for error offsets and progress,
// and the bytes it has returned since the last call of markRecord, to bound a record's size.
type textReader struct {
	raw     *bufio.Reader
	name    string
	charset string

	buf     []byte // text ready to return is buf[start:ready]
	start   int
	ready   int
	end     int   // buf[ready:end] holds the start of a UTF-8 sequence that the next read completes
	offset  int64 // offset in the file of the raw byte behind buf[0]
	skipped int64 // length of the byte-order mark that was skipped, 0 or 3
	err     error // returned once buf[start:ready] has been read

	returned int64 // bytes returned by Read
	mark     int64 // value of returned at the last markRecord
}

// newTextReader returns a textReader over r. It skips a UTF-8 byte-order mark and rejects
// a UTF-16 one.
func newTextReader(r io.Reader, name, charset string) (*textReader, error) {
	raw := bufio.NewReaderSize(r, bufferSize)
	t := &textReader{raw: raw, name: name, charset: charset, buf: make([]byte, bufferSize)}

	head, err := raw.Peek(3)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case len(head) >= 3 && string(head[:3]) == "\xef\xbb\xbf":
		raw.Discard(3)
		t.offset, t.skipped = 3, 3
	case len(head) >= 2 && (string(head[:2]) == "\xfe\xff" || string(head[:2]) == "\xff\xfe"):
		return nil, fmt.Errorf("%s: the file is UTF-16 (it starts with a UTF-16 byte-order mark): convert it to UTF-8", name)
	}
	return t, nil
}

// consumed returns the number of bytes of the file read so far, read-ahead included.
func (t *textReader) consumed() int64 {
	if t.charset == Latin1 {
		return t.offset
	}
	return t.offset + int64(t.end)
}

// markRecord starts counting the size of a new record.
func (t *textReader) markRecord() { t.mark = t.returned }

func (t *textReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for t.start == t.ready {
		if t.err != nil {
			return 0, t.err
		}
		if t.charset == Latin1 {
			t.fillLatin1()
		} else {
			t.fillUTF8()
		}
	}
	if t.returned-t.mark > maxRecordBytes {
		return 0, errRecordTooLarge
	}

	n := copy(p, t.buf[t.start:t.ready])
	t.start += n
	t.returned += int64(n)
	return n, nil
}

// fillUTF8 reads the next bytes of the file and checks that they are UTF-8. A sequence cut
// by the end of the buffer moves to the front and is checked with the bytes that follow it.
func (t *textReader) fillUTF8() {
	carry := copy(t.buf, t.buf[t.ready:t.end])
	t.offset += int64(t.ready)
	t.start, t.ready, t.end = 0, 0, carry

	n, err := t.raw.Read(t.buf[carry:])
	t.end += n
	valid := validPrefix(t.buf[:t.end])
	t.ready = valid
	switch {
	case valid == t.end:
		t.err = err
	case err == nil && !utf8.FullRune(t.buf[valid:t.end]):
		// The sequence is incomplete, not wrong: its last bytes come with the next read.
	case err == nil || err == io.EOF:
		t.err = &EncodingError{File: t.name, Offset: t.offset + int64(valid), Byte: t.buf[valid], Charset: UTF8}
	default:
		t.err = err
	}
}

// validPrefix returns the length of the longest prefix of b that is valid UTF-8.
func validPrefix(b []byte) int {
	if utf8.Valid(b) {
		return len(b)
	}
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return i
}

// fillLatin1 reads the next bytes of the file and converts them from Latin-1 to UTF-8. Each
// byte becomes one or two, so it reads at most half a buffer.
//
// Text in Latin-1 has no C1 control bytes, and no letter pair such as "Ã¤" that is the
// UTF-8 encoding of a character, so either one stops the conversion before it makes
// mojibake. A UTF-8 sequence cut by the end of the buffer goes unnoticed, but the file's
// next non-ASCII character is checked again.
func (t *textReader) fillLatin1() {
	t.start, t.ready, t.end = 0, 0, 0

	in := t.buf[len(t.buf)/2:]
	n, err := t.raw.Read(in)
	in = in[:n]
	out := t.buf[:0]
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c >= 0x80 && c <= 0x9f {
			t.err = &EncodingError{File: t.name, Offset: t.offset + int64(i), Byte: c, Charset: Latin1}
			break
		}
		if c >= 0xc2 {
			if r, size := utf8.DecodeRune(in[i:]); r != utf8.RuneError && size > 1 {
				t.err = &EncodingError{File: t.name, Offset: t.offset + int64(i), Byte: c, Charset: Latin1,
					utf8Text: string(r)}
				break
			}
		}
		out = utf8.AppendRune(out, rune(c))
	}
	t.offset += int64(n)
	t.ready = len(out)
	if t.err == nil {
		t.err = err
	}
}
