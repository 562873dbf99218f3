package seed

import (
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var fit = flag.Bool("fit", false, "fit the location clusters to the Helsinki requests and print them as a Go table")

// helsinkiRequest contains the fields of a Helsinki request that the tables are measured from.
type helsinkiRequest struct {
	ServiceCode string   `json:"service_code"`
	Description string   `json:"description"`
	Address     string   `json:"address"`
	Status      string   `json:"status"`
	Agency      string   `json:"agency_responsible"`
	MediaURL    string   `json:"media_url"`
	Lat         *float64 `json:"lat"`
	Long        *float64 `json:"long"`
	Extended    struct {
		Title          string   `json:"title"`
		DetailedStatus string   `json:"detailed_status"`
		MediaURLs      []string `json:"media_urls"`
		Tasks          []struct {
			State string `json:"task_state"`
			Type  string `json:"task_type"`
			Owner string `json:"owner_name"`
		} `json:"tasks"`
	} `json:"extended_attributes"`
}

func readHelsinki(t *testing.T) []helsinkiRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "helsinki", "requests.json"))
	if err != nil {
		t.Fatal(err)
	}
	var requests []helsinkiRequest
	if err := json.Unmarshal(data, &requests); err != nil {
		t.Fatal(err)
	}
	return requests
}

// TestTablesMatchHelsinki recounts the tables that are counts from the Helsinki data, so
// that a table edited by hand cannot drift from its source.
func TestTablesMatchHelsinki(t *testing.T) {
	requests := readHelsinki(t)

	counts := func(key func(r *helsinkiRequest) []string) map[string]int {
		m := map[string]int{}
		for i := range requests {
			for _, k := range key(&requests[i]) {
				m[k]++
			}
		}
		return m
	}
	fromTable := func(table []weighted[string]) map[string]int {
		m := map[string]int{}
		for _, w := range table {
			m[w.value] += w.weight
		}
		return m
	}
	single := func(s string) []string { return []string{s} }

	catalogCodes := map[string]bool{}
	for _, w := range serviceCodes {
		catalogCodes[w.value] = true
	}
	tests := []struct {
		name  string
		got   map[string]int
		table map[string]int
	}{
		{"service codes", counts(func(r *helsinkiRequest) []string {
			if !catalogCodes[r.ServiceCode] {
				return single(otherServiceCode)
			}
			return single(r.ServiceCode)
		}), fromTable(serviceCodes)},
		{"open detailed statuses", counts(func(r *helsinkiRequest) []string {
			if r.Status != "open" {
				return nil
			}
			return single(r.Extended.DetailedStatus)
		}), fromTable(openDetailedStatuses)},
		{"closed detailed statuses", counts(func(r *helsinkiRequest) []string {
			if r.Status != "closed" {
				return nil
			}
			return single(r.Extended.DetailedStatus)
		}), fromTable(closedDetailedStatuses)},
		{"agencies", counts(func(r *helsinkiRequest) []string { return single(r.Agency) }), fromTable(agencies)},
		{"task owners", counts(func(r *helsinkiRequest) []string {
			var owners []string
			for _, task := range r.Extended.Tasks {
				owners = append(owners, task.Owner)
			}
			return owners
		}), fromTable(taskOwners)},
		{"task types and states", counts(func(r *helsinkiRequest) []string {
			var pairs []string
			for _, task := range r.Extended.Tasks {
				pairs = append(pairs, task.Type+"/"+task.State)
			}
			return pairs
		}), fromTable(taskKinds)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, n := range tt.got {
				if tt.table[k] != n {
					t.Errorf("%q: table has %d, Helsinki data has %d", k, tt.table[k], n)
				}
			}
			for k := range tt.table {
				if _, ok := tt.got[k]; !ok {
					t.Errorf("%q: table has it, Helsinki data does not", k)
				}
			}
		})
	}

	taskCounts := map[int]int{}
	mediaCounts := map[int]int{}
	open, withMedia, withoutLocation := 0, 0, 0
	for _, r := range requests {
		taskCounts[len(r.Extended.Tasks)]++
		if r.MediaURL != "" {
			withMedia++
			mediaCounts[len(r.Extended.MediaURLs)]++
		}
		if r.Status == "open" {
			open++
		}
		if !hasLocation(&r) {
			withoutLocation++
		}
	}
	for _, w := range taskCountTable {
		if taskCounts[w.value] != w.weight {
			t.Errorf("requests with %d tasks: table has %d, Helsinki data has %d", w.value, w.weight, taskCounts[w.value])
		}
	}
	for _, w := range mediaURLCounts {
		if mediaCounts[w.value] != w.weight {
			t.Errorf("requests with %d media_urls: table has %d, Helsinki data has %d", w.value, w.weight, mediaCounts[w.value])
		}
	}
	checks := []struct {
		name      string
		got, want int
	}{
		{"requests", len(requests), helsinkiRequests},
		{"open requests", open, helsinkiOpen},
		{"requests with a media_url", withMedia, helsinkiWithMedia},
		{"requests without a location", withoutLocation, helsinkiWithoutLocation},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: table has %d, Helsinki data has %d", c.name, c.want, c.got)
		}
	}
}

// TestFitClusters fits a mixture of Gaussian clusters to the Helsinki locations by
// expectation maximization and prints it as the clusters table. It runs only with -fit.
func TestFitClusters(t *testing.T) {
	if !*fit {
		t.Skip("run with -fit to fit the clusters")
	}
	var points [][2]float64
	for _, r := range readHelsinki(t) {
		if hasLocation(&r) {
			points = append(points, [2]float64{*r.Lat, *r.Long})
		}
	}
	fitted := fitMixture(points, len(clusters), rand.New(rand.NewPCG(7, 7)))
	slices.SortFunc(fitted, func(a, b Cluster) int { return b.Weight - a.Weight })

	var b strings.Builder
	for _, c := range fitted {
		b.WriteString(formatCluster(c))
	}
	t.Logf("%d points:\n%s", len(points), b.String())
}

// hasLocation reports whether r has a location in Helsinki. Helsinki's requests without one
// have latitude 0.
func hasLocation(r *helsinkiRequest) bool {
	return r.Lat != nil && r.Long != nil && *r.Lat != 0
}

// TestWordsMatchHelsinki checks the count of each word and street of the tables against the
// Helsinki texts and addresses.
func TestWordsMatchHelsinki(t *testing.T) {
	requests := readHelsinki(t)

	wordCounts := map[string]int{}
	streetCounts := map[string]int{}
	for _, r := range requests {
		for _, text := range []string{r.Description, r.Extended.Title} {
			for _, w := range strings.FieldsFunc(text, func(c rune) bool { return !unicode.IsLetter(c) }) {
				wordCounts[strings.ToLower(w)]++
			}
		}
		if m := streetPattern.FindStringSubmatch(r.Address); m != nil {
			streetCounts[strings.TrimSpace(m[1])]++
		}
	}
	for _, w := range words {
		if wordCounts[w.value] != w.weight {
			t.Errorf("word %q: table has %d, Helsinki data has %d", w.value, w.weight, wordCounts[w.value])
		}
	}
	for _, s := range streets {
		if streetCounts[s.value] != s.weight {
			t.Errorf("street %q: table has %d, Helsinki data has %d", s.value, s.weight, streetCounts[s.value])
		}
	}
}

// streetPattern matches an address that begins with a street name and a number, such as
// "Sturenkatu 33, 00550 Helsinki, Suomi" or "Vanha talvitie 11a, Helsinki".
var streetPattern = regexp.MustCompile(`^([^\d,]+?)\s+\d+[a-zA-Z]?\s*,`)
