package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"golang.org/x/text/cases"
	"modernc.org/sqlite"
)

// requestColumns are the columns that scanRequest reads, in its order.
const requestColumns = `service_request_id, jurisdiction, token, service_code, service_name,
	status, status_notes, description, agency_responsible, service_notice,
	requested_at, updated_at, expected_at, address, address_id, zipcode, lat, long,
	media_url, title, detailed_status, media_urls, service_object_id, service_object_type,
	tasks, attributes, hidden, email, first_name, last_name, phone, device_id, account_id`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanRequest reads the requestColumns of one row, followed by extra destinations.
func scanRequest(row scanner, extra ...any) (*georeport.Request, error) {
	var (
		r                            georeport.Request
		token                        sql.NullString
		status                       string
		requested, updated, expected sql.NullInt64
		lat, long                    sql.NullFloat64
		mediaURLs, tasks, attributes sql.NullString
		hidden                       bool
	)
	dest := []any{
		&r.ID, &r.Jurisdiction, &token, &r.ServiceCode, &r.ServiceName,
		&status, &r.StatusNotes, &r.Description, &r.AgencyResponsible, &r.ServiceNotice,
		&requested, &updated, &expected, &r.Address, &r.AddressID, &r.Zipcode, &lat, &long,
		&r.MediaURL, &r.Title, &r.DetailedStatus, &mediaURLs, &r.ServiceObjectID, &r.ServiceObjectType,
		&tasks, &attributes, &hidden,
		&r.Reporter.Email, &r.Reporter.FirstName, &r.Reporter.LastName, &r.Reporter.Phone,
		&r.Reporter.DeviceID, &r.Reporter.AccountID,
	}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}

	r.Token = token.String
	r.Status = georeport.Status(status)
	r.Requested = timeFromColumn(requested)
	r.Updated = timeFromColumn(updated)
	r.Expected = timeFromColumn(expected)
	if lat.Valid && long.Valid {
		r.Location = &georeport.Point{Lat: lat.Float64, Long: long.Float64}
	}
	r.Visibility = georeport.Public
	if hidden {
		r.Visibility = georeport.Hidden
	}

	if err := decodeJSON(mediaURLs, &r.MediaURLs); err != nil {
		return nil, fmt.Errorf("request %q media_urls: %w", r.ID, err)
	}
	var stored []storedTask
	if err := decodeJSON(tasks, &stored); err != nil {
		return nil, fmt.Errorf("request %q tasks: %w", r.ID, err)
	}
	for _, t := range stored {
		r.Tasks = append(r.Tasks, t.task())
	}
	if err := decodeJSON(attributes, &r.Attributes); err != nil {
		return nil, fmt.Errorf("request %q attributes: %w", r.ID, err)
	}
	return &r, nil
}

// requestValues returns the values of every column of r for an INSERT, in the order of
// insertRequestSQL: requestColumns followed by agency_folded and detailed_status_list.
func requestValues(r *georeport.Request) ([]any, error) {
	mediaURLs, err := encodeJSON(len(r.MediaURLs), r.MediaURLs)
	if err != nil {
		return nil, fmt.Errorf("media_urls: %w", err)
	}
	tasks := make([]storedTask, len(r.Tasks))
	for i, t := range r.Tasks {
		tasks[i] = storeTask(t)
	}
	tasksJSON, err := encodeJSON(len(tasks), tasks)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	attributes, err := encodeJSON(len(r.Attributes), r.Attributes)
	if err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}

	var token any
	if r.Token != "" {
		token = r.Token
	}
	var lat, long any
	if r.Location != nil {
		lat, long = r.Location.Lat, r.Location.Long
	}

	return []any{
		r.ID, r.Jurisdiction, token, r.ServiceCode, r.ServiceName,
		string(r.Status), r.StatusNotes, r.Description, r.AgencyResponsible, r.ServiceNotice,
		timeColumn(r.Requested), timeColumn(r.Updated), timeColumn(r.Expected),
		r.Address, r.AddressID, r.Zipcode, lat, long,
		r.MediaURL, r.Title, r.DetailedStatus, mediaURLs, r.ServiceObjectID, r.ServiceObjectType,
		tasksJSON, attributes, r.Visibility == georeport.Hidden,
		r.Reporter.Email, r.Reporter.FirstName, r.Reporter.LastName, r.Reporter.Phone,
		r.Reporter.DeviceID, r.Reporter.AccountID,
		foldAgency(r.AgencyResponsible), detailedStatusList(r.DetailedStatus),
	}, nil
}

// storedTask is a Task as the tasks column keeps it, with times in Unix seconds.
type storedTask struct {
	State     string `json:"state,omitempty"`
	Type      string `json:"type,omitempty"`
	OwnerName string `json:"owner_name,omitempty"`
	Created   *int64 `json:"created,omitempty"`
	Modified  *int64 `json:"modified,omitempty"`
}

func storeTask(t georeport.Task) storedTask {
	return storedTask{
		State:     t.State,
		Type:      t.Type,
		OwnerName: t.OwnerName,
		Created:   unixSeconds(t.Created),
		Modified:  unixSeconds(t.Modified),
	}
}

func (t storedTask) task() georeport.Task {
	task := georeport.Task{State: t.State, Type: t.Type, OwnerName: t.OwnerName}
	if t.Created != nil {
		task.Created = time.Unix(*t.Created, 0).UTC()
	}
	if t.Modified != nil {
		task.Modified = time.Unix(*t.Modified, 0).UTC()
	}
	return task
}

// unixSeconds returns t in whole Unix seconds, or nil for the zero time.
func unixSeconds(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	s := t.Unix()
	return &s
}

// timeColumn returns t as the value of a time column: Unix seconds, or NULL for the zero
// time. The fraction of a second is dropped, as georeport keeps times to the second.
func timeColumn(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// timeFromColumn returns the UTC time of a time column, or the zero time for NULL.
func timeFromColumn(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

// encodeJSON returns v as a JSON text, or NULL when the list has no elements.
func encodeJSON(n int, v any) (any, error) {
	if n == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// decodeJSON reads a JSON column into v. NULL leaves v as it is.
func decodeJSON(column sql.NullString, v any) error {
	if !column.Valid {
		return nil
	}
	return json.Unmarshal([]byte(column.String), v)
}

// foldAgency returns the agency as the agency_folded column keeps it: with full Unicode
// case folding, so that "STRASSE" and "Straße" are the same agency. Accents stay.
func foldAgency(agency string) string {
	return cases.Fold().String(agency)
}

// detailedStatusList returns the detailed_status_list column for a detailed status: its
// elements trimmed, each followed by a comma, after a leading comma. The element s is
// then in the list exactly when the column contains ","+s+",".
func detailedStatusList(detailed string) string {
	parts := strings.Split(detailed, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return "," + strings.Join(parts, ",") + ","
}

// searchText returns the request_words text of a request: the search words of its title,
// description, address and agency, joined by spaces.
func searchText(r *georeport.Request) string {
	return georeport.SearchText(r.Title + " " + r.Description + " " + r.Address + " " + r.AgencyResponsible)
}

// distanceFunction is the SQL function open311_distance(lat1, long1, lat2, long2): the
// distance in metres that georeport.Distance returns, so that a circle query selects and
// orders exactly as the domain measures. It returns NULL when an argument is NULL.
func distanceFunction(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	var coords [4]float64
	for i, arg := range args {
		switch v := arg.(type) {
		case nil:
			return nil, nil
		case float64:
			coords[i] = v
		case int64:
			coords[i] = float64(v)
		default:
			return nil, fmt.Errorf("open311_distance: argument %d is %T, want a number", i+1, arg)
		}
	}
	a := georeport.Point{Lat: coords[0], Long: coords[1]}
	b := georeport.Point{Lat: coords[2], Long: coords[3]}
	return georeport.Distance(a, b), nil
}
