package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
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

// senderShare returns the processor time of the sender as a percentage of one core over the
// run.
func (p *pacedResult) senderShare() float64 {
	if p.duration <= 0 {
		return 0
	}
	return 100 * p.senderCPU.Seconds() / p.duration.Seconds()
}

// RequestsPerSecond returns the rate of completed requests.
func (r pacedResult) RequestsPerSecond() float64 {
	if r.duration <= 0 {
		return 0
	}
	return float64(r.completed) / r.duration.Seconds()
}

// maxQueued bounds the requests that wait for a free sender. The schedule drops a request that
// comes due when this many wait, and counts it as not sent. The queue then holds maxQueued
// divided by the rate seconds of requests, and the latencies leave the dropped ones out, so
// they are lower bounds.
const maxQueued = 4096

// pacedTick is how often the schedule wakes to queue the requests that are due. Each request
// is timed from its own place in the schedule, so a request that waits up to one tick to be
// sent counts that wait in its latency.
const pacedTick = time.Millisecond

// scheduledRequest is a request of a paced run and the moment the schedule sends it.
type scheduledRequest struct {
	due  time.Time
	path string
}

// runPaced sends GET requests for paths that next draws, at rate a second for duration,
// whether or not earlier ones have had their responses (an open loop). It sends on
// connections connections, each with a sender of its own. A request that comes due while
// every sender waits for a response queues for the next free one, and its latency counts that
// wait, so a server that cannot keep up shows it.
//
// A closed loop such as wrk's waits for each response before it sends the next request on the
// connection. Its latency is then mostly the queue that its own connections make, while a
// paced run shows the latency that clients arriving at the rate would see.
func runPaced(ctx context.Context, baseURL string, rate float64, duration time.Duration, connections int, seed uint64,
	next func(*rand.Rand) string) (pacedResult, error) {
	if rate <= 0 || duration <= 0 || connections <= 0 {
		return pacedResult{}, fmt.Errorf("paced run: rate %v, duration %v and connections %d must be positive", rate, duration, connections)
	}
	host, ok := strings.CutPrefix(baseURL, "http://")
	if !ok || strings.Contains(host, "/") {
		return pacedResult{}, fmt.Errorf("paced run: base URL %q is not http://host:port", baseURL)
	}
	random := rand.New(rand.NewPCG(seed, 3))

	result := pacedResult{rate: rate}
	queue := make(chan scheduledRequest, maxQueued)
	var mu sync.Mutex
	latencies := make([]int64, 0, int(rate*duration.Seconds())+1)
	var wg sync.WaitGroup
	for range connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := &senderConn{host: host}
			defer conn.close()
			for r := range queue {
				err := conn.get(r.path)
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
	// response. At 1,000 requests/s the sender took 27% of a core with two and 23% with one.
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
			case queue <- scheduledRequest{due: due, path: next(random)}:
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

// pacedBufferSize is the size of a sender's read buffer. Lists of 100 requests are about
// 100 KB, which a large buffer reads in few system calls.
const pacedBufferSize = 128 << 10

// senderConn is the keep-alive HTTP/1.1 connection of one sender of a paced run. It sends GET
// requests and reads responses with a Content-Length or a chunked body, which is what the
// server sends. net/http's client took about 45% more processor time, much of it handing
// each response between the two goroutines it runs per connection, and the sender shares
// the machine with the server.
type senderConn struct {
	host    string
	conn    net.Conn
	reader  *bufio.Reader
	request []byte
}

// get sends a GET request for path and reads the whole response. It returns an error for a
// status other than 2xx. A connection that the server closed while it was idle is dialled
// again once.
func (c *senderConn) get(path string) error {
	for attempt := 0; ; attempt++ {
		reused := c.conn != nil
		if !reused {
			conn, err := net.DialTimeout("tcp", c.host, 10*time.Second)
			if err != nil {
				return err
			}
			c.conn, c.reader = conn, bufio.NewReaderSize(conn, pacedBufferSize)
		}
		keep, err := c.roundTrip(path)
		var status *statusError
		if err == nil || errors.As(err, &status) {
			// The response was read whole, so the connection carries the next request unless
			// the server closes it.
			if !keep {
				c.close()
			}
			return err
		}

		c.close()
		if !reused || attempt > 0 {
			return err
		}
	}
}

// statusError is a response whose status is not 2xx.
type statusError struct{ line string }

func (e *statusError) Error() string { return e.line }

// roundTrip sends one request and reads its response. keep reports whether the connection
// can carry another.
func (c *senderConn) roundTrip(path string) (keep bool, err error) {
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	c.request = append(append(append(append(c.request[:0], "GET "...), path...), " HTTP/1.1\r\nHost: "...), c.host...)
	c.request = append(c.request, "\r\n\r\n"...)
	if _, err := c.conn.Write(c.request); err != nil {
		return false, err
	}

	statusLine, err := c.line()
	if err != nil {
		return false, err
	}
	code, ok := strings.CutPrefix(statusLine, "HTTP/1.1 ")
	if !ok || len(code) < 3 {
		return false, fmt.Errorf("GET %s: invalid status line %q", path, statusLine)
	}
	length, chunked, keep := int64(-1), false, true
	for {
		header, err := c.line()
		if err != nil {
			return false, err
		}
		if header == "" {
			break
		}
		name, value, _ := strings.Cut(header, ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "content-length":
			if length, err = strconv.ParseInt(value, 10, 64); err != nil || length < 0 {
				return false, fmt.Errorf("GET %s: invalid Content-Length %q", path, value)
			}
		case "transfer-encoding":
			chunked = strings.EqualFold(value, "chunked")
		case "connection":
			keep = !strings.EqualFold(value, "close")
		}
	}

	switch {
	case chunked:
		err = c.discardChunks()
	case length >= 0:
		_, err = c.reader.Discard(int(length))
	default:
		return false, fmt.Errorf("GET %s: the response has neither a Content-Length nor a chunked body", path)
	}
	if err != nil {
		return false, err
	}
	if code[0] != '2' {
		return keep, &statusError{line: "GET " + path + ": " + statusLine}
	}
	return keep, nil
}

// discardChunks reads a chunked body and its trailer.
func (c *senderConn) discardChunks() error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("invalid chunk size %q", line)
		}
		if n == 0 {
			for {
				trailer, err := c.line()
				if err != nil || trailer == "" {
					return err
				}
			}
		}
		if _, err := c.reader.Discard(int(n)); err != nil {
			return err
		}
		if crlf, err := c.line(); err != nil || crlf != "" {
			return fmt.Errorf("chunk of %d bytes not followed by CRLF", n)
		}
	}
}

// line reads one line of the response without its CRLF.
func (c *senderConn) line() (string, error) {
	line, err := c.reader.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"), nil
}

func (c *senderConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.reader = nil, nil
	}
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
