package georeport

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/open311-to-go/open311/locale"
)

// Kind is the class of an error. Handlers map kinds to HTTP statuses, and stores translate
// their drivers' errors into kinds, so that nothing above a store branches on a driver error.
type Kind int

// The kinds, from the most to the least specific. Internal is the zero value, so that an
// error of unknown origin is treated as a server fault.
const (
	Internal    Kind = iota // a bug or an unexpected failure (500)
	Invalid                 // a parameter is missing, malformed or out of range (400)
	Forbidden               // the API key is missing, unknown or revoked (403)
	NotFound                // the resource does not exist (404)
	Conflict                // the resource already exists (409 on the wire; POST retries on it)
	TooLarge                // a body or an upload is over its limit (413)
	Unsupported             // a body or an upload of a type the server does not accept (415)
	Unavailable             // the store cannot be reached (503)
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case Forbidden:
		return "forbidden"
	case NotFound:
		return "not found"
	case Conflict:
		return "conflict"
	case TooLarge:
		return "too large"
	case Unsupported:
		return "unsupported"
	case Unavailable:
		return "unavailable"
	}
	return "internal"
}

// Problem is one thing wrong with a request, as a client reads it: a message and the
// arguments it names, rendered in the response language by Describe.
type Problem struct {
	Kind    Kind
	Message locale.Message
	Args    []any
}

// Describe returns the problem's description in the language.
func (p Problem) Describe(lang string) string {
	return p.Message.Format(lang, p.Args...)
}

// Personal is a problem argument that is personal data, such as a reporter's e-mail address.
// The client that sent it reads it in the problem's description, but Error, whose text goes
// to logs, writes withheldPersonal in its place.
type Personal string

// withheldPersonal replaces a Personal argument in the text of Error.
const withheldPersonal = "(withheld)"

// describeForLog returns the problem's English description with its Personal arguments
// withheld.
func (p Problem) describeForLog() string {
	args := p.Args
	cloned := false
	for i, arg := range p.Args {
		if _, ok := arg.(Personal); !ok {
			continue
		}
		if !cloned {
			args, cloned = slices.Clone(p.Args), true
		}
		args[i] = withheldPersonal
	}
	return p.Message.Format("en", args...)
}

// Error is an error with a kind, the problems a client may read, and the cause an operator
// reads. The problems never contain a driver message or a stack trace, and the text of
// Error, which logs read, withholds their Personal arguments.
type Error struct {
	Kind     Kind
	Problems []Problem
	// Op is the operation that failed, such as "sqlite: create request".
	Op  string
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.describeForLog())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error of the kind with the operator's message and no client problems.
// Handlers answer such errors with the generic description of the kind.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// E returns an error of the kind with one problem for the client.
func E(kind Kind, message locale.Message, args ...any) *Error {
	return &Error{Kind: kind, Problems: []Problem{{Kind: kind, Message: message, Args: args}}}
}

// KindOf returns the kind of err: the kind of the first *Error in its chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Problems collects the problems found while checking one request, so that all of them are
// reported together.
type Problems []Problem

// Add appends a problem.
func (ps *Problems) Add(kind Kind, message locale.Message, args ...any) {
	*ps = append(*ps, Problem{Kind: kind, Message: message, Args: args})
}

// Err returns nil when there are no problems. Otherwise it returns an *Error whose kind is
// the one that decides the HTTP status when kinds meet (too large or unsupported, then
// forbidden, not found, invalid), holding the problems of that kind only.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	kind := ps[0].Kind
	for _, p := range ps[1:] {
		if precedence(p.Kind) < precedence(kind) {
			kind = p.Kind
		}
	}
	var chosen []Problem
	for _, p := range ps {
		if p.Kind == kind {
			chosen = append(chosen, p)
		}
	}
	return &Error{Kind: kind, Problems: chosen}
}

func precedence(k Kind) int {
	switch k {
	case TooLarge, Unsupported:
		return 0
	case Forbidden:
		return 1
	case NotFound:
		return 2
	case Invalid:
		return 3
	}
	return 4
}
