package seed

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// jsonRequest is a request in the GeoReport v2 JSON of Helsinki, with extended_attributes, as
// open311 import reads it.
type jsonRequest struct {
	ID                string       `json:"service_request_id"`
	Status            string       `json:"status"`
	StatusNotes       string       `json:"status_notes"`
	ServiceName       string       `json:"service_name"`
	ServiceCode       string       `json:"service_code"`
	Description       string       `json:"description"`
	AgencyResponsible string       `json:"agency_responsible"`
	ServiceNotice     string       `json:"service_notice"`
	Requested         string       `json:"requested_datetime"`
	Updated           string       `json:"updated_datetime"`
	Expected          string       `json:"expected_datetime"`
	Address           string       `json:"address"`
	Lat               *float64     `json:"lat"`
	Long              *float64     `json:"long"`
	MediaURL          string       `json:"media_url"`
	Extended          jsonExtended `json:"extended_attributes"`
}

type jsonExtended struct {
	Title             string     `json:"title"`
	DetailedStatus    string     `json:"detailed_status"`
	ServiceObjectID   string     `json:"service_object_id"`
	ServiceObjectType string     `json:"service_object_type"`
	MediaURLs         []string   `json:"media_urls"`
	Tasks             []jsonTask `json:"tasks"`
}

type jsonTask struct {
	State    string `json:"task_state"`
	Type     string `json:"task_type"`
	Owner    string `json:"owner_name"`
	Modified string `json:"task_modified"`
	Created  string `json:"task_created"`
}

// WriteJSON writes the next n requests of g to w as a GeoReport v2 JSON list with Helsinki's
// extended_attributes, one request per line. It returns the first write error.
func WriteJSON(w io.Writer, g *Generator, n int) error {
	out := bufio.NewWriterSize(w, 1<<20)
	encoder := json.NewEncoder(out)
	encoder.SetEscapeHTML(false)

	if _, err := out.WriteString("[\n"); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			if _, err := out.WriteString(","); err != nil {
				return err
			}
		}
		r := g.Request()
		if err := encoder.Encode(toJSON(&r)); err != nil {
			return fmt.Errorf("encode request %d: %w", i+1, err)
		}
	}
	if _, err := out.WriteString("]\n"); err != nil {
		return err
	}
	return out.Flush()
}

func toJSON(r *georeport.Request) *jsonRequest {
	j := &jsonRequest{
		ID:                r.ID,
		Status:            string(r.Status),
		StatusNotes:       r.StatusNotes,
		ServiceName:       r.ServiceName,
		ServiceCode:       r.ServiceCode,
		Description:       r.Description,
		AgencyResponsible: r.AgencyResponsible,
		ServiceNotice:     r.ServiceNotice,
		Requested:         jsonTime(r.Requested),
		Updated:           jsonTime(r.Updated),
		Expected:          jsonTime(r.Expected),
		Address:           r.Address,
		MediaURL:          r.MediaURL,
		Extended: jsonExtended{
			Title:          r.Title,
			DetailedStatus: r.DetailedStatus,
			MediaURLs:      r.MediaURLs,
			Tasks:          make([]jsonTask, len(r.Tasks)),
		},
	}
	if j.Extended.MediaURLs == nil {
		j.Extended.MediaURLs = []string{}
	}
	if r.Location != nil {
		j.Lat, j.Long = &r.Location.Lat, &r.Location.Long
	}
	for i, t := range r.Tasks {
		j.Extended.Tasks[i] = jsonTask{State: t.State, Type: t.Type, Owner: t.OwnerName,
			Modified: jsonTime(t.Modified), Created: jsonTime(t.Created)}
	}
	return j
}

// jsonTime returns t in RFC 3339 in UTC, or "" for the zero time.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
