package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// responseSize is the mean size of a scenario's responses, measured on requests sent one at
// a time after its timed runs. Reading and encoding a list of 100 requests costs more than a
// list of 50, so the sizes tell whether a latency grew with the store or with the responses.
// At 10,000 stored requests, for example, a 1 km circle finds fewer than 100 in its 90 days.
type responseSize struct {
	sampled int
	// results is the mean number of requests in a response, and bytes the mean length of
	// its body.
	results, bytes float64
}

// responseSamples is the number of responses that sampleResponses reads: enough for means
// within a few percent, and few enough to take under a second at 1,000,000 requests.
const responseSamples = 200

// sampleResponses sends n GET requests for paths that next draws, one at a time, and returns
// the mean number of requests and bytes in the responses. Each response body must be a JSON
// array, as GeoReport v2's lists and single requests in JSON are.
func sampleResponses(ctx context.Context, baseURL string, n int, seed uint64, next func(*rand.Rand) string) (responseSize, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	random := rand.New(rand.NewPCG(seed, 4))

	var size responseSize
	var results, bytes int64
	for range n {
		path := next(random)
		count, length, err := readResponse(ctx, client, baseURL+path)
		if err != nil {
			return responseSize{}, fmt.Errorf("GET %s: %w", path, err)
		}
		size.sampled++
		results += int64(count)
		bytes += length
	}
	if size.sampled > 0 {
		size.results = float64(results) / float64(size.sampled)
		size.bytes = float64(bytes) / float64(size.sampled)
	}
	return size, nil
}

// readResponse gets url and returns the number of elements of the JSON array in the response
// body, and the body's length.
func readResponse(ctx context.Context, client *http.Client, url string) (int, int64, error) {
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	response, err := client.Do(request)
	if err != nil {
		return 0, 0, err
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		return 0, 0, err
	}
	if response.StatusCode/100 != 2 {
		return 0, 0, fmt.Errorf("status %s, expected 2xx", response.Status)
	}

	var elements []json.RawMessage
	if err := json.Unmarshal(body, &elements); err != nil {
		return 0, 0, fmt.Errorf("the response body is not a JSON array: %w", err)
	}
	return len(elements), int64(len(body)), nil
}
