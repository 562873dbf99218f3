package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// healthcheck runs open311 healthcheck: it requests the server's /healthz and returns nil when
// the server responds 200 OK. Container images without a shell or curl, such as distroless
// ones, run it as their health check.
func healthcheck(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("open311 healthcheck", flag.ContinueOnError)
	// parseFlags sets -addr from OPEN311_ADDR, the variable that also sets serve's -addr, so
	// that a container's health check finds the server without flags.
	addr := fs.String("addr", "", "`address` that open311 serve listens on, such as :8080; the check requests http://ADDR/healthz, on the loopback address when ADDR has no host (default 127.0.0.1:8080)")
	target := fs.String("url", "", "`URL` to request instead of the /healthz of -addr, such as https://feedback.example.org/healthz")
	timeout := fs.Duration("timeout", 3*time.Second, "maximum time to wait for the response, such as 3s")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: open311 healthcheck [flags]\n\n"+
			"Requests the /healthz endpoint of a running server and exits with status 0 when it responds\n"+
			"200 OK, else 1. Container images without a shell or curl run it as their health check.\n\n")
		fs.PrintDefaults()
	}
	if err := env.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "open311 healthcheck: unexpected argument %q; give the address with -addr or -url\n", fs.Arg(0))
		return exitError{2}
	}
	if *timeout <= 0 {
		return invalidf("-timeout %s is not valid; use a positive duration such as 3s", *timeout)
	}

	if *target == "" {
		defaultURL, err := healthURL(*addr)
		if err != nil {
			return usageError{err}
		}
		*target = defaultURL
	}
	if err := checkHealthURL(*target); err != nil {
		return usageError{err}
	}
	return checkHealth(ctx, *target, *timeout)
}

// healthURL returns the /healthz URL of a server that listens on addr, the value of -addr. A
// host that listens on every address is reached on the loopback address. An empty addr is the
// default of open311 serve.
func healthURL(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		// serve takes a service name such as http as its port too, but a URL takes only
		// numbers, and port 0 has no server to check.
		var number int
		number, err = net.LookupPort("tcp", port)
		port = strconv.Itoa(number)
		if err == nil && number == 0 {
			err = errors.New("port 0")
		}
	}
	if err != nil {
		return "", fmt.Errorf("-addr or OPEN311_ADDR %q is not host:port with a port from 1 to 65535, such as :8080; give it as for open311 serve, or give -url", addr)
	}

	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

// checkHealth requests target with GET and returns an error that names the status, or the
// failure, unless the response is 200 OK within timeout. Redirects count as failures.
func checkHealth(ctx context.Context, target string, timeout time.Duration) error {
	if err := checkHealthURL(target); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("health check of %s: %w", target, err)
	}
	client := &http.Client{
		// The server is local, so a proxy from the environment must not carry the check.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	response, err := client.Do(request)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("health check of %s timed out after %s; the server may be overloaded, or raise -timeout", target, timeout)
	}
	if err != nil {
		return fmt.Errorf("health check of %s failed: %w", target, err)
	}
	defer response.Body.Close()

	if response.StatusCode == http.StatusOK {
		return nil
	}
	// The start of the body explains the status, such as {"status":"unavailable"} from /readyz.
	body, _ := io.ReadAll(io.LimitReader(response.Body, 200))
	detail := strings.TrimSpace(string(body))
	if detail != "" {
		detail = ": " + detail
	}
	return fmt.Errorf("health check of %s failed: status %s, expected 200 OK%s", target, response.Status, detail)
}

// checkHealthURL returns an error unless target is an http:// or https:// URL with a host.
func checkHealthURL(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !validURLPort(u.Port()) {
		return fmt.Errorf("-url %q is not valid; use an http:// or https:// URL such as http://127.0.0.1:8080/healthz", target)
	}
	return nil
}

// validURLPort reports whether port, from url.URL.Port, is empty or a number from 1 to 65535.
// url.Parse checks only that it is made of digits.
func validURLPort(port string) bool {
	if port == "" {
		return true
	}
	number, err := strconv.Atoi(port)
	return err == nil && number >= 1 && number <= 65535
}
