package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckHealth(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantError []string // substrings of the error; nil for success
	}{
		{"ok", http.StatusOK, `{"status":"ok"}`, nil},
		{"unavailable", http.StatusServiceUnavailable, `{"status":"unavailable"}`, []string{"503 Service Unavailable", `{"status":"unavailable"}`}},
		{"not found", http.StatusNotFound, "", []string{"404 Not Found"}},
		{"redirect", http.StatusFound, "", []string{"302 Found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" || r.Method != http.MethodGet {
					t.Errorf("request = %s %s, want GET /healthz", r.Method, r.URL.Path)
				}
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer server.Close()

			err := checkHealth(context.Background(), server.URL+"/healthz", time.Second)
			if tt.wantError == nil {
				if err != nil {
					t.Errorf("checkHealth = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkHealth = nil, want an error naming %q", tt.wantError)
			}
			for _, want := range tt.wantError {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("checkHealth = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestCheckHealthUnreachable(t *testing.T) {
	server := httptest.NewServer(http.NotFoundHandler())
	target := server.URL + "/healthz"
	server.Close()

	err := checkHealth(context.Background(), target, time.Second)
	if err == nil {
		t.Fatal("checkHealth of a closed server = nil, want an error")
	}
	if !strings.Contains(err.Error(), target) {
		t.Errorf("checkHealth = %q, want it to name %s", err, target)
	}
}

func TestCheckHealthTimeout(t *testing.T) {
	release := make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer server.Close()
	defer close(release)

	err := checkHealth(context.Background(), server.URL+"/healthz", 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out after 100ms") {
		t.Errorf("checkHealth of a server that does not respond = %v, want a timeout after 100ms", err)
	}
}

func TestCheckHealthInvalidURL(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:8080/healthz", "ftp://127.0.0.1/healthz", "http://"} {
		err := checkHealth(context.Background(), target, time.Second)
		if err == nil || !strings.Contains(err.Error(), "is not valid") {
			t.Errorf("checkHealth(%q) = %v, want an error saying the URL is not valid", target, err)
		}
	}
}

func TestHealthURL(t *testing.T) {
	tests := []struct {
		addr    string
		want    string
		wantErr bool
	}{
		{"", "http://127.0.0.1:8080/healthz", false},
		{":8080", "http://127.0.0.1:8080/healthz", false},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/healthz", false},
		{"[::]:9000", "http://[::1]:9000/healthz", false},
		{"127.0.0.1:8081", "http://127.0.0.1:8081/healthz", false},
		{"localhost:8082", "http://localhost:8082/healthz", false},
		{"8080", "", true},
	}
	for _, tt := range tests {
		got, err := healthURL(tt.addr)
		if (err != nil) != tt.wantErr {
			t.Errorf("healthURL(%q) error = %v, want error %v", tt.addr, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("healthURL(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// TestHealthcheckCommand runs the command's flag and environment handling against a server.
func TestHealthcheckCommand(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	defer healthy.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantErr  string // substring of the error; "" for success
		wantExit int    // exit status of an exitError; 0 when none
	}{
		{"url flag", []string{"-url", healthy.URL + "/healthz"}, nil, "", 0},
		{"addr flag", []string{"-addr", strings.TrimPrefix(healthy.URL, "http://")}, nil, "", 0},
		{"url over OPEN311_ADDR", []string{"-url", healthy.URL + "/healthz"}, map[string]string{"OPEN311_ADDR": "127.0.0.1:1"}, "", 0},
		{"invalid addr flag", []string{"-addr", "8080"}, nil, "-addr or OPEN311_ADDR \"8080\" is not host:port", 0},
		{"address from OPEN311_ADDR", nil, map[string]string{"OPEN311_ADDR": strings.TrimPrefix(healthy.URL, "http://")}, "", 0},
		{"url from OPEN311_URL", nil, map[string]string{"OPEN311_URL": healthy.URL + "/healthz"}, "", 0},
		{"failing server", []string{"-url", failing.URL + "/healthz"}, nil, "503 Service Unavailable", 0},
		{"invalid OPEN311_ADDR", nil, map[string]string{"OPEN311_ADDR": "8080"}, "OPEN311_ADDR", 0},
		{"zero timeout", []string{"-timeout", "0s", "-url", healthy.URL}, nil, "-timeout", 0},
		{"argument", []string{"http://127.0.0.1:8080/healthz"}, nil, "", 2},
		{"unknown flag", []string{"-port", "8080"}, nil, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			env := environment{getenv: func(name string) string { return tt.env[name] }, stdout: io.Discard, stderr: &stderr}
			err := healthcheck(context.Background(), env, tt.args)

			var exit exitError
			switch {
			case tt.wantExit != 0:
				if !errors.As(err, &exit) || exit.code != tt.wantExit {
					t.Errorf("healthcheck(%q) = %v, want exit status %d", tt.args, err, tt.wantExit)
				}
			case tt.wantErr == "":
				if err != nil {
					t.Errorf("healthcheck(%q) = %v, want nil", tt.args, err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("healthcheck(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
				}
			}
		})
	}
}

// TestHealthcheckUsage checks that healthcheck -h describes the command and its flags, as the
// other commands do.
func TestHealthcheckUsage(t *testing.T) {
	var stderr strings.Builder
	env := environment{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: &stderr}
	if err := healthcheck(context.Background(), env, []string{"-h"}); err != (exitError{0}) {
		t.Errorf("healthcheck -h = %v, want exit status 0", err)
	}
	for _, want := range []string{"Usage: open311 healthcheck [flags]", "exits with status 0 when it responds", "-addr address", "-url URL"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("healthcheck -h printed %q, want %q", stderr.String(), want)
		}
	}
}
