package media

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"slices"
	"strings"
)

// MaxPixels is the largest image, in pixels, that Clean decodes to turn it upright.
//
// Turning an image holds its decoded pixels twice, once as decoded and once turned. A
// baseline 4:2:0 colour JPEG of 49 megapixels took 210 MB of heap (4.5 bytes per pixel)
// and 2.2 s with Go 1.26 on a 2-core Xeon VM. The rest are estimates from the pixel
// formats. A progressive JPEG takes about 6 bytes per pixel more, for the coefficients
// that image/jpeg keeps while decoding. A CMYK JPEG takes about 8 bytes per pixel. A PNG
// takes from 2 bytes per pixel (8-bit gray) to 16 (16-bit RGBA), so up to 800 MB at
// MaxPixels. Each concurrent upload can take that much.
const MaxPixels = 50_000_000

// maxDecodePixels is the limit that Clean applies. It is MaxPixels, except in fuzz tests,
// which lower it so that they do not spend their time allocating large images.
var maxDecodePixels = MaxPixels

// ErrTooManyPixels is wrapped by the *InvalidImageError that Clean returns for an image it
// would have to decode but that has more than MaxPixels pixels.
var ErrTooManyPixels = errors.New("image has more pixels than the limit")

// InvalidImageError is returned by Clean for a file that is not a well-formed image of its
// content type, that uses a feature Clean does not support, or that is too large to decode.
type InvalidImageError struct {
	ContentType string // as passed to Clean
	Offset      int64  // byte offset in the file where Clean found the problem
	Reason      string // what is wrong, in words a client can be shown
	Err         error  // the image decoder's error, ErrTooManyPixels, or nil
}

func (e *InvalidImageError) Error() string {
	msg := fmt.Sprintf("media: invalid %s at byte %d: %s", e.ContentType, e.Offset, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *InvalidImageError) Unwrap() error { return e.Err }

// Report describes what Clean removed from an image, for logs and tests.
type Report struct {
	// Removed names each kind of segment, chunk, block or box that Clean removed or
	// overwrote, once, in the order first found, such as "APP1 Exif", "COM", "tEXt",
	// "Exif item" or "trailing data".
	Removed []string
	// RemovedBytes is the number of input bytes in what Removed names.
	RemovedBytes int64
	// Orientation is the EXIF orientation that viewers apply to a JPEG, PNG or WebP, from
	// 1 to 8, or 0 when there was none or it was invalid.
	Orientation int
	// Reencoded reports whether Clean decoded the pixels and encoded them again, which it
	// does to turn a JPEG or PNG upright when Orientation is 2 to 8.
	Reencoded bool
}

func (r *Report) remove(kind string, n int64) {
	if !slices.Contains(r.Removed, kind) {
		r.Removed = append(r.Removed, kind)
	}
	r.RemovedBytes += n
}

// Clean copies the image in src to dst without its metadata, so that a published photo
// shows neither where it was taken nor with which camera. contentType is the type that
// Sniff returned for the file: "image/jpeg", "image/png", "image/gif", "image/webp" or
// "image/heic". Clean drops EXIF, XMP, IPTC, comments, text chunks, unknown ancillary data
// and any bytes after the end of the image. It keeps what a viewer needs to show the image
// right, such as ICC colour profiles and animation control, and copies the compressed
// pixels unchanged. The one exception is a JPEG or PNG whose EXIF orientation is 2 to 8:
// Clean decodes it, turns the pixels upright and encodes it again, because the output has
// no EXIF to make viewers turn it. Each format's clean function documents what it keeps.
//
// src must hold the whole file, because Clean seeks in it and reads parts of it more than
// once. Clean uses about 150 KB of memory whatever the file size, with two exceptions. It
// reads the iinf and iloc boxes of a HEIC file whole, up to 1 MiB each, and it holds the
// pixels of an image that it turns upright (see MaxPixels).
//
// Clean returns an *InvalidImageError for a file that is malformed, that uses a feature
// Clean does not support, or that is too large to decode. Other errors come from reading
// src or writing dst. On any error dst may hold part of the output, which the caller must
// discard.
func Clean(dst io.Writer, src io.ReadSeeker, contentType string) (Report, error) {
	in, err := newImageReader(src, contentType)
	if err != nil {
		return Report{}, err
	}

	switch contentType {
	case "image/jpeg":
		return cleanJPEG(dst, in)
	case "image/png":
		return cleanPNG(dst, in)
	case "image/gif":
		return cleanGIF(dst, in)
	case "image/webp":
		return cleanWebP(dst, in)
	case "image/heic":
		return cleanHEIC(dst, in)
	}
	return Report{}, fmt.Errorf("media: clean: unsupported content type %q", contentType)
}

// cleanBufferSize is the size of the read and write buffers, and the most bytes that a
// single peek returns.
const cleanBufferSize = 32 << 10

// imageReader reads the input through a buffer and counts the offset, so that errors can
// name where the input is malformed. Its Read and ReadByte let an image decoder read from
// it.
type imageReader struct {
	rs          io.ReadSeeker
	br          *bufio.Reader
	off         int64 // offset of the next byte that br returns
	size        int64
	contentType string
	readErr     error // the first error other than io.EOF that Read or ReadByte met
}

func newImageReader(rs io.ReadSeeker, contentType string) (*imageReader, error) {
	size, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("media: find the size of the upload: %w", err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("media: seek to the start of the upload: %w", err)
	}
	r := &imageReader{rs: rs, br: bufio.NewReaderSize(rs, cleanBufferSize), size: size, contentType: contentType}
	return r, nil
}

// invalidAt returns an *InvalidImageError for the problem found at offset off.
func (r *imageReader) invalidAt(off int64, format string, args ...any) error {
	return &InvalidImageError{ContentType: r.contentType, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

func (r *imageReader) invalid(format string, args ...any) error {
	return r.invalidAt(r.off, format, args...)
}

// readError turns an end of file into an *InvalidImageError and wraps any other error.
func (r *imageReader) readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return r.invalid("unexpected end of file")
	}
	return fmt.Errorf("media: read the upload: %w", err)
}

func outputError(err error) error {
	return fmt.Errorf("media: write the cleaned image: %w", err)
}

func (r *imageReader) Read(p []byte) (int, error) {
	n, err := r.br.Read(p)
	r.off += int64(n)
	r.noteError(err)
	return n, err
}

func (r *imageReader) ReadByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err == nil {
		r.off++
	}
	r.noteError(err)
	return b, err
}

func (r *imageReader) noteError(err error) {
	if err != nil && err != io.EOF && r.readErr == nil {
		r.readErr = err
	}
}

// remaining returns the number of bytes after the offset.
func (r *imageReader) remaining() int64 { return r.size - r.off }

func (r *imageReader) seek(off int64) error {
	if off >= r.off && off-r.off <= int64(r.br.Buffered()) {
		r.br.Discard(int(off - r.off))
		r.off = off
		return nil
	}
	if _, err := r.rs.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("media: seek in the upload: %w", err)
	}
	r.br.Reset(r.rs)
	r.off = off
	return nil
}

func (r *imageReader) readFull(p []byte) error {
	n, err := io.ReadFull(r.br, p)
	r.off += int64(n)
	if err != nil {
		return r.readError(err)
	}
	return nil
}

func (r *imageReader) readByte() (byte, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, r.readError(err)
	}
	return b, nil
}

func (r *imageReader) readUint16() (uint16, error) {
	var b [2]byte
	if err := r.readFull(b[:]); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(b[:]), nil
}

// peek returns up to n of the next bytes without consuming them; fewer at the end of the
// file. n must be at most cleanBufferSize.
func (r *imageReader) peek(n int) ([]byte, error) {
	b, err := r.br.Peek(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, r.readError(err)
	}
	return b, nil
}

// skip moves n bytes forward, which must not pass the end of the file.
func (r *imageReader) skip(n int64) error {
	if n > r.remaining() {
		return r.invalid("a length of %d bytes runs past the end of the file", n)
	}
	return r.seek(r.off + n)
}

// copyN copies the next n bytes to w and to sum. Either may be nil.
func (r *imageReader) copyN(w io.Writer, n int64, sum hash.Hash32) error {
	if n > r.remaining() {
		return r.invalid("a length of %d bytes runs past the end of the file", n)
	}
	for n > 0 {
		b, err := r.br.Peek(int(min(n, cleanBufferSize)))
		if len(b) == 0 {
			return r.readError(err)
		}
		if sum != nil {
			sum.Write(b)
		}
		if w != nil {
			if _, err := w.Write(b); err != nil {
				return outputError(err)
			}
		}
		r.br.Discard(len(b))
		r.off += int64(len(b))
		n -= int64(len(b))
	}
	return nil
}

// dropTrailing reports the bytes after the end of the image, which Clean does not copy.
func (r *imageReader) dropTrailing(report *Report) {
	if n := r.remaining(); n > 0 {
		report.remove("trailing data", n)
	}
}

// insertWriter passes the first n bytes written to it to w, then calls insert, then passes
// the rest. It places segments or chunks right after the header of an encoder's output.
type insertWriter struct {
	w       io.Writer
	n       int
	insert  func(io.Writer) error
	written int
}

func (iw *insertWriter) Write(p []byte) (int, error) {
	done := 0
	if iw.written < iw.n {
		k := min(len(p), iw.n-iw.written)
		if _, err := iw.w.Write(p[:k]); err != nil {
			return 0, err
		}
		iw.written += k
		done, p = k, p[k:]
		if iw.written == iw.n {
			if err := iw.insert(iw.w); err != nil {
				return done, err
			}
		}
	}
	m, err := iw.w.Write(p)
	return done + m, err
}

// exifOrientation returns the Orientation tag (0x0112) of the TIFF structure that EXIF
// data holds, or 0 when it is absent or invalid. b may start with the "Exif\0\0" header
// that a JPEG's APP1 has and some PNG and WebP writers copy.
func exifOrientation(b []byte) int {
	b = bytes.TrimPrefix(b, []byte("Exif\x00\x00"))
	if len(b) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0
	}
	if order.Uint16(b[2:]) != 42 {
		return 0
	}

	ifd := uint64(order.Uint32(b[4:]))
	if ifd+2 > uint64(len(b)) {
		return 0
	}
	count := uint64(order.Uint16(b[ifd:]))
	for i := range count {
		entry := ifd + 2 + 12*i
		if entry+12 > uint64(len(b)) {
			return 0
		}
		if order.Uint16(b[entry:]) != 0x0112 {
			continue
		}
		// The tag is a single SHORT, which sits in the first two bytes of the value field.
		typ, n := order.Uint16(b[entry+2:]), order.Uint32(b[entry+4:])
		if typ != 3 || n != 1 {
			return 0
		}
		if v := int(order.Uint16(b[entry+8:])); v >= 1 && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}

// pixelTransform maps a pixel (x, y) of a stored image to the pixel (X, Y) where a viewer
// that applies the EXIF orientation shows it: X = ax*x + bx*y + cx and Y = ay*x + by*y +
// cy. swap reports whether width and height trade places.
type pixelTransform struct {
	ax, bx, cx int
	ay, by, cy int
	swap       bool
}

// newPixelTransform returns the transform for EXIF orientation o of a w×h image. EXIF 2.3
// (JEITA CP-3451) defines each value by the sides where the stored 0th row and 0th column
// appear. Value 2 puts them at the top and right, a mirror. Value 3 puts them at the bottom
// and right (180°), and 4 at the bottom and left (a vertical flip). Value 5 puts them at
// the left and top (a transpose), 6 at the right and top (90° clockwise), 7 at the right
// and bottom (a transverse) and 8 at the left and bottom (90° counterclockwise).
func newPixelTransform(o, w, h int) pixelTransform {
	switch o {
	case 2:
		return pixelTransform{ax: -1, cx: w - 1, by: 1}
	case 3:
		return pixelTransform{ax: -1, cx: w - 1, by: -1, cy: h - 1}
	case 4:
		return pixelTransform{ax: 1, by: -1, cy: h - 1}
	case 5:
		return pixelTransform{bx: 1, ay: 1, swap: true}
	case 6:
		return pixelTransform{bx: -1, cx: h - 1, ay: 1, swap: true}
	case 7:
		return pixelTransform{bx: -1, cx: h - 1, ay: -1, cy: w - 1, swap: true}
	case 8:
		return pixelTransform{bx: 1, ay: -1, cy: w - 1, swap: true}
	}
	return pixelTransform{ax: 1, by: 1}
}

// copyPixels copies a w×h array of pixels of size bytes each from src to where t puts them
// in dst.
func (t pixelTransform) copyPixels(dst []byte, dstStride int, src []byte, srcStride, size, w, h int) {
	stepX := t.ax*size + t.ay*dstStride
	stepY := t.bx*size + t.by*dstStride
	base := t.cx*size + t.cy*dstStride
	for y := range h {
		row := src[y*srcStride : y*srcStride+w*size]
		d := base + y*stepY
		for x := 0; x < len(row); x += size {
			copy(dst[d:d+size], row[x:x+size])
			d += stepX
		}
	}
}

// orient returns img turned so that a viewer that ignores EXIF shows it as a viewer that
// applies EXIF orientation o shows img. It supports the pixel types that image/jpeg and
// image/png decode to, and turns a YCbCr image into a 4:4:4 one.
func orient(img image.Image, o int) (image.Image, error) {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	t := newPixelTransform(o, w, h)
	r := image.Rect(0, 0, w, h)
	if t.swap {
		r = image.Rect(0, 0, h, w)
	}

	switch src := img.(type) {
	case *image.Gray:
		dst := image.NewGray(r)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 1, w, h)
		return dst, nil
	case *image.Gray16:
		dst := image.NewGray16(r)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 2, w, h)
		return dst, nil
	case *image.Paletted:
		dst := image.NewPaletted(r, src.Palette)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 1, w, h)
		return dst, nil
	case *image.RGBA:
		dst := image.NewRGBA(r)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 4, w, h)
		return dst, nil
	case *image.NRGBA:
		dst := image.NewNRGBA(r)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 4, w, h)
		return dst, nil
	case *image.CMYK:
		dst := image.NewCMYK(r)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 4, w, h)
		return dst, nil
	case *image.RGBA64:
		dst := image.NewRGBA64(r)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 8, w, h)
		return dst, nil
	case *image.NRGBA64:
		dst := image.NewNRGBA64(r)
		t.copyPixels(dst.Pix, dst.Stride, src.Pix, src.Stride, 8, w, h)
		return dst, nil
	case *image.YCbCr:
		// A 4:4:4 result has one chroma sample per pixel, so every chroma sample of src
		// lands where its pixel does, and the luma and chroma planes share one stride.
		dst := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
		stepX := t.ax + t.ay*dst.YStride
		stepY := t.bx + t.by*dst.YStride
		base := t.cx + t.cy*dst.YStride
		for y := range h {
			d := base + y*stepY
			for x := range w {
				c := src.COffset(src.Rect.Min.X+x, src.Rect.Min.Y+y)
				dst.Y[d] = src.Y[y*src.YStride+x]
				dst.Cb[d] = src.Cb[c]
				dst.Cr[d] = src.Cr[c]
				d += stepX
			}
		}
		return dst, nil
	}
	return nil, fmt.Errorf("media: turn a %T image: unsupported pixel type", img)
}

// checkPixels returns an *InvalidImageError wrapping ErrTooManyPixels when a w×h image is
// larger than Clean decodes.
func (r *imageReader) checkPixels(w, h int64) error {
	if w*h > int64(maxDecodePixels) {
		return &InvalidImageError{
			ContentType: r.contentType,
			Offset:      0,
			Reason:      fmt.Sprintf("a %d×%d image is too large to turn upright (at most %d pixels)", w, h, maxDecodePixels),
			Err:         ErrTooManyPixels,
		}
	}
	return nil
}

// decodeError wraps an image decoder's error in an *InvalidImageError, unless the decoder
// failed because reading the input failed.
func (r *imageReader) decodeError(err error) error {
	if r.readErr != nil {
		return fmt.Errorf("media: read the upload: %w", r.readErr)
	}
	return &InvalidImageError{ContentType: r.contentType, Offset: r.off, Reason: "the image data cannot be decoded", Err: err}
}

// JPEG markers from ITU T.81 table B.1.
const (
	markerTEM   = 0x01
	markerSOF0  = 0xC0
	markerDHT   = 0xC4
	markerJPG   = 0xC8
	markerDAC   = 0xCC
	markerSOF15 = 0xCF
	markerRST0  = 0xD0
	markerRST7  = 0xD7
	markerSOI   = 0xD8
	markerEOI   = 0xD9
	markerSOS   = 0xDA
	markerAPP0  = 0xE0
	markerAPP1  = 0xE1
	markerAPP2  = 0xE2
	markerAPP13 = 0xED
	markerAPP14 = 0xEE
	markerAPP15 = 0xEF
	markerJPG0  = 0xF0
	markerJPG13 = 0xFD
	markerCOM   = 0xFE
)

// maxICCSegments is the most APP2 segments an ICC profile can span, because each names its
// sequence number and the count in one byte.
const maxICCSegments = 255

// byteRange is the position of a whole JPEG segment or PNG chunk in the input, from its
// marker or length to its end.
type byteRange struct {
	offset, length int64
}

// jpegCleaner walks the segments of a JPEG and copies those that Clean keeps to out, or
// only reads them when out is nil.
type jpegCleaner struct {
	in     *imageReader
	out    *bufio.Writer
	report Report

	exif        []byte // buffer for an APP1 Exif payload, allocated when needed
	exifSeen    bool
	orientation int

	sawFrame      bool
	sawScan       bool
	width, height int // of the first frame
	components    int

	icc           []byteRange
	iccColorSpace string // data colour space of the ICC profile, such as "RGB " or "GRAY"
}

// write, writeByte and writeMarker write to out unless it is nil. They leave errors to the
// Flush at the end, because bufio.Writer keeps the first error and Flush returns it.
func (c *jpegCleaner) write(p []byte) {
	if c.out != nil {
		c.out.Write(p)
	}
}

func (c *jpegCleaner) writeByte(b byte) {
	if c.out != nil {
		c.out.WriteByte(b)
	}
}

// writeMarker writes a marker and, for a segment of n payload bytes, its length.
func (c *jpegCleaner) writeMarker(marker byte, n int64) {
	c.writeByte(0xFF)
	c.writeByte(marker)
	if n >= 0 {
		c.writeByte(byte((n + 2) >> 8))
		c.writeByte(byte(n + 2))
	}
}

// cleanJPEG copies the JPEG marker stream (ITU T.81 annex B) and drops APP1 (Exif, XMP),
// APP13 (IPTC), COM, every other APPn segment and any bytes after EOI. It keeps APP0 JFIF
// without its thumbnail, APP2 ICC_PROFILE and APP14 Adobe, which viewers need for colours.
// The entropy-coded data is copied byte for byte. When the first Exif segment has an
// orientation from 2 to 8, the image is decoded, turned and encoded again at quality 90,
// with the ICC profile segments placed right after SOI.
func cleanJPEG(dst io.Writer, in *imageReader) (Report, error) {
	// The first pass reads the headers up to the first scan, to learn the orientation
	// before anything is written.
	head := &jpegCleaner{in: in}
	if err := head.walk(true); err != nil {
		return Report{}, err
	}

	if head.orientation >= 2 {
		return head.reencode(dst)
	}

	if err := in.seek(0); err != nil {
		return Report{}, err
	}
	out := bufio.NewWriterSize(dst, cleanBufferSize)
	c := &jpegCleaner{in: in, out: out}
	if err := c.walk(false); err != nil {
		return Report{}, err
	}
	if err := out.Flush(); err != nil {
		return Report{}, outputError(err)
	}
	c.report.Orientation = head.orientation
	return c.report, nil
}

// walk reads the marker stream from the start of the file to EOI, or to the end of the
// first SOS header when headersOnly is set.
func (c *jpegCleaner) walk(headersOnly bool) error {
	var soi [2]byte
	if err := c.in.readFull(soi[:]); err != nil {
		return err
	}
	if soi != [2]byte{0xFF, markerSOI} {
		return c.in.invalidAt(0, "missing SOI marker")
	}
	c.write(soi[:])

	marker, err := c.nextMarker()
	for {
		if err != nil {
			return err
		}

		switch {
		case marker == markerEOI:
			if !c.sawScan {
				return c.in.invalid("EOI before any SOS marker")
			}
			c.writeMarker(markerEOI, -1)
			c.in.dropTrailing(&c.report)
			return nil

		case marker == markerSOS:
			if !c.sawFrame {
				return c.in.invalid("SOS before any SOF marker")
			}
			if err := c.segment(marker); err != nil {
				return err
			}
			c.sawScan = true
			if headersOnly {
				return nil
			}
			marker, err = c.copyEntropyData()
			continue

		case marker == markerSOI, marker == markerTEM, marker >= markerRST0 && marker <= markerRST7:
			return c.in.invalidAt(c.in.off-2, "unexpected marker 0x%02X between segments", marker)

		default:
			if err := c.segment(marker); err != nil {
				return err
			}
		}
		marker, err = c.nextMarker()
	}
}

// nextMarker reads the marker that must follow a segment, dropping any 0xFF fill bytes
// before it (ITU T.81 B.1.1.2).
func (c *jpegCleaner) nextMarker() (byte, error) {
	b, err := c.in.readByte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, c.in.invalidAt(c.in.off-1, "byte 0x%02X where a marker should start", b)
	}
	for b == 0xFF {
		if b, err = c.in.readByte(); err != nil {
			return 0, err
		}
	}
	if b == 0x00 {
		return 0, c.in.invalidAt(c.in.off-2, "stuffed zero byte where a marker should be")
	}
	return b, nil
}

// segment handles a marker segment: a two-byte length that counts itself, then the payload.
func (c *jpegCleaner) segment(marker byte) error {
	start := c.in.off - 2
	length, err := c.in.readUint16()
	if err != nil {
		return err
	}
	if length < 2 {
		return c.in.invalidAt(start, "segment 0x%02X has length %d, less than 2", marker, length)
	}
	n := int64(length) - 2
	if n > c.in.remaining() {
		return c.in.invalidAt(start, "segment 0x%02X runs past the end of the file", marker)
	}

	switch {
	case marker >= markerAPP0 && marker <= markerAPP15:
		return c.app(marker, start, n)
	case marker == markerCOM:
		c.report.remove("COM", 2+int64(length))
		return c.in.skip(n)
	case marker >= markerSOF0 && marker <= markerSOF15 && marker != markerDHT && marker != markerJPG && marker != markerDAC:
		return c.frame(marker, length)
	case marker == markerJPG, marker >= markerJPG0 && marker <= markerJPG13, marker < markerSOF0:
		// JPGn and RES markers are reserved for extensions that no browser decodes, and
		// their segments could hold anything.
		return c.in.invalidAt(start, "unsupported marker 0x%02X", marker)
	}

	// DHT, DQT, DRI, DAC, DNL, DHP, EXP and SOS headers are kept as they are.
	c.writeMarker(marker, n)
	return c.in.copyN(c.outWriter(), n, nil)
}

// outWriter returns out as an io.Writer that is nil when out is.
func (c *jpegCleaner) outWriter() io.Writer {
	if c.out == nil {
		return nil
	}
	return c.out
}

// frame copies an SOFn segment and reads the frame size from it.
func (c *jpegCleaner) frame(marker byte, length uint16) error {
	start := c.in.off - 4
	if length-2 > 6+3*255 {
		return c.in.invalidAt(start, "SOF segment 0x%02X has length %d, more than 255 components need", marker, length)
	}
	payload := make([]byte, length-2)
	if err := c.in.readFull(payload); err != nil {
		return err
	}
	// Precision, height, width and component count, then three bytes per component.
	if len(payload) < 6 || payload[5] == 0 || len(payload) != 6+3*int(payload[5]) {
		return c.in.invalidAt(start, "SOF segment 0x%02X has length %d, which does not match its components", marker, length)
	}
	height := int(binary.BigEndian.Uint16(payload[1:]))
	width := int(binary.BigEndian.Uint16(payload[3:]))
	if width == 0 {
		return c.in.invalidAt(start, "frame width is 0")
	}
	if !c.sawFrame {
		c.sawFrame = true
		c.width, c.height, c.components = width, height, int(payload[5])
	}

	c.writeMarker(marker, int64(len(payload)))
	c.write(payload)
	return nil
}

// app handles an APPn segment of n payload bytes, which starts at offset start.
func (c *jpegCleaner) app(marker byte, start, n int64) error {
	head, err := c.in.peek(int(min(n, 64)))
	if err != nil {
		return err
	}
	segmentLength := 4 + n

	switch {
	case marker == markerAPP0 && bytes.HasPrefix(head, []byte("JFIF\x00")) && n >= 14:
		return c.jfif(head, n)

	case marker == markerAPP1 && bytes.HasPrefix(head, []byte("Exif\x00")):
		if !c.exifSeen && c.out == nil {
			// Viewers apply the first Exif segment, so only its orientation counts. The
			// pass that writes the output has it from the first pass.
			c.exifSeen = true
			if c.exif == nil {
				c.exif = make([]byte, 0xFFFF)
			}
			payload := c.exif[:n]
			if err := c.in.readFull(payload); err != nil {
				return err
			}
			c.orientation = exifOrientation(payload)
			c.report.remove("APP1 Exif", segmentLength)
			return nil
		}
		c.report.remove("APP1 Exif", segmentLength)

	case marker == markerAPP1 && (bytes.HasPrefix(head, []byte("http://ns.adobe.com/xap/1.0/\x00")) ||
		bytes.HasPrefix(head, []byte("http://ns.adobe.com/xmp/extension/\x00"))):
		c.report.remove("APP1 XMP", segmentLength)

	case marker == markerAPP2 && bytes.HasPrefix(head, []byte("ICC_PROFILE\x00")):
		return c.iccProfile(head, start, n)

	case marker == markerAPP13 && bytes.HasPrefix(head, []byte("Photoshop 3.0\x00")):
		c.report.remove("APP13 Photoshop IPTC", segmentLength)

	case marker == markerAPP14 && bytes.HasPrefix(head, []byte("Adobe")):
		// The Adobe segment defines whether the 3 or 4 components are YCbCr, RGB or CMYK.
		c.writeMarker(marker, n)
		return c.in.copyN(c.outWriter(), n, nil)

	default:
		c.report.remove(fmt.Sprintf("APP%d", marker-markerAPP0), segmentLength)
	}
	return c.in.skip(n)
}

// jfif copies an APP0 JFIF segment without its thumbnail, which can show a part of the
// photo that was cropped out of the image.
func (c *jpegCleaner) jfif(head []byte, n int64) error {
	// "JFIF\0", version (2), units (1), X and Y density (2 each), thumbnail width and
	// height (1 each), then the thumbnail's RGB pixels.
	thumbnail := head[12] != 0 || head[13] != 0 || n > 14
	var header [18]byte
	header[0], header[1] = 0xFF, markerAPP0
	binary.BigEndian.PutUint16(header[2:], 16)
	copy(header[4:16], head[:12])
	c.write(header[:])
	if thumbnail {
		c.report.remove("APP0 JFIF thumbnail", n-14)
	}
	return c.in.skip(n)
}

// iccProfile copies an APP2 ICC_PROFILE segment and, in the first pass, records where it
// is, so that a re-encoded image can get the same profile.
func (c *jpegCleaner) iccProfile(head []byte, start, n int64) error {
	if c.out == nil && len(c.icc) <= maxICCSegments {
		c.icc = append(c.icc, byteRange{offset: start, length: 4 + n})
		// After the identifier come the sequence number, the count, then the profile,
		// whose bytes 16 to 19 name its data colour space.
		if len(head) >= 14+20 && head[12] == 1 {
			c.iccColorSpace = string(head[14+16 : 14+20])
		}
	}
	c.writeMarker(markerAPP2, n)
	return c.in.copyN(c.outWriter(), n, nil)
}

// copyEntropyData copies the entropy-coded data after an SOS header byte for byte,
// including stuffed zero bytes and RSTn markers, and returns the marker that ends it.
// Fill bytes before that marker are dropped.
func (c *jpegCleaner) copyEntropyData() (byte, error) {
	for {
		b, err := c.in.peek(1)
		if err != nil {
			return 0, err
		}
		if len(b) == 0 {
			return 0, c.in.invalid("entropy-coded data ends without EOI")
		}
		b, err = c.in.peek(c.in.br.Buffered())
		if err != nil {
			return 0, err
		}
		i := bytes.IndexByte(b, 0xFF)
		if i < 0 {
			i = len(b)
		}
		c.write(b[:i])
		c.in.br.Discard(i)
		c.in.off += int64(i)
		if i == len(b) {
			continue
		}

		// A run of 0xFF bytes ends in 0x00 (a stuffed 0xFF data byte), in an RSTn marker,
		// both part of the data, or in another marker, which ends it.
		run := 0
		next := byte(0xFF)
		for next == 0xFF {
			if next, err = c.in.readByte(); err != nil {
				return 0, err
			}
			run++
		}
		run-- // the last 0xFF read was next's, not part of the run
		if next == 0x00 || next >= markerRST0 && next <= markerRST7 {
			for range run {
				c.writeByte(0xFF)
			}
			c.writeByte(next)
			continue
		}
		return next, nil
	}
}

// reencode decodes the image, turns it upright and encodes it with the ICC profile of the
// input.
func (c *jpegCleaner) reencode(dst io.Writer) (Report, error) {
	in := c.in

	// A full pass without output checks the whole file and lists what is dropped.
	if err := in.seek(0); err != nil {
		return Report{}, err
	}
	check := &jpegCleaner{in: in}
	if err := check.walk(false); err != nil {
		return Report{}, err
	}
	report := check.report
	report.Orientation = c.orientation
	report.Reencoded = true

	if err := in.checkPixels(int64(c.width), int64(c.height)); err != nil {
		return Report{}, err
	}
	if err := in.seek(0); err != nil {
		return Report{}, err
	}
	img, err := jpeg.Decode(in)
	if err != nil {
		return Report{}, in.decodeError(err)
	}
	img, err = orient(img, c.orientation)
	if err != nil {
		return Report{}, err
	}

	// image/jpeg writes a grayscale image as one component and anything else as YCbCr,
	// which a viewer converts to RGB. A profile for another colour space would be wrong.
	icc := c.icc
	want := "RGB "
	if _, ok := img.(*image.Gray); ok {
		want = "GRAY"
	}
	if len(icc) > maxICCSegments || c.iccColorSpace != want {
		for _, s := range icc {
			report.remove("APP2 ICC_PROFILE", s.length)
		}
		icc = nil
	}

	out := bufio.NewWriterSize(dst, cleanBufferSize)
	var insertErr error
	w := &insertWriter{w: out, n: 2, insert: func(w io.Writer) error {
		for _, s := range icc {
			if insertErr = in.seek(s.offset); insertErr != nil {
				return insertErr
			}
			if insertErr = in.copyN(w, s.length, nil); insertErr != nil {
				return insertErr
			}
		}
		return nil
	}}
	if err := jpeg.Encode(w, img, &jpeg.Options{Quality: 90}); err != nil {
		if insertErr != nil {
			return Report{}, insertErr
		}
		return Report{}, outputError(err)
	}
	if err := out.Flush(); err != nil {
		return Report{}, outputError(err)
	}
	return report, nil
}

// pngSignature starts every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// pngAncillaryKept lists the ancillary chunks that Clean keeps, because they change how the
// image looks or animates and contain no personal data. They are transparency, colour
// space, gamma, ICC profile, significant bits, background, histogram, pixel size, suggested
// palette, the APNG animation chunks, and cICP from PNG Third Edition. Clean keeps all
// critical chunks too.
var pngAncillaryKept = map[string]bool{
	"tRNS": true, "cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true, "sRGB": true,
	"bKGD": true, "hIST": true, "pHYs": true, "sPLT": true, "acTL": true, "fcTL": true,
	"fdAT": true, "cICP": true,
}

// pngColorChunks lists the kept chunks that a re-encoded PNG gets again, right after IHDR.
// The others depend on the colour type or palette, which image/png may change.
var pngColorChunks = []string{"cHRM", "gAMA", "iCCP", "sRGB", "cICP", "pHYs"}

// pngCleaner walks the chunks of a PNG and copies those that Clean keeps to out, or only
// reads them when out is nil.
type pngCleaner struct {
	in     *imageReader
	out    *bufio.Writer
	report Report

	width, height int64
	orientation   int
	exifSeen      bool
	sawIDAT       bool
	animated      bool
	colorChunks   map[string]byteRange // position of the first chunk of each pngColorChunks type
}

// cleanPNG copies the PNG chunks, checking every CRC, and drops tEXt, zTXt, iTXt, eXIf,
// tIME, every ancillary chunk not in pngAncillaryKept and any bytes after IEND. When an
// eXIf chunk before IDAT has an orientation from 2 to 8, the image is decoded, turned and
// encoded again losslessly, with the colour chunks of the input after IHDR.
//
// PNG Third Edition requires eXIf before IDAT, and Chrome and Safari ignore one after it,
// so Clean does too. Firefox ignored eXIf in PNG as of 2024, so it shows the cleaned image
// upright where it showed the upload turned.
func cleanPNG(dst io.Writer, in *imageReader) (Report, error) {
	// The first pass checks the whole file and finds the orientation.
	scan := &pngCleaner{in: in, colorChunks: map[string]byteRange{}}
	if err := scan.walk(); err != nil {
		return Report{}, err
	}
	// NOTE: an animated PNG keeps its stored orientation, because image/png decodes only
	// its default image and re-encoding would drop the animation.
	if scan.orientation >= 2 && !scan.animated {
		return scan.reencode(dst)
	}

	if err := in.seek(0); err != nil {
		return Report{}, err
	}
	out := bufio.NewWriterSize(dst, cleanBufferSize)
	c := &pngCleaner{in: in, out: out}
	if err := c.walk(); err != nil {
		return Report{}, err
	}
	if err := out.Flush(); err != nil {
		return Report{}, outputError(err)
	}
	c.report.Orientation = scan.orientation
	return c.report, nil
}

func (c *pngCleaner) walk() error {
	var sig [8]byte
	if err := c.in.readFull(sig[:]); err != nil {
		return err
	}
	if string(sig[:]) != pngSignature {
		return c.in.invalidAt(0, "missing PNG signature")
	}
	c.write(sig[:])

	for first := true; ; first = false {
		start := c.in.off
		var header [8]byte
		if err := c.in.readFull(header[:]); err != nil {
			return err
		}
		length := int64(binary.BigEndian.Uint32(header[:4]))
		typ := string(header[4:])
		if !isChunkType(typ) {
			return c.in.invalidAt(start, "chunk type %q is not four ASCII letters", typ)
		}
		if length > 1<<31-1 || length+4 > c.in.remaining() {
			return c.in.invalidAt(start, "chunk %s of %d bytes runs past the end of the file", typ, length)
		}
		if first && typ != "IHDR" {
			return c.in.invalidAt(start, "first chunk is %s, want IHDR", typ)
		}
		if !first && typ == "IHDR" {
			return c.in.invalidAt(start, "second IHDR chunk")
		}

		// Bit 5 of the first letter is 0 (upper case) for critical chunks.
		keep := typ[0]&0x20 == 0 || pngAncillaryKept[typ]
		if err := c.chunk(typ, header, length, keep); err != nil {
			return err
		}
		if !keep {
			c.report.remove(typ, 12+length)
		}
		if c.out == nil && slices.Contains(pngColorChunks, typ) {
			if _, ok := c.colorChunks[typ]; !ok {
				c.colorChunks[typ] = byteRange{offset: start, length: 12 + length}
			}
		}

		switch typ {
		case "IDAT":
			c.sawIDAT = true
		case "acTL":
			c.animated = true
		case "IEND":
			if !c.sawIDAT {
				return c.in.invalidAt(start, "IEND before any IDAT chunk")
			}
			c.in.dropTrailing(&c.report)
			return nil
		}
	}
}

func (c *pngCleaner) write(p []byte) {
	if c.out != nil {
		c.out.Write(p) // bufio.Writer keeps the first error, which Flush returns.
	}
}

// chunk reads a chunk's data and CRC after its header, and copies all three when keep is
// set. It reads the data of IHDR and eXIf.
func (c *pngCleaner) chunk(typ string, header [8]byte, length int64, keep bool) error {
	start := c.in.off - 8
	sum := crc32.NewIEEE()
	sum.Write(header[4:])
	var w io.Writer
	if keep && c.out != nil {
		c.out.Write(header[:])
		w = c.out
	}

	switch {
	case typ == "IHDR":
		if length != 13 {
			return c.in.invalidAt(start, "IHDR has %d bytes, want 13", length)
		}
		var data [13]byte
		if err := c.in.readFull(data[:]); err != nil {
			return err
		}
		sum.Write(data[:])
		c.write(data[:])
		c.width = int64(binary.BigEndian.Uint32(data[0:]))
		c.height = int64(binary.BigEndian.Uint32(data[4:]))
		if c.width == 0 || c.height == 0 || c.width > 1<<31-1 || c.height > 1<<31-1 {
			return c.in.invalidAt(start, "image size %d×%d is invalid", c.width, c.height)
		}

	case typ == "eXIf" && !c.exifSeen && !c.sawIDAT:
		// Only the TIFF header and the first IFD matter, which writers put near the start.
		// NOTE: an orientation tag more than 64 KiB into the chunk is not found.
		c.exifSeen = true
		data := make([]byte, min(length, 64<<10))
		if err := c.in.readFull(data); err != nil {
			return err
		}
		sum.Write(data)
		c.orientation = exifOrientation(data)
		if err := c.in.copyN(nil, length-int64(len(data)), sum); err != nil {
			return err
		}

	default:
		if err := c.in.copyN(w, length, sum); err != nil {
			return err
		}
	}

	var crc [4]byte
	if err := c.in.readFull(crc[:]); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(crc[:]) != sum.Sum32() {
		return c.in.invalidAt(start, "chunk %s has a wrong CRC", typ)
	}
	if keep {
		c.write(crc[:])
	}
	return nil
}

func isChunkType(typ string) bool {
	for i := range len(typ) {
		if b := typ[i] | 0x20; b < 'a' || b > 'z' {
			return false
		}
	}
	return true
}

// reencode decodes the image, turns it upright and encodes it with the colour chunks of
// the input.
func (c *pngCleaner) reencode(dst io.Writer) (Report, error) {
	in := c.in
	report := c.report
	report.Orientation = c.orientation
	report.Reencoded = true

	if err := in.checkPixels(c.width, c.height); err != nil {
		return Report{}, err
	}
	if err := in.seek(0); err != nil {
		return Report{}, err
	}
	img, err := png.Decode(in)
	if err != nil {
		return Report{}, in.decodeError(err)
	}
	img, err = orient(img, c.orientation)
	if err != nil {
		return Report{}, err
	}
	swap := newPixelTransform(c.orientation, 1, 1).swap

	// An ICC profile must match the colour type that image/png writes, which is gray only
	// for a gray image.
	wantICC := "RGB "
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		wantICC = "GRAY"
	}
	var chunks []byteRange
	for _, typ := range pngColorChunks {
		s, ok := c.colorChunks[typ]
		if !ok {
			continue
		}
		if typ == "iCCP" {
			space, err := c.iccColorSpace(s)
			if err != nil {
				return Report{}, err
			}
			if space != wantICC {
				report.remove("iCCP", s.length)
				continue
			}
		}
		chunks = append(chunks, s)
	}

	// The signature and IHDR chunk take 8 + 25 bytes of the encoder's output.
	out := bufio.NewWriterSize(dst, cleanBufferSize)
	var insertErr error
	w := &insertWriter{w: out, n: 8 + 25, insert: func(w io.Writer) error {
		for _, s := range chunks {
			if insertErr = c.copyColorChunk(w, s, swap); insertErr != nil {
				return insertErr
			}
		}
		return nil
	}}
	if err := png.Encode(w, img); err != nil {
		if insertErr != nil {
			return Report{}, insertErr
		}
		return Report{}, outputError(err)
	}
	if err := out.Flush(); err != nil {
		return Report{}, outputError(err)
	}
	return report, nil
}

// copyColorChunk copies a chunk whose position the first pass recorded. When the image
// was turned by 90°, a pHYs chunk gets its horizontal and vertical pixel sizes swapped.
func (c *pngCleaner) copyColorChunk(w io.Writer, s byteRange, swap bool) error {
	if err := c.in.seek(s.offset); err != nil {
		return err
	}
	if !swap || s.length != 12+9 {
		return c.in.copyN(w, s.length, nil)
	}

	var chunk [12 + 9]byte
	if err := c.in.readFull(chunk[:]); err != nil {
		return err
	}
	if string(chunk[4:8]) == "pHYs" {
		var x [4]byte
		copy(x[:], chunk[8:12])
		copy(chunk[8:12], chunk[12:16])
		copy(chunk[12:16], x[:])
		binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	}
	if _, err := w.Write(chunk[:]); err != nil {
		return outputError(err)
	}
	return nil
}

// iccColorSpace returns the data colour space of the profile in an iCCP chunk, such as
// "RGB " or "GRAY", or "" when the profile cannot be read.
func (c *pngCleaner) iccColorSpace(s byteRange) (string, error) {
	if err := c.in.seek(s.offset + 8); err != nil {
		return "", err
	}
	// The profile name (1 to 79 bytes), a zero byte and the compression method come
	// before the zlib stream.
	dataLength := s.length - 12
	head, err := c.in.peek(int(min(dataLength, 81)))
	if err != nil {
		return "", err
	}
	nul := bytes.IndexByte(head, 0)
	if nul < 1 || nul+2 > len(head) {
		return "", nil
	}
	if err := c.in.skip(int64(nul) + 2); err != nil {
		return "", err
	}
	zr, err := zlib.NewReader(io.LimitReader(c.in, dataLength-int64(nul)-2))
	if err != nil {
		return "", nil
	}
	var profile [20]byte
	if _, err := io.ReadFull(zr, profile[:]); err != nil {
		return "", nil
	}
	return string(profile[16:20]), nil
}

// cleanGIF copies the GIF blocks and drops comment extensions, application extensions
// other than NETSCAPE2.0 and ANIMEXTS1.0 (which set the loop count) and ICCRGBG1012 (an
// ICC profile), unknown extensions, and any bytes after the trailer. It keeps graphic
// control extensions, which hold frame delays and transparency, and plain text
// extensions, which are part of the image.
func cleanGIF(dst io.Writer, in *imageReader) (Report, error) {
	var report Report
	out := bufio.NewWriterSize(dst, cleanBufferSize)

	// The header and logical screen descriptor, then the global colour table when bit 7
	// of the packed field is set, of 3 × 2^(size+1) bytes.
	var header [13]byte
	if err := in.readFull(header[:]); err != nil {
		return Report{}, err
	}
	if v := string(header[:6]); v != "GIF87a" && v != "GIF89a" {
		return Report{}, in.invalidAt(0, "missing GIF header")
	}
	out.Write(header[:])
	if packed := header[10]; packed&0x80 != 0 {
		if err := in.copyN(out, 3<<(packed&7+1), nil); err != nil {
			return Report{}, err
		}
	}

	images := 0
	for {
		start := in.off
		introducer, err := in.readByte()
		if err != nil {
			return Report{}, err
		}

		switch introducer {
		case 0x21:
			if err := cleanGIFExtension(out, in, &report); err != nil {
				return Report{}, err
			}

		case 0x2C:
			// The image descriptor, the local colour table, the LZW minimum code size and
			// the data sub-blocks.
			var descriptor [10]byte
			descriptor[0] = introducer
			if err := in.readFull(descriptor[1:]); err != nil {
				return Report{}, err
			}
			out.Write(descriptor[:])
			if packed := descriptor[9]; packed&0x80 != 0 {
				if err := in.copyN(out, 3<<(packed&7+1), nil); err != nil {
					return Report{}, err
				}
			}
			if err := in.copyN(out, 1, nil); err != nil {
				return Report{}, err
			}
			if err := copyGIFSubBlocks(out, in); err != nil {
				return Report{}, err
			}
			images++

		case 0x3B:
			if images == 0 {
				return Report{}, in.invalidAt(start, "trailer before any image")
			}
			out.WriteByte(introducer)
			in.dropTrailing(&report)
			if err := out.Flush(); err != nil {
				return Report{}, outputError(err)
			}
			return report, nil

		default:
			return Report{}, in.invalidAt(start, "unknown block introducer 0x%02X", introducer)
		}
	}
}

// gifApplicationsKept lists the application extensions that Clean keeps, by identifier and
// authentication code.
var gifApplicationsKept = []string{"NETSCAPE2.0", "ANIMEXTS1.0", "ICCRGBG1012"}

// cleanGIFExtension copies or drops the extension after its 0x21 introducer.
func cleanGIFExtension(out *bufio.Writer, in *imageReader, report *Report) error {
	start := in.off - 1
	label, err := in.readByte()
	if err != nil {
		return err
	}

	switch label {
	case 0xF9, 0x01: // graphic control, plain text
		out.Write([]byte{0x21, label})
		return copyGIFSubBlocks(out, in)

	case 0xFF: // application
		size, err := in.readByte()
		if err != nil {
			return err
		}
		id := make([]byte, size)
		if err := in.readFull(id); err != nil {
			return err
		}
		if size == 11 && slices.Contains(gifApplicationsKept, string(id)) {
			out.Write([]byte{0x21, label, size})
			out.Write(id)
			return copyGIFSubBlocks(out, in)
		}
		kind := "application extension"
		if string(id) == "XMP DataXMP" {
			kind = "XMP application extension"
		}
		if err := copyGIFSubBlocks(nil, in); err != nil {
			return err
		}
		report.remove(kind, in.off-start)
		return nil

	case 0xFE:
		if err := copyGIFSubBlocks(nil, in); err != nil {
			return err
		}
		report.remove("comment extension", in.off-start)
		return nil
	}

	if err := copyGIFSubBlocks(nil, in); err != nil {
		return err
	}
	report.remove("unknown extension", in.off-start)
	return nil
}

// copyGIFSubBlocks copies data sub-blocks, each a size byte and that many bytes, up to and
// including the zero-size terminator. out may be nil.
func copyGIFSubBlocks(out *bufio.Writer, in *imageReader) error {
	var w io.Writer
	if out != nil {
		w = out
	}
	for {
		size, err := in.readByte()
		if err != nil {
			return err
		}
		if out != nil {
			out.WriteByte(size)
		}
		if size == 0 {
			return nil
		}
		if err := in.copyN(w, int64(size), nil); err != nil {
			return err
		}
	}
}

// VP8X flags from the WebP container specification.
const (
	webpFlagXMP  = 0x04
	webpFlagEXIF = 0x08
)

// cleanWebP copies the RIFF chunks of a WebP file and drops EXIF, XMP and unknown chunks,
// at the top level and inside ANMF frames, and any bytes after the RIFF chunk. It clears
// the EXIF and XMP flags of VP8X and fixes the RIFF and ANMF sizes.
//
// NOTE: the pixels are not turned for a WebP EXIF orientation, which is reported but
// dropped with the EXIF chunk. Whether browsers apply that orientation to WebP could not
// be verified, so a viewer that does would show the cleaned image turned differently.
func cleanWebP(dst io.Writer, in *imageReader) (Report, error) {
	var header [12]byte
	if err := in.readFull(header[:]); err != nil {
		return Report{}, err
	}
	if string(header[:4]) != "RIFF" || string(header[8:]) != "WEBP" {
		return Report{}, in.invalidAt(0, "missing RIFF WEBP header")
	}
	riffSize := int64(binary.LittleEndian.Uint32(header[4:]))
	end := 8 + riffSize
	if riffSize < 4 || end > in.size {
		return Report{}, in.invalidAt(4, "RIFF size %d does not fit the file of %d bytes", riffSize, in.size)
	}

	// The first pass measures what is kept, because the RIFF size comes first.
	measure := &webpCleaner{in: in}
	keptSize, err := measure.chunks(12, end, false)
	if err != nil {
		return Report{}, err
	}

	out := bufio.NewWriterSize(dst, cleanBufferSize)
	c := &webpCleaner{in: in, out: out}
	binary.LittleEndian.PutUint32(header[4:], uint32(4+keptSize))
	out.Write(header[:])
	if _, err := c.chunks(12, end, false); err != nil {
		return Report{}, err
	}
	if err := in.seek(end); err != nil {
		return Report{}, err
	}
	in.dropTrailing(&c.report)
	if err := out.Flush(); err != nil {
		return Report{}, outputError(err)
	}
	c.report.Orientation = measure.report.Orientation
	return c.report, nil
}

// webpCleaner walks RIFF chunks and copies those that Clean keeps to out, or only measures
// them when out is nil.
type webpCleaner struct {
	in       *imageReader
	out      *bufio.Writer
	report   Report
	exifSeen bool
}

// chunks walks the chunks from start to end, inside an ANMF frame when inFrame is set,
// and returns the number of bytes that it keeps.
func (c *webpCleaner) chunks(start, end int64, inFrame bool) (int64, error) {
	var keptSize int64
	for off := start; off < end; {
		if err := c.in.seek(off); err != nil {
			return 0, err
		}
		if end-off < 8 {
			return 0, c.in.invalid("%d bytes left in a RIFF chunk, too few for a chunk header", end-off)
		}
		var header [8]byte
		if err := c.in.readFull(header[:]); err != nil {
			return 0, err
		}
		fourCC := string(header[:4])
		size := int64(binary.LittleEndian.Uint32(header[4:]))
		padded := size + size&1
		if off+8+padded > end {
			return 0, c.in.invalidAt(off, "chunk %q of %d bytes runs past its parent", fourCC, size)
		}
		if fourCC == "VP8X" && (inFrame || off != 12) {
			return 0, c.in.invalidAt(off, "VP8X is not the first chunk")
		}

		n, err := c.chunk(fourCC, header, size, inFrame)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			c.report.remove(webpChunkName(fourCC), 8+padded)
		}
		keptSize += n
		off += 8 + padded
	}
	return keptSize, nil
}

// webpChunkName returns the name under which Report lists a dropped chunk. Other chunk
// names come from the file and are not logged.
func webpChunkName(fourCC string) string {
	switch fourCC {
	case "EXIF", "XMP ":
		return strings.TrimSpace(fourCC) + " chunk"
	}
	return "unknown chunk"
}

// chunk copies or drops one chunk whose header has been read, and returns the bytes it
// keeps: 0 when it drops the chunk.
func (c *webpCleaner) chunk(fourCC string, header [8]byte, size int64, inFrame bool) (int64, error) {
	padded := size + size&1
	var w io.Writer
	if c.out != nil {
		w = c.out
	}

	switch {
	case fourCC == "ALPH", fourCC == "VP8 ", fourCC == "VP8L",
		!inFrame && (fourCC == "ICCP" || fourCC == "ANIM"):
		if c.out != nil {
			c.out.Write(header[:])
		}
		return 8 + padded, c.in.copyN(w, padded, nil)

	case !inFrame && fourCC == "VP8X":
		if size < 10 {
			return 0, c.in.invalid("VP8X has %d bytes, want 10", size)
		}
		flags, err := c.in.readByte()
		if err != nil {
			return 0, err
		}
		if c.out != nil {
			c.out.Write(header[:])
			c.out.WriteByte(flags &^ (webpFlagEXIF | webpFlagXMP))
		}
		return 8 + padded, c.in.copyN(w, padded-1, nil)

	case !inFrame && fourCC == "ANMF":
		// A frame header of 16 bytes, then the frame's own chunks.
		if size < 16 {
			return 0, c.in.invalid("ANMF has %d bytes, want at least 16", size)
		}
		start := c.in.off
		measure := &webpCleaner{in: c.in}
		inner, err := measure.chunks(start+16, start+padded, true)
		if err != nil {
			return 0, err
		}
		for _, kind := range measure.report.Removed {
			c.report.remove(kind, 0)
		}
		c.report.RemovedBytes += measure.report.RemovedBytes
		if c.out == nil {
			return 8 + 16 + inner, nil
		}

		binary.LittleEndian.PutUint32(header[4:], uint32(16+inner))
		c.out.Write(header[:])
		if err := c.in.seek(start); err != nil {
			return 0, err
		}
		if err := c.in.copyN(w, 16, nil); err != nil {
			return 0, err
		}
		frame := &webpCleaner{in: c.in, out: c.out}
		if _, err := frame.chunks(start+16, start+padded, true); err != nil {
			return 0, err
		}
		return 8 + 16 + inner, nil

	case fourCC == "EXIF" && !c.exifSeen && c.out == nil:
		c.exifSeen = true
		data := make([]byte, min(size, 64<<10))
		if err := c.in.readFull(data); err != nil {
			return 0, err
		}
		c.report.Orientation = exifOrientation(data)
	}
	return 0, nil
}

// cleanHEIC copies an ISO base media file (ISO/IEC 14496-12) with the bytes of its Exif
// and XMP items overwritten with zeros, so that every offset in the file stays valid.
// HEIF (ISO/IEC 23008-12) keeps an image's rotation and mirroring in irot and imir
// properties, which stay, not in EXIF. Items are found in the top-level meta box: iinf
// gives their types, iloc (versions 0 to 2, construction methods 0 and 1) where their
// bytes are. A top-level uuid box of XMP is zeroed too.
//
// NOTE: thumbnail items are kept. They show the same picture at a smaller size.
func cleanHEIC(dst io.Writer, in *imageReader) (Report, error) {
	var report Report
	var extents []heicExtent
	sawMeta := false

	for off := int64(0); off < in.size; {
		b, err := readBox(in, off, in.size, true)
		if err != nil {
			return Report{}, err
		}
		if off == 0 && b.typ != "ftyp" {
			return Report{}, in.invalidAt(0, "first box is %q, want ftyp", b.typ)
		}

		switch b.typ {
		case "meta":
			sawMeta = true
			found, err := heicMetadataExtents(in, b)
			if err != nil {
				return Report{}, err
			}
			extents = append(extents, found...)
		case "uuid":
			// The UUID that XMP's specification (part 3) gives for XMP in a uuid box.
			const xmpUUID = "\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8\x9c\x71\x99\x94\x91\xe3\xaf\xac"
			usertype := make([]byte, 16)
			if b.end-b.payload < 16 {
				return Report{}, in.invalidAt(off, "uuid box has no user type")
			}
			if err := in.readFull(usertype); err != nil {
				return Report{}, err
			}
			if string(usertype) == xmpUUID {
				extents = append(extents, heicExtent{kind: "XMP uuid box", start: b.payload + 16, end: b.end})
			}
		}
		off = b.end
	}
	if !sawMeta {
		return Report{}, in.invalidAt(0, "missing meta box")
	}
	if len(extents) > maxHEICExtents {
		return Report{}, in.invalidAt(0, "more than %d Exif and XMP extents", maxHEICExtents)
	}
	slices.SortFunc(extents, func(a, b heicExtent) int { return cmp.Compare(a.start, b.start) })
	if err := checkHEICExtents(in, extents); err != nil {
		return Report{}, err
	}

	// Overlapping extents are merged, so that each byte is zeroed once.
	merged := extents[:0]
	for _, e := range extents {
		if n := len(merged); n > 0 && e.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, e.end)
			report.remove(e.kind, 0)
			continue
		}
		merged = append(merged, e)
		report.remove(e.kind, 0)
	}

	if err := in.seek(0); err != nil {
		return Report{}, err
	}
	out := bufio.NewWriterSize(dst, cleanBufferSize)
	for _, e := range merged {
		if err := in.copyN(out, e.start-in.off, nil); err != nil {
			return Report{}, err
		}
		if err := writeZeros(out, e.end-e.start); err != nil {
			return Report{}, err
		}
		if err := in.skip(e.end - e.start); err != nil {
			return Report{}, err
		}
		report.RemovedBytes += e.end - e.start
	}
	if err := in.copyN(out, in.remaining(), nil); err != nil {
		return Report{}, err
	}
	if err := out.Flush(); err != nil {
		return Report{}, outputError(err)
	}
	return report, nil
}

// maxHEICExtents is the most Exif and XMP extents that Clean zeroes in one file. A camera
// writes one per item.
const maxHEICExtents = 1024

// maxHEICBox is the largest iinf or iloc box that Clean reads into memory. It is room for
// tens of thousands of items.
const maxHEICBox = 1 << 20

// heicExtent is a range of file offsets, from start to end, to overwrite with zeros.
type heicExtent struct {
	kind       string
	start, end int64
	inIdat     bool // the extent lies in the payload of idat (construction method 1)
}

// checkHEICExtents returns an *InvalidImageError unless each extent, sorted by start, lies
// in idat or inside the payload of one top-level box other than ftyp and meta, so that
// zeroing it leaves every box header as it is.
func checkHEICExtents(in *imageReader, extents []heicExtent) error {
	i := 0
	for off := int64(0); off < in.size && i < len(extents); {
		b, err := readBox(in, off, in.size, true)
		if err != nil {
			return err
		}
		for ; i < len(extents) && extents[i].start < b.end; i++ {
			e := extents[i]
			if e.inIdat {
				continue
			}
			if e.start < b.payload || e.end > b.end || b.typ == "ftyp" || b.typ == "meta" {
				return in.invalidAt(e.start, "%s at bytes %d to %d is not inside the payload of one box", e.kind, e.start, e.end)
			}
		}
		off = b.end
	}
	return nil
}

func writeZeros(w io.Writer, n int64) error {
	var zeros [4096]byte
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return outputError(err)
		}
		n -= k
	}
	return nil
}

// boxHeader is an ISO base media box header: its type and the file offsets where the box,
// its payload and its end are.
type boxHeader struct {
	typ                 string
	start, payload, end int64
}

// readBox reads the header of the box at off, which must end by parentEnd. A size of 0,
// allowed only at the top level, means that the box runs to the end of the file.
func readBox(in *imageReader, off, parentEnd int64, topLevel bool) (boxHeader, error) {
	if err := in.seek(off); err != nil {
		return boxHeader{}, err
	}
	if parentEnd-off < 8 {
		return boxHeader{}, in.invalid("%d bytes left in a box, too few for a box header", parentEnd-off)
	}
	var header [8]byte
	if err := in.readFull(header[:]); err != nil {
		return boxHeader{}, err
	}
	b := boxHeader{typ: string(header[4:]), start: off, payload: off + 8}
	size := int64(binary.BigEndian.Uint32(header[:4]))

	switch size {
	case 0:
		if !topLevel {
			return boxHeader{}, in.invalidAt(off, "box %q has size 0 inside another box", b.typ)
		}
		size = parentEnd - off
	case 1:
		var large [8]byte
		if parentEnd-off < 16 {
			return boxHeader{}, in.invalidAt(off, "box %q has no room for its 64-bit size", b.typ)
		}
		if err := in.readFull(large[:]); err != nil {
			return boxHeader{}, err
		}
		b.payload += 8
		large64 := binary.BigEndian.Uint64(large[:])
		if large64 > uint64(parentEnd-off) {
			return boxHeader{}, in.invalidAt(off, "box %q of %d bytes runs past its parent", b.typ, large64)
		}
		size = int64(large64)
	}
	if size < b.payload-off || size > parentEnd-off {
		return boxHeader{}, in.invalidAt(off, "box %q has size %d, which does not fit its parent", b.typ, size)
	}
	b.end = off + size
	return b, nil
}

// readBoxPayload reads the payload of b into memory, up to maxHEICBox bytes.
func readBoxPayload(in *imageReader, b boxHeader) ([]byte, error) {
	if b.end-b.payload > maxHEICBox {
		return nil, in.invalidAt(b.start, "box %q has more than %d bytes", b.typ, maxHEICBox)
	}
	if err := in.seek(b.payload); err != nil {
		return nil, err
	}
	data := make([]byte, b.end-b.payload)
	if err := in.readFull(data); err != nil {
		return nil, err
	}
	return data, nil
}

// heicMetadataExtents returns the file ranges of the Exif and XMP items of a meta box.
func heicMetadataExtents(in *imageReader, meta boxHeader) ([]heicExtent, error) {
	// meta is a full box: a version and flags come before its child boxes.
	var iinf, iloc, idat *boxHeader
	for off := meta.payload + 4; off < meta.end; {
		b, err := readBox(in, off, meta.end, false)
		if err != nil {
			return nil, err
		}
		switch b.typ {
		case "iinf":
			iinf = &b
		case "iloc":
			iloc = &b
		case "idat":
			idat = &b
		}
		off = b.end
	}
	if iinf == nil || iloc == nil {
		return nil, nil
	}

	data, err := readBoxPayload(in, *iinf)
	if err != nil {
		return nil, err
	}
	items, err := heicMetadataItems(data)
	if err != nil {
		return nil, in.invalidAt(iinf.start, "iinf box: %s", err)
	}
	if len(items) == 0 {
		return nil, nil
	}

	if data, err = readBoxPayload(in, *iloc); err != nil {
		return nil, err
	}
	extents, err := heicItemExtents(data, items, in.size, idat)
	if err != nil {
		return nil, in.invalidAt(iloc.start, "iloc box: %s", err)
	}
	return extents, nil
}

// boxFields reads big-endian fields from a box payload held in memory. After a read past
// the end, every read returns 0 and short is set.
type boxFields struct {
	b     []byte
	short bool
}

func (f *boxFields) bytes(n uint64) []byte {
	if f.short || n > uint64(len(f.b)) {
		f.short = true
		return nil
	}
	p := f.b[:n]
	f.b = f.b[n:]
	return p
}

// uint reads an unsigned integer of size bytes: 0, 2, 4 or 8.
func (f *boxFields) uint(size int) uint64 {
	p := f.bytes(uint64(size))
	var v uint64
	for _, b := range p {
		v = v<<8 | uint64(b)
	}
	return v
}

// cstring reads a string up to a zero byte, or up to the end when there is none.
func (f *boxFields) cstring() string {
	i := bytes.IndexByte(f.b, 0)
	if i < 0 {
		s := string(f.b)
		f.b = nil
		return s
	}
	s := string(f.b[:i])
	f.b = f.b[i+1:]
	return s
}

// maxHEICItems is the most Exif and XMP items that Clean accepts in one meta box.
const maxHEICItems = 1024

// heicMetadataItems returns the kind, "Exif item" or "XMP item", of each Exif and XMP item
// that the payload of an iinf box lists, by item ID.
func heicMetadataItems(payload []byte) (map[uint32]string, error) {
	f := &boxFields{b: payload}
	version := f.uint(1)
	f.uint(3) // flags
	if version == 0 {
		f.uint(2) // entry count
	} else {
		f.uint(4)
	}
	if f.short {
		return nil, errors.New("truncated header")
	}

	items := map[uint32]string{}
	for len(f.b) > 0 {
		box := &boxFields{b: f.b}
		size := box.uint(4)
		typ := string(box.bytes(4))
		if box.short || size < 8 || size > uint64(len(f.b)) {
			return nil, fmt.Errorf("item entry of %d bytes does not fit", size)
		}
		entry := &boxFields{b: f.b[8:size]}
		f.b = f.b[size:]
		if typ != "infe" {
			continue
		}

		id, kind, err := heicItemKind(entry)
		if err != nil {
			return nil, err
		}
		if kind == "" {
			continue
		}
		if len(items) >= maxHEICItems {
			return nil, fmt.Errorf("more than %d Exif and XMP items", maxHEICItems)
		}
		items[id] = kind
	}
	return items, nil
}

// heicItemKind reads an infe payload and returns the item ID and "Exif item", "XMP item"
// or "" for other items.
func heicItemKind(f *boxFields) (uint32, string, error) {
	version := f.uint(1)
	f.uint(3) // flags

	var id uint32
	var itemType, contentType string
	switch version {
	case 0, 1:
		// Before version 2 every item is a MIME item: ID, protection index, name, content
		// type.
		id = uint32(f.uint(2))
		f.uint(2)
		f.cstring()
		contentType = f.cstring()
	case 2, 3:
		if version == 2 {
			id = uint32(f.uint(2))
		} else {
			id = uint32(f.uint(4))
		}
		f.uint(2)
		itemType = string(f.bytes(4))
		f.cstring()
		if itemType == "mime" {
			contentType = f.cstring()
		}
	default:
		return 0, "", nil
	}
	if f.short {
		return 0, "", errors.New("truncated item entry")
	}

	mediaType, _, _ := strings.Cut(contentType, ";")
	switch {
	case itemType == "Exif":
		return id, "Exif item", nil
	case strings.EqualFold(strings.TrimSpace(mediaType), "application/rdf+xml"):
		return id, "XMP item", nil
	}
	return id, "", nil
}

// heicItemExtents reads an iloc payload and returns the file ranges of the listed items.
// Extents of construction method 1 lie in the payload of idat.
func heicItemExtents(payload []byte, items map[uint32]string, fileSize int64, idat *boxHeader) ([]heicExtent, error) {
	f := &boxFields{b: payload}
	version := f.uint(1)
	f.uint(3) // flags
	if version > 2 {
		return nil, fmt.Errorf("unsupported version %d", version)
	}
	sizes := f.uint(2)
	offsetSize, lengthSize := int(sizes>>12&0xF), int(sizes>>8&0xF)
	baseOffsetSize, indexSize := int(sizes>>4&0xF), int(sizes&0xF)
	if version == 0 {
		indexSize = 0
	}
	for _, s := range []int{offsetSize, lengthSize, baseOffsetSize, indexSize} {
		if s != 0 && s != 4 && s != 8 {
			return nil, fmt.Errorf("field size %d is not 0, 4 or 8", s)
		}
	}
	var count uint64
	if version < 2 {
		count = f.uint(2)
	} else {
		count = f.uint(4)
	}

	var extents []heicExtent
	for range count {
		var id uint32
		if version < 2 {
			id = uint32(f.uint(2))
		} else {
			id = uint32(f.uint(4))
		}
		method := uint64(0)
		if version >= 1 {
			method = f.uint(2) & 0xF
		}
		dataReference := f.uint(2)
		base := f.uint(baseOffsetSize)
		extentCount := f.uint(2)
		if f.short {
			return nil, errors.New("truncated item location")
		}

		kind, listed := items[id]
		// Items in other files (data_reference_index not 0) leave nothing here.
		if !listed || dataReference != 0 {
			f.bytes(uint64(indexSize+offsetSize+lengthSize) * extentCount)
			if f.short {
				return nil, errors.New("truncated extent")
			}
			continue
		}
		for range extentCount {
			f.uint(indexSize)
			offset := f.uint(offsetSize)
			length := f.uint(lengthSize)
			if f.short {
				return nil, errors.New("truncated extent")
			}
			e, err := heicExtentRange(kind, method, base, offset, length, fileSize, idat)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", id, err)
			}
			if len(extents) >= maxHEICExtents {
				return nil, fmt.Errorf("more than %d Exif and XMP extents", maxHEICExtents)
			}
			extents = append(extents, e)
		}
	}
	return extents, nil
}

// heicExtentRange returns the file range of one extent at base + offset from the start
// of the file (construction method 0) or of the payload of idat (method 1). A length of 0
// means the rest of the file or of idat.
func heicExtentRange(kind string, method, base, offset, length uint64, fileSize int64, idat *boxHeader) (heicExtent, error) {
	var origin, limit uint64
	switch method {
	case 0:
		origin, limit = 0, uint64(fileSize)
	case 1:
		if idat == nil {
			return heicExtent{}, errors.New("construction method 1 without an idat box")
		}
		origin, limit = uint64(idat.payload), uint64(idat.end)
	default:
		return heicExtent{}, fmt.Errorf("unsupported construction method %d", method)
	}

	room := limit - origin
	if base > room || offset > room-base {
		return heicExtent{}, errors.New("extent starts outside its data")
	}
	start := origin + base + offset
	if length == 0 {
		length = limit - start
	}
	if length > limit-start {
		return heicExtent{}, errors.New("extent ends outside its data")
	}
	return heicExtent{kind: kind, start: int64(start), end: int64(start + length), inIdat: method == 1}, nil
}
