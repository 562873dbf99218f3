package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenStores(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	tests := []struct {
		name, spec, baseURL string
		wantType            string
		wantURL             string // of the file a.jpg
	}{
		{"file", "file:" + dir, "https://feedback.example.org/v2/media/", "*media.FileStore", "https://feedback.example.org/v2/media/a.jpg"},
		{"media host", "https://media.example.org/open311", "", "*media.HTTPStore", "https://media.example.org/open311/a.jpg"},
		{"media host with base URL", "https://media.example.org/open311", "https://cdn.example.org/p", "*media.HTTPStore", "https://cdn.example.org/p/a.jpg"},
		{"upper-case scheme", "HTTPS://media.example.org/open311", "", "*media.HTTPStore", "https://media.example.org/open311/a.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := Open(context.Background(), tt.spec, tt.baseURL, noEnvironment)
			if err != nil {
				t.Fatalf("Open(%q) = %v", tt.spec, err)
			}
			if got := typeName(store); got != tt.wantType {
				t.Errorf("Open(%q) returned a %s, want %s", tt.spec, got, tt.wantType)
			}
			if got := store.URL("a.jpg"); got != tt.wantURL {
				t.Errorf("URL(a.jpg) = %q, want %q", got, tt.wantURL)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	identity := map[string]string{"AzureWebJobsStorage__accountName": "open311media"}
	withKey := map[string]string{"AZURE_STORAGE_CONNECTION_STRING": "AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/a"}
	tests := []struct {
		name, spec, baseURL string
		env                 map[string]string
		wantErr             []string // parts of the message
		secret              string   // must not appear in the message
	}{
		{name: "empty", spec: "", wantErr: []string{`unsupported store ""`, "file:DIR, azblob:CONTAINER or https://HOST/PATH"}},
		{name: "bare folder", spec: "./media", wantErr: []string{`unsupported store "./media"`, "file:DIR"}},
		{name: "unknown scheme", spec: "s3://bucket", wantErr: []string{`"s3://bucket"`, "azblob:CONTAINER"}},
		{name: "password hidden", spec: "ftp://user:s3cret@media.example.org", wantErr: []string{"user:xxxxx@"}, secret: "s3cret"},
		{name: "file without folder", spec: "file:", baseURL: "https://x.example.org", wantErr: []string{`"file:"`, "use file:DIR"}},
		{name: "file without base URL", spec: "file:uploads", wantErr: []string{`"file:uploads"`, "needs a base URL"}},
		{name: "azblob without container", spec: "azblob:", baseURL: "https://x.example.org", wantErr: []string{`"azblob:"`, "azblob:CONTAINER"}},
		{name: "azblob URL form", spec: "azblob://media", baseURL: "https://x.example.org", wantErr: []string{`"azblob://media"`, "azblob:CONTAINER"}},
		{name: "azblob without base URL", spec: "azblob:media", env: withKey, wantErr: []string{"needs a base URL"}},
		{name: "azblob without connection string", spec: "azblob:media", baseURL: "https://x.example.org", wantErr: []string{"AZURE_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage"}},
		{name: "azblob with identity", spec: "azblob:media", baseURL: "https://x.example.org", env: identity, wantErr: []string{"identity-based connection", "AZURE_STORAGE_CONNECTION_STRING"}},
		{name: "azblob invalid container", spec: "azblob:Open_Media", baseURL: "https://x.example.org", env: identity, wantErr: []string{`"Open_Media"`, "lowercase"}},
		{name: "media host over http", spec: "http://media.example.org/m", wantErr: []string{"loopback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(key string) string { return tt.env[key] }
			store, err := Open(context.Background(), tt.spec, tt.baseURL, getenv)
			if err == nil {
				t.Fatalf("Open(%q) = %s, nil, want an error", tt.spec, typeName(store))
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open(%q) error %q does not contain %q", tt.spec, err, want)
				}
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("Open(%q) error %q contains the password", tt.spec, err)
			}
		})
	}
}

func noEnvironment(string) string { return "" }

func typeName(store Store) string { return fmt.Sprintf("%T", store) }

// TestCheckSpec checks that CheckSpec accepts the forms that Open accepts, creates no folder,
// and rejects an invalid spec or connection string with the error that Open returns.
func TestCheckSpec(t *testing.T) {
	folder := filepath.Join(t.TempDir(), "uploads")
	withKey := map[string]string{"AZURE_STORAGE_CONNECTION_STRING": "AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/a"}
	emulator := map[string]string{"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
	brokenKey := map[string]string{"AZURE_STORAGE_CONNECTION_STRING": "not a connection string"}
	valid := []struct {
		spec string
		env  map[string]string
	}{
		{"file:" + folder, nil},
		{"https://media.example.org/open311", nil},
		{"https://media.example.org:8443/open311", nil},
		{"http://127.0.0.1:18470/media", nil},
		{"azblob:media", withKey},
		{"azblob:media", emulator},
	}
	for _, tt := range valid {
		if err := CheckSpec(tt.spec, func(key string) string { return tt.env[key] }); err != nil {
			t.Errorf("CheckSpec(%q) = %v, want nil", tt.spec, err)
		}
	}
	if _, err := os.Stat(folder); !os.IsNotExist(err) {
		t.Errorf("CheckSpec(file:%s) created the folder (stat: %v)", folder, err)
	}

	invalid := []struct {
		name, spec string
		env        map[string]string
		want       string
	}{
		{"unknown kind", "s3:bucket", nil, `unsupported store "s3:bucket"`},
		{"file without folder", "file:", nil, "use file:DIR"},
		{"invalid container", "azblob:Open_Media", withKey, "lowercase"},
		{"no connection string", "azblob:media", nil, "set AZURE_STORAGE_CONNECTION_STRING or AzureWebJobsStorage"},
		{"invalid connection string", "azblob:media", brokenKey, "invalid Azure Storage connection string"},
		{"port out of range", "https://media.example.org:99999/open311", nil, "the port is not a number from 1 to 65535"},
		{"http off loopback", "http://media.example.org/m", nil, "loopback"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(key string) string { return tt.env[key] }
			err := CheckSpec(tt.spec, getenv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckSpec(%q) = %v, want an error containing %q", tt.spec, err, tt.want)
			}
			_, openErr := Open(context.Background(), tt.spec, "https://feedback.example.org/media", getenv)
			if openErr == nil || openErr.Error() != err.Error() {
				t.Errorf("Open(%q) = %v, want the error of CheckSpec, %q", tt.spec, openErr, err)
			}
		})
	}
}
