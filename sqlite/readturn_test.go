package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// TestReadTurnsInArrivalOrder checks that callers waiting for a reader get their turns in
// the order that they began to wait. With one reader, each caller ends its turn before the
// next one's begins, so the order in which they run is the order of their turns.
func TestReadTurnsInArrivalOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Store{readTurns: make(chan struct{}, 1)}
		ctx := context.Background()
		if err := s.beginRead(ctx); err != nil {
			t.Fatal(err)
		}

		const waiting = 8
		order := make(chan int, waiting)
		for i := range waiting {
			go func() {
				if err := s.beginRead(ctx); err != nil {
					t.Error(err)
					return
				}
				order <- i
				s.endRead()
			}()
			// Each starts to wait before the next one starts.
			synctest.Wait()
		}

		s.endRead()
		for want := range waiting {
			if got := <-order; got != want {
				t.Fatalf("turn %d went to caller %d, want caller %d", want, got, want)
			}
		}
	})
}

// TestReadTurnEndsWithContext checks that a read waiting for a turn gives up when its
// context ends, with an error of the kind Unavailable, and that the turns it never got are
// not lost.
func TestReadTurnEndsWithContext(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "turns.db"))
	ctx := context.Background()
	if err := s.CreateRequest(ctx, &georeport.Request{ID: "turn-1"}); err != nil {
		t.Fatal(err)
	}
	readers := cap(s.readTurns)
	for range readers {
		if err := s.beginRead(ctx); err != nil {
			t.Fatal(err)
		}
	}

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := s.RequestIDByToken(short, "no-such-token")
	if georeport.KindOf(err) != georeport.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RequestIDByToken with every turn held = %v, want Unavailable from the deadline", err)
	}

	for range readers {
		s.endRead()
	}
	if _, err := s.Request(ctx, "turn-1"); err != nil {
		t.Errorf("Request after the turns ended = %v, want the request", err)
	}
}
