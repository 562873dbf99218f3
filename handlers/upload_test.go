package handlers

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"strings"
	"testing"
)

// exifMarker is text in the test photo's EXIF that must never be published.
const exifMarker = "GPS-SECRET-60.1699N-24.9384E"

// phoneJPEG returns a 4×2 JPEG, red on the left and blue on the right, with an EXIF segment
// that holds the orientation, an image description with exifMarker and a GPS IFD, as a
// phone writes them.
func phoneJPEG(t *testing.T, orientation uint16) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for x := 0; x < 4; x++ {
		for y := 0; y < 2; y++ {
			c := color.RGBA{R: 255, A: 255}
			if x >= 2 {
				c = color.RGBA{B: 255, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var encoded bytes.Buffer
	if err := jpeg.Encode(&encoded, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}

	// TIFF structure, big-endian: IFD0 with Orientation, ImageDescription and a GPS IFD
	// pointer, then the description text and a GPS IFD with GPSLatitudeRef.
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, be, uint32(8))
	description := exifMarker + "\x00"
	ifd0End := 8 + 2 + 3*12 + 4
	gpsOffset := ifd0End + len(description)
	binary.Write(&tiff, be, uint16(3))
	entry := func(tag, kind uint16, count, value uint32) {
		binary.Write(&tiff, be, tag)
		binary.Write(&tiff, be, kind)
		binary.Write(&tiff, be, count)
		binary.Write(&tiff, be, value)
	}
	entry(0x010E, 2, uint32(len(description)), uint32(ifd0End))
	entry(0x0112, 3, 1, uint32(orientation)<<16)
	entry(0x8825, 4, 1, uint32(gpsOffset))
	binary.Write(&tiff, be, uint32(0))
	tiff.WriteString(description)
	binary.Write(&tiff, be, uint16(1))
	entry(0x0001, 2, 2, uint32('N')<<24)
	binary.Write(&tiff, be, uint32(0))

	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(encoded.Bytes()[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, be, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(encoded.Bytes()[2:])
	return out.Bytes()
}

// multipartPost builds a POST of the form fields and files named media.
func multipartPost(t *testing.T, form map[string]string, files map[string][]byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for name, value := range form {
		w.WriteField(name, value)
	}
	for name, data := range files {
		part, err := w.CreateFormFile("media", name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
	}
	w.Close()
	r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests.json", &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	return r
}

func TestUploadRemovesExifAndTurnsUpright(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	original := phoneJPEG(t, 6) // the camera was turned 90° clockwise
	if !bytes.Contains(original, []byte(exifMarker)) {
		t.Fatal("the test photo lacks its EXIF marker")
	}
	form := map[string]string{"api_key": testKey, "service_code": "BIN", "address_string": "Kauppatori"}
	resp := ts.do(t, multipartPost(t, form, map[string][]byte{"photo.jpg": original}))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d %s", resp.StatusCode, readBody(t, resp))
	}
	stored, err := ts.store.Request(context.Background(), "test0000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.MediaURLs) != 1 {
		t.Fatalf("media_urls = %v, want one upload", stored.MediaURLs)
	}

	served := ts.do(t, httptest.NewRequest(http.MethodGet, "/open311/v2/media/"+path.Base(stored.MediaURLs[0]), nil))
	data := readBody(t, served)
	if served.StatusCode != http.StatusOK || served.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET media = %d %s", served.StatusCode, served.Header.Get("Content-Type"))
	}
	for _, secret := range []string{exifMarker, "Exif\x00\x00", "MM\x00\x2a"} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the served photo still contains %q", secret)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Turned upright, the 4×2 photo is 2×4 with its left (red) half on top.
	if b := img.Bounds(); b.Dx() != 2 || b.Dy() != 4 {
		t.Fatalf("the served photo is %dx%d, want 2x4", b.Dx(), b.Dy())
	}
	top, bottom := img.At(1, 0), img.At(1, 3)
	if r, _, b, _ := top.RGBA(); r < 0xC000 || b > 0x4000 {
		t.Errorf("the top of the upright photo is %v, want red", top)
	}
	if r, _, b, _ := bottom.RGBA(); b < 0xC000 || r > 0x4000 {
		t.Errorf("the bottom of the upright photo is %v, want blue", bottom)
	}
	for header, want := range map[string]string{
		"Cache-Control":          "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := served.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
}

func TestUploadRejectionsStoreNothing(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) { c.MaxUploadBytes = 64 << 10 })
	png := tinyPNG(t)
	form := map[string]string{"api_key": testKey, "service_code": "BIN", "address_string": "Kauppatori",
		"description": "upload rejection"}
	six := map[string][]byte{}
	for _, name := range []string{"1.png", "2.png", "3.png", "4.png", "5.png", "6.png"} {
		six[name] = png
	}
	tests := []struct {
		name       string
		files      map[string][]byte
		wantStatus int
		wantText   string
	}{
		{"text file", map[string][]byte{"notes.txt": []byte("just some text\n")}, 415, `notes.txt\" is text/plain; only JPEG`},
		{"image and text", map[string][]byte{"a.png": png, "notes.txt": []byte("text")}, 415, "notes.txt"},
		{"six files", six, 400, "6 files"},
		{"too large", map[string][]byte{"big.png": append(append([]byte{}, png...), make([]byte, 70<<10)...)}, 413, `big.png\" is larger than the limit of 64 KiB`},
		{"broken image", map[string][]byte{"broken.jpg": []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00truncated")}, 415, "broken.jpg"},
		{"empty file", map[string][]byte{"empty.jpg": nil}, 415, `empty.jpg\" is empty; send a JPEG`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ts.do(t, multipartPost(t, form, tt.files))
			body := string(readBody(t, resp))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantText) {
				t.Errorf("POST = %d %s, want %d naming %q", resp.StatusCode, body, tt.wantStatus, tt.wantText)
			}
		})
	}
	entries, err := os.ReadDir(ts.mediaDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("rejected uploads left %d files in the media folder", len(entries))
	}
	if resp := ts.get(t, "requests.json?q=rejection"); resp.Header.Get("X-Result-Count") != "0" {
		t.Errorf("rejected uploads stored requests: X-Result-Count %s", resp.Header.Get("X-Result-Count"))
	}
}

// TestUploadFileInOtherField checks that a file under a field name other than media or
// media[] fails the request with a 400 that names the field, instead of being dropped. A photo
// sent before it in the same request is not kept.
func TestUploadFileInOtherField(t *testing.T) {
	ts := newTestServer(t, "catalog.json")
	png := tinyPNG(t)
	for _, field := range []string{"photo", "media[0]", "description"} {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for name, value := range map[string]string{"api_key": testKey, "service_code": "BIN", "address_string": "Kauppatori"} {
			w.WriteField(name, value)
		}
		part, _ := w.CreateFormFile("media", "first.png")
		part.Write(png)
		part, _ = w.CreateFormFile(field, "second.png")
		part.Write(png)
		w.Close()
		r := httptest.NewRequest(http.MethodPost, "/open311/v2/requests.json", &body)
		r.Header.Set("Content-Type", w.FormDataContentType())

		resp := ts.do(t, r)
		text := string(readBody(t, resp))
		want := field + ` was sent as the file \"second.png\", but only media and media[] take files`
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(text, want) {
			t.Errorf("POST with a file in %s = %d %s, want 400 containing %s", field, resp.StatusCode, text, want)
		}
	}
	entries, err := os.ReadDir(ts.mediaDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("rejected requests left %d files in the media folder", len(entries))
	}
	if resp := ts.get(t, "requests.json"); resp.Header.Get("X-Result-Count") != "0" {
		t.Errorf("rejected requests were stored: X-Result-Count %s", resp.Header.Get("X-Result-Count"))
	}
}

// TestUploadWithoutMediaStore checks that a server without a media store rejects a photo with
// a message in the response's language, with no English words in a Finnish sentence.
func TestUploadWithoutMediaStore(t *testing.T) {
	ts := newTestServer(t, "catalog.json", func(c *Config) { c.Media = nil })
	form := map[string]string{"api_key": testKey, "service_code": "BIN", "address_string": "Kauppatori",
		"description": "photo without a media store"}
	r := multipartPost(t, form, map[string][]byte{"a.png": tinyPNG(t)})
	r.Header.Set("Accept-Language", "fi")
	resp := ts.do(t, r)
	body := string(readBody(t, resp))
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("POST with a photo = %d, want 415", resp.StatusCode)
	}
	if want := `tämä palvelin ei ota vastaan media-tiedostoja, joten tiedostoa \"a.png\" ei tallennettu`; !strings.Contains(body, want) {
		t.Errorf("POST with a photo = %s, want %q", body, want)
	}
}

func TestFormatLimit(t *testing.T) {
	for _, tt := range []struct {
		bytes int64
		want  string
	}{
		{1 << 20, "1 MiB"},
		{10 << 20, "10 MiB"},
		{64 << 10, "64 KiB"},
		{1536 << 10, "1536 KiB"},
		{1000, "1000 B"},
	} {
		if got := formatLimit(tt.bytes); got != tt.want {
			t.Errorf("formatLimit(%d) = %q, want %q", tt.bytes, got, tt.want)
		}
	}
}
