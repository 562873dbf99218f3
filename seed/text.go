package seed

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentenceWords bounds the words of a generated sentence.
const minSentenceWords, maxSentenceWords = 4, 14

// sentences returns Finnish-looking text of about length characters, never fewer than the
// first word, made of sentences of words drawn by their frequency in the Helsinki texts.
// With probability lineBreaks, the sentences are separated by line breaks instead of
// spaces, as 31% of Helsinki's descriptions and 97% of its status notes are.
func (g *Generator) sentences(length int, lineBreaks float64) string {
	random := g.random
	separator := byte(' ')
	if random.Float64() < lineBreaks {
		separator = '\n'
	}

	b := &g.text
	b.Reset()
	b.Grow(length + 16)
	written := 0
	for written < length {
		if written > 0 {
			b.WriteByte(separator)
			written++
		}
		n := minSentenceWords + random.IntN(maxSentenceWords-minSentenceWords+1)
		for i := 0; i < n && written < length; i++ {
			word := pickWord.pick(random)
			if i == 0 {
				written += writeCapitalized(b, word)
			} else {
				b.WriteByte(' ')
				b.WriteString(word)
				written += 1 + utf8.RuneCountInString(word)
			}
		}
		b.WriteByte('.')
		written++
	}
	return b.String()
}

// title returns a title of a length drawn from the Helsinki titles: capitalized words
// without a final period, such as "Liikennejärjestelyt puuttuvat".
func (g *Generator) title() string {
	random := g.random
	length := int(sampleQuantile(random, titleLengths))
	b := &g.text
	b.Reset()
	written := writeCapitalized(b, pickWord.pick(random))
	for written < length {
		word := pickWord.pick(random)
		b.WriteByte(' ')
		b.WriteString(word)
		written += 1 + utf8.RuneCountInString(word)
	}
	return b.String()
}

// writeCapitalized writes word with its first letter in upper case and returns its length
// in characters.
func writeCapitalized(b *strings.Builder, word string) int {
	first, size := utf8.DecodeRuneInString(word)
	b.WriteRune(unicode.ToUpper(first))
	b.WriteString(word[size:])
	return utf8.RuneCountInString(word)
}

func writeInt(b *strings.Builder, n int) {
	var digits [20]byte
	b.Write(strconv.AppendInt(digits[:0], int64(n), 10))
}
