package handlers

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/locale"
)

// createAttempts is how often a POST draws a new id when the store reports that the id
// exists. With 20 random characters a collision is next to impossible, so a second one means
// a fault elsewhere.
const createAttempts = 3

// createRequest serves POST requests: it checks the API key and the form against the service
// definition, stores uploaded files and the request, and returns the new id, or the token
// for a batch service. A POST that fails stores nothing.
func (s *Server) createRequest(x *exchange) error {
	ctx := x.r.Context()
	form, uploads, err := s.readForm(x)
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			s.discardUploads(uploads)
		}
	}()
	// submissionFrom checks the fields of the request itself for repeats and their text, and
	// these three are read here.
	var formProblems georeport.Problems
	checkRepeated(&formProblems, form, "api_key", "jurisdiction_id", "locale")
	checkUTF8(&formProblems, form, "api_key", "jurisdiction_id", "locale")
	if err := formProblems.Err(); err != nil {
		return err
	}
	if lang := firstValue(form, "locale"); lang != "" && firstValue(x.query, "locale") == "" {
		x.lang = s.catalog.Languages().Negotiate(lang, "")
	}

	key := apiKey(x.r, form)
	if key != "" {
		if err := s.rateLimited(x, s.postByKey, georeport.HashKey(key)); err != nil {
			return err
		}
	}
	keyErr := s.checkKey(ctx, key)
	jurisdiction, jurisdictionErr := s.jurisdiction(firstValue(form, "jurisdiction_id"))
	x.report.SetTag("jurisdiction", jurisdiction)
	x.report.SetTag("service_code", firstValue(form, "service_code"))
	if jurisdictionErr != nil {
		// Without a jurisdiction the service code cannot be looked up, so only the key and the
		// jurisdiction are reported.
		return joinProblems(keyErr, jurisdictionErr)
	}
	sub := submissionFrom(form)
	sub.Jurisdiction = jurisdiction
	r, buildErr := sub.Build(s.catalog, jurisdiction)
	if err := joinProblems(keyErr, jurisdictionErr, buildErr); err != nil {
		return err
	}

	service := s.catalog.Service(jurisdiction, r.ServiceCode)
	r.Stamp(service, s.cfg.Now(), s.cfg.Location)
	for _, u := range uploads {
		r.MediaURLs = append(r.MediaURLs, u.url)
	}
	if r.MediaURL == "" && len(r.MediaURLs) > 0 {
		r.MediaURL = r.MediaURLs[0]
	}
	if service.Type == georeport.TypeBatch {
		r.Token = s.cfg.NewToken()
	}
	if err := s.insert(ctx, r); err != nil {
		return err
	}
	keep = true
	s.releaseUploads(uploads)

	notice := service.ServiceNotice.In(x.lang, s.catalog.DefaultLocale)
	idField, id := "service_request_id", r.ID
	if r.Token != "" {
		idField, id = "token", r.Token
	}
	var b []byte
	if x.format == XML {
		b = append(b, xmlHeader...)
		b = append(b, "<service_requests><request>"...)
		b = appendXMLElement(b, idField, id)
		b = appendXMLElement(b, "service_notice", notice)
		b = appendXMLElement(b, "account_id", "")
		b = append(b, "</request></service_requests>\n"...)
	} else {
		b = append(b, `[{"`...)
		b = append(b, idField...)
		b = append(b, `":`...)
		b = appendJSONString(b, id)
		b = append(b, `,"service_notice":`...)
		b = appendJSONStringOrNull(b, notice)
		b = append(b, `,"account_id":null}]`+"\n"...)
	}
	x.writeBody(http.StatusOK, b, true)
	return nil
}

// insert stores a new request under a fresh id, drawing another when the id exists.
func (s *Server) insert(ctx context.Context, r *georeport.Request) error {
	var err error
	for range createAttempts {
		r.ID = s.cfg.NewID()
		err = s.store.CreateRequest(ctx, r)
		if georeport.KindOf(err) != georeport.Conflict {
			return err
		}
	}
	return georeport.Errorf(georeport.Internal, "create request: %d id collisions in a row: %w", createAttempts, err)
}

// apiKey returns the key from the api_key field, Authorization: Bearer or X-API-Key.
func apiKey(r *http.Request, form url.Values) string {
	if key := firstValue(form, "api_key"); key != "" {
		return key
	}
	if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// checkKey returns a Forbidden error unless key is an active API key.
func (s *Server) checkKey(ctx context.Context, key string) error {
	if key == "" {
		return georeport.E(georeport.Forbidden, locale.MsgAPIKeyMissing)
	}
	k, err := s.store.KeyByHash(ctx, georeport.HashKey(key))
	if georeport.KindOf(err) == georeport.NotFound || (err == nil && !k.Active) {
		return georeport.E(georeport.Forbidden, locale.MsgAPIKeyInvalid)
	}
	return err
}

// submissionFrom collects the POST fields. Empty fields count as absent. A single-value
// field sent more than once with different values is listed in Conflicting, so that no value
// is dropped unseen.
func submissionFrom(form url.Values) *georeport.Submission {
	var conflicting []string
	get := func(name string) string {
		value := firstValue(form, name)
		for _, other := range form[name] {
			if other != "" && other != value {
				conflicting = append(conflicting, name)
				break
			}
		}
		return value
	}
	sub := &georeport.Submission{
		ServiceCode:       get("service_code"),
		Lat:               get("lat"),
		Long:              get("long"),
		AddressString:     get("address_string"),
		AddressID:         get("address_id"),
		ServiceObjectID:   get("service_object_id"),
		ServiceObjectType: get("service_object_type"),
		Description:       get("description"),
		Title:             get("title"),
		MediaURL:          get("media_url"),
		Reporter: georeport.Reporter{
			Email:     get("email"),
			FirstName: get("first_name"),
			LastName:  get("last_name"),
			Phone:     get("phone"),
			DeviceID:  get("device_id"),
			AccountID: get("account_id"),
		},
	}
	if sub.Long == "" {
		for _, name := range []string{"lon", "lng"} {
			if get(name) != "" {
				sub.MisnamedLongitude = name
				break
			}
		}
	}
	sub.Conflicting = conflicting
	for name, values := range form {
		code, ok := attributeCode(name)
		if !ok {
			continue
		}
		if sub.Attributes == nil {
			sub.Attributes = map[string][]string{}
		}
		sub.Attributes[code] = append(sub.Attributes[code], values...)
	}
	return sub
}

// attributeCode returns CODE for a field named attribute[CODE] or attribute[CODE][].
func attributeCode(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "attribute[")
	if !ok {
		return "", false
	}
	if code, ok := strings.CutSuffix(rest, "][]"); ok && code != "" {
		return code, true
	}
	if code, ok := strings.CutSuffix(rest, "]"); ok && code != "" {
		return code, true
	}
	return "", false
}

// mediaType returns the media type of the Content-Type header, lowercased, without
// parameters.
func mediaType(r *http.Request) (string, map[string]string) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0])), nil
	}
	return mt, params
}
