package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
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

// TestServeUsageNamesHelp checks that serve -h points to the list of the other commands.
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

// TestMaxSpanFlagAndVariableAgree gives -max-span and OPEN311_MAX_SPAN the same invalid
// values, and requires exit status 2 and the same reason from both.
func TestMaxSpanFlagAndVariableAgree(t *testing.T) {
	for _, value := range []string{"bad", "5x", "1.5d", "-5d", "-36h", "999999999999d"} {
		reason := fmt.Sprintf("%q is not 0 or a duration such as 90d or 2160h", value)
		flagOutput, flagStatus := runWithEnvironment(serve, nil, "-db", ":memory:", "-max-span", value)
		variableOutput, variableStatus := runWithEnvironment(serve, map[string]string{"OPEN311_MAX_SPAN": value}, "-db", ":memory:")
		if flagStatus != 2 {
			t.Errorf("-max-span %s: exit status %d, want 2", value, flagStatus)
		}
		if variableStatus != 2 {
			t.Errorf("OPEN311_MAX_SPAN=%s: exit status %d, want 2", value, variableStatus)
		}
		if want := fmt.Sprintf("invalid value %q for flag -max-span: %s", value, reason); !strings.Contains(flagOutput, want) {
			t.Errorf("-max-span %s printed %q, want %q", value, flagOutput, want)
		}
		if want := fmt.Sprintf("invalid value %q for environment variable OPEN311_MAX_SPAN (flag -max-span): %s", value, reason); !strings.Contains(variableOutput, want) {
			t.Errorf("OPEN311_MAX_SPAN=%s printed %q, want %q", value, variableOutput, want)
		}
	}
}

func TestDaysFlagValues(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"0", 0},
		{"90d", 90 * 24 * time.Hour},
		{"0d", 0},
		{"2160h", 2160 * time.Hour},
		{"36h30m", 36*time.Hour + 30*time.Minute},
	}
	for _, tt := range tests {
		var d days
		if err := d.Set(tt.value); err != nil {
			t.Errorf("Set(%q) error = %v", tt.value, err)
			continue
		}
		if time.Duration(d) != tt.want {
			t.Errorf("Set(%q) = %v, want %v", tt.value, time.Duration(d), tt.want)
		}
	}
}

// TestTopLevelHelpListsCommands checks that open311 -h and --help, which run serve -h, list
// the commands before the flags of serve, and that open311 serve -h does not.
func TestTopLevelHelpListsCommands(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-db", "x.db", "-help"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"open311"}, args...), func(string) string { return "" }, &out, &errOut)
		if err != (exitError{0}) {
			t.Errorf("open311 %v: %v, want exit status 0", args, err)
		}
		help := errOut.String()
		commands := strings.Index(help, "open311 import [flags] FILE...")
		flags := strings.Index(help, "-addr address")
		if commands < 0 || commands > 200 {
			t.Errorf("open311 %v does not list the commands in its first lines:\n%s", args, help)
		}
		if flags < commands {
			t.Errorf("open311 %v does not list the flags of serve after the commands:\n%s", args, help)
		}
		for _, want := range []string{"open311 keys create [flags] NAME", "open311 seed [flags] -n N", "Flags of open311 serve, the default command"} {
			if !strings.Contains(help, want) {
				t.Errorf("open311 %v printed no %q:\n%s", args, want, help)
			}
		}
	}

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"open311", "serve", "-h"}, func(string) string { return "" }, &out, &errOut); err != (exitError{0}) {
		t.Errorf("open311 serve -h: %v, want exit status 0", err)
	}
	if strings.Contains(errOut.String(), "open311 import") {
		t.Errorf("open311 serve -h lists the commands, want only a pointer to them:\n%s", errOut.String())
	}
}
