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
	kind, rest, _ := strings.Cut(spec, ":")

	switch strings.ToLower(kind) {
	case "file":
		if rest == "" {
			return nil, fmt.Errorf("media: store %q has no folder: use file:DIR", spec)
		}
		if baseURL == "" {
			return nil, fmt.Errorf("media: store %q needs a base URL to publish files under", spec)
		}
		return NewFileStore(rest, baseURL)

	case "azblob":
		if rest == "" || strings.Contains(rest, "/") {
			return nil, fmt.Errorf("media: store %q does not name a container: use azblob:CONTAINER, such as azblob:open311-media", spec)
		}
		if err := checkContainerName(rest); err != nil {
			return nil, err
		}
		if baseURL == "" {
			return nil, fmt.Errorf("media: store %q needs a base URL to publish files under", spec)
		}
		connectionString, err := azureConnectionString(getenv)
		if err != nil {
			return nil, fmt.Errorf("media: store %q: %w", spec, err)
		}
		return NewAzureStore(ctx, connectionString, rest, baseURL)

	case "https", "http":
		store, err := NewHTTPStore(spec, nil)
		if err != nil {
			return nil, err
		}
		if baseURL != "" {
			store.publicURL = baseURL
		}
		return store, nil
	}

	return nil, fmt.Errorf("media: unsupported store %s: use %s", redactSpec(spec), acceptedSpecs)
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
