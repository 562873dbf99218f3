package monitor

import (
	"regexp"

	"github.com/getsentry/sentry-go"
)

// allowedTags are the only tags an event keeps.
var allowedTags = map[string]bool{
	"method": true, "route": true, "request_id": true, "jurisdiction": true, "service_code": true,
	"status": true, "kind": true, "http.status_code": true,
}

// allowedContexts are the only contexts an event keeps: where the server runs and the trace.
var allowedContexts = map[string]bool{"os": true, "runtime": true, "device": true, "trace": true}

// Patterns of personal data and secrets that text in an event may still contain, such as a
// panic message that quotes a value.
var (
	emailPattern  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	phonePattern  = regexp.MustCompile(`\+?\d[\d \-]{6,}\d`)
	bearerPattern = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[^\s&;,"']+`)
	secretPattern = regexp.MustCompile(`(?i)(api_key|apikey|x-api-key|password|accountkey|sig)([=: ]+)[^\s&;,"']+`)
)

// scrub replaces e-mail addresses, phone numbers and secrets in text.
func scrub(text string) string {
	text = emailPattern.ReplaceAllString(text, "[email]")
	text = bearerPattern.ReplaceAllString(text, "$1 [redacted]")
	text = secretPattern.ReplaceAllString(text, "$1$2[redacted]")
	return phonePattern.ReplaceAllString(text, "[number]")
}

// scrubEvent removes from an event everything that could identify a person or leak a key:
// the HTTP request (URL, query, headers, cookies, body), the user, breadcrumbs,
// tags other than allowedTags, and personal data in messages, exception values and span
// descriptions. It runs on every event and transaction before it is sent.
func scrubEvent(event *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	if event.Request != nil {
		event.Request = &sentry.Request{Method: event.Request.Method}
	}
	event.User = sentry.User{}
	event.Breadcrumbs = nil
	event.ServerName = ""
	for key := range event.Tags {
		if !allowedTags[key] {
			delete(event.Tags, key)
		}
	}
	for key := range event.Contexts {
		if !allowedContexts[key] {
			delete(event.Contexts, key)
		}
	}
	event.Message = scrub(event.Message)
	for i := range event.Exception {
		event.Exception[i].Value = scrub(event.Exception[i].Value)
		if st := event.Exception[i].Stacktrace; st != nil {
			for j := range st.Frames {
				frame := &st.Frames[j]
				frame.Vars = nil
				frame.PreContext, frame.ContextLine, frame.PostContext = nil, "", nil
			}
		}
	}
	for _, span := range event.Spans {
		span.Description = scrub(span.Description)
		span.Data = nil
	}
	return event
}
