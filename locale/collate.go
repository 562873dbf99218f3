package locale

import (
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Collator compares and keys strings by one language's collation rules, so that Finnish and
// Swedish sort å, ä and ö after z while English sorts them with a and o. A Collator is not safe
// for concurrent use; make one per goroutine.
type Collator struct {
	c   *collate.Collator
	buf collate.Buffer
}

// NewCollator returns a collator for the language. Case and accents still order strings that
// are otherwise equal, as a dictionary does.
func NewCollator(lang string) *Collator {
	tag, err := language.Parse(lang)
	if err != nil {
		tag = language.Und
	}
	return &Collator{c: collate.New(tag)}
}

// Compare returns -1, 0 or 1 as a sorts before, equal to or after b.
func (c *Collator) Compare(a, b string) int {
	return c.c.CompareString(a, b)
}

// Key returns a byte string whose byte order is the collation order of s. Stores keep keys as
// sort fields where the database has no collation of its own for the language.
func (c *Collator) Key(s string) []byte {
	key := c.c.KeyFromString(&c.buf, s)
	out := make([]byte, len(key))
	copy(out, key)
	c.buf.Reset()
	return out
}
