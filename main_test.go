package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test start this test binary as the open311 command: with
// OPEN311_TEST_AS_COMMAND=1 it runs run() with the arguments after "--" and exits.
func TestMain(m *testing.M) {
	if os.Getenv("OPEN311_TEST_AS_COMMAND") == "1" {
		args := []string{"open311"}
		for i, arg := range os.Args {
			if arg == "--" {
				args = append(args, os.Args[i+1:]...)
				break
			}
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, args, os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(exitStatus(err, os.Stderr))
	}
	os.Exit(m.Run())
}

// command returns the test binary set up to run as open311 with args.
func command(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OPEN311_TEST_AS_COMMAND=1")
	return cmd
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer is a bytes.Buffer that a command writes while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServer starts open311 serve on a free port and waits until /healthz responds.
func startServer(t *testing.T, dir string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	addr := freeAddress(t)
	output := &syncBuffer{}
	cmd := command(t, dir, append([]string{"serve", "-addr", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base, output
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server did not become healthy within 20 s; output:\n%s", output.String())
	return nil, "", nil
}

// createKeyCommand runs open311 keys create and returns the printed key.
func createKeyCommand(t *testing.T, dir, db, name string) string {
	t.Helper()
	out, err := command(t, dir, "keys", "create", "-db", db, name).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		t.Fatal("keys create printed no key")
	}
	return fields[len(fields)-1]
}

// TestPostDurableAfterKill checks that a request that got a 200 response survives SIGKILL of the
// server right after the response.
func TestPostDurableAfterKill(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "open311.db")
	key := createKeyCommand(t, dir, db, "durability")

	var ids []string
	for round := 0; round < 3; round++ {
		cmd, base, output := startServer(t, dir, "-db", db)
		for _, id := range ids {
			resp, err := http.Get(base + "/open311/v2/requests/" + id + ".json")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("after SIGKILL, GET requests/%s = %d, want 200; server output:\n%s", id, resp.StatusCode, output)
			}
		}
		form := url.Values{"api_key": {key}, "service_code": {"171"}, "lat": {"60.17"}, "long": {"24.94"},
			"description": {fmt.Sprintf("Kuoppa kierroksella %d", round)}}
		resp, err := http.PostForm(base+"/open311/v2/requests.json", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Kill before anything else can happen, so that only a durable commit can save it.
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST = %d %s", resp.StatusCode, body)
		}
		var created []struct {
			ID string `json:"service_request_id"`
		}
		if err := json.Unmarshal(body, &created); err != nil || len(created) != 1 {
			t.Fatalf("POST response %s: %v", body, err)
		}
		ids = append(ids, created[0].ID)
	}
}

// TestServeFirstKey checks that a server on an empty store prints one key once, and that the
// key works.
func TestServeFirstKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "open311.db")
	cmd, base, output := startServer(t, dir, "-db", db)
	// The server prints the key before it listens, but the copy from its standard error pipe
	// into output may still be in progress when /healthz responds.
	text := output.String()
	i := strings.Index(text, "api_key=")
	for deadline := time.Now().Add(5 * time.Second); (i < 0 || !strings.Contains(text[i:], "\n")) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		text = output.String()
		i = strings.Index(text, "api_key=")
	}
	if i < 0 {
		t.Fatalf("the first start printed no key:\n%s", text)
	}
	if want := "Create more with: open311 keys create -db " + db + " NAME"; !strings.Contains(text, want) {
		t.Errorf("the first start printed no hint %q:\n%s", want, text)
	}
	key := strings.Fields(text[i+len("api_key="):])[0]
	form := url.Values{"api_key": {key}, "service_code": {"176"}, "address_string": {"Mannerheimintie 1"},
		"description": {"Töhryjä seinässä"}}
	resp, err := http.PostForm(base+"/open311/v2/requests.json", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST with the printed key = %d, want 200", resp.StatusCode)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("the server exited with %v after SIGTERM, want status 0", err)
	}

	_, _, again := startServer(t, dir, "-db", db)
	if strings.Contains(again.String(), "api_key=") {
		t.Errorf("the second start printed a key again:\n%s", again)
	}
}

// TestServeDebugAddr checks that -debug-addr serves Go's profiles on its own listener and
// that the API's listener does not.
func TestServeDebugAddr(t *testing.T) {
	dir := t.TempDir()
	debugAddr := freeAddress(t)
	cmd, base, _ := startServer(t, dir, "-db", filepath.Join(dir, "open311.db"), "-debug-addr", debugAddr)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	resp, err := http.Get("http://" + debugAddr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "serve") {
		t.Errorf("GET /debug/pprof/cmdline on -debug-addr = %d %q, want 200 and the command line", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/cmdline on the API's address = %d, want 404", resp.StatusCode)
	}
}

// TestListenNamesFlag checks that a listen address in use gets an error that names the flag
// to change.
func TestListenNamesFlag(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, flagName := range []string{"addr", "debug-addr"} {
		_, err := listen(taken.Addr().String(), flagName)
		if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "with -"+flagName) {
			t.Errorf("listen on a used address for -%s: %v, want an error that names -%s", flagName, err, flagName)
		}
	}
}

// TestServeFailsBeforeCreatingStore checks that a start that fails on a used address or a bad
// -catalog file leaves no store file behind at a new -db path.
func TestServeFailsBeforeCreatingStore(t *testing.T) {
	inUse, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inUse.Close()
	dir := t.TempDir()
	badCatalog := filepath.Join(dir, "catalog.json")
	if err := os.WriteFile(badCatalog, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An address in use is a failure of the run, not of the command line, so it exits with
	// status 1.
	cases := []struct {
		name       string
		args       []string
		want       string
		wantStatus int
	}{
		{"address in use", []string{"-addr", inUse.Addr().String()}, "the address is in use", 1},
		{"debug address in use", []string{"-addr", "127.0.0.1:0", "-debug-addr", inUse.Addr().String()}, "-debug-addr", 1},
		{"bad catalog", []string{"-addr", "127.0.0.1:0", "-catalog", badCatalog}, "open311 serve: -catalog: ", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".db")
			env := environment{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
			var stderr strings.Builder
			env.stderr = &stderr
			err := serve(context.Background(), env, append(c.args, "-db", db))
			if err == nil || !strings.Contains(err.Error()+stderr.String(), c.want) {
				t.Errorf("serve %v: err = %v, stderr %q, want one containing %q", c.args, err, stderr.String(), c.want)
			}
			if status := exitStatus(err, io.Discard); status != c.wantStatus {
				t.Errorf("serve %v: exit status %d, want %d", c.args, status, c.wantStatus)
			}
			if _, statErr := os.Stat(db); !os.IsNotExist(statErr) {
				t.Errorf("serve %v left the store file %s (stat: %v)", c.args, db, statErr)
			}
		})
	}
}
