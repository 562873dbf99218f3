package media

import (
	"bytes"
	"net/http"
)

// Sniff returns the content type of a file from its first bytes (512 are enough) and the
// extension to store it under. The extension is empty for a type that is not an accepted
// image: JPEG, PNG, GIF, WebP or HEIC.
func Sniff(head []byte) (contentType, ext string) {
	if isHEIC(head) {
		return "image/heic", ".heic"
	}
	contentType = http.DetectContentType(head)
	switch contentType {
	case "image/jpeg":
		return contentType, ".jpg"
	case "image/png":
		return contentType, ".png"
	case "image/gif":
		return contentType, ".gif"
	case "image/webp":
		return contentType, ".webp"
	}
	return contentType, ""
}

// isHEIC reports whether the bytes start an ISO base media file whose major brand is one of
// HEIF's image brands (ISO/IEC 23008-12).
func isHEIC(head []byte) bool {
	if len(head) < 12 || !bytes.Equal(head[4:8], []byte("ftyp")) {
		return false
	}
	switch string(head[8:12]) {
	case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
		return true
	}
	return false
}

// ContentTypeOf returns the content type for a stored name's extension.
func ContentTypeOf(name string) string {
	switch {
	case hasSuffix(name, ".jpg"):
		return "image/jpeg"
	case hasSuffix(name, ".png"):
		return "image/png"
	case hasSuffix(name, ".gif"):
		return "image/gif"
	case hasSuffix(name, ".webp"):
		return "image/webp"
	case hasSuffix(name, ".heic"):
		return "image/heic"
	}
	return "application/octet-stream"
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}
