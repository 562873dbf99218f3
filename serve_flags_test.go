package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestServeBadFlagValues gives serve flag values that parse but are invalid, and requires exit
// status 2 with a message that names the flag, as for values that do not parse.
func TestServeBadFlagValues(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-tz", "Mars/Olympus"}, `-tz "Mars/Olympus" is not an IANA time zone`},
		{[]string{"-max-uploads", "0"}, "-max-uploads 0 is not valid"},
		{[]string{"-log-format", "yaml"}, "yaml"},
		{[]string{"-base-url", "feedback.example.org"}, "-base-url"},
		{[]string{"-root", "no-slash?x"}, "-root"},
		{[]string{"-max-uploads", "x"}, "not a whole number"},
		{[]string{"-cors-origins", "app.example.org"}, `"app.example.org" is not an origin; give the scheme and host`},
		{[]string{"-cors-origins", "https://app.example.org/form"}, "an origin has no path"},
		{[]string{"-cors-origins", "ftp://app.example.org"}, "is not an origin"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		env := environment{getenv: func(string) string { return "" }, stdout: &out, stderr: &errOut}
		err := serve(context.Background(), env, append(c.args, "-db", ":memory:"))
		if exit, ok := err.(exitError); !ok || exit.code != 2 {
			t.Errorf("serve %v: error %v, want exit status 2", c.args, err)
		}
		if !strings.Contains(errOut.String(), c.want) {
			t.Errorf("serve %v: output %q, want it to contain %q", c.args, errOut.String(), c.want)
		}
	}
}

func TestOriginListNormalizes(t *testing.T) {
	tests := []struct {
		value string
		want  string
	}{
		{"https://app.example.org/", "https://app.example.org"},
		{"HTTPS://App.Example.org", "https://app.example.org"},
		{"https://app.example.org:443, http://localhost:3000", "https://app.example.org,http://localhost:3000"},
		{"http://[::1]:80", "http://[::1]"},
		{"*", "*"},
	}
	for _, tt := range tests {
		var l originList
		if err := l.Set(tt.value); err != nil {
			t.Errorf("Set(%q) error = %v", tt.value, err)
			continue
		}
		if got := l.String(); got != tt.want {
			t.Errorf("Set(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

// TestServeUsageNamesHelp checks that serve -h, which open311 -h runs, points to the list of
// the other commands.
func TestServeUsageNamesHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	env := environment{getenv: func(string) string { return "" }, stdout: &out, stderr: &errOut}
	if err := serve(context.Background(), env, []string{"-h"}); err != (exitError{0}) {
		t.Errorf("serve -h: %v, want exit status 0", err)
	}
	if !strings.Contains(errOut.String(), "open311 help lists the other commands") {
		t.Errorf("serve -h output does not point to open311 help:\n%s", errOut.String())
	}
}
