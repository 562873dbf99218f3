package locale

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	set := NewSet("en", []string{"en", "fi", "sv"})
	tests := []struct {
		locale, acceptLanguage, want string
	}{
		{"", "", "en"},
		{"fi", "", "fi"},
		{"fi_FI", "", "fi"},
		{"fi-FI", "", "fi"},
		{"sv_SE", "", "sv"},
		{"sv_FI", "", "sv"},
		{"en_GB", "", "en"},
		{"EN-us", "", "en"},
		{"de", "", "en"},
		{"de", "fi", "en"},
		{"\xff", "", "en"},
		{"../../etc", "", "en"},
		{"fi", "sv", "fi"},
		{"", "de-DE,de;q=0.9,sv;q=0.8,fi;q=0.5", "sv"},
		{"", "fi;q=0.3, sv;q=0.9", "sv"},
		{"", "fi-FI", "fi"},
		{"", "de", "en"},
		{"", "sv;q=0, fi;q=0.1", "fi"},
		{"", "*", "en"},
		{"", "not a header;;;", "en"},
	}
	for _, tt := range tests {
		if got := set.Negotiate(tt.locale, tt.acceptLanguage); got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.locale, tt.acceptLanguage, got, tt.want)
		}
	}
}

func TestNewSetKeepsDefaultFirst(t *testing.T) {
	set := NewSet("FI_fi", []string{"en", "fi", "sv", "en", "x"})
	if got, want := set.Languages(), []string{"fi", "en", "sv"}; !slices.Equal(got, want) {
		t.Errorf("Languages() = %v, want %v", got, want)
	}
}

func TestCollatorOrders(t *testing.T) {
	tests := []struct {
		lang  string
		words []string // in the language's order
	}{
		// Finnish and Swedish sort å, ä and ö after z; a byte order puts Ä before Å.
		{"fi", []string{"Kadut", "Muut", "Ympäristö", "Zoonoosiepäily", "Åbo", "Äänihaitta", "Öljy"}},
		{"sv", []string{"Avfall", "Gator", "Zebra", "Återvinningsstation", "Ägarlös cykel", "Övrigt"}},
		// English sorts them with a and o.
		{"en", []string{"Äänihaitta", "Bin", "Öljy", "Zoonosis"}},
	}
	for _, tt := range tests {
		c := NewCollator(tt.lang)
		shuffled := slices.Clone(tt.words)
		slices.Reverse(shuffled)
		slices.SortFunc(shuffled, c.Compare)
		if !slices.Equal(shuffled, tt.words) {
			t.Errorf("%s collation sorts %v, want %v", tt.lang, shuffled, tt.words)
		}
		for i := 1; i < len(tt.words); i++ {
			if a, b := string(c.Key(tt.words[i-1])), string(c.Key(tt.words[i])); a >= b {
				t.Errorf("%s key of %q is not below the key of %q", tt.lang, tt.words[i-1], tt.words[i])
			}
		}
	}
}

func TestMessagesTranslated(t *testing.T) {
	for _, lang := range []string{"en", "fi", "sv"} {
		got := MsgInvalidChoice.Format(lang, "status", "pending", "open, closed")
		if !strings.Contains(got, "status") || !strings.Contains(got, `"pending"`) {
			t.Errorf("MsgInvalidChoice in %s = %q, want the parameter and the quoted value", lang, got)
		}
	}
	if MsgRequired.Format("de", "x") != MsgRequired.Format("en", "x") {
		t.Error("a language without a translation does not fall back to English")
	}
}

func TestListArguments(t *testing.T) {
	tests := []struct {
		lang string
		arg  any
		want string
	}{
		{"en", AnyOf{"json", "xml", "geojson"}, "use json, xml or geojson"},
		{"fi", AnyOf{"json", "xml"}, "käytä muotoa json tai xml"},
		{"sv", AnyOf{"json", "xml"}, "använd json eller xml"},
		{"en", AnyOf{"json"}, "use json"},
		{"de", AnyOf{"json", "xml"}, "use json or xml"},
	}
	for _, tt := range tests {
		if got := MsgFormatNotFound.Format(tt.lang, "services", "csv", tt.arg); !strings.HasSuffix(got, tt.want) {
			t.Errorf("MsgFormatNotFound in %s with %v = %q, want it to end in %q", tt.lang, tt.arg, got, tt.want)
		}
	}
	for lang, want := range map[string]string{"en": "lat and radius", "fi": "lat ja radius", "sv": "lat och radius"} {
		if got := MsgCircleIncomplete.Format(lang, AllOf{"lat", "radius"}); !strings.HasSuffix(got, want) {
			t.Errorf("MsgCircleIncomplete in %s = %q, want it to end in %q", lang, got, want)
		}
	}
}

// TestMessagesFormatCleanly renders every translation in messages.go with as many arguments as
// it refers to, so that a stray % or a wrong index shows up as fmt's %!verb text. It reads the
// file's source, so new messages are checked without being listed here.
func TestMessagesFormatCleanly(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "messages.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	verb := regexp.MustCompile(`%\[(\d)\]([a-zA-Z])`)
	checked := 0
	ast.Inspect(file, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		lit, ok := kv.Value.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		format, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		args := make([]any, 9)
		need := 0
		for _, m := range verb.FindAllStringSubmatch(format, -1) {
			i := int(m[1][0] - '1')
			need = max(need, i+1)
			switch m[2] {
			case "d":
				args[i] = 1
			case "U":
				args[i] = 'x'
			default:
				args[i] = "x"
			}
		}
		args = args[:need]
		if got := fmt.Sprintf(format, args...); strings.Contains(got, "%!") {
			t.Errorf("%q renders as %q", format, got)
		}
		checked++
		return true
	})
	if checked < 100 {
		t.Errorf("checked %d translations, want every message of messages.go", checked)
	}
}
