package monitor

import "testing"

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"duplicate key maija.virtanen@example.org", "duplicate key [email]"},
		{"call +358 40 123 4567 now", "call [number] now"},
		{"api_key=abc123secret&x=1", "api_key=[redacted]&x=1"},
		{"Authorization: Bearer abc", "Authorization: Bearer [redacted]"},
		{"AccountKey=Eby8vdM02x==;", "AccountKey=[redacted];"},
		{"index out of range [3] with length 3", "index out of range [3] with length 3"},
		{"sqlite: create request: internal", "sqlite: create request: internal"},
	}
	for _, tt := range tests {
		if got := scrub(tt.in); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
