package mongo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ferretDB is the FerretDB server that the tests of this package share. It starts on the
// first call of ferretDBURI and stops in TestMain, after every test.
var ferretDB struct {
	once  sync.Once
	dir   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	uri   string
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()

	closeBenchmarkStore()
	stopFerretDB()
	os.Exit(code)
}

// ferretDBURI returns the URI of the shared FerretDB server, which it builds from the
// module in internal/ferretdbserver and starts on a free loopback port on the first call.
// The go command caches the build, so only the first build on a machine takes minutes.
func ferretDBURI(tb testing.TB) string {
	tb.Helper()

	ferretDB.once.Do(func() {
		ferretDB.dir, ferretDB.err = os.MkdirTemp("", "open311-ferretdb-")
		if ferretDB.err != nil {
			return
		}
		ferretDB.err = startFerretDB(ferretDB.dir)
	})
	if ferretDB.err != nil {
		tb.Fatalf("start FerretDB: %v", ferretDB.err)
	}
	return ferretDB.uri
}

// startFerretDB builds the server into dir, starts it with its data in dir, and reads the
// URI that it prints.
func startFerretDB(dir string) error {
	binary := filepath.Join(dir, "ferretdbserver")
	build := exec.Command("go", "build", "-C", filepath.Join("internal", "ferretdbserver"), "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build internal/ferretdbserver: %w\n%s", err, out)
	}

	cmd := exec.Command(binary, "-dir", filepath.Join(dir, "data"), "-listen", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	// The server stops when its standard input closes, also when this process dies.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", binary, err)
	}
	ferretDB.cmd, ferretDB.stdin = cmd, stdin

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		if !strings.HasPrefix(line, "mongodb://") {
			return fmt.Errorf("ferretdbserver printed %q, want a mongodb:// URI", line)
		}
		ferretDB.uri = line
		return nil
	case <-time.After(time.Minute):
		return fmt.Errorf("ferretdbserver printed no URI within a minute")
	}
}

// stopFerretDB stops the server that startFerretDB started, and removes its files.
func stopFerretDB() {
	if ferretDB.cmd != nil {
		ferretDB.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- ferretDB.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			ferretDB.cmd.Process.Kill()
			<-done
		}
	}
	if ferretDB.dir != "" {
		os.RemoveAll(ferretDB.dir)
	}
}

// databaseCounter numbers the databases that openTestStore creates in one run.
var databaseCounter struct {
	sync.Mutex
	n int
}

// openTestStore opens a store on a new database of the deployment at uri, and drops the
// database when the test ends.
func openTestStore(t testing.TB, uri string, cfg settings) *Store {
	t.Helper()

	databaseCounter.Lock()
	databaseCounter.n++
	name := fmt.Sprintf("open311_test_%d_%d", os.Getpid(), databaseCounter.n)
	databaseCounter.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := open(ctx, clientOptions(uri), name, nil, cfg)
	if err != nil {
		t.Fatalf("open store on database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.client.Database(name).Drop(ctx); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	return s
}

// ferretDBSettings are the settings of a store on FerretDB 1.24, which has no 2dsphere
// index.
var ferretDBSettings = settings{skipIndexes: map[string]bool{"location": true}}
