package main

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The Azure Functions package (azure/) runs this server as a custom handler: the Functions host
// starts "open311 serve" with FUNCTIONS_CUSTOMHANDLER_PORT set and, with
// enableForwardingHttpRequest, forwards every HTTP request to that port. Core Tools cannot run
// here, so these tests play the host with a reverse proxy.

// functionsHostVersion is the host version that the simulated host sends, in the form the real
// host uses. No test depends on its value.
const functionsHostVersion = "4.1044.0"

// hostConfig is the part of azure/host.json that the deployment depends on.
type hostConfig struct {
	Version       string `json:"version"`
	CustomHandler struct {
		Description struct {
			DefaultExecutablePath string   `json:"defaultExecutablePath"`
			Arguments             []string `json:"arguments"`
		} `json:"description"`
		EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
	} `json:"customHandler"`
	Extensions struct {
		HTTP struct {
			// A pointer tells an empty prefix from a missing one, which the host reads as "api".
			RoutePrefix *string `json:"routePrefix"`
		} `json:"http"`
	} `json:"extensions"`
}

// functionConfig is azure/http/function.json.
type functionConfig struct {
	Bindings []struct {
		Type      string   `json:"type"`
		Direction string   `json:"direction"`
		Name      string   `json:"name"`
		AuthLevel string   `json:"authLevel"`
		Methods   []string `json:"methods"`
		Route     string   `json:"route"`
	} `json:"bindings"`
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s is not valid JSON of the expected shape: %v", path, err)
	}
}

func TestFunctionsHostJSON(t *testing.T) {
	var host hostConfig
	readJSONFile(t, filepath.Join("azure", "host.json"), &host)

	if host.Version != "2.0" {
		t.Errorf("host.json version = %q, want 2.0", host.Version)
	}
	if got := host.CustomHandler.Description.DefaultExecutablePath; got != "open311" {
		t.Errorf("host.json defaultExecutablePath = %q, want open311, the binary that azure/build.sh packages", got)
	}
	if got := host.CustomHandler.Description.Arguments; !slices.Equal(got, []string{"serve"}) {
		t.Errorf("host.json arguments = %q, want [serve]", got)
	}
	if !host.CustomHandler.EnableForwardingHTTPRequest {
		t.Error("host.json enableForwardingHttpRequest = false, want true, so that the server gets the original requests")
	}
	switch prefix := host.Extensions.HTTP.RoutePrefix; {
	case prefix == nil:
		t.Error(`host.json has no extensions.http.routePrefix, so the host serves every route under /api; want ""`)
	case *prefix != "":
		t.Errorf(`host.json extensions.http.routePrefix = %q, want "", so that the URLs are those of a standalone server`, *prefix)
	}
}

func TestFunctionsFunctionJSON(t *testing.T) {
	var function functionConfig
	readJSONFile(t, filepath.Join("azure", "http", "function.json"), &function)

	if len(function.Bindings) != 2 {
		t.Fatalf("function.json has %d bindings, want 2: an httpTrigger and an http output", len(function.Bindings))
	}
	trigger, output := function.Bindings[0], function.Bindings[1]
	if trigger.Type != "httpTrigger" || trigger.Direction != "in" {
		t.Errorf("first binding = %s %s, want httpTrigger in", trigger.Type, trigger.Direction)
	}
	if trigger.AuthLevel != "anonymous" {
		t.Errorf("trigger authLevel = %q, want anonymous, because the API checks its own keys", trigger.AuthLevel)
	}
	if trigger.Route != "{*path}" {
		t.Errorf("trigger route = %q, want the catch-all {*path}", trigger.Route)
	}
	var methods []string
	for _, method := range trigger.Methods {
		methods = append(methods, strings.ToUpper(method))
	}
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		if !slices.Contains(methods, method) {
			t.Errorf("trigger methods %q lack %s, so the host would reject it before the server can", trigger.Methods, method)
		}
	}
	if output.Type != "http" || output.Direction != "out" {
		t.Errorf("second binding = %s %s, want http out", output.Type, output.Direction)
	}
}

// TestFunctionsLocalSettings checks that the example app settings name the settings that the
// package needs and that each OPEN311_ setting is a flag of open311 serve.
func TestFunctionsLocalSettings(t *testing.T) {
	var settings struct {
		Values map[string]string `json:"Values"`
	}
	readJSONFile(t, filepath.Join("azure", "local.settings.example.json"), &settings)

	for _, name := range []string{"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", "OPEN311_DB", "OPEN311_MEDIA",
		"OPEN311_BASE_URL", "OPEN311_CATALOG", "SENTRY_DSN", "SENTRY_ENVIRONMENT"} {
		if _, ok := settings.Values[name]; !ok {
			t.Errorf("local.settings.example.json does not name %s", name)
		}
	}
	if got := settings.Values["FUNCTIONS_WORKER_RUNTIME"]; !strings.EqualFold(got, "custom") {
		t.Errorf("FUNCTIONS_WORKER_RUNTIME = %q, want custom", got)
	}

	help, _ := command(t, t.TempDir(), "serve", "-h").CombinedOutput()
	for name := range settings.Values {
		flagName, ok := strings.CutPrefix(name, "OPEN311_")
		if !ok {
			continue
		}
		flagName = "-" + strings.ReplaceAll(strings.ToLower(flagName), "_", "-")
		if !strings.Contains(string(help), "  "+flagName+" ") && !strings.Contains(string(help), "  "+flagName+"\n") {
			t.Errorf("%s is not the environment variable of a flag of open311 serve; open311 serve -h lists:\n%s", name, help)
		}
	}
}

// newFunctionsHost starts a server that plays the Functions host in front of a custom handler
// on port. Like the host with enableForwardingHttpRequest, it forwards each request with the
// same method, path, query, headers and body, adds its invocation id, version and user agent,
// and relays the response. It also adds X-Forwarded-For, -Host and -Proto and keeps the
// original Host, as the front end before the host does.
func newFunctionsHost(t *testing.T, port string) *httptest.Server {
	t.Helper()
	handler := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", port)}
	var invocations atomic.Int64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(handler)
			r.Out.Host = r.In.Host
			r.SetXForwarded()
			r.Out.Header.Set("X-Azure-Functions-InvocationId", fmt.Sprintf("00000000-0000-0000-0000-%012d", invocations.Add(1)))
			r.Out.Header.Set("X-Azure-Functions-HostVersion", functionsHostVersion)
			r.Out.Header.Set("User-Agent", strings.TrimSpace(r.In.Header.Get("User-Agent")+" Azure-Functions-Host/"+functionsHostVersion))
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t.Errorf("the simulated host could not forward %s %s: %v", r.Method, r.URL, err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	host := httptest.NewServer(proxy)
	t.Cleanup(host.Close)
	return host
}

// customHandler is an open311 serve process that the simulated host started.
type customHandler struct {
	cmd     *exec.Cmd
	output  *syncBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // the exit status, once done is closed
}

// startCustomHandler starts open311 serve as the Functions host does: with
// FUNCTIONS_CUSTOMHANDLER_PORT set, no -addr, and the app settings in settings. It waits until
// the port responds, as the host does.
func startCustomHandler(t *testing.T, dir, port string, settings []string) *customHandler {
	t.Helper()
	cmd := command(t, dir, "serve")
	// Later entries win, so these override the developer's own environment.
	cmd.Env = append(cmd.Env, "FUNCTIONS_CUSTOMHANDLER_PORT="+port, "OPEN311_ADDR=", "SENTRY_DSN=")
	cmd.Env = append(cmd.Env, settings...)
	handler := &customHandler{cmd: cmd, output: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = handler.output, handler.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		handler.waitErr = cmd.Wait()
		close(handler.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-handler.done
	})

	// The host counts any HTTP response on the port as ready, and gives up after 60 s.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-handler.done:
			t.Fatalf("the custom handler exited before it served: %v; output:\n%s", handler.waitErr, handler.output)
		default:
		}
		resp, err := http.Get("http://127.0.0.1:" + port + "/")
		if err == nil {
			resp.Body.Close()
			return handler
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the custom handler did not listen on FUNCTIONS_CUSTOMHANDLER_PORT %s within 60 s; output:\n%s", port, handler.output)
	return nil
}

// smallPNG returns a 2×2 PNG image.
func smallPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// multipartRequest returns a multipart/form-data body with fields and one file in field
// "media", and its Content-Type.
func multipartRequest(t *testing.T, fields map[string]string, fileName string, file []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	writer := multipart.NewWriter(&body)
	for name, value := range fields {
		if err := writer.WriteField(name, value); err != nil {
			t.Fatal(err)
		}
	}
	part, err := writer.CreateFormFile("media", fileName)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(file)
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, writer.FormDataContentType()
}

// sendThroughHost sends a request through the simulated host and returns the response with its body.
func sendThroughHost(t *testing.T, host *httptest.Server, method, path, contentType string, body io.Reader) (*http.Response, string) {
	t.Helper()
	request, err := http.NewRequest(method, host.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		request.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s through the simulated host: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}

// TestFunctionsCustomHandler serves every route of the API through a simulated Functions host,
// with the server configured only by app settings, as in Azure.
func TestFunctionsCustomHandler(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "open311.db")
	catalog, err := filepath.Abs(filepath.Join("testdata", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	key := createKeyCommand(t, dir, db, "functions")

	_, port, err := net.SplitHostPort(freeAddress(t))
	if err != nil {
		t.Fatal(err)
	}
	host := newFunctionsHost(t, port)
	handler := startCustomHandler(t, dir, port, []string{
		"OPEN311_DB=" + db,
		"OPEN311_CATALOG=" + catalog,
		"OPEN311_MEDIA=file:" + filepath.Join(dir, "media"),
		"OPEN311_BASE_URL=" + host.URL,
		"OPEN311_TRUSTED_PROXIES=127.0.0.1/32,::1/128",
	})
	api := "/open311/v2"

	// Create a request with a photo, and a request of the batch service, which returns a token.
	photo := smallPNG(t)
	body, contentType := multipartRequest(t, map[string]string{
		"api_key": key, "service_code": "POT", "lat": "60.1699", "long": "24.9384",
		"attribute[DEPTH]": "12", "description": "Kuoppa Rautatientorilla",
	}, "photo.png", photo)
	resp, text := sendThroughHost(t, host, http.MethodPost, api+"/requests.json", contentType, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST requests.json with a photo = %d %s; server output:\n%s", resp.StatusCode, text, handler.output)
	}
	var created []struct {
		ID string `json:"service_request_id"`
	}
	if err := json.Unmarshal([]byte(text), &created); err != nil || len(created) != 1 || created[0].ID == "" {
		t.Fatalf("POST requests.json response %s: %v", text, err)
	}
	id := created[0].ID

	form := url.Values{"api_key": {key}, "service_code": {"BATCH"}, "address_string": {"Mannerheimintie 1"},
		"description": {"Eräajo"}}
	resp, text = sendThroughHost(t, host, http.MethodPost, api+"/requests.xml", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	start, end := strings.Index(text, "<token>"), strings.Index(text, "</token>")
	if resp.StatusCode != http.StatusOK || start < 0 || end < start {
		t.Fatalf("POST requests.xml for the batch service = %d %s, want 200 with a token", resp.StatusCode, text)
	}
	token := text[start+len("<token>") : end]

	form.Set("api_key", "wrong-key")
	resp, text = sendThroughHost(t, host, http.MethodPost, api+"/requests.json", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(text, `"code":403`) {
		t.Errorf("POST requests.json with a wrong key = %d %s, want 403 with an Open311 error list", resp.StatusCode, text)
	}

	const (
		jsonType    = "application/json; charset=utf-8"
		xmlType     = "text/xml; charset=utf-8"
		geoJSONType = "application/geo+json; charset=utf-8"
	)
	tests := []struct {
		path     string
		wantType string
		wantText []string
	}{
		{api + "/discovery.json", jsonType, []string{`"url":"` + host.URL + api + `"`}},
		{api + "/discovery.xml", xmlType, []string{"<url>" + host.URL + api + "</url>"}},
		{api + "/services.json?locale=en", jsonType, []string{`"service_code":"POT"`, `"service_code":"BATCH"`}},
		{api + "/services.xml?locale=en", xmlType, []string{"<service_code>POT</service_code>"}},
		{api + "/services/POT.json", jsonType, []string{`"code":"DEPTH"`}},
		{api + "/services/POT.xml", xmlType, []string{"<code>DEPTH</code>"}},
		{api + "/requests.json?service_code=POT", jsonType, []string{`"service_request_id":"` + id + `"`}},
		{api + "/requests.xml?service_code=POT", xmlType, []string{"<service_request_id>" + id + "</service_request_id>"}},
		{api + "/requests.geojson?service_code=POT", geoJSONType, []string{`"FeatureCollection"`, id}},
		{api + "/requests/" + id + ".json", jsonType, []string{`"description":"Kuoppa Rautatientorilla"`, "/media/"}},
		{api + "/requests/" + id + ".xml", xmlType, []string{"<description>Kuoppa Rautatientorilla</description>"}},
		{api + "/requests/" + id + ".geojson", geoJSONType, []string{`"Feature"`}},
		{api + "/tokens/" + token + ".json", jsonType, []string{`"token":"` + token + `"`, `"service_request_id":"`}},
		{api + "/tokens/" + token + ".xml", xmlType, []string{"<token>" + token + "</token>", "<service_request_id>"}},
		{"/healthz", jsonType, []string{`"status":"ok"`}},
		{"/readyz", jsonType, []string{`"status":"ready"`}},
	}
	for _, tt := range tests {
		resp, text := sendThroughHost(t, host, http.MethodGet, tt.path, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", tt.path, resp.StatusCode, text)
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != tt.wantType {
			t.Errorf("GET %s Content-Type = %q, want %q", tt.path, got, tt.wantType)
		}
		if tt.wantType == xmlType && !strings.HasPrefix(text, "<?xml") {
			t.Errorf("GET %s = %.80s..., want an XML declaration first", tt.path, text)
		}
		for _, want := range tt.wantText {
			if !strings.Contains(text, want) {
				t.Errorf("GET %s = %s, want it to contain %s", tt.path, text, want)
			}
		}
	}

	// The photo's URL is under OPEN311_BASE_URL, the simulated host, which serves it from the
	// media store.
	var requests []struct {
		MediaURL string `json:"media_url"`
	}
	_, text = sendThroughHost(t, host, http.MethodGet, api+"/requests/"+id+".json", "", nil)
	if err := json.Unmarshal([]byte(text), &requests); err != nil || len(requests) != 1 {
		t.Fatalf("GET requests/%s.json = %s: %v", id, text, err)
	}
	mediaPath, found := strings.CutPrefix(requests[0].MediaURL, host.URL)
	if !found || !strings.HasPrefix(mediaPath, api+"/media/") {
		t.Fatalf("media_url = %q, want it under %s%s/media/", requests[0].MediaURL, host.URL, api)
	}
	resp, text = sendThroughHost(t, host, http.MethodGet, mediaPath, "", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("GET %s = %d with Content-Type %q, want 200 image/png", mediaPath, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if config, err := png.DecodeConfig(strings.NewReader(text)); err != nil || config.Width != 2 || config.Height != 2 {
		t.Errorf("GET %s returned %d bytes that are not the 2×2 PNG: %v", mediaPath, len(text), err)
	}

	resp, text = sendThroughHost(t, host, http.MethodHead, api+"/services.json", "", nil)
	if resp.StatusCode != http.StatusOK || text != "" {
		t.Errorf("HEAD services.json = %d with %d bytes of body, want 200 without a body", resp.StatusCode, len(text))
	}

	errorTests := []struct {
		method, path string
		wantStatus   int
		wantText     string
	}{
		{http.MethodDelete, api + "/requests.json", http.StatusMethodNotAllowed, `"code":405`},
		{http.MethodPut, api + "/services.xml", http.StatusMethodNotAllowed, "<errors><error><code>405</code>"},
		{http.MethodPatch, api + "/requests/" + id + ".json", http.StatusMethodNotAllowed, `"code":405`},
		{http.MethodGet, api + "/nothing.json", http.StatusNotFound, `"code":404`},
		{http.MethodGet, api + "/services/NOPE.xml", http.StatusNotFound, "<errors><error><code>404</code>"},
		{http.MethodGet, api + "/tokens/no-such-token.json", http.StatusNotFound, `"code":404`},
	}
	for _, tt := range errorTests {
		resp, text := sendThroughHost(t, host, tt.method, tt.path, "", nil)
		if resp.StatusCode != tt.wantStatus || !strings.Contains(text, tt.wantText) {
			t.Errorf("%s %s = %d %s, want %d with %s", tt.method, tt.path, resp.StatusCode, text, tt.wantStatus, tt.wantText)
		}
		if tt.wantStatus == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s has no Allow header", tt.method, tt.path)
		}
	}

	resp, _ = sendThroughHost(t, host, http.MethodOptions, api+"/requests.json", "", nil)
	if resp.StatusCode >= 300 || !strings.Contains(resp.Header.Get("Allow"), "GET") {
		t.Errorf("OPTIONS requests.json = %d with Allow %q, want a success that lists GET", resp.StatusCode, resp.Header.Get("Allow"))
	}

	// The host stops the custom handler when the app stops or scales in.
	handler.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-handler.done:
		if handler.waitErr != nil {
			t.Errorf("the custom handler exited with %v after SIGTERM, want status 0; output:\n%s", handler.waitErr, handler.output)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the custom handler did not stop within 30 s of SIGTERM; output:\n%s", handler.output)
	}
}

// TestFunctionsPackage runs azure/build.sh, once with zip and once with python3's zipfile, and
// checks the package that az functionapp deployment source config-zip takes.
func TestFunctionsPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server for linux/amd64 twice; skipped with -short")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed, and azure/build.sh needs it")
	}

	tests := []struct {
		name        string
		tool        string // the archiver that build.sh must use
		hideZip     bool
		catalog     string
		wantCatalog bool
	}{
		{"zip with catalog", "zip", false, filepath.Join("testdata", "catalog.json"), true},
		{"python3 zipfile", "python3", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exec.LookPath(tt.tool); err != nil {
				t.Skipf("%s is not installed", tt.tool)
			}
			output := filepath.Join(t.TempDir(), "open311-functions.zip")
			args := []string{filepath.Join("azure", "build.sh"), "-o", output}
			if tt.catalog != "" {
				args = append(args, "-c", tt.catalog)
			}
			cmd := exec.Command(bash, args...)
			if tt.hideZip {
				cmd.Env = append(os.Environ(), "PATH="+pathWithout(t, "zip"))
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("azure/build.sh: %v\n%s", err, out)
			}

			checkFunctionsPackage(t, output, tt.wantCatalog)
		})
	}
}

// checkFunctionsPackage checks the zip file at path: host.json and the function at the root,
// and the binary that host.json names, executable and built for Linux on x86-64 without cgo.
func checkFunctionsPackage(t *testing.T, path string, wantCatalog bool) {
	t.Helper()
	archive, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer archive.Close()

	files := map[string]*zip.File{}
	var names []string
	for _, f := range archive.File {
		if f.FileInfo().IsDir() {
			continue
		}
		files[f.Name] = f
		names = append(names, f.Name)
	}
	want := []string{"host.json", "http/function.json", "open311"}
	if wantCatalog {
		want = append(want, "catalog.json")
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("package files = %q, want %q", names, want)
	}

	var host hostConfig
	if err := json.Unmarshal(readZipFile(t, files["host.json"]), &host); err != nil {
		t.Fatalf("host.json in the package: %v", err)
	}
	binary := files[host.CustomHandler.Description.DefaultExecutablePath]
	if binary == nil {
		t.Fatalf("the package has no %q, the defaultExecutablePath of its host.json", host.CustomHandler.Description.DefaultExecutablePath)
	}
	if mode := binary.Mode(); !mode.IsRegular() || mode.Perm()&0o111 != 0o111 {
		t.Errorf("%s has mode %v in the package, want an executable regular file", binary.Name, mode)
	}

	executable, err := elf.NewFile(bytes.NewReader(readZipFile(t, binary)))
	if err != nil {
		t.Fatalf("%s is not an ELF executable: %v", binary.Name, err)
	}
	if executable.Machine != elf.EM_X86_64 {
		t.Errorf("%s is built for %v, want EM_X86_64", binary.Name, executable.Machine)
	}
	for _, program := range executable.Progs {
		if program.Type == elf.PT_INTERP {
			t.Errorf("%s is linked dynamically, want a static binary built with CGO_ENABLED=0", binary.Name)
		}
	}
}

func readZipFile(t *testing.T, f *zip.File) []byte {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pathWithout returns a PATH with every program of the current PATH except name, as links in a
// temporary folder.
func pathWithout(t *testing.T, name string) string {
	t.Helper()
	links := t.TempDir()
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, entry := range entries {
			link := filepath.Join(links, entry.Name())
			if entry.Name() == name || entry.IsDir() {
				continue
			}
			// The first folder in PATH wins, as in a shell, so existing links stay.
			if _, err := os.Lstat(link); err == nil {
				continue
			}
			if err := os.Symlink(filepath.Join(dir, entry.Name()), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	return links
}
