package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"
)

// pacedResult is the result of a paced run. Latencies are in microseconds, from the moment
// the schedule sent each request.
type pacedResult struct {
	rate      float64 // the offered rate, requests/s
	sent      int64
	completed int64
	// errors counts the responses other than 2xx and the requests that failed.
	errors int64
	// skipped counts the requests that the schedule could not send because maxQueued
	// requests were waiting for a sender.
	skipped        int64
	duration       time.Duration
	p50, p99, p999 int64
	maxLatency     int64
	firstError     string
	// senderCPU is the processor time that this process used during the run, mostly the
	// sender's, which the server did not have.
	senderCPU time.Duration
}

// RequestsPerSecond returns the rate of completed requests.
func (r pacedResult) RequestsPerSecond() float64 {
	if r.duration <= 0 {
		return 0
	}
	return float64(r.completed) / r.duration.Seconds()
}

// pacedConnections is the number of connections, each with its own sender, that a paced run
// sends on. Requests that come due while every sender waits for a response queue for the next
// free one, and count that wait in their latency.
const pacedConnections = 64

// maxQueued bounds the requests that wait for a free sender. A server that falls this far
// behind has a latency of seconds, which the requests the schedule could not queue then
// report as not sent.
const maxQueued = 4096

// pacedTick is how often the schedule wakes to queue the requests that are due. Each request
// is timed from its own place in the schedule, so a request that waits up to one tick to be
// sent counts that wait in its latency.
const pacedTick = time.Millisecond

// scheduledRequest is a request of a paced run and the moment the schedule sends it.
type scheduledRequest struct {
	due time.Time
	url string
}

// runPaced sends GET requests for paths that next draws, at rate a second for duration,
// whether or not earlier ones have had their responses (an open loop). A closed loop such as wrk's
// waits for each response before it sends the next request on the connection, so its latency
// is mostly the queue that its own connections make; a paced run instead shows the latency
// that clients arriving at the rate would see. A request that waits for a sender or for the
// server counts that wait in its latency, so a server that cannot keep up shows it.
func runPaced(ctx context.Context, baseURL string, rate float64, duration time.Duration, seed uint64,
	next func(*rand.Rand) string) (pacedResult, error) {
	if rate <= 0 || duration <= 0 {
		return pacedResult{}, fmt.Errorf("paced run: rate %v and duration %v must be positive", rate, duration)
	}
	// Lists of 100 requests are about 100 KB, which large buffers read in few system calls,
	// so that the sender takes less of the processor time the server needs.
	transport := &http.Transport{MaxConnsPerHost: pacedConnections, MaxIdleConnsPerHost: pacedConnections,
		DisableCompression: true, ReadBufferSize: pacedBufferSize}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	random := rand.New(rand.NewPCG(seed, 3))

	result := pacedResult{rate: rate}
	queue := make(chan scheduledRequest, maxQueued)
	var mu sync.Mutex
	latencies := make([]int64, 0, int(rate*duration.Seconds())+1)
	var wg sync.WaitGroup
	for range pacedConnections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, pacedBufferSize)
			for r := range queue {
				err := get(ctx, client, r.url, buf)
				latency := time.Since(r.due)
				mu.Lock()
				if err != nil {
					result.errors++
					if result.firstError == "" {
						result.firstError = err.Error()
					}
				} else {
					result.completed++
					latencies = append(latencies, latency.Microseconds())
				}
				mu.Unlock()
			}
		}()
	}

	// One processor keeps the runtime from waking a second thread to look for work at each
	// response, which took as much processor time as reading the responses.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	interval := time.Duration(float64(time.Second) / rate)
	cpuBefore := processCPU()
	start := time.Now()
	end := start.Add(duration)
	ticker := time.NewTicker(pacedTick)
	defer ticker.Stop()
	due := start
	var err error
	for due.Before(end) && err == nil {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			continue
		case <-ticker.C:
		}
		now := time.Now()
		for ; due.Before(end) && !due.After(now); due = due.Add(interval) {
			select {
			case queue <- scheduledRequest{due: due, url: baseURL + next(random)}:
				result.sent++
			default:
				result.skipped++
			}
		}
	}
	close(queue)
	wg.Wait()
	result.duration = time.Since(start)
	result.senderCPU = processCPU() - cpuBefore
	if err != nil {
		return result, err
	}

	slices.Sort(latencies)
	result.p50, result.p99, result.p999 = percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 99.9)
	if len(latencies) > 0 {
		result.maxLatency = latencies[len(latencies)-1]
	}
	return result, nil
}

// processCPU returns the user and system processor time of this process so far.
func processCPU() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// pacedBufferSize is the size of a paced run's read buffers.
const pacedBufferSize = 128 << 10

// get sends a GET request and reads the whole response into buf, over and over. It returns
// an error for a status other than 2xx.
func get(ctx context.Context, client *http.Client, url string, buf []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	for {
		_, err := resp.Body.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// percentile returns the p-th percentile of sorted values by the nearest rank, 0 when there
// are none.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps rounding, as in 99.9/100*1000, from moving the rank up by one.
	rank := int(math.Ceil(p/100*float64(len(sorted)) - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
