package media

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// Every piece of metadata in the test files contains "SECRET", which no output may contain.
const (
	gpsSecret     = "GPS-SECRET-WGS-84"
	serialSecret  = "SERIAL-SECRET-0042317"
	xmpSecret     = `<x:xmpmeta xmlns:x="adobe:ns:meta/">XMP-SECRET</x:xmpmeta>`
	iptcSecret    = "8BIM\x04\x04\x00\x00\x00\x00\x00\x0fIPTC-SECRET-NY"
	commentSecret = "COMMENT-SECRET"
)

// byteOrder is a TIFF byte order, binary.LittleEndian ("II") or binary.BigEndian ("MM").
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// gpsLatitude is the GPSLatitude value of the test EXIF, 60° 10' 12.34", as RATIONALs.
func gpsLatitude(order byteOrder) []byte {
	var b []byte
	for _, v := range [][2]uint32{{60, 1}, {10, 1}, {1234, 100}} {
		b = order.AppendUint32(b, v[0])
		b = order.AppendUint32(b, v[1])
	}
	return b
}

// tiffEntry is an IFD entry whose value is already in the file's byte order.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte
}

// tiffIFD lays out an IFD at offset base of a TIFF structure, followed by the values that
// do not fit in their entries.
func tiffIFD(order byteOrder, base uint32, entries []tiffEntry) []byte {
	size := 2 + 12*len(entries) + 4
	ifd := make([]byte, size)
	order.PutUint16(ifd, uint16(len(entries)))
	var values []byte
	for i, e := range entries {
		p := ifd[2+12*i:]
		order.PutUint16(p, e.tag)
		order.PutUint16(p[2:], e.typ)
		order.PutUint32(p[4:], e.count)
		if len(e.value) <= 4 {
			copy(p[8:12], e.value)
			continue
		}
		order.PutUint32(p[8:], base+uint32(size+len(values)))
		values = append(values, e.value...)
		if len(values)%2 == 1 {
			values = append(values, 0)
		}
	}
	return append(ifd, values...)
}

// exifTIFF returns EXIF data as a TIFF structure: IFD0 with the make, the orientation
// (left out when 0) and pointers to an Exif IFD with a body serial number and a GPS IFD
// with a position.
func exifTIFF(order byteOrder, orientation int) []byte {
	short := func(v uint16) []byte { return order.AppendUint16(nil, v) }
	long := func(v uint32) []byte { return order.AppendUint32(nil, v) }
	ascii := func(s string) []byte { return append([]byte(s), 0) }

	exifIFD := []tiffEntry{
		{0xA431, 2, uint32(len(serialSecret) + 1), ascii(serialSecret)}, // BodySerialNumber
	}
	gpsIFD := []tiffEntry{
		{0x0001, 2, 2, ascii("N")},                                // GPSLatitudeRef
		{0x0002, 5, 3, gpsLatitude(order)},                        // GPSLatitude
		{0x0012, 2, uint32(len(gpsSecret) + 1), ascii(gpsSecret)}, // GPSMapDatum
	}
	ifd0 := func(exifOffset, gpsOffset uint32) []tiffEntry {
		entries := []tiffEntry{{0x010F, 2, 6, ascii("Phone")}} // Make
		if orientation != 0 {
			entries = append(entries, tiffEntry{0x0112, 3, 1, short(uint16(orientation))})
		}
		return append(entries,
			tiffEntry{0x8769, 4, 1, long(exifOffset)}, // ExifIFDPointer
			tiffEntry{0x8825, 4, 1, long(gpsOffset)},  // GPSInfoIFDPointer
		)
	}

	// The sizes do not depend on the pointer values, so a first layout gives the offsets.
	size0 := len(tiffIFD(order, 8, ifd0(0, 0)))
	exifOffset := uint32(8 + size0)
	exifData := tiffIFD(order, exifOffset, exifIFD)
	gpsOffset := exifOffset + uint32(len(exifData))

	var b []byte
	if order == byteOrder(binary.LittleEndian) {
		b = append(b, "II"...)
	} else {
		b = append(b, "MM"...)
	}
	b = order.AppendUint16(b, 42)
	b = order.AppendUint32(b, 8)
	b = append(b, tiffIFD(order, 8, ifd0(exifOffset, gpsOffset))...)
	b = append(b, exifData...)
	return append(b, tiffIFD(order, gpsOffset, gpsIFD)...)
}

// checkNoMetadata fails the test when out contains any of the test metadata.
func checkNoMetadata(t *testing.T, out []byte) {
	t.Helper()
	if i := bytes.Index(out, []byte("SECRET")); i >= 0 {
		t.Errorf("output contains %q at byte %d", out[max(0, i-20):min(len(out), i+20)], i)
	}
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		if bytes.Contains(out, gpsLatitude(order)) {
			t.Errorf("output contains the GPS latitude in %v", order)
		}
	}
}

// cleanBytes runs Clean on data and fails the test on an error.
func cleanBytes(t testing.TB, data []byte, contentType string) ([]byte, Report) {
	t.Helper()
	var out bytes.Buffer
	report, err := Clean(&out, bytes.NewReader(data), contentType)
	if err != nil {
		t.Fatalf("Clean(%s) = %v", contentType, err)
	}
	return out.Bytes(), report
}

func checkRemoved(t *testing.T, report Report, want ...string) {
	t.Helper()
	for _, kind := range want {
		if !slices.Contains(report.Removed, kind) {
			t.Errorf("Report.Removed = %q, want it to contain %q", report.Removed, kind)
		}
	}
}

// jpegSegment returns a marker segment with payload.
func jpegSegment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(payload)+2))
	return append(b, payload...)
}

// withSegments returns the JPEG with the segments inserted right after SOI.
func withSegments(jpg []byte, segments ...[]byte) []byte {
	out := slices.Clone(jpg[:2])
	for _, s := range segments {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func exifSegment(order byteOrder, orientation int) []byte {
	return jpegSegment(0xE1, append([]byte("Exif\x00\x00"), exifTIFF(order, orientation)...))
}

// iccSegment returns an APP2 segment that holds a whole fake profile whose header names
// the data colour space.
func iccSegment(colorSpace string) []byte {
	profile := make([]byte, 128)
	copy(profile[16:], colorSpace)
	copy(profile[36:], "acspICC-PROFILE-BODY")
	return jpegSegment(0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), profile...))
}

// metadataSegments returns the segments that a phone or an editor may add: EXIF with GPS
// and serial number, XMP, IPTC and a comment.
func metadataSegments(order byteOrder, orientation int) [][]byte {
	return [][]byte{
		exifSegment(order, orientation),
		jpegSegment(0xE1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpSecret...)),
		jpegSegment(0xED, append([]byte("Photoshop 3.0\x00"), iptcSecret...)),
		jpegSegment(0xFE, []byte(commentSecret)),
		jpegSegment(0xE5, []byte("VENDOR-SECRET")),
	}
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gradient returns a w×h colour image whose pixels all differ.
func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 3), 255})
		}
	}
	return img
}

// jpegParts splits a JPEG into the markers of the segments before the first SOS and the
// rest of the file from the end of the first SOS header, which holds the entropy-coded
// data and EOI.
func jpegParts(t *testing.T, data []byte) (markers []byte, scans []byte) {
	t.Helper()
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		t.Fatalf("output does not start with SOI: % x", data[:min(4, len(data))])
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			t.Fatalf("no marker at byte %d of the output", i)
		}
		marker := data[i+1]
		markers = append(markers, marker)
		end := i + 2 + int(binary.BigEndian.Uint16(data[i+2:]))
		if marker == 0xDA {
			return markers, data[end:]
		}
		i = end
	}
	t.Fatal("output has no SOS")
	return nil, nil
}

func decodeJPEG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding the output: %v", err)
	}
	return img
}

// checkSamePixels compares two images pixel by pixel.
func checkSamePixels(t *testing.T, got, want image.Image) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds = %v, want %v", got.Bounds(), want.Bounds())
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g, w := color.NRGBA64Model.Convert(got.At(x, y)), color.NRGBA64Model.Convert(want.At(x, y))
			if g != w {
				t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, g, w)
			}
		}
	}
}

func TestCleanJPEGRemovesMetadata(t *testing.T) {
	original := encodeJPEG(t, gradient(40, 24), 95)
	segments := append([][]byte{iccSegment("RGB ")}, metadataSegments(binary.LittleEndian, 1)...)
	segments = append(segments, jpegSegment(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01")))
	input := withSegments(original, segments...)
	input = append(input, "TRAILING-SECRET"...)

	out, report := cleanBytes(t, input, "image/jpeg")

	checkNoMetadata(t, out)
	checkRemoved(t, report, "APP1 Exif", "APP1 XMP", "APP13 Photoshop IPTC", "COM", "APP5", "trailing data")
	if report.Orientation != 1 || report.Reencoded {
		t.Errorf("Report = %+v, want orientation 1 and no re-encoding", report)
	}
	if want := int64(len(input) - len(original) - len(segments[0]) - len(segments[len(segments)-1])); report.RemovedBytes != want {
		t.Errorf("Report.RemovedBytes = %d, want %d", report.RemovedBytes, want)
	}

	markers, scans := jpegParts(t, out)
	_, originalScans := jpegParts(t, original)
	if !bytes.Equal(scans, originalScans) {
		t.Error("entropy-coded data differs from the input's")
	}
	if markers[0] != 0xE2 || !bytes.Contains(out, segments[0]) {
		t.Errorf("output markers % X, want the ICC profile segment first and unchanged", markers)
	}
	if !bytes.Contains(out, segments[len(segments)-1]) {
		t.Error("output lost the APP14 Adobe segment")
	}
	checkSamePixels(t, decodeJPEG(t, out), decodeJPEG(t, original))
}

func TestCleanJPEGStripsJFIFThumbnail(t *testing.T) {
	original := encodeJPEG(t, gradient(16, 16), 90)
	// JFIF 1.02, dots per inch, 72×72, with a 2×1 RGB thumbnail.
	jfif := []byte("JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x02\x01THUMB!")
	jfxx := []byte("JFXX\x00\x13\x01\x01THUMB!")
	input := withSegments(original, jpegSegment(0xE0, jfif), jpegSegment(0xE0, jfxx))

	out, report := cleanBytes(t, input, "image/jpeg")

	want := jpegSegment(0xE0, []byte("JFIF\x00\x01\x02\x01\x00\x48\x00\x48\x00\x00"))
	if !bytes.HasPrefix(out[2:], want) {
		t.Errorf("output starts with % x, want SOI and % x", out[:2+len(want)], want)
	}
	if bytes.Contains(out, []byte("THUMB!")) {
		t.Error("output contains a thumbnail")
	}
	checkRemoved(t, report, "APP0 JFIF thumbnail", "APP0")
}

// exifSides lists, for each EXIF orientation, the sides of the displayed image where the
// stored 0th row and 0th column appear, as the EXIF 2.3 Orientation tag defines them.
var exifSides = map[int][2]string{
	1: {"top", "left"}, 2: {"top", "right"}, 3: {"bottom", "right"}, 4: {"bottom", "left"},
	5: {"left", "top"}, 6: {"right", "top"}, 7: {"right", "bottom"}, 8: {"left", "bottom"},
}

// displayedAt returns where a viewer that applies orientation o shows the pixel (x, y) of
// a stored w×h image.
func displayedAt(o, x, y, w, h int) (int, int) {
	rowSide, columnSide := exifSides[o][0], exifSides[o][1]
	if rowSide == "top" || rowSide == "bottom" {
		dx, dy := x, y
		if rowSide == "bottom" {
			dy = h - 1 - y
		}
		if columnSide == "right" {
			dx = w - 1 - x
		}
		return dx, dy
	}
	// Stored rows are displayed as columns.
	dx, dy := y, x
	if rowSide == "right" {
		dx = h - 1 - y
	}
	if columnSide == "bottom" {
		dy = w - 1 - x
	}
	return dx, dy
}

// storedForm returns the image that a camera stores with orientation o for a viewer to
// show displayed.
func storedForm(displayed *image.NRGBA, o int) *image.NRGBA {
	w, h := displayed.Bounds().Dx(), displayed.Bounds().Dy()
	if o >= 5 {
		w, h = h, w
	}
	stored := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			dx, dy := displayedAt(o, x, y, w, h)
			stored.Set(x, y, displayed.At(dx, dy))
		}
	}
	return stored
}

// blockColors are the colours of a 3×2 pattern, distinct in every corner.
var blockColors = [2][3]color.NRGBA{
	{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}},
	{{255, 255, 0, 255}, {255, 255, 255, 255}, {0, 0, 0, 255}},
}

// blockPattern returns the 3×2 pattern with each block size×size pixels.
func blockPattern(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 3*size, 2*size))
	for y := range 2 * size {
		for x := range 3 * size {
			img.SetNRGBA(x, y, blockColors[y/size][x/size])
		}
	}
	return img
}

func TestCleanJPEGOrientation(t *testing.T) {
	// Blocks of 16×16 pixels match the 4:2:0 MCUs of image/jpeg, so each stays one
	// colour through lossy coding.
	displayed := blockPattern(16)
	for o := 1; o <= 8; o++ {
		for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(fmt.Sprintf("%d/%v", o, order), func(t *testing.T) {
				stored := encodeJPEG(t, storedForm(displayed, o), 100)
				input := withSegments(stored, append([][]byte{iccSegment("RGB ")}, metadataSegments(order, o)...)...)

				out, report := cleanBytes(t, input, "image/jpeg")

				if report.Orientation != o || report.Reencoded != (o != 1) {
					t.Errorf("Report = %+v, want orientation %d, re-encoded %v", report, o, o != 1)
				}
				checkNoMetadata(t, out)
				if bytes.Contains(out, []byte("Exif\x00")) {
					t.Error("output contains an Exif header")
				}
				if markers, _ := jpegParts(t, out); markers[0] != 0xE2 {
					t.Errorf("output markers % X, want the ICC profile first", markers)
				}

				img := decodeJPEG(t, out)
				if got, want := img.Bounds(), displayed.Bounds(); got != want {
					t.Fatalf("output bounds = %v, want %v", got, want)
				}
				for by := range 2 {
					for bx := range 3 {
						got := color.NRGBAModel.Convert(img.At(bx*16+8, by*16+8)).(color.NRGBA)
						if want := blockColors[by][bx]; !closeColor(got, want, 24) {
							t.Errorf("block (%d, %d) = %v, want %v", bx, by, got, want)
						}
					}
				}
			})
		}
	}
}

func closeColor(a, b color.NRGBA, tolerance int) bool {
	near := func(x, y uint8) bool { return max(int(x)-int(y), int(y)-int(x)) <= tolerance }
	return near(a.R, b.R) && near(a.G, b.G) && near(a.B, b.B) && near(a.A, b.A)
}

func TestCleanJPEGReencodeGray(t *testing.T) {
	stored := image.NewGray(image.Rect(0, 0, 16, 8))
	for x := range 8 {
		for y := range 8 {
			stored.SetGray(x, y, color.Gray{Y: 250})
		}
	}
	input := withSegments(encodeJPEG(t, stored, 100), iccSegment("RGB "), exifSegment(binary.BigEndian, 6))

	out, report := cleanBytes(t, input, "image/jpeg")

	img := decodeJPEG(t, out)
	gray, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("output decodes to %T, want *image.Gray", img)
	}
	if gray.Bounds() != image.Rect(0, 0, 8, 16) {
		t.Fatalf("output bounds = %v, want 8×16", gray.Bounds())
	}
	// Turned clockwise, the bright left half of the stored image is the top half.
	if top, bottom := gray.GrayAt(4, 4).Y, gray.GrayAt(4, 12).Y; top < 240 || bottom > 10 {
		t.Errorf("top = %d, bottom = %d, want bright on top", top, bottom)
	}
	// An RGB profile does not fit a grayscale output.
	if bytes.Contains(out, []byte("ICC_PROFILE")) {
		t.Error("output kept an RGB profile for a grayscale image")
	}
	checkRemoved(t, report, "APP2 ICC_PROFILE")
}

func TestCleanJPEGTooManyPixels(t *testing.T) {
	// A header that claims 65535×65535 pixels, with an orientation that needs decoding.
	input := withSegments(encodeJPEG(t, gradient(8, 8), 90), exifSegment(binary.LittleEndian, 6))
	sof := bytes.Index(input, []byte{0xFF, 0xC0})
	binary.BigEndian.PutUint16(input[sof+5:], 65535)
	binary.BigEndian.PutUint16(input[sof+7:], 65535)

	_, err := Clean(io.Discard, bytes.NewReader(input), "image/jpeg")

	var invalid *InvalidImageError
	if !errors.As(err, &invalid) || !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("Clean = %v, want an *InvalidImageError wrapping ErrTooManyPixels", err)
	}
}

// dcJPEGOptions selects what dcJPEG puts in the file.
type dcJPEGOptions struct {
	restartInterval int  // MCUs between RSTn markers, or 0 for none
	progressive     bool // a DC scan, a DHT segment, then an AC scan
	fillBytes       bool // 0xFF fill bytes before markers between segments
}

// bitWriter writes the entropy-coded data of a scan, stuffing a zero byte after each 0xFF.
type bitWriter struct {
	out  []byte
	bits uint32
	n    uint
}

func (w *bitWriter) write(code uint32, size uint) {
	for i := size; i > 0; i-- {
		w.bits = w.bits<<1 | code>>(i-1)&1
		w.n++
		if w.n == 8 {
			w.out = append(w.out, byte(w.bits))
			if byte(w.bits) == 0xFF {
				w.out = append(w.out, 0x00)
			}
			w.bits, w.n = 0, 0
		}
	}
}

// pad fills the last byte with 1 bits, as ITU T.81 F.1.2.3 requires before a marker.
func (w *bitWriter) pad() {
	for w.n != 0 {
		w.write(1, 1)
	}
}

// writeDC codes the difference of a DC coefficient from the previous one: its size
// category, with the Huffman code that dcJPEG's table gives it (the category in 4 bits),
// then the extra bits.
func (w *bitWriter) writeDC(diff int) {
	category := uint(bits.Len(uint(max(diff, -diff))))
	w.write(uint32(category), 4)
	if diff < 0 {
		diff += 1<<category - 1
	}
	w.write(uint32(diff), category)
}

// dcJPEG encodes a grayscale image of flat 8×8 blocks, at levels[by][bx]. With only DC
// coefficients to code, the entropy-coded data is simple enough to write here, which
// image/jpeg cannot do with restart markers or progressive scans.
func dcJPEG(levels [][]uint8, options dcJPEGOptions) []byte {
	blocksY, blocksX := len(levels), len(levels[0])
	fill := func(b []byte) []byte {
		if options.fillBytes {
			return append(b, 0xFF, 0xFF)
		}
		return b
	}

	out := []byte{0xFF, 0xD8}
	// With a DC quantizer of 8, a flat block at level L has the quantized DC L - 128.
	quant := make([]byte, 65)
	quant[1] = 8
	for i := 2; i < len(quant); i++ {
		quant[i] = 1
	}
	out = append(fill(out), jpegSegment(0xDB, quant)...)

	sof := byte(0xC0)
	if options.progressive {
		sof = 0xC2
	}
	frame := []byte{8, 0, byte(8 * blocksY), 0, byte(8 * blocksX), 1, 1, 0x11, 0}
	out = append(fill(out), jpegSegment(sof, frame)...)

	// The DC table gives categories 0 to 11 the 4-bit codes 0000 to 1011. The AC table
	// gives EOB (or EOB0 in a progressive scan) the 1-bit code 0.
	dcTable := append([]byte{0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	acTable := []byte{0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00}
	out = append(fill(out), jpegSegment(0xC4, dcTable)...)
	if !options.progressive {
		out = append(fill(out), jpegSegment(0xC4, acTable)...)
	}
	if options.restartInterval > 0 {
		out = append(fill(out), jpegSegment(0xDD, []byte{0, byte(options.restartInterval)})...)
	}

	// Baseline: one scan of DC and EOB per block. Progressive: a DC scan (Ss = Se = 0).
	se := byte(63)
	if options.progressive {
		se = 0
	}
	out = append(fill(out), jpegSegment(0xDA, []byte{1, 1, 0x00, 0, se, 0})...)
	w := &bitWriter{}
	previous, mcus, restarts := 0, 0, 0
	for by := range blocksY {
		for bx := range blocksX {
			if options.restartInterval > 0 && mcus > 0 && mcus%options.restartInterval == 0 {
				w.pad()
				w.out = append(w.out, 0xFF, byte(0xD0+restarts%8))
				restarts++
				previous = 0
			}
			dc := int(levels[by][bx]) - 128
			w.writeDC(dc - previous)
			previous = dc
			if !options.progressive {
				w.write(0, 1)
			}
			mcus++
		}
	}
	w.pad()
	out = append(out, w.out...)

	if options.progressive {
		// An AC scan (Ss = 1, Se = 63) in which every block is EOB0.
		out = append(fill(out), jpegSegment(0xC4, acTable)...)
		out = append(fill(out), jpegSegment(0xDA, []byte{1, 1, 0x00, 1, 63, 0})...)
		w := &bitWriter{}
		for range blocksX * blocksY {
			w.write(0, 1)
		}
		w.pad()
		out = append(out, w.out...)
	}
	return append(fill(out), 0xFF, 0xD9)
}

// dcLevels are the block levels of the dcJPEG test images. Level 255 makes a quantized DC
// of 127, so the data holds 0xFF bytes that need stuffing.
var dcLevels = [][]uint8{
	{0, 40, 80, 120, 160},
	{255, 200, 128, 64, 1},
	{17, 255, 0, 255, 99},
}

func TestCleanJPEGHandBuilt(t *testing.T) {
	tests := []struct {
		name    string
		options dcJPEGOptions
	}{
		{"baseline", dcJPEGOptions{}},
		{"restart every MCU", dcJPEGOptions{restartInterval: 1}},
		{"restart every 4 MCUs", dcJPEGOptions{restartInterval: 4}},
		{"progressive", dcJPEGOptions{progressive: true}},
		{"fill bytes", dcJPEGOptions{fillBytes: true, restartInterval: 2}},
		{"progressive with fill bytes", dcJPEGOptions{progressive: true, fillBytes: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			original := dcJPEG(dcLevels, tt.options)
			if _, err := jpeg.Decode(bytes.NewReader(original)); err != nil {
				t.Fatalf("the test image does not decode: %v", err)
			}
			input := withSegments(original, metadataSegments(binary.BigEndian, 1)...)

			out, _ := cleanBytes(t, input, "image/jpeg")

			checkNoMetadata(t, out)
			img := decodeJPEG(t, out)
			for by, row := range dcLevels {
				for bx, want := range row {
					got := color.GrayModel.Convert(img.At(8*bx+4, 8*by+4)).(color.Gray).Y
					if max(int(got)-int(want), int(want)-int(got)) > 1 {
						t.Errorf("block (%d, %d) = %d, want %d", bx, by, got, want)
					}
				}
			}
			if tt.options.fillBytes {
				return
			}
			_, scans := jpegParts(t, out)
			_, originalScans := jpegParts(t, original)
			if !bytes.Equal(scans, originalScans) {
				t.Error("scans differ from the input's")
			}
		})
	}
}

func TestCleanJPEGRestartMarkersKept(t *testing.T) {
	input := dcJPEG(dcLevels, dcJPEGOptions{restartInterval: 1})

	out, _ := cleanBytes(t, input, "image/jpeg")

	// 15 MCUs with a restart after each but the last, cycling through RST0 to RST7.
	for i := range 14 {
		if marker := []byte{0xFF, byte(0xD0 + i%8)}; !bytes.Contains(out, marker) {
			t.Errorf("output lacks RST%d", i%8)
		}
	}
}

// pngChunk returns a chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

type testChunk struct {
	typ  string
	data []byte
}

// pngChunks splits a PNG into chunks, failing the test on a wrong CRC.
func pngChunks(t *testing.T, data []byte) []testChunk {
	t.Helper()
	if !bytes.HasPrefix(data, []byte(pngSignature)) {
		t.Fatal("output does not start with the PNG signature")
	}
	var chunks []testChunk
	for i := 8; i < len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		body := data[i+4 : i+8+n]
		if got, want := binary.BigEndian.Uint32(data[i+8+n:]), crc32.ChecksumIEEE(body); got != want {
			t.Errorf("chunk %s has CRC %08x, want %08x", body[:4], got, want)
		}
		chunks = append(chunks, testChunk{string(body[:4]), body[4:]})
		i += 12 + n
	}
	return chunks
}

func chunkTypes(chunks []testChunk) []string {
	var types []string
	for _, c := range chunks {
		if len(types) == 0 || types[len(types)-1] != c.typ {
			types = append(types, c.typ)
		}
	}
	return types
}

// withPNGChunks returns the PNG with chunks inserted after IHDR and after the last IDAT.
func withPNGChunks(t testing.TB, data []byte, afterIHDR, afterIDAT [][]byte) []byte {
	t.Helper()
	out := slices.Clone(data[:8+25])
	for _, c := range afterIHDR {
		out = append(out, c...)
	}
	iend := len(data) - 12
	if string(data[iend+4:iend+8]) != "IEND" {
		t.Fatal("the test PNG does not end with IEND")
	}
	out = append(out, data[8+25:iend]...)
	for _, c := range afterIDAT {
		out = append(out, c...)
	}
	return append(out, data[iend:]...)
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func noiseImage(w, h int, seed uint64) *image.NRGBA {
	r := rand.New(rand.NewPCG(seed, seed))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(r.UintN(256))
	}
	return img
}

func pngMetadataChunks(orientation int) [][]byte {
	return [][]byte{
		pngChunk("tEXt", []byte("Comment\x00"+commentSecret)),
		pngChunk("zTXt", []byte("Author\x00\x00\x78\x9c\x03\x00\x00\x00\x00\x01")),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpSecret)),
		pngChunk("eXIf", exifTIFF(binary.BigEndian, orientation)),
		pngChunk("tIME", []byte{0x07, 0xE9, 6, 1, 12, 0, 0}),
		pngChunk("prVt", []byte("VENDOR-SECRET")),
	}
}

func TestCleanPNGRemovesMetadata(t *testing.T) {
	img := noiseImage(5, 3, 1)
	keptChunks := [][]byte{
		pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F}),
		pngChunk("pHYs", []byte{0, 0, 0x0E, 0xC4, 0, 0, 0x0E, 0xC4, 1}),
	}
	input := withPNGChunks(t, encodePNG(t, img), append(keptChunks, pngMetadataChunks(1)...),
		[][]byte{pngChunk("tEXt", []byte("Late\x00"+commentSecret))})
	input = append(input, "TRAILING-SECRET"...)

	out, report := cleanBytes(t, input, "image/png")

	checkNoMetadata(t, out)
	chunks := pngChunks(t, out)
	if got, want := chunkTypes(chunks), []string{"IHDR", "gAMA", "pHYs", "IDAT", "IEND"}; !slices.Equal(got, want) {
		t.Errorf("output chunks = %v, want %v", got, want)
	}
	checkRemoved(t, report, "tEXt", "zTXt", "iTXt", "eXIf", "tIME", "prVt", "trailing data")
	if report.Orientation != 1 || report.Reencoded {
		t.Errorf("Report = %+v, want orientation 1 and no re-encoding", report)
	}
	decoded, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding the output: %v", err)
	}
	checkSamePixels(t, decoded, img)
}

func TestCleanPNGOrientation(t *testing.T) {
	displayed := blockPattern(1)
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			keptChunks := [][]byte{
				pngChunk("gAMA", []byte{0, 0, 0xB1, 0x8F}),
				pngChunk("pHYs", []byte{0, 0, 0x0E, 0xC4, 0, 0, 0x1D, 0x88, 1}),
			}
			input := withPNGChunks(t, encodePNG(t, storedForm(displayed, o)), append(keptChunks, pngMetadataChunks(o)...), nil)

			out, report := cleanBytes(t, input, "image/png")

			if report.Orientation != o || report.Reencoded != (o != 1) {
				t.Errorf("Report = %+v, want orientation %d, re-encoded %v", report, o, o != 1)
			}
			checkNoMetadata(t, out)
			chunks := pngChunks(t, out)
			if got := chunkTypes(chunks); !slices.Equal(got[:3], []string{"IHDR", "gAMA", "pHYs"}) {
				t.Errorf("output chunks = %v, want IHDR, gAMA and pHYs first", got)
			}
			// Turned by 90°, horizontal and vertical pixel densities trade places.
			wantX, wantY := uint32(0x0EC4), uint32(0x1D88)
			if o >= 5 {
				wantX, wantY = wantY, wantX
			}
			if phys := chunks[2].data; binary.BigEndian.Uint32(phys) != wantX || binary.BigEndian.Uint32(phys[4:]) != wantY {
				t.Errorf("pHYs = % x, want x %d and y %d", phys, wantX, wantY)
			}

			decoded, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("decoding the output: %v", err)
			}
			checkSamePixels(t, decoded, displayed)
		})
	}
}

func TestCleanPNGExifAfterIDATIgnored(t *testing.T) {
	img := noiseImage(3, 2, 6)
	input := withPNGChunks(t, encodePNG(t, img), nil, [][]byte{pngChunk("eXIf", exifTIFF(binary.LittleEndian, 6))})

	out, report := cleanBytes(t, input, "image/png")

	if report.Reencoded || report.Orientation != 0 {
		t.Errorf("Report = %+v, want no orientation and no re-encoding", report)
	}
	checkNoMetadata(t, out)
	decoded, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding the output: %v", err)
	}
	checkSamePixels(t, decoded, img)
}

func TestCleanPNGICCProfileColorSpace(t *testing.T) {
	iccp := func(colorSpace string) []byte {
		profile := make([]byte, 128)
		copy(profile[16:], colorSpace)
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(profile)
		w.Close()
		return pngChunk("iCCP", append([]byte("test\x00\x00"), z.Bytes()...))
	}
	tests := []struct {
		name       string
		img        image.Image
		colorSpace string
		wantICCP   bool
	}{
		{"RGB profile for colour", noiseImage(3, 2, 2), "RGB ", true},
		{"GRAY profile for gray", image.NewGray(image.Rect(0, 0, 3, 2)), "GRAY", true},
		{"RGB profile for gray", image.NewGray(image.Rect(0, 0, 3, 2)), "RGB ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := withPNGChunks(t, encodePNG(t, tt.img), [][]byte{iccp(tt.colorSpace), pngChunk("eXIf", exifTIFF(binary.LittleEndian, 8))}, nil)

			out, report := cleanBytes(t, input, "image/png")

			if !report.Reencoded {
				t.Fatal("the image was not re-encoded")
			}
			if got := slices.Contains(chunkTypes(pngChunks(t, out)), "iCCP"); got != tt.wantICCP {
				t.Errorf("output has iCCP = %v, want %v", got, tt.wantICCP)
			}
		})
	}
}

func TestCleanPNGAnimatedKeepsOrientation(t *testing.T) {
	// An acTL chunk marks an APNG, which image/png would decode to its first frame only.
	input := withPNGChunks(t, encodePNG(t, noiseImage(3, 2, 3)),
		[][]byte{pngChunk("acTL", []byte{0, 0, 0, 1, 0, 0, 0, 0}), pngChunk("eXIf", exifTIFF(binary.BigEndian, 6))}, nil)

	out, report := cleanBytes(t, input, "image/png")

	if report.Reencoded || report.Orientation != 6 {
		t.Errorf("Report = %+v, want orientation 6 without re-encoding", report)
	}
	if got, want := chunkTypes(pngChunks(t, out)), []string{"IHDR", "acTL", "IDAT", "IEND"}; !slices.Equal(got, want) {
		t.Errorf("output chunks = %v, want %v", got, want)
	}
}

// gifExtension returns an extension block with the data split into sub-blocks.
func gifExtension(label byte, first []byte, data []byte) []byte {
	b := []byte{0x21, label}
	if first != nil {
		b = append(b, byte(len(first)))
		b = append(b, first...)
	}
	for len(data) > 0 {
		n := min(len(data), 255)
		b = append(b, byte(n))
		b = append(b, data[:n]...)
		data = data[n:]
	}
	return append(b, 0)
}

// gifAnimation returns a two-frame animation that loops forever. The first frame uses the
// global colour table, the second a local one.
func gifAnimation() *gif.GIF {
	frame := func(seed uint64, p color.Palette) *image.Paletted {
		img := image.NewPaletted(image.Rect(0, 0, 4, 4), p)
		r := rand.New(rand.NewPCG(seed, 0))
		for i := range img.Pix {
			img.Pix[i] = uint8(r.UintN(16))
		}
		return img
	}
	return &gif.GIF{
		Image:     []*image.Paletted{frame(1, palette.Plan9[:16]), frame(2, palette.Plan9[16:32])},
		Delay:     []int{10, 20},
		Disposal:  []byte{gif.DisposalNone, gif.DisposalBackground},
		LoopCount: 0,
		Config:    image.Config{ColorModel: color.Palette(palette.Plan9[:16]), Width: 4, Height: 4},
	}
}

// withGIFBlocks returns the GIF with blocks inserted after the global colour table and
// before the trailer.
func withGIFBlocks(t testing.TB, data []byte, afterHeader, beforeTrailer [][]byte) []byte {
	t.Helper()
	start := 13
	if packed := data[10]; packed&0x80 != 0 {
		start += 3 << (packed&7 + 1)
	}
	out := slices.Clone(data[:start])
	for _, b := range afterHeader {
		out = append(out, b...)
	}
	if data[len(data)-1] != 0x3B {
		t.Fatal("the test GIF does not end with a trailer")
	}
	out = append(out, data[start:len(data)-1]...)
	for _, b := range beforeTrailer {
		out = append(out, b...)
	}
	return append(out, 0x3B)
}

func gifMetadataBlocks() [][]byte {
	// XMP in GIF ends with a 258-byte "magic trailer" that readers take for sub-blocks.
	magic := []byte{1}
	for i := 255; i >= 0; i-- {
		magic = append(magic, byte(i))
	}
	xmp := append([]byte{0x21, 0xFF, 11}, "XMP DataXMP"...)
	xmp = append(xmp, xmpSecret...)
	xmp = append(xmp, magic...)
	xmp = append(xmp, 0)
	return [][]byte{
		gifExtension(0xFE, nil, []byte(commentSecret)),
		xmp,
		gifExtension(0xFF, []byte("MGK8BIM0000"), []byte(iptcSecret)),
	}
}

func TestCleanGIFRemovesMetadata(t *testing.T) {
	animation := gifAnimation()
	var encoded bytes.Buffer
	if err := gif.EncodeAll(&encoded, animation); err != nil {
		t.Fatal(err)
	}
	input := withGIFBlocks(t, encoded.Bytes(), gifMetadataBlocks(),
		[][]byte{gifExtension(0xFE, nil, []byte(commentSecret))})
	input = append(input, "TRAILING-SECRET"...)

	out, report := cleanBytes(t, input, "image/gif")

	checkNoMetadata(t, out)
	checkRemoved(t, report, "comment extension", "XMP application extension", "application extension", "trailing data")
	if !bytes.Contains(out, []byte("NETSCAPE2.0")) {
		t.Error("output lost the NETSCAPE2.0 loop extension")
	}
	if !bytes.Equal(out, encoded.Bytes()) {
		t.Error("output differs from the GIF before the metadata was added")
	}
	decoded, err := gif.DecodeAll(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding the output: %v", err)
	}
	if len(decoded.Image) != 2 || !slices.Equal(decoded.Delay, animation.Delay) || decoded.LoopCount != animation.LoopCount {
		t.Errorf("output has %d frames, delays %v, loop count %d, want 2, %v, %d",
			len(decoded.Image), decoded.Delay, decoded.LoopCount, animation.Delay, animation.LoopCount)
	}
	for i, frame := range decoded.Image {
		checkSamePixels(t, frame, animation.Image[i])
	}
}

// webpChunk returns a RIFF chunk, padded to an even size.
func webpChunk(fourCC string, payload []byte) []byte {
	b := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))...)
	b = append(b, payload...)
	if len(payload)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func riffWebP(chunks ...[]byte) []byte {
	body := []byte("WEBP")
	for _, c := range chunks {
		body = append(body, c...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// vp8x returns a VP8X chunk with the flags and a canvas of w×h.
func vp8x(flags byte, w, h int) []byte {
	payload := []byte{flags, 0, 0, 0}
	payload = append(payload, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	payload = append(payload, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	return webpChunk("VP8X", payload)
}

// webpTree lists the chunks of a WebP file, with those inside ANMF after a slash, and
// fails the test when a size is wrong.
func webpTree(t *testing.T, data []byte) []string {
	t.Helper()
	if string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		t.Fatal("output does not start with RIFF WEBP")
	}
	if size := binary.LittleEndian.Uint32(data[4:]); int(size) != len(data)-8 {
		t.Errorf("RIFF size = %d, want %d", size, len(data)-8)
	}
	var walk func(prefix string, b []byte) []string
	walk = func(prefix string, b []byte) []string {
		var names []string
		for len(b) > 0 {
			if len(b) < 8 {
				t.Fatalf("%d bytes left, too few for a chunk", len(b))
			}
			fourCC, size := string(b[:4]), int(binary.LittleEndian.Uint32(b[4:]))
			padded := size + size&1
			if 8+padded > len(b) {
				t.Fatalf("chunk %q of %d bytes runs past its parent", fourCC, size)
			}
			names = append(names, prefix+fourCC)
			if fourCC == "ANMF" {
				names = append(names, walk(fourCC+"/", b[8+16:8+size])...)
			}
			b = b[8+padded:]
		}
		return names
	}
	return walk("", data[12:])
}

const (
	webpFlagAnimation = 0x02
	webpFlagAlpha     = 0x10
	webpFlagICC       = 0x20
)

func TestCleanWebP(t *testing.T) {
	// The bitstreams are not decoded, so any bytes do. An odd size tests the padding.
	bitstream := []byte("VP8L-BITSTREAM")[:13]
	exif := webpChunk("EXIF", exifTIFF(binary.LittleEndian, 6))
	xmp := webpChunk("XMP ", []byte(xmpSecret))
	frameHeader := make([]byte, 16)

	tests := []struct {
		name      string
		input     []byte
		wantTree  []string
		wantFlags byte
		wantKinds []string
	}{
		{
			name: "still with ICC profile",
			input: riffWebP(vp8x(webpFlagICC|webpFlagAlpha|webpFlagEXIF|webpFlagXMP, 3, 2),
				webpChunk("ICCP", []byte("ICC")), webpChunk("VP8L", bitstream), exif, xmp,
				webpChunk("ABCD", []byte("VENDOR-SECRET"))),
			wantTree:  []string{"VP8X", "ICCP", "VP8L"},
			wantFlags: webpFlagICC | webpFlagAlpha,
			wantKinds: []string{"EXIF chunk", "XMP chunk", "unknown chunk"},
		},
		{
			name: "animation",
			input: riffWebP(vp8x(webpFlagAnimation|webpFlagEXIF, 3, 2),
				webpChunk("ANIM", make([]byte, 6)),
				webpChunk("ANMF", slices.Concat(frameHeader, webpChunk("VP8L", bitstream), webpChunk("XYZW", []byte("FRAME-SECRET")))),
				webpChunk("ANMF", slices.Concat(frameHeader, webpChunk("ALPH", []byte{0, 1, 2}), webpChunk("VP8 ", bitstream))),
				exif),
			wantTree:  []string{"VP8X", "ANIM", "ANMF", "ANMF/VP8L", "ANMF", "ANMF/ALPH", "ANMF/VP8 "},
			wantFlags: webpFlagAnimation,
			wantKinds: []string{"EXIF chunk", "unknown chunk"},
		},
		{
			name:      "simple with EXIF",
			input:     append(riffWebP(webpChunk("VP8L", bitstream), exif), "TRAILING-SECRET"...),
			wantTree:  []string{"VP8L"},
			wantKinds: []string{"EXIF chunk", "trailing data"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, report := cleanBytes(t, tt.input, "image/webp")

			checkNoMetadata(t, out)
			if got := webpTree(t, out); !slices.Equal(got, tt.wantTree) {
				t.Errorf("output chunks = %q, want %q", got, tt.wantTree)
			}
			if tt.wantTree[0] == "VP8X" && out[20] != tt.wantFlags {
				t.Errorf("VP8X flags = %#02x, want %#02x", out[20], tt.wantFlags)
			}
			checkRemoved(t, report, tt.wantKinds...)
			if report.Orientation != 6 || report.Reencoded {
				t.Errorf("Report = %+v, want orientation 6 without re-encoding", report)
			}
			if !bytes.Contains(out, webpChunk("VP8L", bitstream)) && !bytes.Contains(out, webpChunk("VP8 ", bitstream)) {
				t.Error("output lost the bitstream")
			}
		})
	}
}

func isoBox(typ string, payload ...[]byte) []byte {
	body := slices.Concat(payload...)
	return slices.Concat(binary.BigEndian.AppendUint32(nil, uint32(8+len(body))), []byte(typ), body)
}

func isoFullBox(typ string, version byte, payload ...[]byte) []byte {
	return isoBox(typ, append([][]byte{{version, 0, 0, 0}}, payload...)...)
}

// heicLayout selects the form of the iloc box and the file in heicFile.
type heicLayout struct {
	ilocVersion    byte
	offsetSize     int  // 4 or 8
	lengthSize     int  // 4 or 8
	baseOffsetSize int  // 0, 4 or 8
	indexSize      int  // 0 or 4, versions 1 and 2 only
	xmpInIdat      bool // XMP by construction method 1, versions 1 and 2 only
	largeMdat      bool // mdat with a 64-bit size

	exifMethod      uint64 // construction method of the Exif item, versions 1 and 2 only
	exifExtraLength uint64 // added to the length of the Exif extent
}

// heicFile builds an ISO base media file with an image item, an Exif item and an XMP item.
// It returns the file and the ranges of the Exif and XMP bytes.
func heicFile(layout heicLayout) (file []byte, exifRange, xmpRange [2]int) {
	pixels := []byte("HEVC-IMAGE-DATA-WITHOUT-METADATA")
	exif := slices.Concat([]byte{0, 0, 0, 6}, []byte("Exif\x00\x00"), exifTIFF(binary.BigEndian, 1))
	xmp := []byte(xmpSecret)

	be := func(v uint64, size int) []byte {
		b := binary.BigEndian.AppendUint64(nil, v)
		return b[8-size:]
	}
	infe := func(id uint16, typ, contentType string) []byte {
		payload := slices.Concat(binary.BigEndian.AppendUint16(nil, id), []byte{0, 0}, []byte(typ), []byte{0})
		if typ == "mime" {
			payload = append(payload, contentType...)
			payload = append(payload, 0)
		}
		return isoFullBox("infe", 2, payload)
	}
	iinf := isoFullBox("iinf", 0, []byte{0, 3}, infe(1, "hvc1", ""), infe(2, "Exif", ""), infe(3, "mime", "application/rdf+xml"))

	type extent struct{ method, offset, length uint64 }
	iloc := func(base uint64, items map[uint16]extent) []byte {
		v := layout.ilocVersion
		sizes := uint16(layout.offsetSize<<12 | layout.lengthSize<<8 | layout.baseOffsetSize<<4)
		if v > 0 {
			sizes |= uint16(layout.indexSize)
		}
		payload := binary.BigEndian.AppendUint16(nil, sizes)
		payload = append(payload, be(3, map[bool]int{true: 4, false: 2}[v == 2])...)
		for _, id := range []uint16{1, 2, 3} {
			e := items[id]
			idSize := 2
			if v == 2 {
				idSize = 4
			}
			payload = append(payload, be(uint64(id), idSize)...)
			if v > 0 {
				method := e.method
				if id == 2 {
					method = layout.exifMethod
				}
				payload = append(payload, be(method, 2)...)
			}
			payload = append(payload, 0, 0) // data_reference_index
			itemBase := base
			if e.method == 1 {
				itemBase = 0
			}
			payload = append(payload, be(itemBase, layout.baseOffsetSize)...)
			payload = append(payload, 0, 1) // extent_count
			if v > 0 && layout.indexSize > 0 {
				payload = append(payload, be(0, layout.indexSize)...)
			}
			payload = append(payload, be(e.offset-itemBase, layout.offsetSize)...)
			payload = append(payload, be(e.length, layout.lengthSize)...)
		}
		return isoFullBox("iloc", v, payload)
	}

	ftyp := isoBox("ftyp", []byte("heic\x00\x00\x00\x00mif1heic"))
	hdlr := isoFullBox("hdlr", 0, make([]byte, 4), []byte("pict"), make([]byte, 13))
	pitm := isoFullBox("pitm", 0, []byte{0, 1})
	var idat []byte
	mdatData := slices.Concat(pixels, exif)
	if layout.xmpInIdat {
		idat = isoBox("idat", xmp)
	} else {
		mdatData = append(mdatData, xmp...)
	}
	meta := func(items map[uint16]extent, base uint64) []byte {
		return isoFullBox("meta", 0, hdlr, pitm, iinf, iloc(base, items), idat)
	}
	mdat := func() []byte {
		if !layout.largeMdat {
			return isoBox("mdat", mdatData)
		}
		return slices.Concat([]byte{0, 0, 0, 1}, []byte("mdat"), binary.BigEndian.AppendUint64(nil, uint64(16+len(mdatData))), mdatData)
	}

	// The sizes of the boxes do not depend on the offsets, so a first layout gives them.
	metaSize := len(meta(nil, 0))
	mdatStart := uint64(len(ftyp) + metaSize + len(mdat()) - len(mdatData))
	base := uint64(0)
	if layout.baseOffsetSize > 0 {
		base = mdatStart
	}
	items := map[uint16]extent{
		1: {0, mdatStart, uint64(len(pixels))},
		2: {0, mdatStart + uint64(len(pixels)), uint64(len(exif)) + layout.exifExtraLength},
		3: {0, mdatStart + uint64(len(pixels)+len(exif)), uint64(len(xmp))},
	}
	if layout.xmpInIdat {
		items[3] = extent{1, 0, uint64(len(xmp))}
	}
	file = slices.Concat(ftyp, meta(items, base), mdat())

	exifStart := int(items[2].offset)
	exifRange = [2]int{exifStart, exifStart + len(exif)}
	xmpStart := bytes.Index(file, xmp)
	xmpRange = [2]int{xmpStart, xmpStart + len(xmp)}
	return file, exifRange, xmpRange
}

func TestCleanHEIC(t *testing.T) {
	tests := []struct {
		name   string
		layout heicLayout
	}{
		{"version 0", heicLayout{ilocVersion: 0, offsetSize: 4, lengthSize: 4}},
		{"version 0 with base offset", heicLayout{ilocVersion: 0, offsetSize: 4, lengthSize: 4, baseOffsetSize: 4}},
		{"version 1 idat", heicLayout{ilocVersion: 1, offsetSize: 4, lengthSize: 4, xmpInIdat: true}},
		{"version 1 index", heicLayout{ilocVersion: 1, offsetSize: 8, lengthSize: 4, baseOffsetSize: 8, indexSize: 4}},
		{"version 2 idat", heicLayout{ilocVersion: 2, offsetSize: 8, lengthSize: 8, baseOffsetSize: 4, xmpInIdat: true}},
		{"64-bit mdat size", heicLayout{ilocVersion: 1, offsetSize: 4, lengthSize: 4, largeMdat: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input, exifRange, xmpRange := heicFile(tt.layout)

			out, report := cleanBytes(t, input, "image/heic")

			checkNoMetadata(t, out)
			if len(out) != len(input) {
				t.Fatalf("output has %d bytes, want %d", len(out), len(input))
			}
			for i := range input {
				inRange := func(r [2]int) bool { return i >= r[0] && i < r[1] }
				want := input[i]
				if inRange(exifRange) || inRange(xmpRange) {
					want = 0
				}
				if out[i] != want {
					t.Fatalf("output byte %d = %#02x, want %#02x", i, out[i], want)
				}
			}
			checkRemoved(t, report, "Exif item", "XMP item")
			if want := int64(exifRange[1] - exifRange[0] + xmpRange[1] - xmpRange[0]); report.RemovedBytes != want {
				t.Errorf("Report.RemovedBytes = %d, want %d", report.RemovedBytes, want)
			}
		})
	}
}

func TestCleanHEICXMPUUIDBox(t *testing.T) {
	input, _, _ := heicFile(heicLayout{ilocVersion: 0, offsetSize: 4, lengthSize: 4})
	const xmpUUID = "\xbe\x7a\xcf\xcb\x97\xa9\x42\xe8\x9c\x71\x99\x94\x91\xe3\xaf\xac"
	uuid := isoBox("uuid", []byte(xmpUUID), []byte(xmpSecret))
	input = append(input, uuid...)

	out, report := cleanBytes(t, input, "image/heic")

	checkNoMetadata(t, out)
	if !bytes.HasSuffix(out, slices.Concat(uuid[:24], make([]byte, len(xmpSecret)))) {
		t.Error("the uuid box is not kept with its payload zeroed")
	}
	checkRemoved(t, report, "XMP uuid box")
}

// cleanSamples returns a well-formed file of each type, with metadata, as the malformed and
// fuzz tests start from.
func cleanSamples(t testing.TB) map[string][][]byte {
	t.Helper()
	jpg := withSegments(encodeJPEG(t, gradient(24, 16), 90), metadataSegments(binary.LittleEndian, 1)...)
	rotated := withSegments(encodeJPEG(t, gradient(24, 16), 90), iccSegment("RGB "), exifSegment(binary.BigEndian, 6))
	progressive := withSegments(dcJPEG(dcLevels, dcJPEGOptions{progressive: true}), metadataSegments(binary.BigEndian, 1)...)
	restarts := dcJPEG(dcLevels, dcJPEGOptions{restartInterval: 2, fillBytes: true})

	pngFile := withPNGChunks(t, encodePNG(t, noiseImage(5, 3, 4)), pngMetadataChunks(1), nil)
	pngRotated := withPNGChunks(t, encodePNG(t, noiseImage(5, 3, 5)), pngMetadataChunks(7), nil)

	var encoded bytes.Buffer
	if err := gif.EncodeAll(&encoded, gifAnimation()); err != nil {
		t.Fatal(err)
	}
	gifFile := withGIFBlocks(t, encoded.Bytes(), gifMetadataBlocks(), nil)

	bitstream := []byte("VP8L-BITSTREAM")[:13]
	webp := riffWebP(vp8x(webpFlagICC|webpFlagEXIF|webpFlagXMP, 3, 2), webpChunk("ICCP", []byte("ICC")),
		webpChunk("VP8L", bitstream), webpChunk("EXIF", exifTIFF(binary.LittleEndian, 3)), webpChunk("XMP ", []byte(xmpSecret)))
	webpAnimated := riffWebP(vp8x(webpFlagAnimation, 3, 2), webpChunk("ANIM", make([]byte, 6)),
		webpChunk("ANMF", slices.Concat(make([]byte, 16), webpChunk("VP8L", bitstream), webpChunk("XYZW", []byte("x")))))

	heic0, _, _ := heicFile(heicLayout{ilocVersion: 0, offsetSize: 4, lengthSize: 4, baseOffsetSize: 4})
	heic2, _, _ := heicFile(heicLayout{ilocVersion: 2, offsetSize: 8, lengthSize: 4, indexSize: 4, xmpInIdat: true})

	return map[string][][]byte{
		"image/jpeg": {jpg, rotated, progressive, restarts},
		"image/png":  {pngFile, pngRotated},
		"image/gif":  {gifFile},
		"image/webp": {webp, webpAnimated},
		"image/heic": {heic0, heic2},
	}
}

func checkInvalid(t *testing.T, data []byte, contentType string) {
	t.Helper()
	_, err := Clean(io.Discard, bytes.NewReader(data), contentType)
	var invalid *InvalidImageError
	if !errors.As(err, &invalid) {
		t.Fatalf("Clean(%d bytes) = %v, want an *InvalidImageError", len(data), err)
	}
	if invalid.ContentType != contentType || invalid.Reason == "" {
		t.Errorf("error = %+v, want content type %s and a reason", invalid, contentType)
	}
}

func TestCleanTruncated(t *testing.T) {
	for contentType, files := range cleanSamples(t) {
		for i, file := range files {
			t.Run(fmt.Sprintf("%s/%d", contentType, i), func(t *testing.T) {
				for n := range len(file) {
					checkInvalid(t, file[:n], contentType)
				}
			})
		}
	}
}

// patched returns a copy of data with b written at offset off, or at len(data)+off when
// off is negative.
func patched(data []byte, off int, b ...byte) []byte {
	data = slices.Clone(data)
	if off < 0 {
		off += len(data)
	}
	copy(data[off:], b)
	return data
}

func TestCleanMalformed(t *testing.T) {
	all := cleanSamples(t)
	jpg, jpgRotated := all["image/jpeg"][0], all["image/jpeg"][1]
	pngFile, pngRotated := all["image/png"][0], all["image/png"][1]
	gifFile, webp := all["image/gif"][0], all["image/webp"][0]
	heic := all["image/heic"][0]
	sof := bytes.Index(jpg, []byte{0xFF, 0xC0})
	sos := bytes.Index(jpg, []byte{0xFF, 0xDA})
	iloc := bytes.Index(heic, []byte("iloc")) - 4
	heicFileWith := func(layout heicLayout) []byte {
		file, _, _ := heicFile(layout)
		return file
	}

	tests := []struct {
		name        string
		contentType string
		data        []byte
		tooLarge    bool
	}{
		{"jpeg empty", "image/jpeg", nil, false},
		{"jpeg without SOI", "image/jpeg", jpg[2:], false},
		{"jpeg segment length 1", "image/jpeg", patched(jpg, 4, 0, 1), false},
		{"jpeg segment past the end", "image/jpeg", patched(jpg, 4, 0xFF, 0xFF), false},
		{"jpeg garbage between segments", "image/jpeg", patched(jpg, sof, 0x00), false},
		{"jpeg reserved marker", "image/jpeg", patched(jpg, sof, 0xFF, 0xF1), false},
		{"jpeg SOF length", "image/jpeg", patched(jpg, sof+2, 0, 9), false},
		{"jpeg SOS before SOF", "image/jpeg", slices.Concat(jpg[:2], jpg[sos:]), false},
		{"jpeg EOI before SOS", "image/jpeg", []byte{0xFF, 0xD8, 0xFF, 0xD9}, false},
		{"jpeg without EOI", "image/jpeg", jpg[:len(jpg)-2], false},
		{"jpeg 65535×65535 to turn", "image/jpeg", patched(jpgRotated, bytes.Index(jpgRotated, []byte{0xFF, 0xC0})+5, 0xFF, 0xFF, 0xFF, 0xFF), true},
		{"jpeg undecodable data to turn", "image/jpeg", patched(jpgRotated, bytes.Index(jpgRotated, []byte{0xFF, 0xC4})+4, 0xFF, 0xFF, 0xFF), false},

		{"png empty", "image/png", nil, false},
		{"png signature", "image/png", patched(pngFile, 1, 'J'), false},
		{"png first chunk not IHDR", "image/png", slices.Concat(pngFile[:8], pngChunk("gAMA", []byte{0, 0, 0, 1}), pngFile[8:]), false},
		{"png chunk length huge", "image/png", patched(pngFile, 8+25, 0x7F, 0xFF, 0xFF, 0xFF), false},
		{"png chunk type", "image/png", patched(pngFile, 8+25+4, '1'), false},
		{"png CRC", "image/png", patched(pngFile, 8+21, 0), false},
		{"png IHDR length", "image/png", slices.Concat(pngFile[:8], pngChunk("IHDR", make([]byte, 12)), pngFile[8+25:]), false},
		{"png width 0", "image/png", slices.Concat(pngFile[:8], pngChunk("IHDR", make([]byte, 13)), pngFile[8+25:]), false},
		{"png without IDAT", "image/png", slices.Concat(pngFile[:8+25], pngChunk("IEND", nil)), false},
		{"png 100000×100000 to turn", "image/png", slices.Concat(pngRotated[:8], pngChunk("IHDR", []byte{0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 6, 0, 0, 0}), pngRotated[8+25:]), true},

		{"gif empty", "image/gif", nil, false},
		{"gif header", "image/gif", patched(gifFile, 3, '9', '0'), false},
		{"gif unknown block", "image/gif", patched(gifFile, -1, 0x99), false},
		{"gif without image", "image/gif", slices.Concat(gifFile[:13+48], []byte{0x3B}), false},

		{"webp empty", "image/webp", nil, false},
		{"webp RIFF size past the end", "image/webp", patched(webp, 4, 0xFF, 0xFF, 0xFF, 0x00), false},
		{"webp RIFF size too small", "image/webp", patched(webp, 4, 2, 0, 0, 0), false},
		{"webp chunk past its parent", "image/webp", patched(webp, 12+18+4, 0xFF, 0xFF, 0, 0), false},
		{"webp VP8X not first", "image/webp", riffWebP(webpChunk("VP8L", []byte{1}), vp8x(0, 1, 1)), false},
		{"webp VP8X short", "image/webp", riffWebP(webpChunk("VP8X", []byte{0, 0})), false},
		{"webp ANMF short", "image/webp", riffWebP(vp8x(webpFlagAnimation, 1, 1), webpChunk("ANMF", make([]byte, 8))), false},
		{"webp odd RIFF size", "image/webp", append(patched(webp, 4, byte(len(webp)-7)), 0), false},

		{"heic empty", "image/heic", nil, false},
		{"heic first box not ftyp", "image/heic", patched(heic, 4, 'f', 'r', 'e', 'e'), false},
		{"heic box size 4", "image/heic", patched(heic, 0, 0, 0, 0, 4), false},
		{"heic box past the end", "image/heic", patched(heic, 0, 0x7F, 0, 0, 0), false},
		{"heic size 0 inside meta", "image/heic", patched(heic, bytes.Index(heic, []byte("hdlr"))-4, 0, 0, 0, 0), false},
		{"heic without meta", "image/heic", isoBox("ftyp", []byte("heic")), false},
		{"heic iloc version 3", "image/heic", patched(heic, iloc+8, 3), false},
		{"heic iloc field size 3", "image/heic", patched(heic, iloc+12, 0x34), false},
		{"heic extent past the end", "image/heic", heicFileWith(heicLayout{ilocVersion: 1, offsetSize: 4, lengthSize: 4, exifExtraLength: 1 << 20}), false},
		{"heic extent over the next box", "image/heic", append(heicFileWith(heicLayout{ilocVersion: 1, offsetSize: 4, lengthSize: 4, exifExtraLength: uint64(len(xmpSecret)) + 1}), isoBox("free", []byte("padding"))...), false},
		{"heic construction method 2", "image/heic", heicFileWith(heicLayout{ilocVersion: 1, offsetSize: 4, lengthSize: 4, exifMethod: 2}), false},
		{"heic method 1 without idat", "image/heic", heicFileWith(heicLayout{ilocVersion: 1, offsetSize: 4, lengthSize: 4, exifMethod: 1}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.data, tt.contentType)
			_, err := Clean(io.Discard, bytes.NewReader(tt.data), tt.contentType)
			t.Log(err)
			if got := errors.Is(err, ErrTooManyPixels); got != tt.tooLarge {
				t.Errorf("errors.Is(%v, ErrTooManyPixels) = %v, want %v", err, got, tt.tooLarge)
			}
		})
	}
}

func TestCleanUnsupportedContentType(t *testing.T) {
	_, err := Clean(io.Discard, bytes.NewReader([]byte("BM")), "image/bmp")
	var invalid *InvalidImageError
	if err == nil || errors.As(err, &invalid) {
		t.Errorf("Clean(image/bmp) = %v, want an error that is not an *InvalidImageError", err)
	}
}

type failingOutput struct{}

func (failingOutput) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCleanWriteError(t *testing.T) {
	for contentType, files := range cleanSamples(t) {
		for i, file := range files {
			_, err := Clean(failingOutput{}, bytes.NewReader(file), contentType)
			var invalid *InvalidImageError
			if err == nil || errors.As(err, &invalid) {
				t.Errorf("Clean(%s %d) to a failing writer = %v, want a write error", contentType, i, err)
			}
		}
	}
}

// largeJPEG returns a JPEG of about size bytes with an EXIF segment of orientation 1.
// Noise at quality 100 takes about 2 bytes per pixel.
func largeJPEG(t testing.TB, size int) []byte {
	t.Helper()
	side := 1
	for side*side*2 < size {
		side += 16
	}
	img := noiseImage(side, side, 6)
	return withSegments(encodeJPEG(t, img, 100), metadataSegments(binary.LittleEndian, 1)...)
}

func TestCleanJPEGMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 4 MB JPEG")
	}
	input := largeJPEG(t, 4<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	if _, err := Clean(io.Discard, bytes.NewReader(input), "image/jpeg"); err != nil {
		t.Fatal(err)
	}

	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 256<<10 {
		t.Errorf("cleaning a %d-byte JPEG allocated %d bytes, want at most 256 KiB", len(input), allocated)
	}
}

func BenchmarkCleanJPEG(b *testing.B) {
	for _, size := range []int{1 << 20, 10 << 20} {
		input := largeJPEG(b, size)
		b.Run(fmt.Sprintf("%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Clean(io.Discard, bytes.NewReader(input), "image/jpeg"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fuzzClean checks that Clean never panics, returns only *InvalidImageError for any input
// (reading and writing memory cannot fail), does not grow a file it copies, and leaves
// its own output as it is.
func fuzzClean(f *testing.F, contentType string) {
	maxDecodePixels = 1 << 20
	f.Cleanup(func() { maxDecodePixels = MaxPixels })
	for _, file := range cleanSamples(f)[contentType] {
		f.Add(file)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		report, err := Clean(&out, bytes.NewReader(data), contentType)
		if err != nil {
			var invalid *InvalidImageError
			if !errors.As(err, &invalid) {
				t.Fatalf("Clean = %v, want nil or an *InvalidImageError", err)
			}
			return
		}
		if !report.Reencoded && out.Len() > len(data) {
			t.Errorf("output has %d bytes, more than the input's %d", out.Len(), len(data))
		}

		var again bytes.Buffer
		if _, err := Clean(&again, bytes.NewReader(out.Bytes()), contentType); err != nil {
			t.Fatalf("cleaning the output again: %v", err)
		}
		if !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Errorf("cleaning the output again changed it from %d to %d bytes", out.Len(), again.Len())
		}
	})
}

func FuzzCleanJPEG(f *testing.F) { fuzzClean(f, "image/jpeg") }
func FuzzCleanPNG(f *testing.F)  { fuzzClean(f, "image/png") }
func FuzzCleanGIF(f *testing.F)  { fuzzClean(f, "image/gif") }
func FuzzCleanWebP(f *testing.F) { fuzzClean(f, "image/webp") }
func FuzzCleanHEIC(f *testing.F) { fuzzClean(f, "image/heic") }
