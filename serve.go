package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/open311-to-go/open311/georeport"
	"github.com/open311-to-go/open311/handlers"
	"github.com/open311-to-go/open311/media"
	"github.com/open311-to-go/open311/monitor"
)

// serveConfig holds the flags of open311 serve.
type serveConfig struct {
	addr         string
	db           string
	catalog      string
	root         string
	baseURL      string
	tz           string
	media        string
	mediaBaseURL string
	maxSpan      days
	maxBody      byteSize
	maxUpload    byteSize
	maxUploads   int
	postRate     rate
	getRate      rate
	logFormat    string
	logLevel     logLevel
	shutdownWait time.Duration
	mediaGrace   time.Duration
	tracesRate   sampleRate
	proxies      prefixList
	corsOrigins  originList
	drainDelay   time.Duration
	debugAddr    string
	headroom     headroomSize
}

func serve(ctx context.Context, env environment, args []string) error {
	cfg := serveConfig{
		maxSpan:    days(georeport.DefaultWindow),
		maxBody:    1 << 20,
		maxUpload:  10 << 20,
		maxUploads: 5,
		headroom:   headroomSize{auto: true},
	}
	defaultAddr := "127.0.0.1:8080"
	if port := env.getenv("FUNCTIONS_CUSTOMHANDLER_PORT"); port != "" {
		defaultAddr = ":" + port
	}
	fs := flag.NewFlagSet("open311 serve", flag.ContinueOnError)
	cfg.addr = defaultAddr
	fs.Var((*listenAddress)(&cfg.addr), "addr", "`address` to listen on, host:port; when FUNCTIONS_CUSTOMHANDLER_PORT is set, the default is :$FUNCTIONS_CUSTOMHANDLER_PORT")
	fs.StringVar(&cfg.db, "db", "open311.db", "store: a SQLite file `path`, :memory:, or a mongodb:// or mongodb+srv:// URI")
	fs.StringVar(&cfg.catalog, "catalog", "", "catalog `file` (JSON) to load and save in the store; without it the saved catalog, else the built-in demo catalog")
	fs.StringVar(&cfg.root, "root", handlers.DefaultRoot, "`path` under which the API is served; / serves it at the host's root")
	fs.StringVar(&cfg.baseURL, "base-url", "", "public scheme, host and port, such as https://feedback.example.org (default http:// and the listen address)")
	fs.StringVar(&cfg.tz, "tz", "UTC", "IANA time `zone` of datetimes in responses and of datetimes without a zone in requests")
	fs.StringVar(&cfg.media, "media", "file:./media", "media `store` for uploads: file:DIR, azblob:CONTAINER (connection string from AZURE_STORAGE_CONNECTION_STRING or AzureWebJobsStorage), or the https:// URL of a media host")
	fs.StringVar(&cfg.mediaBaseURL, "media-base-url", "", "`URL` under which uploaded files are published (default {base-url}{root}/media for file: stores)")
	fs.Var(&cfg.maxSpan, "max-span", "longest start_date to end_date span, such as 90d or 2160h; 0 disables the limit")
	fs.Var(&cfg.maxBody, "max-body", "largest form body without files, in bytes (suffixes KiB, MiB)")
	fs.Var(&cfg.maxUpload, "max-upload", "largest uploaded file, in bytes (suffixes KiB, MiB)")
	fs.Var((*wholeNumber)(&cfg.maxUploads), "max-uploads", "maximum `number` of files in one request")
	fs.Var(&cfg.postRate, "post-rate", "POST limit per API key and per client address, as COUNT/DURATION such as 10/1m; 0 means no limit")
	fs.Var(&cfg.getRate, "get-rate", "GET limit per client address, as COUNT/DURATION such as 600/1m; 0 means no limit")
	fs.StringVar(&cfg.logFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal, else JSON)")
	fs.Var(&cfg.logLevel, "log-level", "lowest log `level`: debug, info, warn or error (default info)")
	fs.Var(&cfg.proxies, "trusted-proxies", "comma-separated `addresses` or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed")
	fs.Var(&cfg.corsOrigins, "cors-origins", "comma-separated `origins`, such as https://app.example.org, whose web pages may POST; * allows all (every origin may GET)")
	fs.Var((*duration)(&cfg.drainDelay), "drain-delay", "`duration` that a stopping server keeps serving with /readyz failing, so that a load balancer stops sending requests first")
	fs.Var((*sampleRate)(&cfg.tracesRate), "sentry-traces-sample-rate", "`share` of requests traced in Sentry, from 0 to 1, when the environment variable SENTRY_DSN is set (with SENTRY_ENVIRONMENT and SENTRY_RELEASE, also read from the environment)")
	cfg.mediaGrace = defaultMediaGrace
	fs.Var((*duration)(&cfg.mediaGrace), "media-grace", "age, a `duration`, after which an upload without a request counts as orphaned and is deleted")
	cfg.shutdownWait = 10 * time.Second
	fs.Var((*duration)(&cfg.shutdownWait), "shutdown-timeout", "`duration` that a stopping server waits for requests in flight")
	fs.Var(&cfg.headroom, "memory-headroom", "memory the server may use beyond what it uses once the store is open, as the Go runtime's soft limit (suffixes KiB, MiB, GiB; at least 16MiB); auto is half of that use, from 48 to 96 MiB; 0, or a GOMEMLIMIT variable, leaves the runtime's default")
	fs.Var((*optionalAddress)(&cfg.debugAddr), "debug-addr", "`address` of a second listener that serves Go's runtime profiles under /debug/pprof/, such as 127.0.0.1:6060; off when empty. Keep it off public networks")
	fs.Usage = func() {
		if env.listCommands {
			fmt.Fprint(fs.Output(), usage+"\nFlags of open311 serve, the default command, which runs the GeoReport v2 server:\n")
		} else {
			fmt.Fprint(fs.Output(), "Usage: open311 [serve] [flags]\n\n"+
				"Runs the GeoReport v2 server. open311 help lists the other commands.\n\n")
		}
		fs.PrintDefaults()
	}
	if err := env.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "open311 serve: unexpected argument %q; flags come before arguments\n", fs.Arg(0))
		return exitError{2}
	}
	// Flag values that parse but are out of range exit with status 2, as parse errors do.
	invalid := func(err error) error {
		fmt.Fprintf(env.stderr, "open311 serve: %v\n", err)
		return exitError{2}
	}

	if err := checkServeFlags(env, fs, cfg); err != nil {
		return invalid(err)
	}
	root, err := handlers.NormalizeRoot(cfg.root)
	if err != nil {
		return invalid(fmt.Errorf("-root: %w", err))
	}
	if err := checkBaseURL(cfg.baseURL); err != nil {
		return invalid(err)
	}
	if cfg.maxUploads < 1 {
		return invalid(fmt.Errorf("-max-uploads %d is not valid; use 1 or more", cfg.maxUploads))
	}
	logger, err := newLogger(env.stderr, cfg.logFormat, cfg.logLevel.level)
	if err != nil {
		return invalid(err)
	}
	loc, err := time.LoadLocation(cfg.tz)
	if err != nil {
		return invalid(fmt.Errorf("-tz %q is not an IANA time zone such as Europe/Helsinki: %w", cfg.tz, err))
	}

	reporter, err := monitor.New(monitor.Options{
		DSN:              env.getenv("SENTRY_DSN"),
		Environment:      env.getenv("SENTRY_ENVIRONMENT"),
		Release:          env.getenv("SENTRY_RELEASE"),
		TracesSampleRate: float64(cfg.tracesRate),
	})
	if err != nil {
		return invalid(fmt.Errorf("SENTRY_DSN or -sentry-traces-sample-rate: %w", err))
	}
	defer reporter.Flush(5 * time.Second)

	// Opening the store creates the file of a new -db path, so the checks that do not need
	// the store come first: that the addresses are free and that the -catalog file is valid.
	if err := checkAddresses(cfg); err != nil {
		return err
	}
	var catalogFile *catalogData
	if cfg.catalog != "" {
		if catalogFile, err = readCatalogFile(cfg.catalog); err != nil {
			return invalid(fmt.Errorf("-catalog: %w", err))
		}
	}

	restoreGC := collectOftenWhileLoading(env, cfg.headroom)
	opened, err := openStore(ctx, cfg.db, logger)
	restoreGC()
	if err != nil {
		return err
	}
	defer opened.Close()
	setMemoryLimit(env, cfg.headroom, logger)
	store := opened
	if reporter != nil {
		store = monitor.TraceStore(opened)
	}
	catalog, source, err := loadCatalog(ctx, store, catalogFile)
	if err != nil {
		return err
	}

	listener, err := listen(cfg.addr, "addr")
	if err != nil {
		return err
	}
	defer listener.Close()
	var debugListener net.Listener
	if cfg.debugAddr != "" {
		if debugListener, err = listen(cfg.debugAddr, "debug-addr"); err != nil {
			return err
		}
		defer debugListener.Close()
	}
	baseURL := cfg.baseURL
	if baseURL == "" {
		baseURL = "http://" + publicHost(listener.Addr())
	}
	baseURL = strings.TrimRight(baseURL, "/")
	mediaStore, err := openMedia(ctx, env, cfg, baseURL+root+"/media")
	if err != nil {
		return err
	}

	handler, err := handlers.New(handlers.Config{
		Store:          store,
		Catalog:        catalog,
		Logger:         logger,
		Monitor:        reporter,
		Media:          mediaStore,
		Root:           rootFlag(root),
		BaseURL:        baseURL,
		Location:       loc,
		MaxSpan:        time.Duration(cfg.maxSpan),
		MaxBodyBytes:   int64(cfg.maxBody),
		MaxUploadBytes: int64(cfg.maxUpload),
		MaxUploads:     cfg.maxUploads,
		PostRate:       handlers.Rate(cfg.postRate),
		GetRate:        handlers.Rate(cfg.getRate),
		TrustedProxies: cfg.proxies,
		CORSOrigins:    cfg.corsOrigins,
	})
	if err != nil {
		return err
	}
	// The first key is created only now, when nothing else can stop the start, so that it is
	// printed by a server that runs.
	if err := ensureKey(ctx, env, store, cfg.db, logger); err != nil {
		return err
	}
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	logger.Info("server started", "addr", listener.Addr().String(), "url", baseURL+root, "db", redactURI(cfg.db),
		"catalog", source, "services", len(catalog.Services), "languages", strings.Join(catalog.Locales, ","),
		"tz", loc.String(), "sentry", reporter != nil, "cors_origins", cfg.corsOrigins.String())
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	go cleanMediaEvery(ctx, store, mediaStore, cfg.mediaGrace, logger)
	if debugListener != nil {
		debug := debugServer(logger)
		go debug.Serve(debugListener)
		defer debug.Close()
		logger.Info("serving runtime profiles", "addr", debugListener.Addr().String(), "path", "/debug/pprof/")
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("server stopping", "drain_delay", cfg.drainDelay.String(), "wait", cfg.shutdownWait.String())
	handler.SetDraining(true)
	time.Sleep(cfg.drainDelay)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownWait)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown did not finish", "err", err)
		server.Close()
	}
	logger.Info("server stopped")
	return nil
}

// checkServeFlags returns an error for a value of a flag or a variable that parsed but is
// invalid: a FUNCTIONS_CUSTOMHANDLER_PORT that is no port, a -db that cannot be created, an
// invalid -media or -media-base-url, or a negative duration. It opens nothing.
func checkServeFlags(env environment, fs *flag.FlagSet, cfg serveConfig) error {
	// The variable sets the default address only, so it is checked only when the default is
	// used.
	if port := env.getenv("FUNCTIONS_CUSTOMHANDLER_PORT"); port != "" && !flagGiven(fs, "addr") {
		if err := checkListenAddress(cfg.addr); err != nil {
			return fmt.Errorf("environment variable FUNCTIONS_CUSTOMHANDLER_PORT=%q is not a port; use a number from 0 to 65535, such as 8080, or give -addr", port)
		}
	}
	if err := checkStorePath(cfg.db); err != nil {
		return err
	}
	if err := checkMediaBaseURL(cfg.mediaBaseURL); err != nil {
		return err
	}
	if err := media.CheckSpec(cfg.media, env.getenv); err != nil {
		return fmt.Errorf("-media: %w", err)
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"drain-delay", cfg.drainDelay}, {"shutdown-timeout", cfg.shutdownWait}, {"media-grace", cfg.mediaGrace}} {
		if d.value < 0 {
			return fmt.Errorf("-%s %s is not valid; use 0 or a positive duration such as 30s", d.name, d.value)
		}
	}
	return nil
}

// catalogData is a parsed -catalog file and its encoding for the store.
type catalogData struct {
	path    string
	catalog *georeport.Catalog
	saved   []byte
}

// readCatalogFile reads and parses the -catalog file at path.
func readCatalogFile(path string) (*catalogData, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	catalog, err := georeport.ParseCatalog(path, data)
	if err != nil {
		return nil, err
	}
	saved, err := georeport.MarshalCatalog(catalog)
	if err != nil {
		return nil, fmt.Errorf("encode catalog %s: %w", path, err)
	}
	return &catalogData{path: path, catalog: catalog, saved: saved}, nil
}

// loadCatalog saves the -catalog file in the store and returns it. Without the flag it
// returns the catalog saved in the store, and without one the built-in demo catalog.
func loadCatalog(ctx context.Context, store georeport.Store, file *catalogData) (*georeport.Catalog, string, error) {
	if file != nil {
		if err := store.SaveCatalog(ctx, file.saved); err != nil {
			return nil, "", fmt.Errorf("save catalog %s: %w", file.path, err)
		}
		return file.catalog, file.path, nil
	}
	data, err := store.Catalog(ctx)
	if georeport.KindOf(err) == georeport.NotFound {
		return georeport.DemoCatalog(), "built-in demo catalog", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read the saved catalog: %w", err)
	}
	catalog, err := georeport.ParseCatalog("saved catalog", data)
	if err != nil {
		return nil, "", err
	}
	return catalog, "saved catalog", nil
}

// ensureKey creates an API key when the store has none, and prints it once to standard error,
// so that a new server can take requests at once.
func ensureKey(ctx context.Context, env environment, store georeport.Store, db string, logger *slog.Logger) error {
	existing, err := store.Keys(ctx)
	if err != nil {
		return fmt.Errorf("list API keys: %w", err)
	}
	if len(existing) > 0 {
		return nil
	}
	key, err := createKey(ctx, store, "default", georeport.RoleClient)
	if err != nil {
		return err
	}
	logger.Info("created the first API key", "name", "default")
	// The hint prints the command as the user started this one, so that it also runs after go
	// run, which leaves no open311 binary. It never prints the password of a MongoDB URI.
	redactedDB := redactURI(db)
	more := fmt.Sprintf("Create more with: %s keys create -db %s NAME", env.command(), shellQuote(redactedDB))
	if redactedDB != db {
		more += ", with the password of -db in place of xxxxx"
	}
	if db == ":memory:" {
		more = "This store is in memory and ends with the server, keys included; give -db FILE to keep them."
	}
	fmt.Fprintf(env.stderr, "\nThis store had no API key, so one was created. It is shown only this once:\n\n"+
		"    api_key=%s\n\n%s\n\n", key, more)
	return nil
}

// openMedia opens the media store of -media. Files of file: and azblob: stores are published
// under -media-base-url, else under this server's own media path; a media host publishes them
// under its own URL unless -media-base-url says otherwise.
func openMedia(ctx context.Context, env environment, cfg serveConfig, ownURL string) (media.Store, error) {
	baseURL := cfg.mediaBaseURL
	isHost := strings.HasPrefix(strings.ToLower(cfg.media), "http://") || strings.HasPrefix(strings.ToLower(cfg.media), "https://")
	if baseURL == "" && !isHost {
		baseURL = ownURL
	}
	store, err := media.Open(ctx, cfg.media, baseURL, env.getenv)
	if err != nil {
		return nil, fmt.Errorf("-media: %w", err)
	}
	return store, nil
}

// checkAddresses checks that -addr and -debug-addr can be listened on, by listening and
// closing at once. serve listens for good only once the store is open, so that clients get
// no connection before the server can respond.
func checkAddresses(cfg serveConfig) error {
	for _, a := range []struct{ addr, flagName string }{{cfg.addr, "addr"}, {cfg.debugAddr, "debug-addr"}} {
		if a.addr == "" {
			continue
		}
		listener, err := listen(a.addr, a.flagName)
		if err != nil {
			return err
		}
		listener.Close()
	}
	return nil
}

// listen opens the listening socket, with a hint when the address is taken.
func listen(addr, flagName string) (net.Listener, error) {
	listener, err := net.Listen("tcp", addr)
	if err == nil {
		return listener, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is in use; stop the program that uses it or choose another address with -%s", addr, flagName)
	}
	return nil, fmt.Errorf("cannot listen on %s: %w; choose another address with -%s", addr, err, flagName)
}

// rootFlag returns the handlers' Config.Root for a normalized root, in which "" is the host's
// root.
func rootFlag(root string) string {
	if root == "" {
		return "/"
	}
	return root
}

// checkBaseURL rejects a -base-url that is not an absolute http or https URL with a host and
// no query.
func checkBaseURL(raw string) error {
	if raw == "" || isPublicURL(raw) {
		return nil
	}
	return fmt.Errorf("-base-url %q is not valid; use the scheme, host and port of the public address, such as https://feedback.example.org", raw)
}

// checkMediaBaseURL rejects a -media-base-url that is not an absolute http or https URL with a
// host and no query.
func checkMediaBaseURL(raw string) error {
	if raw == "" || isPublicURL(raw) {
		return nil
	}
	return fmt.Errorf("-media-base-url %q is not valid; use the http:// or https:// URL that uploaded files are published under, such as https://cdn.example.org/open311-media", raw)
}

// isPublicURL reports whether raw is an absolute http or https URL with a host, a valid port
// or none, and no query or fragment.
func isPublicURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && validURLPort(u.Port()) &&
		u.RawQuery == "" && u.Fragment == ""
}

// publicHost returns host:port of a listen address, with localhost for an unspecified host.
func publicHost(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

func newLogger(w interface{ Write([]byte) (int, error) }, format string, level slog.Level) (*slog.Logger, error) {
	options := &slog.HandlerOptions{Level: level}
	switch format {
	case "auto", "":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, options)), nil
		}
		return slog.New(slog.NewJSONHandler(w, options)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, options)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, options)), nil
	}
	return nil, fmt.Errorf("-log-format %q is not valid; use auto, text or json", format)
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// cleanMediaEvery deletes orphaned uploads when the server starts and then every hour, until
// ctx ends.
func cleanMediaEvery(ctx context.Context, store georeport.Store, files media.Store, grace time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(time.Hour)
	defer ticker.Stop()
	for {
		deleted, kept, err := collectMedia(ctx, store, files, grace, time.Now(), logger)
		if err != nil && ctx.Err() == nil {
			logger.Error("media cleanup failed", "deleted", deleted, "kept", kept, "err", err)
		} else if deleted+kept > 0 {
			logger.Info("media cleanup done", "deleted", deleted, "kept", kept)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
