// Package importer reads GeoReport v2 (Open311) service requests and service lists from
// files, for the import command.
//
// # Files
//
// A file is a JSON list or an XML document, and its first character decides which. A request
// list is a JSON list of request objects or an XML <service_requests> root holding <request>
// elements. A service list is a JSON list of service objects or an XML <services> root holding
// <service> elements. The root's attributes, such as Gießen's is_array="true", and unknown
// fields are ignored. Open detects the kind from the content, never from the file name:
//
//	f, err := os.Open(path)
//	...
//	rd, err := importer.Open(f, path, importer.Options{})
//	if err != nil {
//		return err // not readable at all
//	}
//	for {
//		rec, err := rd.Next()
//		if err == io.EOF {
//			break
//		}
//		var bad *importer.RecordError
//		if errors.As(err, &bad) {
//			fmt.Fprintln(stderr, bad) // names the file, the record number and every reason
//			continue
//		}
//		if err != nil {
//			return err // the rest of the file cannot be read
//		}
//		batch = append(batch, *rec.Request) // or rec.Service for a service list
//	}
//
// A Reader streams: it holds one record, plus read buffers, in memory at a time, so a file
// may be larger than memory. Text must be UTF-8, and a byte-order mark is skipped. Every byte
// is checked as it is read, and the first invalid one stops reading with an *EncodingError
// that gives its offset in the file. Options.Charset reads a Latin-1 file, but only when the
// caller names Latin-1 explicitly.
//
// # Rules for requests
//
// A request keeps its service_request_id and its datetimes. An empty string, JSON null and
// an empty XML element all mean that a value is absent, and what the file leaves empty stays
// empty: a request with no service_code or service_name is kept as it is. Other rules:
//
//   - An absent updated_datetime is the requested_datetime, never the time of the import.
//   - Datetimes are read by georeport.ParseDateTime. One with no zone offset is read in
//     Options.Location. Fractional seconds are dropped, because the domain keeps datetimes
//     to the second.
//   - status must be open or closed, in any case, and is stored lowercased.
//   - lat and long may be JSON numbers or numeric strings. Both exactly 0 mean that the
//     location is absent, because that is how Helsinki serves feedback without coordinates.
//   - Helsinki's extended_attributes are kept: title, detailed_status, media_urls,
//     service_object_id, service_object_type and the tasks, in the file's order.
//   - A request that gives media_url but no media_urls has media_url as its only media URL,
//     because Helsinki lists every attachment in media_urls, the media_url first.
//   - Text is kept exactly, line breaks included. JSON keeps "\r\n" as it is, but XML 1.0
//     turns a literal carriage return into a line feed when it is read, so only &#xD; gives
//     a carriage return in XML.
//   - Imported requests are public.
//   - A record without status or requested_datetime is kept with the value absent, so that
//     what the source left empty stays empty. Such a request is found by its id, and it
//     lists after all others because it has no filing time.
//
// Next reports a bad record as a *RecordError and skips it. A request is bad when it has:
//
//   - no service_request_id;
//   - a datetime that does not parse;
//   - a status other than open or closed;
//   - a lat without a long, or the reverse;
//   - a coordinate that is not a finite number or is out of range;
//   - a value of the wrong JSON type;
//   - text with a control character other than tab, line feed and carriage return, or with
//     the noncharacter U+FFFE or U+FFFF;
//   - a JSON string with half of a UTF-16 surrogate pair, such as \ud83d alone, which no
//     UTF-8 text can hold.
//
// A service list entry is bad when it has no service_code or service_name, a type other than
// realtime, batch or blackbox, or a metadata value other than true or false.
//
// MergeServices adds an imported service list to a catalog in one language.
package importer
