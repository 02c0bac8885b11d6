package forge_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		url, ghServer, glHost string
		want                  forge.Kind
	}{
		{"https://github.com/acme/charts.git", "", "", forge.GitHub},
		{"https://ghe.acme.example/acme/charts.git", "https://ghe.acme.example", "", forge.GitHub},
		{"https://ghe.acme.example/acme/charts.git", "", "", ""},
		{"https://gitlab.com/group/sub/charts.git", "", "", forge.GitLab},
		{"https://git.acme.example/group/charts.git", "", "git.acme.example", forge.GitLab},
		{"https://dev.azure.com/org/project/_git/charts", "", "", forge.Azure},
		{"https://org.visualstudio.com/project/_git/charts", "", "", forge.Azure},
		{"https://bitbucket.org/ws/charts.git", "", "", forge.Bitbucket},
		{"https://gitea.acme.example/acme/charts.git", "", "", ""},
	} {
		if got := forge.Detect(c.url, c.ghServer, c.glHost); got != c.want {
			t.Errorf("Detect(%s, %q, %q) = %q, want %q", c.url, c.ghServer, c.glHost, got, c.want)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range []forge.Options{
		{Kind: forge.GitHub, RepoURL: "git@github.com:acme/charts.git"},
		{Kind: forge.GitHub, RepoURL: "https://github.com/charts.git"},
		{Kind: forge.Azure, RepoURL: "https://dev.azure.com/org/project/charts"},
		{Kind: "", RepoURL: "https://git.example/acme/charts.git"},
		{Kind: "gitbucket", RepoURL: "https://git.example/acme/charts.git"},
	} {
		if _, err := forge.New(o); !errors.Is(err, forge.ErrUnsupported) {
			t.Errorf("New(%+v) = %v, want ErrUnsupported", o, err)
		}
	}
}

// TestDuplicateRefused checks that a second PR for the same branches is
// refused as each host documents it (GitHub 422, GitLab 409, Azure
// TF401179) and that the client reports ErrConflict with the host's words.
func TestDuplicateRefused(t *testing.T) {
	testenv.RequireBinary(t, "git")
	for _, c := range []struct{ kind, repo, url, want string }{
		{"github", "acme/charts", "/acme/charts.git", "A pull request already exists for acme:tagbump/x."},
		{"gitlab", "group/charts", "/group/charts.git", "Another open merge request already exists for this source branch: !1"},
		{"azure", "org/project/_git/charts", "/org/project/_git/charts", "TF401179: An active pull request for the source and target branch already exists."},
	} {
		t.Run(c.kind, func(t *testing.T) {
			f, err := testenv.StartFakeForge(c.kind)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.CreateRepo(c.repo, map[string]string{"a": "1\n"}); err != nil {
				t.Fatal(err)
			}
			if out, err := testenv.Git(f.Git.Dir(c.repo), "branch", "tagbump/x", "main"); err != nil {
				t.Fatal(err, out)
			}
			fg, err := forge.New(forge.Options{Kind: forge.Kind(c.kind), RepoURL: f.URL + c.url, Token: f.Token})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			// Longer than the 400 characters Azure's list keeps: the
			// marker tagbump reads is at the end of its bodies.
			content := forge.Content{Title: "t", Body: strings.Repeat("b", 500) + " <!-- end -->"}
			pr, err := fg.Create(ctx, "tagbump/x", "main", content)
			if err != nil || pr.Number != 1 || pr.Head != "tagbump/x" || pr.Base != "main" {
				t.Fatalf("first create: %+v, %v", pr, err)
			}
			_, err = fg.Create(ctx, "tagbump/x", "main", content)
			var fe *forge.Error
			if !errors.Is(err, forge.ErrConflict) || !errors.As(err, &fe) || !strings.Contains(fe.Message, c.want) {
				t.Errorf("second create: %v, want ErrConflict with %q", err, c.want)
			}
			found, err := fg.FindOpen(ctx, "tagbump/x", "main")
			if err != nil || found == nil || found.Number != 1 || found.URL != pr.URL || found.Body != content.Body {
				t.Errorf("FindOpen: %+v, %v", found, err)
			}
			if n := len(f.PRs()); n != 1 {
				t.Errorf("%d PRs on the host", n)
			}
		})
	}
}

func TestWrongToken(t *testing.T) {
	testenv.RequireBinary(t, "git")
	for _, kind := range []string{"github", "gitlab", "azure", "bitbucket"} {
		f, err := testenv.StartFakeForge(kind)
		if err != nil {
			t.Fatal(err)
		}
		repo, url := "acme/charts", f.URL+"/acme/charts.git"
		opts := forge.Options{Kind: forge.Kind(kind), RepoURL: url, Token: "wrong-token"}
		if kind == "azure" {
			repo, url = "org/p/_git/charts", f.URL+"/org/p/_git/charts"
			opts.RepoURL = url
		}
		if kind == "bitbucket" {
			opts.APIURL = f.URL + "/2.0"
		}
		if err := f.CreateRepo(repo, map[string]string{"a": "1\n"}); err != nil {
			t.Fatal(err)
		}
		fg, err := forge.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fg.FindOpen(context.Background(), "tagbump/x", "main")
		if !errors.Is(err, forge.ErrAuth) || strings.Contains(err.Error(), "wrong-token") {
			t.Errorf("%s: wrong token: %v, want ErrAuth without the token", kind, err)
		}
		f.Close()
	}
}
