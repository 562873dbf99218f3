package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/open311-to-go/open311/georeport"
)

// TestSeparatedReadsAsPacked checks that a row read through separatedColumns gives the same
// request as through packedColumns, with every field set and with every optional field
// empty, for whole rows and for standard fields.
func TestSeparatedReadsAsPacked(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, ":memory:")

	full := &georeport.Request{
		ID: "full", Jurisdiction: "helsinki", Token: "token-1", ServiceCode: "171", ServiceName: "Katu",
		Status: georeport.StatusOpen, StatusNotes: "notes", Description: "kuoppa \"ä\"\n\\", AgencyResponsible: "agency",
		ServiceNotice: "notice", Requested: time.Unix(1_700_000_000, 0).UTC(), Updated: time.Unix(1_700_000_100, 0).UTC(),
		Expected: time.Unix(1_700_100_000, 0).UTC(), Address: "Mannerheimintie 1", AddressID: "a-1", Zipcode: "00100",
		MediaURL: "https://media.example/1.jpg", Title: "title", DetailedStatus: "RECEIVED",
		MediaURLs: []string{"https://media.example/1.jpg"}, ServiceObjectID: "o-1", ServiceObjectType: "lamp",
		Tasks:      []georeport.Task{{Type: "inspect", State: "done"}},
		Attributes: []georeport.AttributeValue{{Code: "size", Values: []string{"big"}}},
		Reporter: georeport.Reporter{Email: "a@example.org", FirstName: "Aino", LastName: "Virtanen", Phone: "040",
			DeviceID: "d-1", AccountID: "acc-1"},
		Location: &georeport.Point{Lat: 60.17, Long: 24.94}, Visibility: georeport.Hidden,
	}
	empty := &georeport.Request{ID: "empty", ServiceCode: "171", Status: georeport.StatusClosed,
		Requested: time.Unix(1_600_000_000, 0).UTC(), Updated: time.Unix(1_600_000_000, 0).UTC()}
	for _, r := range []*georeport.Request{full, empty} {
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	for _, standard := range []bool{false, true} {
		packed, separated := packedColumns, separatedColumns
		if standard {
			packed, separated = packedStandardColumns, separatedStandardColumns
		}
		for _, id := range []string{"full", "empty"} {
			query := " FROM requests WHERE service_request_id = ?"
			want, err := scanPacked(s.readers.QueryRowContext(ctx, "SELECT "+packed+query, id))
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := newSeparatedReader().read(s.readers.QueryRowContext(ctx, "SELECT "+separated+", id"+query, id))
			if err != nil {
				t.Fatalf("separatedReader of %s (standard %v) error = %v", id, standard, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (standard %v) through separatedColumns differs (-packed +separated):\n%s", id, standard, diff)
			}
		}
	}
}

// TestSeparatorInTextIsReadAgain checks that a request whose text contains the field
// separator, which the input checks reject but the store accepts, is read whole by the
// index's queries and by id.
func TestSeparatorInTextIsReadAgain(t *testing.T) {
	ctx := context.Background()
	s := openFile(t, ":memory:")

	now := time.Unix(1_700_000_000, 0).UTC()
	odd := georeport.Request{ID: "odd", ServiceCode: "171", Status: georeport.StatusOpen, Requested: now, Updated: now,
		Description: "a\x1fb\x1f", Address: "\x1f", Location: &georeport.Point{Lat: 60.17, Long: 24.94}}
	plain := georeport.Request{ID: "plain", ServiceCode: "171", Status: georeport.StatusOpen, Requested: now.Add(-time.Hour),
		Updated: now, Description: "c", Location: &georeport.Point{Lat: 60.1701, Long: 24.9401}}
	if _, err := s.ImportRequests(ctx, []georeport.Request{odd, plain}); err != nil {
		t.Fatal(err)
	}
	if err := s.refresh(ctx); err != nil {
		t.Fatal(err)
	}

	for _, standard := range []bool{false, true} {
		q := &georeport.Query{Circle: &georeport.Circle{Center: georeport.Point{Lat: 60.17, Long: 24.94}, Radius: 100},
			Limit: 10, StandardFields: standard}
		if !s.current().index.supports(q) {
			t.Fatal("the index does not run the circle query")
		}
		page, err := s.FindRequests(ctx, q)
		if err != nil {
			t.Fatalf("FindRequests (standard %v) error = %v", standard, err)
		}
		var got []string
		for _, r := range page.Requests {
			got = append(got, r.ID+"="+r.Description+"|"+r.Address)
		}
		want := "odd=a\x1fb\x1f|\x1f plain=c|"
		if strings.Join(got, " ") != want {
			t.Errorf("circle (standard %v) = %q, want %q", standard, strings.Join(got, " "), want)
		}
	}

	r, err := s.Request(ctx, "odd")
	if err != nil {
		t.Fatal(err)
	}
	if r.Description != odd.Description {
		t.Errorf("Request(odd) description = %q, want %q", r.Description, odd.Description)
	}
	if r.Address != odd.Address {
		t.Errorf("Request(odd) address = %q, want %q", r.Address, odd.Address)
	}
}

// TestSplitRejectsMalformedText checks that a separated text with too few columns is
// errPacked and one with too many is errSeparator.
func TestSplitRejectsMalformedText(t *testing.T) {
	whole := strings.Repeat("a\x1f", packedFields-1) + "a"
	if _, err := splitColumns(whole); err != nil {
		t.Fatalf("splitColumns(%q) error = %v", whole, err)
	}
	if _, err := splitColumns(strings.Repeat("a\x1f", packedFields-2) + "a"); !errors.Is(err, errPacked) {
		t.Errorf("splitColumns of %d columns error = %v, want errPacked", packedFields-1, err)
	}
	if _, err := splitColumns(whole + "\x1f"); !errors.Is(err, errSeparator) {
		t.Errorf("splitColumns of %d columns error = %v, want errSeparator", packedFields+1, err)
	}
}
