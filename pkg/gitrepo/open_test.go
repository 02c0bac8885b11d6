package gitrepo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// A token is never sent over plain http to a host other than loopback.
func TestPlainHTTPWithToken(t *testing.T) {
	tok := gitrepo.WithHTTPAuth("bot", "tok-plain-0815")
	for _, url := range []string{
		"http://git.example.com/charts.git",
		"http://10.0.0.7:3000/charts.git",
		"HTTP://git.example.com/charts.git",
		"http://localhost.example.com/charts.git",
	} {
		_, err := gitrepo.Open(context.Background(), url, tok)
		if !errors.Is(err, gitrepo.ErrBadAddress) || !strings.Contains(err.Error(), "use https://") || strings.Contains(err.Error(), "tok-plain-0815") {
			t.Errorf("Open(%s) with a token: %v, want ErrBadAddress saying use https://", url, err)
		}
	}
	for _, tc := range []struct {
		url  string
		opts []gitrepo.Option
	}{
		{"http://127.0.0.1:8080/charts.git", []gitrepo.Option{tok}},
		{"http://127.1.2.3/charts.git", []gitrepo.Option{tok}},
		{"http://localhost:3000/charts.git", []gitrepo.Option{tok}},
		{"http://[::1]:3000/charts.git", []gitrepo.Option{tok}},
		{"https://git.example.com/charts.git", []gitrepo.Option{tok}},
		{"http://git.example.com/charts.git", nil}, // anonymous
	} {
		r, err := gitrepo.Open(context.Background(), tc.url, tc.opts...)
		if err != nil {
			t.Errorf("Open(%s): %v", tc.url, err)
			continue
		}
		r.Close()
	}
}
