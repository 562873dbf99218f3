package locale

import (
	"fmt"
	"strings"
)

// Message is an error description in English, Finnish and Swedish, as fmt formats with
// explicit argument indexes, so that a translation may order the arguments its own way.
type Message struct {
	en, fi, sv string
}

// Text is an argument that has its own translations, such as a catalog field.
type Text interface {
	In(lang, def string) string
}

// Format returns the message in the language, or in English when there is no translation.
// Arguments that implement Text are rendered in the same language.
func (m Message) Format(lang string, args ...any) string {
	format := m.en
	switch lang {
	case "fi":
		format = m.fi
	case "sv":
		format = m.sv
	}
	copied := false
	for i, arg := range args {
		var rendered string
		switch a := arg.(type) {
		case Text:
			rendered = a.In(lang, lang)
		case AnyOf:
			rendered = joinList(a, lang, "or")
		case AllOf:
			rendered = joinList(a, lang, "and")
		default:
			continue
		}
		if !copied {
			args, copied = append([]any(nil), args...), true
		}
		args[i] = rendered
	}
	return fmt.Sprintf(format, args...)
}

// AnyOf is a message argument that lists alternatives, written in the message's language
// as "json, xml or geojson".
type AnyOf []string

// AllOf is a message argument that lists items that all apply, written in the message's
// language as "lat, long and radius".
type AllOf []string

// conjunctions are the words before the last item of an AnyOf ("or") or an AllOf ("and").
var conjunctions = map[string]map[string]string{
	"or":  {"en": "or", "fi": "tai", "sv": "eller"},
	"and": {"en": "and", "fi": "ja", "sv": "och"},
}

// joinList joins items with commas and the conjunction of lang before the last item.
func joinList(items []string, lang, conjunction string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	word, ok := conjunctions[conjunction][lang]
	if !ok {
		word = conjunctions[conjunction]["en"]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + word + " " + items[len(items)-1]
}

// Translated reports whether the message has a translation for the language. English always
// counts as translated.
func Translated(lang string) bool {
	return lang == "en" || lang == "fi" || lang == "sv"
}

// Error descriptions that clients show to people. Each names the parameter and the value it
// is about and states what is accepted. The comment above each lists its arguments.
var (
	// parameter, value, accepted values
	MsgInvalidChoice = Message{
		en: "%[1]s=%[2]q is not valid; use %[3]s",
		fi: "%[1]s=%[2]q ei kelpaa; käytä arvoa %[3]s",
		sv: "%[1]s=%[2]q är ogiltigt; använd %[3]s",
	}
	// parameter, value
	MsgInvalidDateTime = Message{
		en: "%[1]s=%[2]q is not a valid date and time; use RFC 3339 such as 2024-03-05T08:15:30Z or 2024-03-05T10:15:30+02:00, or a date such as 2024-03-05",
		fi: "%[1]s=%[2]q ei ole kelvollinen ajankohta; käytä RFC 3339 -muotoa, esimerkiksi 2024-03-05T08:15:30Z tai 2024-03-05T10:15:30+02:00, tai päivämäärää, esimerkiksi 2024-03-05",
		sv: "%[1]s=%[2]q är inte en giltig tidpunkt; använd RFC 3339, till exempel 2024-03-05T08:15:30Z eller 2024-03-05T10:15:30+02:00, eller ett datum som 2024-03-05",
	}
	// parameter, value
	MsgInvalidNumber = Message{
		en: "%[1]s=%[2]q is not a number; use a decimal number such as 12.5",
		fi: "%[1]s=%[2]q ei ole luku; käytä desimaalilukua, esimerkiksi 12.5",
		sv: "%[1]s=%[2]q är inte ett tal; använd ett decimaltal som 12.5",
	}
	// parameter, value, minimum, maximum
	MsgOutOfRange = Message{
		en: "%[1]s=%[2]q is out of range; use a number from %[3]v to %[4]v",
		fi: "%[1]s=%[2]q on sallitun alueen ulkopuolella; käytä lukua, joka on vähintään %[3]v ja enintään %[4]v",
		sv: "%[1]s=%[2]q ligger utanför det tillåtna intervallet; använd ett tal från %[3]v till %[4]v",
	}
	// parameter, value, maximum
	MsgInvalidPageSize = Message{
		en: "%[1]s=%[2]q is not valid; use a whole number from 1 to %[3]d",
		fi: "%[1]s=%[2]q ei kelpaa; käytä kokonaislukua väliltä 1–%[3]d",
		sv: "%[1]s=%[2]q är ogiltigt; använd ett heltal från 1 till %[3]d",
	}
	// start parameter, start value, end parameter, end value
	MsgStartAfterEnd = Message{
		en: "%[1]s=%[2]q is later than %[3]s=%[4]q; the start must not be after the end",
		fi: "%[1]s=%[2]q on myöhemmin kuin %[3]s=%[4]q; alku ei saa olla lopun jälkeen",
		sv: "%[1]s=%[2]q är senare än %[3]s=%[4]q; början får inte ligga efter slutet",
	}
	// start value, end value, maximum span in days
	MsgSpanTooLong = Message{
		en: "start_date=%[1]q to end_date=%[2]q spans more than %[3]d days; ask for at most %[3]d days at a time",
		fi: "start_date=%[1]q – end_date=%[2]q kattaa yli %[3]d päivää; hae enintään %[3]d päivää kerrallaan",
		sv: "start_date=%[1]q – end_date=%[2]q omfattar mer än %[3]d dagar; fråga efter högst %[3]d dagar åt gången",
	}
	// parameter that was sent, parameter that is missing
	MsgNeedsPartner = Message{
		en: "%[1]s needs %[2]s as well; send both or neither",
		fi: "%[1]s vaatii myös kentän %[2]s; lähetä molemmat tai ei kumpaakaan",
		sv: "%[1]s kräver även %[2]s; skicka båda eller ingetdera",
	}
	// the missing parameters, comma-separated
	MsgCircleIncomplete = Message{
		en: "lat, long and radius go together, so add %[1]s",
		fi: "lat, long ja radius annetaan yhdessä, joten lisää myös %[1]s",
		sv: "lat, long och radius anges tillsammans, så lägg till %[1]s",
	}
	// value, maximum radius in metres
	MsgInvalidRadius = Message{
		en: "radius=%[1]q is not valid; use metres, more than 0 and at most %[2]d",
		fi: "radius=%[1]q ei kelpaa; käytä metrejä, enemmän kuin 0 ja enintään %[2]d",
		sv: "radius=%[1]q är ogiltigt; använd meter, mer än 0 och högst %[2]d",
	}
	// value
	MsgInvalidBBox = Message{
		en: "bbox=%[1]q is not valid; use minLong,minLat,maxLong,maxLat with longitudes from -180 to 180 and latitudes from -90 to 90",
		fi: "bbox=%[1]q ei kelpaa; käytä muotoa minLong,minLat,maxLong,maxLat, jossa pituusasteet ovat -180:stä 180:een ja leveysasteet -90:stä 90:een",
		sv: "bbox=%[1]q är ogiltigt; använd minLong,minLat,maxLong,maxLat med longituder från -180 till 180 och latituder från -90 till 90",
	}
	// value
	MsgNoSearchWords = Message{
		en: "q=%[1]q contains no word to search for; use letters or digits",
		fi: "q=%[1]q ei sisällä haettavaa sanaa; käytä kirjaimia tai numeroita",
		sv: "q=%[1]q innehåller inget ord att söka efter; använd bokstäver eller siffror",
	}
	// count, maximum
	MsgTooManyWords = Message{
		en: "q contains %[1]d different words; at most %[2]d are allowed",
		fi: "q sisältää %[1]d eri sanaa; enintään %[2]d on sallittu",
		sv: "q innehåller %[1]d olika ord; högst %[2]d är tillåtna",
	}
	// parameter, count, maximum
	MsgTooManyValues = Message{
		en: "%[1]s lists %[2]d values; at most %[3]d are allowed",
		fi: "%[1]s sisältää %[2]d arvoa; enintään %[3]d on sallittu",
		sv: "%[1]s innehåller %[2]d värden; högst %[3]d är tillåtna",
	}
	// parameter
	MsgRequired = Message{
		en: "%[1]s is required",
		fi: "%[1]s on pakollinen",
		sv: "%[1]s är obligatoriskt",
	}
	// parameter
	MsgConflictingValues = Message{
		en: "%[1]s was sent more than once with different values; send it once",
		fi: "%[1]s lähetettiin useammin kuin kerran eri arvoilla; lähetä se vain kerran",
		sv: "%[1]s skickades mer än en gång med olika värden; skicka den en gång",
	}
	// parameter, minimum length of 2 or more
	MsgRequiredLength = Message{
		en: "%[1]s is required and must contain at least %[2]d characters",
		fi: "%[1]s on pakollinen, ja siinä on oltava vähintään %[2]d merkkiä",
		sv: "%[1]s är obligatoriskt och måste innehålla minst %[2]d tecken",
	}
	// attribute code, attribute description
	MsgAttributeRequired = Message{
		en: "attribute[%[1]s] is required (%[2]s)",
		fi: "attribute[%[1]s] on pakollinen (%[2]s)",
		sv: "attribute[%[1]s] är obligatoriskt (%[2]s)",
	}
	// attribute code, value, accepted keys
	MsgInvalidListValue = Message{
		en: "attribute[%[1]s]=%[2]q is not one of its values; use %[3]s",
		fi: "attribute[%[1]s]=%[2]q ei ole sallittu arvo; käytä arvoa %[3]s",
		sv: "attribute[%[1]s]=%[2]q är inte ett av dess värden; använd %[3]s",
	}
	// attribute code
	MsgSingleValue = Message{
		en: "attribute[%[1]s] takes one value, but several were sent",
		fi: "attribute[%[1]s] ottaa yhden arvon, mutta niitä lähetettiin useita",
		sv: "attribute[%[1]s] tar ett värde, men flera skickades",
	}
	// (none)
	MsgLocationRequired = Message{
		en: "a location is required; send lat and long, address_string, address_id or service_object_id with service_object_type",
		fi: "sijainti on pakollinen; lähetä lat ja long, address_string, address_id tai service_object_id ja service_object_type",
		sv: "en plats krävs; skicka lat och long, address_string, address_id eller service_object_id med service_object_type",
	}
	// service code
	MsgCoordinatesRequired = Message{
		en: "service_code=%[1]q needs coordinates; send lat and long",
		fi: "service_code=%[1]q vaatii koordinaatit; lähetä lat ja long",
		sv: "service_code=%[1]q kräver koordinater; skicka lat och long",
	}
	// parameter that was sent
	MsgLongitudeName = Message{
		en: "%[1]s is not a field of this API; the longitude is called long",
		fi: "%[1]s ei ole tämän rajapinnan kenttä; pituusasteen kenttä on long",
		sv: "%[1]s är inte ett fält i detta API; longituden heter long",
	}
	// parameter, length, maximum
	MsgTooLong = Message{
		en: "%[1]s may contain at most %[3]d characters, but contains %[2]d",
		fi: "%[1]s saa sisältää enintään %[3]d merkkiä, mutta siinä on %[2]d",
		sv: "%[1]s får innehålla högst %[3]d tecken, men innehåller %[2]d",
	}
	// parameter, length, minimum
	MsgTooShort = Message{
		en: "%[1]s must contain at least %[3]d characters, but contains %[2]d",
		fi: "%[1]s on sisällettävä vähintään %[3]d merkkiä, mutta siinä on %[2]d",
		sv: "%[1]s måste innehålla minst %[3]d tecken, men innehåller %[2]d",
	}
	// value
	MsgInvalidEmail = Message{
		en: "email=%[1]q is not an e-mail address; use the form name@example.org",
		fi: "email=%[1]q ei ole sähköpostiosoite; käytä muotoa nimi@example.org",
		sv: "email=%[1]q är inte en e-postadress; använd formen namn@example.org",
	}
	// parameter, value
	MsgInvalidURL = Message{
		en: "%[1]s=%[2]q is not an absolute http or https URL",
		fi: "%[1]s=%[2]q ei ole täydellinen http- tai https-osoite",
		sv: "%[1]s=%[2]q är inte en fullständig http- eller https-adress",
	}
	// parameter
	MsgInvalidUTF8 = Message{
		en: "%[1]s is not valid UTF-8 text",
		fi: "%[1]s ei ole kelvollista UTF-8-tekstiä",
		sv: "%[1]s är inte giltig UTF-8-text",
	}
	// parameter, character
	MsgControlCharacter = Message{
		en: "%[1]s contains the control character %[2]U; only tab, line feed and carriage return are allowed",
		fi: "%[1]s sisältää ohjausmerkin %[2]U; vain sarkain, rivinvaihto ja rivinpalautus ovat sallittuja",
		sv: "%[1]s innehåller styrtecknet %[2]U; endast tabb, radmatning och vagnretur är tillåtna",
	}
	// parameter, character
	MsgNoncharacter = Message{
		en: "%[1]s contains the noncharacter %[2]U, which no text may hold",
		fi: "%[1]s sisältää ei-merkin %[2]U, jota mikään teksti ei saa sisältää",
		sv: "%[1]s innehåller icke-tecknet %[2]U, som ingen text får innehålla",
	}
	// (none)
	MsgAPIKeyMissing = Message{
		en: "api_key is required; send it as the api_key field, as Authorization: Bearer KEY or as X-API-Key",
		fi: "api_key on pakollinen; lähetä se api_key-kentässä, Authorization: Bearer KEY -otsakkeessa tai X-API-Key-otsakkeessa",
		sv: "api_key är obligatorisk; skicka den i fältet api_key, som Authorization: Bearer KEY eller som X-API-Key",
	}
	// (none)
	MsgAPIKeyInvalid = Message{
		en: "the api_key is not valid or has been revoked; ask the operator of this server for a key",
		fi: "api_key ei kelpaa tai se on peruttu; pyydä avain tämän palvelun ylläpitäjältä",
		sv: "api_key är ogiltig eller har återkallats; be den som driver tjänsten om en nyckel",
	}
	// origin
	MsgOriginNotAllowed = Message{
		en: "POST from web pages of the origin %[1]q is not allowed; the operator of this server can allow it with -cors-origins",
		fi: "POST-pyynnöt alkuperän %[1]q verkkosivuilta eivät ole sallittuja; palvelimen ylläpitäjä voi sallia ne -cors-origins-asetuksella",
		sv: "POST från webbsidor med ursprunget %[1]q är inte tillåtet; den som driver servern kan tillåta det med -cors-origins",
	}
	// content type
	MsgUnsupportedBody = Message{
		en: "a POST body must be application/x-www-form-urlencoded or multipart/form-data, not %[1]q",
		fi: "POST-pyynnön sisällön on oltava application/x-www-form-urlencoded tai multipart/form-data, ei %[1]q",
		sv: "en POST-kropp måste vara application/x-www-form-urlencoded eller multipart/form-data, inte %[1]q",
	}
	// limit with its unit, such as 1 MiB
	MsgBodyTooLarge = Message{
		en: "the request body is larger than the limit of %[1]s",
		fi: "pyynnön sisältö ylittää %[1]s:n rajan",
		sv: "begärans kropp är större än gränsen på %[1]s",
	}
	// (none)
	MsgContentTypeMissing = Message{
		en: "the POST has no Content-Type; send the body as application/x-www-form-urlencoded or multipart/form-data",
		fi: "POST-pyynnöltä puuttuu Content-Type; lähetä sisältö muodossa application/x-www-form-urlencoded tai multipart/form-data",
		sv: "POST-begäran saknar Content-Type; skicka kroppen som application/x-www-form-urlencoded eller multipart/form-data",
	}
	// (none)
	MsgMalformedBody = Message{
		en: "the request body is not well-formed multipart/form-data; check the boundary of its Content-Type and the headers of its parts",
		fi: "pyynnön sisältö ei ole kelvollista multipart/form-dataa; tarkista Content-Typen boundary ja osien otsakkeet",
		sv: "begärans kropp är inte korrekt multipart/form-data; kontrollera gränsen (boundary) i dess Content-Type och delarnas rubriker",
	}
	// (none)
	MsgMalformedFormBody = Message{
		en: "the request body has an invalid percent escape for application/x-www-form-urlencoded; encode %% as %%25",
		fi: "pyynnön sisällössä on virheellinen prosenttikoodaus (application/x-www-form-urlencoded); koodaa %% muotoon %%25",
		sv: "begärans kropp har en ogiltig procentkodning för application/x-www-form-urlencoded; koda %% som %%25",
	}
	// (none)
	MsgBodyNotRead = Message{
		en: "the request body could not be read whole; send it again",
		fi: "pyynnön sisältöä ei voitu lukea kokonaan; lähetä se uudelleen",
		sv: "begärans kropp kunde inte läsas helt; skicka den igen",
	}
	// (none)
	MsgMalformedQuery = Message{
		en: "the query string has an invalid percent escape; encode %% as %%25",
		fi: "kyselymerkkijonossa on virheellinen prosenttikoodaus; koodaa %% muotoon %%25",
		sv: "frågesträngen har en ogiltig procentkodning; koda %% som %%25",
	}
	// service request id
	MsgRequestNotFound = Message{
		en: "service_request_id %[1]q does not exist",
		fi: "service_request_id %[1]q ei ole olemassa",
		sv: "service_request_id %[1]q finns inte",
	}
	// token
	MsgTokenNotFound = Message{
		en: "token %[1]q does not exist",
		fi: "token %[1]q ei ole olemassa",
		sv: "token %[1]q finns inte",
	}
	// service code
	MsgServiceNotFound = Message{
		en: "service_code %[1]q does not exist; GET services lists the services",
		fi: "service_code %[1]q ei ole olemassa; GET services listaa palvelut",
		sv: "service_code %[1]q finns inte; GET services listar tjänsterna",
	}
	// file name
	MsgMediaNotFound = Message{
		en: "media file %[1]q does not exist",
		fi: "mediatiedostoa %[1]q ei ole olemassa",
		sv: "mediefilen %[1]q finns inte",
	}
	// path
	MsgPathNotFound = Message{
		en: "%[1]q is not a resource of this server",
		fi: "%[1]q ei ole tämän palvelimen resurssi",
		sv: "%[1]q är inte en resurs på denna server",
	}
	// resource, format, supported formats
	MsgFormatNotFound = Message{
		en: "%[1]s is not available as %[2]q; use %[3]s",
		fi: "%[1]s ei ole saatavilla muodossa %[2]q; käytä muotoa %[3]s",
		sv: "%[1]s finns inte i formatet %[2]q; använd %[3]s",
	}
	// method, path, allowed methods
	MsgMethodNotAllowed = Message{
		en: "%[1]s is not allowed on %[2]s; use %[3]s",
		fi: "%[1]s ei ole sallittu osoitteessa %[2]s; käytä metodia %[3]s",
		sv: "%[1]s är inte tillåtet på %[2]s; använd %[3]s",
	}
	// value, served jurisdictions
	MsgJurisdictionNotFound = Message{
		en: "jurisdiction_id=%[1]q is not served here; use %[2]s",
		fi: "jurisdiction_id=%[1]q ei ole tämän palvelun alue; käytä arvoa %[2]s",
		sv: "jurisdiction_id=%[1]q betjänas inte här; använd %[2]s",
	}
	// served jurisdictions
	MsgJurisdictionRequired = Message{
		en: "jurisdiction_id is required because this server serves several; use %[1]s",
		fi: "jurisdiction_id on pakollinen, koska palvelu kattaa useita alueita; käytä arvoa %[1]s",
		sv: "jurisdiction_id är obligatoriskt eftersom servern betjänar flera; använd %[1]s",
	}
	// seconds
	MsgRateLimited = Message{
		en: "too many requests; try again in %[1]d seconds",
		fi: "liikaa pyyntöjä; yritä uudelleen %[1]d sekunnin kuluttua",
		sv: "för många förfrågningar; försök igen om %[1]d sekunder",
	}
	// (none)
	MsgAreaQueryUnsupported = Message{
		en: "this server's database cannot run lat, long and radius or bbox queries; leave them out, or ask the server's operator",
		fi: "palvelimen tietokanta ei pysty suorittamaan lat-, long- ja radius- tai bbox-hakuja; jätä ne pois tai ota yhteyttä palvelun ylläpitäjään",
		sv: "serverns databas kan inte köra lat-, long- och radius- eller bbox-frågor; utelämna dem eller kontakta den som driver servern",
	}
	// (none)
	MsgInternal = Message{
		en: "the server failed to process the request; try again later",
		fi: "palvelin ei pystynyt käsittelemään pyyntöä; yritä myöhemmin uudelleen",
		sv: "servern kunde inte behandla begäran; försök igen senare",
	}
	// (none)
	MsgUnavailable = Message{
		en: "the data store is busy or not reachable; try again shortly",
		fi: "tietovarasto on varattu tai ei ole tavoitettavissa; yritä hetken kuluttua uudelleen",
		sv: "datalagret är upptaget eller kan inte nås; försök igen om en stund",
	}
	// service request id
	MsgConflict = Message{
		en: "service_request_id %[1]q already exists",
		fi: "service_request_id %[1]q on jo olemassa",
		sv: "service_request_id %[1]q finns redan",
	}
	// field name, file name
	MsgFileInField = Message{
		en: "%[1]s was sent as the file %[2]q, but only media and media[] take files; send a photo as media, and other fields as text",
		fi: "%[1]s lähetettiin tiedostona %[2]q, mutta vain media ja media[] ottavat tiedostoja; lähetä kuva kentässä media ja muut kentät tekstinä",
		sv: "%[1]s skickades som filen %[2]q, men bara media och media[] tar emot filer; skicka en bild som media och andra fält som text",
	}
	// parameter, count, maximum
	MsgTooManyFiles = Message{
		en: "%[1]s contains %[2]d files; at most %[3]d are allowed",
		fi: "%[1]s sisältää %[2]d tiedostoa; enintään %[3]d on sallittu",
		sv: "%[1]s innehåller %[2]d filer; högst %[3]d är tillåtna",
	}
	// parameter, file name, limit with its unit, such as 10 MiB
	MsgFileTooLarge = Message{
		en: "%[1]s file %[2]q is larger than the limit of %[3]s",
		fi: "%[1]s-tiedosto %[2]q ylittää %[3]s:n rajan",
		sv: "%[1]s-filen %[2]q är större än gränsen på %[3]s",
	}
	// parameter, file name
	MsgMediaDisabled = Message{
		en: "this server accepts no %[1]s files, so %[2]q was not stored; send the request without it",
		fi: "tämä palvelin ei ota vastaan %[1]s-tiedostoja, joten tiedostoa %[2]q ei tallennettu; lähetä pyyntö ilman sitä",
		sv: "den här servern tar inte emot %[1]s-filer, så %[2]q sparades inte; skicka begäran utan den",
	}
	// parameter, file name, megapixels
	MsgImageTooLarge = Message{
		en: "%[1]s file %[2]q has more than %[3]d megapixels, the most this server can process",
		fi: "%[1]s-tiedostossa %[2]q on yli %[3]d megapikseliä, mikä on enemmän kuin palvelin pystyy käsittelemään",
		sv: "%[1]s-filen %[2]q har fler än %[3]d megapixlar, vilket är mer än servern kan behandla",
	}
	// parameter, file name, detected type
	MsgInvalidImage = Message{
		en: "%[1]s file %[2]q is not a valid %[3]s image; it may be damaged or use a format variant this server does not read",
		fi: "%[1]s-tiedosto %[2]q ei ole kelvollinen %[3]s-kuva; se voi olla vioittunut tai sen muotoa ei tueta",
		sv: "%[1]s-filen %[2]q är inte en giltig %[3]s-bild; den kan vara skadad eller använda en variant som servern inte läser",
	}
	// parameter, file name
	MsgEmptyFile = Message{
		en: "%[1]s file %[2]q is empty; send a JPEG, PNG, GIF, WebP or HEIC image",
		fi: "%[1]s-tiedosto %[2]q on tyhjä; lähetä JPEG-, PNG-, GIF-, WebP- tai HEIC-kuva",
		sv: "%[1]s-filen %[2]q är tom; skicka en JPEG-, PNG-, GIF-, WebP- eller HEIC-bild",
	}
	// parameter, file name, detected media type
	MsgUnsupportedFile = Message{
		en: "%[1]s file %[2]q is %[3]s; only JPEG, PNG, GIF, WebP and HEIC images are accepted",
		fi: "%[1]s-tiedosto %[2]q on tyyppiä %[3]s; vain JPEG-, PNG-, GIF-, WebP- ja HEIC-kuvat hyväksytään",
		sv: "%[1]s-filen %[2]q är av typen %[3]s; endast JPEG-, PNG-, GIF-, WebP- och HEIC-bilder godtas",
	}
)
