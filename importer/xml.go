package importer

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// xmlSource reads the record elements of an XML list one at a time: <request> in
// <service_requests>, <service> in <services>. It skips other child elements.
//
// NOTE: encoding/xml is the slow part of an XML import. A generated file of 100,000 Toronto
// requests (73 MB) read at about 35 MB/s on 2 shared cores, against about 90 MB/s for
// JSON, so a 1.5 GB XML file takes about 45 s there.
type xmlSource struct {
	dec     *xml.Decoder
	element string
	done    bool
}

// openXML reads up to the root element and takes the kind from its name.
func (rd *Reader) openXML(in *bufio.Reader) error {
	dec := xml.NewDecoder(in)
	dec.CharsetReader = charsetReader
	// Feeds written by HTML tools use entities such as &auml; that XML lacks.
	dec.Entity = xml.HTMLEntity

	root, err := rootElement(dec)
	if err != nil {
		return readError(rd.name, cutOff(err))
	}
	rd.format = XML
	switch root.Name.Local {
	case "service_requests":
		rd.kind = Requests
		rd.src = &xmlSource{dec: dec, element: "request"}
	case "services":
		rd.kind = Services
		rd.src = &xmlSource{dec: dec, element: "service"}
	case "errors":
		return fmt.Errorf("%s: the file is an Open311 error response, not requests or services: %s", rd.name, xmlErrors(dec, root))
	case "discovery":
		return fmt.Errorf("%s: the file is a discovery document, not a list of requests or services", rd.name)
	default:
		return fmt.Errorf("%s: the root element <%s> is neither <service_requests> nor <services>", rd.name, root.Name.Local)
	}
	return nil
}

// charsetReader accepts the encodings that an XML declaration may name for text that the
// textReader has already checked or converted to UTF-8.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1":
		// US-ASCII is a subset of UTF-8, and Latin-1 text has been converted, or failed the
		// UTF-8 check, before the decoder reads it.
		return input, nil
	}
	return nil, fmt.Errorf("the XML declaration names encoding %q, but the importer reads UTF-8, or Latin-1 with -charset %s", label, Latin1)
}

// rootElement returns the first start element of the document.
func rootElement(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return xml.StartElement{}, fmt.Errorf("the XML has no root element: %w", io.ErrUnexpectedEOF)
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			return start, nil
		}
	}
}

// cutOff converts a syntax error that reports the end of the input inside an element, a
// tag, a comment or a CDATA section to io.ErrUnexpectedEOF with the line. encoding/xml
// reports a cut-off file only as a syntax error, while a cut-off JSON file gives
// io.ErrUnexpectedEOF. cutOff returns any other error unchanged.
func cutOff(err error) error {
	var syntaxErr *xml.SyntaxError
	if !errors.As(err, &syntaxErr) {
		return err
	}
	detail, ok := strings.CutPrefix(syntaxErr.Msg, "unexpected EOF")
	if !ok {
		return err
	}
	return fmt.Errorf("%w%s on line %d", io.ErrUnexpectedEOF, detail, syntaxErr.Line)
}

// xmlErrors returns the codes and descriptions of an Open311 <errors> document for a message.
func xmlErrors(dec *xml.Decoder, root xml.StartElement) string {
	var list struct {
		Errors []struct {
			Code        string `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
	if err := dec.DecodeElement(&list, &root); err != nil {
		return "(unreadable)"
	}
	var parts []string
	for _, e := range list.Errors {
		parts = append(parts, fmt.Sprintf("%q", e.Code+" "+e.Description))
	}
	return strings.Join(parts, ", ")
}

func (s *xmlSource) next() (element, error) {
	if s.done {
		return element{}, io.EOF
	}
	e, err := s.nextElement()
	return e, cutOff(err)
}

func (s *xmlSource) nextElement() (element, error) {
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return element{}, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local != s.element {
				if err := s.dec.Skip(); err != nil {
					return element{}, err
				}
				continue
			}
			raw := &rawRecord{}
			if err := s.dec.DecodeElement(raw, &tok); err != nil {
				return element{}, err
			}
			return element{raw: raw}, nil
		case xml.EndElement:
			// The decoder checks that elements nest, so this ends the root.
			s.done = true
			return element{}, s.finish()
		}
	}
}

// finish checks that only comments, processing instructions and white space follow the root
// element. It returns io.EOF when the file ends there, and otherwise a *listEndError.
func (s *xmlSource) finish() error {
	for {
		tok, err := s.dec.Token()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return &listEndError{fmt.Errorf("after the root element: %w", cutOff(err))}
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			return &listEndError{fmt.Errorf("found a second root element <%s>", tok.Name.Local)}
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 {
				return &listEndError{fmt.Errorf("found text after the root element")}
			}
		}
	}
}
