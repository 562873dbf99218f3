package mongo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/open311-to-go/open311/georeport"
	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// translate returns err as a *georeport.Error for the operation op, so that no caller
// branches on a driver error. A duplicate key is Conflict and ErrNoDocuments is NotFound.
// A server that cannot be selected or reached, a network error, a timeout and a server
// that is stepping down or shutting down are Unavailable, and anything else is Internal.
// The cause stays wrapped for the log, except the write errors of the server, whose
// messages may quote the document or the duplicate value: redact replaces them, and
// translate does so when the caller did not. A nil err gives nil, and a *georeport.Error
// keeps its kind.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}

	var domain *georeport.Error
	if errors.As(err, &domain) {
		if domain.Op == "" {
			domain.Op = op
		}
		return domain
	}

	return &georeport.Error{Kind: kindOf(err), Op: op, Err: redact(err)}
}

// newError returns an error of the kind for the operation op, with a cause that this
// package found rather than the driver.
func newError(kind georeport.Kind, op, format string, args ...any) error {
	return &georeport.Error{Kind: kind, Op: op, Err: fmt.Errorf(format, args...)}
}

// unavailableCodes are server error codes that mean the server cannot serve the operation
// now, such as during an election or a shutdown, so a later try may succeed.
var unavailableCodes = []int{
	6,     // HostUnreachable
	7,     // HostNotFound
	89,    // NetworkTimeout
	91,    // ShutdownInProgress
	189,   // PrimarySteppedDown
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
}

// kindOf returns the kind of a driver error.
func kindOf(err error) georeport.Kind {
	switch {
	case errors.Is(err, mongodriver.ErrNoDocuments):
		return georeport.NotFound
	case errors.As(err, new(*duplicateKeyError)), mongodriver.IsDuplicateKeyError(err):
		return georeport.Conflict
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return georeport.Unavailable
	case errors.Is(err, mongodriver.ErrClientDisconnected), errors.Is(err, topology.ErrTopologyClosed):
		return georeport.Unavailable
	case errors.As(err, new(topology.ServerSelectionError)):
		return georeport.Unavailable
	case mongodriver.IsNetworkError(err), mongodriver.IsTimeout(err):
		return georeport.Unavailable
	}

	var server mongodriver.ServerError
	if errors.As(err, &server) {
		for _, code := range unavailableCodes {
			if server.HasErrorCode(code) {
				return georeport.Unavailable
			}
		}
	}
	return georeport.Internal
}

// indexInMessage finds the index name in a duplicate key message, such as
// "E11000 duplicate key error collection: open311.requests index: token_unique dup key:
// { token: "…" }".
var indexInMessage = regexp.MustCompile(`index: (\S+)`)

// duplicateKeyError is a duplicate key error without the value that the server quoted.
type duplicateKeyError struct {
	index string // empty when the server's message did not name it
}

func (e *duplicateKeyError) Error() string {
	if e.index == "" {
		return "duplicate key"
	}
	return "duplicate key in index " + e.index
}

// rejectedWriteError is a write error of the server other than a duplicate key, without
// the server's message, which may quote the document and with it personal data.
type rejectedWriteError struct {
	code int
}

func (e *rejectedWriteError) Error() string {
	return fmt.Sprintf("the server rejected the write with error code %d", e.code)
}

// duplicateKeyCodes are the server error codes of a duplicate key.
var duplicateKeyCodes = []int{11000, 11001, 12582}

// redact returns err with each write error of the server replaced, because their messages
// may quote the document: a duplicate key becomes a *duplicateKeyError that names the
// index, and any other write error a *rejectedWriteError with its code. Other errors come
// back unchanged.
func redact(err error) error {
	var write mongodriver.WriteException
	var bulk mongodriver.BulkWriteException
	var writeErrors []mongodriver.WriteError
	switch {
	case errors.As(err, &write) && len(write.WriteErrors) > 0:
		writeErrors = write.WriteErrors
	case errors.As(err, &bulk) && len(bulk.WriteErrors) > 0:
		for _, we := range bulk.WriteErrors {
			writeErrors = append(writeErrors, we.WriteError)
		}
	case mongodriver.IsDuplicateKeyError(err):
		var command mongodriver.CommandError
		if errors.As(err, &command) {
			return duplicateKeyOf(command.Message)
		}
		return &duplicateKeyError{}
	default:
		return err
	}

	redacted := make([]error, len(writeErrors))
	for i, we := range writeErrors {
		redacted[i] = redactWriteError(we)
	}
	return errors.Join(redacted...)
}

// redactWriteError returns one write error of the server without its message.
func redactWriteError(we mongodriver.WriteError) error {
	if slices.Contains(duplicateKeyCodes, we.Code) {
		return duplicateKeyOf(we.Message)
	}
	return &rejectedWriteError{code: we.Code}
}

// duplicateKeyOf returns the duplicate key error of a server message, naming the index
// when the message does.
func duplicateKeyOf(message string) *duplicateKeyError {
	if match := indexInMessage.FindStringSubmatch(message); match != nil {
		return &duplicateKeyError{index: match[1]}
	}
	return &duplicateKeyError{}
}
