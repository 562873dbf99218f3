package georeport

import (
	"strings"
	"testing"

	"github.com/open311-to-go/open311/locale"
)

// TestErrorWithholdsPersonal checks that a Personal argument is in the client's description of
// a problem in every language, and withheld from the text of Error, which logs read.
func TestErrorWithholdsPersonal(t *testing.T) {
	var ps Problems
	ps.Add(Invalid, locale.MsgInvalidEmail, Personal("maija@@example.org"))
	ps.Add(Invalid, locale.MsgInvalidURL, "media_url", "ftp://x")
	err := ps.Err()

	for _, lang := range []string{"en", "fi", "sv"} {
		if got := err.(*Error).Problems[0].Describe(lang); !strings.Contains(got, `"maija@@example.org"`) {
			t.Errorf("Describe(%s) = %q, want the address", lang, got)
		}
	}
	text := err.Error()
	if strings.Contains(text, "maija") {
		t.Errorf("Error() = %q, want the address withheld", text)
	}
	if !strings.Contains(text, `email="(withheld)"`) || !strings.Contains(text, `"ftp://x"`) {
		t.Errorf("Error() = %q, want the withheld address and the other problem's value", text)
	}
}
