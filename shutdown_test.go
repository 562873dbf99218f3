package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestShutdownUnderLoad sends SIGTERM while clients keep posting, and checks that every POST
// that got a 2xx has a complete response and is stored, and that the server exits cleanly.
func TestShutdownUnderLoad(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "open311.db")
	key := createKeyCommand(t, dir, db, "load")
	cmd, base, output := startServer(t, dir, "-db", db, "-log-level", "warn")

	var (
		mu       sync.Mutex
		accepted []string
		broken   []string
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(worker, n int) bool {
		form := url.Values{"api_key": {key}, "service_code": {"176"}, "lat": {"60.17"}, "long": {"24.94"},
			"description": {fmt.Sprintf("Töhryjä %d/%d", worker, n)}}
		resp, err := client.PostForm(base+"/open311/v2/requests.json", form)
		if err != nil {
			return false // refused or reset: the server has stopped taking requests
		}
		body, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return resp.StatusCode != http.StatusServiceUnavailable
		}
		var created []struct {
			ID string `json:"service_request_id"`
		}
		mu.Lock()
		defer mu.Unlock()
		if readErr != nil || json.Unmarshal(body, &created) != nil || len(created) != 1 {
			broken = append(broken, fmt.Sprintf("%q (%v)", body, readErr))
			return false
		}
		accepted = append(accepted, created[0].ID)
		return true
	}
	for worker := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; post(worker, n); n++ {
			}
		}()
	}

	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Errorf("the server exited with %v after SIGTERM, want status 0; output:\n%s", err, output)
	}
	if len(broken) > 0 {
		t.Errorf("%d responses with status 2xx were cut or malformed: %v", len(broken), broken)
	}
	if len(accepted) == 0 {
		t.Fatal("no POST succeeded before the shutdown")
	}

	_, base, _ = startServer(t, dir, "-db", db, "-log-level", "warn")
	for _, id := range accepted {
		resp, err := http.Get(base + "/open311/v2/requests/" + id + ".json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("request %s got a 2xx before the shutdown but GET returns %d", id, resp.StatusCode)
		}
	}
	t.Logf("%d POSTs succeeded before SIGTERM; all are stored", len(accepted))
}
