// Package seed generates service requests spread like the feedback that the City of Helsinki
// receives, for benchmarks and load tests. The mix of services, statuses, agencies, tasks and
// media, the lengths of the texts and their words, the times of day and the clustering of
// the locations are measured from the 1,380 requests of testdata/helsinki/requests.json (see
// tables.go). Every request has a service code of georeport.DemoCatalog, so that queries by
// service_code find requests in a seeded store.
//
// A Generator is deterministic: the same Options give the same requests in the same order.
package seed

import (
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/open311-to-go/open311/georeport"
)

// Dates: a quarter of the requests are filed in the last RecentDays days, at an even pace.
// The rest are older, at a pace that halves about every year (an exponential tail with a
// mean of OlderMeanDays days), up to MaxAgeDays days. The Helsinki data covers only 15
// months, so these shares are chosen, not measured. They put about a fifth of a store in the
// standard's default 90-day window.
const (
	RecentDays    = 120
	RecentShare   = 0.25
	OlderMeanDays = 500
	MaxAgeDays    = 10 * 365
)

// Options set what a Generator produces.
type Options struct {
	// Seed selects the random sequence.
	Seed uint64
	// Now is the newest possible requested_datetime and updated_datetime. The zero time
	// means the time of New, which makes the dates, and so the requests, differ between
	// runs.
	Now time.Time
	// Jurisdiction is the jurisdiction of every request; empty for a store that serves
	// one jurisdiction.
	Jurisdiction string
}

// Generator produces requests. It is not safe for concurrent use.
type Generator struct {
	random       *rand.Rand
	now          time.Time
	jurisdiction string
	serviceNames map[string]string
	text         strings.Builder
}

// The samplers of the tables, built once.
var (
	pickServiceCode    = newPicker(serviceCodes)
	pickOpenDetailed   = newPicker(openDetailedStatuses)
	pickClosedDetailed = newPicker(closedDetailedStatuses)
	pickAgency         = newPicker(agencies)
	pickMediaURLCount  = newPicker(mediaURLCounts)
	pickTaskCount      = newPicker(taskCountTable)
	pickTaskKind       = newPicker(taskKinds)
	pickTaskOwner      = newPicker(taskOwners)
	pickHour           = newPicker(hoursUTC)
	pickStreet         = newPicker(streets)
	pickWord           = newPicker(words)
	pickCluster        = newClusterPicker(clusters)
)

// New returns a Generator for o.
func New(o Options) *Generator {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	names := map[string]string{}
	for _, s := range georeport.DemoCatalog().Services {
		names[s.Code] = s.Name.In("en", "en")
	}
	return &Generator{
		// The second word of the PCG state is fixed, so that Seed alone selects the sequence.
		random:       rand.New(rand.NewPCG(o.Seed, 0x6f70656e333131)),
		now:          now.UTC().Truncate(time.Second),
		jurisdiction: o.Jurisdiction,
		serviceNames: names,
	}
}

// Fill replaces each request of batch with the next generated one.
func (g *Generator) Fill(batch []georeport.Request) {
	for i := range batch {
		batch[i] = g.Request()
	}
}

// Request returns the next generated request. Its times are whole seconds in UTC, as stores
// keep them.
func (g *Generator) Request() georeport.Request {
	random := g.random
	r := georeport.Request{
		ID:           g.id(IDLength),
		Jurisdiction: g.jurisdiction,
		ServiceCode:  pickServiceCode.pick(random),
		Visibility:   georeport.Public,
	}
	r.ServiceName = g.serviceNames[r.ServiceCode]

	r.Status = georeport.StatusClosed
	updateHours := closedUpdateHours
	if random.IntN(helsinkiRequests) < helsinkiOpen {
		r.Status = georeport.StatusOpen
		updateHours = openUpdateHours
	}
	if r.Status == georeport.StatusOpen {
		r.DetailedStatus = pickOpenDetailed.pick(random)
	} else {
		r.DetailedStatus = pickClosedDetailed.pick(random)
	}

	r.Requested = g.requested()
	r.Updated = r.Requested.Add(hours(sampleLogQuantile(random, updateHours))).Truncate(time.Second)
	if r.Updated.After(g.now) {
		r.Updated = g.now
	}
	r.Expected = r.Requested.Add(24 * hours(sampleLogQuantile(random, expectedDays))).Truncate(time.Second)

	r.AgencyResponsible = pickAgency.pick(random)
	r.Title = g.title()
	r.Description = g.sentences(int(sampleQuantile(random, descriptionLengths)), 0.31)
	if random.IntN(helsinkiRequests) < helsinkiWithNotes {
		r.StatusNotes = g.sentences(int(sampleQuantile(random, notesLengths)), 0.97)
	}

	if random.IntN(helsinkiRequests) >= helsinkiWithoutLocation {
		p := Point(random)
		r.Location = &p
	}
	if random.IntN(helsinkiRequests) < helsinkiWithAddress {
		r.Address = g.address()
	}

	if random.IntN(helsinkiRequests) < helsinkiWithMedia {
		n := pickMediaURLCount.pick(random)
		r.MediaURLs = make([]string, n)
		for i := range r.MediaURLs {
			r.MediaURLs[i] = "https://media.example.org/palautews/rest/v1/attachment/" + g.id(20) + ".jpg"
		}
		r.MediaURL = r.MediaURLs[0]
	}
	r.Tasks = g.tasks(r.Requested, r.Updated)
	return r
}

// id returns n random characters of [0-9a-z], like a generated service_request_id.
func (g *Generator) id(n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.random.IntN(len(alphabet))]
	}
	return string(b)
}

// IDLength is the length of a generated service_request_id, as the server generates them.
const IDLength = georeport.IDLength

// requested returns a filing time: a day by the shares of RecentShare and the older tail,
// kept with the probability of its weekday in the Helsinki data, at an hour drawn from the
// Helsinki data. It is never after the Generator's now.
func (g *Generator) requested() time.Time {
	random := g.random
	maxWeekday := 0
	for _, w := range weekdays {
		maxWeekday = max(maxWeekday, w)
	}
	today := g.now.Truncate(24 * time.Hour)
	for {
		var age float64
		if random.Float64() < RecentShare {
			age = random.Float64() * RecentDays
		} else {
			age = RecentDays + random.ExpFloat64()*OlderMeanDays
			if age > MaxAgeDays {
				continue
			}
		}
		day := today.AddDate(0, 0, -int(age))
		if random.IntN(maxWeekday) >= weekdays[day.Weekday()] {
			continue
		}
		t := day.Add(time.Duration(pickHour.pick(random))*time.Hour + time.Duration(random.IntN(3600))*time.Second)
		if !t.After(g.now) {
			return t
		}
	}
}

// tasks returns the tasks of a request, created one after another between the request's
// filing and its last update.
func (g *Generator) tasks(requested, updated time.Time) []georeport.Task {
	random := g.random
	n := pickTaskCount.pick(random)
	tasks := make([]georeport.Task, n)
	span := updated.Sub(requested)
	for i := range tasks {
		kind := pickTaskKind.pick(random)
		taskType, state, _ := strings.Cut(kind, "/")
		created := requested.Add(span * time.Duration(i) / time.Duration(n))
		modified := created.Add(time.Duration(random.Float64() * float64(span) / float64(n)))
		tasks[i] = georeport.Task{
			State:     state,
			Type:      taskType,
			OwnerName: pickTaskOwner.pick(random),
			Created:   created.Truncate(time.Second),
			Modified:  modified.Truncate(time.Second),
		}
	}
	return tasks
}

// address returns a street address. Helsinki gives most with a postal code and the country,
// such as "Sturenkatu 33, 00550 Helsinki, Suomi", and the rest as "Kaarlenkatu 12, Helsinki".
func (g *Generator) address() string {
	random := g.random
	b := &g.text
	b.Reset()
	b.WriteString(pickStreet.pick(random))
	b.WriteByte(' ')
	writeInt(b, 1+random.IntN(60))
	if random.IntN(helsinkiWithAddress) < helsinkiWithZipcode {
		b.WriteString(", 00")
		writeInt(b, 10+random.IntN(90))
		b.WriteString("0 Helsinki, Suomi")
	} else {
		b.WriteString(", Helsinki")
	}
	return b.String()
}

// Point returns a location drawn from the clusters fitted to the Helsinki requests, within
// Bounds.
func Point(random *rand.Rand) georeport.Point {
	for {
		c := pickCluster.pick(random)
		p := georeport.Point{
			Lat:  c.Lat + random.NormFloat64()*c.LatDeviation,
			Long: c.Long + random.NormFloat64()*c.LongDeviation,
		}
		if Bounds.Contains(p) {
			// Seven decimals, as Helsinki gives them: about a centimetre.
			p.Lat = math.Round(p.Lat*1e7) / 1e7
			p.Long = math.Round(p.Long*1e7) / 1e7
			return p
		}
	}
}

// Cluster is a Gaussian cluster of request locations, in degrees.
type Cluster struct {
	Weight        int // requests of the Helsinki data in the cluster
	Lat, Long     float64
	LatDeviation  float64 // standard deviation
	LongDeviation float64
}

// Clusters returns the clusters that Point draws from, the heaviest first.
func Clusters() []Cluster { return append([]Cluster(nil), clusters...) }

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }
