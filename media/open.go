package media

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Environment variables that contain the Azure Storage connection string of an azblob: store, in
// the order Open reads them. The Azure CLI's az storage commands read
// AZURE_STORAGE_CONNECTION_STRING too, and every Azure Functions app has AzureWebJobsStorage.
const (
	azureConnectionStringEnv = "AZURE_STORAGE_CONNECTION_STRING"
	functionsStorageEnv      = "AzureWebJobsStorage"
)

// acceptedSpecs lists the forms of a store spec, for error messages.
const acceptedSpecs = "file:DIR, azblob:CONTAINER or https://HOST/PATH"

// Open returns the store that spec names:
//
//   - file:DIR, a local folder, created when missing;
//   - azblob:CONTAINER, a container in Azure Blob Storage, created when missing, with the
//     connection string from the environment variable AZURE_STORAGE_CONNECTION_STRING or,
//     when that is empty, AzureWebJobsStorage;
//   - https://HOST/PATH, a separate media host (see NewHTTPStore); http:// only on loopback.
//
// baseURL is the URL that files are published under, without a trailing slash. The file: and
// azblob: stores require it. A media host publishes its files under its own URL when baseURL
// is empty. getenv reads the environment, as os.Getenv does.
func Open(ctx context.Context, spec, baseURL string, getenv func(string) string) (Store, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	target, err := parseSpec(spec, getenv)
	if err != nil {
		return nil, err
	}

	switch target.kind {
	case "file":
		if baseURL == "" {
			return nil, fmt.Errorf("media: store %q needs a base URL to publish files under", spec)
		}
		return NewFileStore(target.location, baseURL)

	case "azblob":
		if baseURL == "" {
			return nil, fmt.Errorf("media: store %q needs a base URL to publish files under", spec)
		}
		return NewAzureStore(ctx, target.connectionString, target.location, baseURL)
	}

	store, err := NewHTTPStore(spec, nil)
	if err != nil {
		return nil, err
	}
	if baseURL != "" {
		store.publicURL = baseURL
	}
	return store, nil
}

// CheckSpec returns the error that Open returns when spec, or the connection string that an
// azblob: store reads from the environment, is invalid. It opens no store, so it creates no
// folder and sends no request. Open can still fail afterwards, for example on a folder that
// cannot be created or a container that cannot be reached.
func CheckSpec(spec string, getenv func(string) string) error {
	target, err := parseSpec(spec, getenv)
	if err != nil {
		return err
	}
	if target.kind == "azblob" {
		_, err = newContainerClient(target.connectionString, target.location)
	}
	return err
}

// storeTarget is a store spec taken apart.
type storeTarget struct {
	kind             string // file, azblob or http
	location         string // the folder of a file: store, the container of an azblob: store
	connectionString string // of an azblob: store
}

// parseSpec takes spec apart and checks its form, the name of an azblob: container and the
// presence of its connection string.
func parseSpec(spec string, getenv func(string) string) (storeTarget, error) {
	kind, rest, _ := strings.Cut(spec, ":")

	switch strings.ToLower(kind) {
	case "file":
		if rest == "" {
			return storeTarget{}, fmt.Errorf("media: store %q has no folder: use file:DIR", spec)
		}
		return storeTarget{kind: "file", location: rest}, nil

	case "azblob":
		if rest == "" || strings.Contains(rest, "/") {
			return storeTarget{}, fmt.Errorf("media: store %q does not name a container: use azblob:CONTAINER, such as azblob:open311-media", spec)
		}
		if err := checkContainerName(rest); err != nil {
			return storeTarget{}, err
		}
		connectionString, err := azureConnectionString(getenv)
		if err != nil {
			return storeTarget{}, fmt.Errorf("media: store %q: %w", spec, err)
		}
		return storeTarget{kind: "azblob", location: rest, connectionString: connectionString}, nil

	case "https", "http":
		if _, err := parseMediaHostURL(spec); err != nil {
			return storeTarget{}, err
		}
		return storeTarget{kind: "http"}, nil
	}

	return storeTarget{}, fmt.Errorf("media: unsupported store %s: use %s", redactSpec(spec), acceptedSpecs)
}

// redactSpec returns spec quoted for an error message, with the password of a URL replaced by
// "xxxxx". A spec that does not parse as a URL is not shown, because it may contain a password.
func redactSpec(spec string) string {
	u, err := url.Parse(spec)
	if err != nil {
		return "(not shown because it is not a valid URL)"
	}
	return strconv.Quote(u.Redacted())
}

// azureConnectionString returns the first connection string set in the environment.
func azureConnectionString(getenv func(string) string) (string, error) {
	if s := getenv(azureConnectionStringEnv); s != "" {
		return s, nil
	}
	if s := getenv(functionsStorageEnv); s != "" {
		return s, nil
	}

	// Azure Functions apps that use a managed identity set AzureWebJobsStorage__accountName or
	// AzureWebJobsStorage__blobServiceUri in place of a connection string.
	if getenv(functionsStorageEnv+"__accountName") != "" || getenv(functionsStorageEnv+"__blobServiceUri") != "" {
		return "", fmt.Errorf("%s uses an identity-based connection, which this server does not support: set %s to a connection string", functionsStorageEnv, azureConnectionStringEnv)
	}
	return "", fmt.Errorf("no connection string: set %s or %s", azureConnectionStringEnv, functionsStorageEnv)
}
