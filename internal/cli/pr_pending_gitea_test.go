package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// shopValues is a values file with one image block per service, each at
// tag.
func shopValues(tag string, services ...string) string {
	var b strings.Builder
	for _, s := range services {
		fmt.Fprintf(&b, "%s:\n  replicas: 1\n  image:\n    repository: registry.example.com/shop-%s\n    tag: %s\n", s, s, tag)
	}
	return b.String()
}

// TestPRPendingGitea checks on a real Gitea that tagbump's pull request
// keeps every pending deployment: pipelines of several services sharing
// one PR branch add to it instead of replacing each other's, an older
// tag never replaces a newer pending one, concurrent runs converge, and a
// base that moved gets the pending edits replayed.
func TestPRPendingGitea(t *testing.T) {
	bin, src := testenv.RequireGitea(t)
	g, err := testenv.StartGitea(bin, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	env := func(job int) []string {
		return append([]string{"TAGBUMP_GIT_TOKEN=" + g.Token, "TAGBUMP_GIT_USER=" + g.Owner},
			"GITLAB_CI=true", "CI_PROJECT_PATH=acme/shop", "CI_COMMIT_SHA=c0ffee", fmt.Sprintf("CI_JOB_URL=https://ci.example/acme/shop/-/jobs/%d", job))
	}
	bump := func(t *testing.T, url string, job int, image string, extra ...string) (int, string, string) {
		t.Helper()
		args := append([]string{"bump", "--no-verify", "--repo", url, "--chart", "shop", "--env", "prod",
			"--image", "registry.example.com/shop-" + image, "--pr", "--provider", "gitea", "-o", "json"}, extra...)
		return tagbump(t, env(job), args...)
	}
	mustBump := func(t *testing.T, url string, job int, image string, extra ...string) prResult {
		t.Helper()
		code, out, errOut := bump(t, url, job, image, extra...)
		if code != 0 {
			t.Fatalf("bump %s: exit %d\n%s%s", image, code, out, errOut)
		}
		return decodePR(t, out)
	}
	file := func(t *testing.T, repo, ref string) string {
		t.Helper()
		var c struct {
			Content string `json:"content"`
		}
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/contents/shop/values-prod.yaml?ref="+ref, nil, &c); err != nil {
			t.Fatal(err)
		}
		return decodeB64(t, c.Content)
	}
	// head returns the message of ref's tip and its parents.
	head := func(t *testing.T, repo, ref string) (string, []string) {
		t.Helper()
		var cs []struct {
			Commit struct {
				Message string `json:"message"`
			} `json:"commit"`
			Parents []struct {
				SHA string `json:"sha"`
			} `json:"parents"`
		}
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/commits?sha="+ref+"&limit=1&stat=false", nil, &cs); err != nil || len(cs) == 0 {
			t.Fatalf("commits of %s: %v", ref, err)
		}
		var parents []string
		for _, p := range cs[0].Parents {
			parents = append(parents, p.SHA)
		}
		return cs[0].Commit.Message, parents
	}
	pull := func(t *testing.T, repo string, n int) giteaPR {
		t.Helper()
		var pr giteaPR
		if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/pulls/%d", g.Owner, repo, n), nil, &pr); err != nil {
			t.Fatal(err)
		}
		return pr
	}
	const branch = "tagbump/shop-prod"

	t.Run("two services in turn, squash-merged", func(t *testing.T) {
		url, err := g.CreateRepo("pending-two", map[string]string{"shop/values-prod.yaml": shopValues("1.0.0", "backend", "frontend")})
		if err != nil {
			t.Fatal(err)
		}
		first := mustBump(t, url, 1, "backend:1.0.1")
		second := mustBump(t, url, 2, "frontend:1.0.1", "--auto-merge", "--merge-method", "squash")
		if first.PRNumber != second.PRNumber || second.PRAction != "updated" {
			t.Fatalf("second bump: %+v, want an update of #%d", second, first.PRNumber)
		}
		waitMerged(t, g, "pending-two", second.PRNumber)
		if got, want := file(t, "pending-two", "main"), shopValues("1.0.1", "backend", "frontend"); got != want {
			t.Fatalf("main after the squash:\n%s\nwant\n%s", got, want)
		}
		msg, _ := head(t, "pending-two", "main")
		for _, want := range []string{
			"- shop/values-prod.yaml .backend.image.tag: 1.0.0 → 1.0.1\n",
			"- shop/values-prod.yaml .frontend.image.tag: 1.0.0 → 1.0.1\n",
			"CI-Run: https://ci.example/acme/shop/-/jobs/1\n",
			"CI-Run: https://ci.example/acme/shop/-/jobs/2\n",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("squash commit lacks %q:\n%s", want, msg)
			}
		}
		// history reads the squash as tagbump's deployment of both.
		code, out, errOut := tagbump(t, env(3), "history", "--repo", url, "--chart", "shop", "--env", "prod", "--limit", "1")
		if code != 0 || !strings.Contains(out, "bump") || strings.Count(out, "1.0.0 → 1.0.1") != 2 {
			t.Errorf("history: exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("newer then older", func(t *testing.T) {
		url, err := g.CreateRepo("pending-older", map[string]string{"shop/values-prod.yaml": shopValues("1.0.0", "backend")})
		if err != nil {
			t.Fatal(err)
		}
		newer := mustBump(t, url, 1, "backend:1.2.0")
		code, out, errOut := bump(t, url, 2, "backend:1.1.0")
		if code != 0 {
			t.Fatalf("older bump: exit %d\n%s%s", code, out, errOut)
		}
		older := decodePR(t, out)
		if older.Outcome != "skipped" || older.PRNumber != newer.PRNumber || !strings.Contains(out, fmt.Sprintf("pull request #%d", newer.PRNumber)) {
			t.Errorf("older bump: %+v, want skipped naming #%d\n%s", older, newer.PRNumber, out)
		}
		if got := file(t, "pending-older", branch); !strings.Contains(got, "tag: 1.2.0") {
			t.Errorf("PR branch after the older bump:\n%s", got)
		}
		// --allow-downgrade lets it through.
		mustBump(t, url, 3, "backend:1.1.0", "--allow-downgrade")
		if got := file(t, "pending-older", branch); !strings.Contains(got, "tag: 1.1.0") {
			t.Errorf("PR branch after --allow-downgrade:\n%s", got)
		}
	})

	t.Run("eight concurrent runs over four services", func(t *testing.T) {
		services := []string{"cart", "pay", "search", "web"}
		url, err := g.CreateRepo("pending-eight", map[string]string{"shop/values-prod.yaml": shopValues("1.0.0", services...)})
		if err != nil {
			t.Fatal(err)
		}
		type run struct {
			image          string
			code, attempts int
			out, errOut    string
		}
		var runs []*run
		for _, s := range services {
			for _, tag := range []string{"1.1.0", "1.2.0"} {
				runs = append(runs, &run{image: s + ":" + tag})
			}
		}
		start := time.Now()
		var wg sync.WaitGroup
		for i, r := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.code, r.out, r.errOut = bump(t, url, 10+i, r.image)
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		var attempts []string
		for _, r := range runs {
			if r.code != 0 {
				t.Errorf("bump %s: exit %d\n%s%s", r.image, r.code, r.out, r.errOut)
				continue
			}
			var res struct {
				Outcome  string `json:"outcome"`
				Attempts int    `json:"attempts"`
			}
			if err := json.Unmarshal([]byte(r.out), &res); err != nil {
				t.Fatalf("bump %s: %v\n%s", r.image, err, r.out)
			}
			attempts = append(attempts, fmt.Sprintf("%s %s %d", r.image, res.Outcome, res.Attempts))
		}
		t.Logf("8 concurrent bump --pr runs: %s; attempts: %s", elapsed.Round(time.Millisecond), strings.Join(attempts, ", "))
		if got, want := file(t, "pending-eight", branch), shopValues("1.0.0", services...); got != strings.ReplaceAll(want, "1.0.0", "1.2.0") {
			t.Errorf("PR branch:\n%s\nwant every service at 1.2.0", got)
		}
		var prs []giteaPR
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/pending-eight/pulls?state=open", nil, &prs); err != nil {
			t.Fatal(err)
		}
		if len(prs) != 1 {
			t.Fatalf("%d open pull requests, want 1", len(prs))
		}
		for _, s := range services {
			if !strings.Contains(prs[0].Body, ".image.tag") || !strings.Contains(prs[0].Body, "."+s+".image.tag") {
				t.Errorf("PR body does not list %s:\n%s", s, prs[0].Body)
			}
		}
	})

	t.Run("base moved between runs", func(t *testing.T) {
		const repo = "pending-moved"
		url, err := g.CreateRepo(repo, map[string]string{"shop/values-prod.yaml": shopValues("1.0.0", "cart", "pay", "web")})
		if err != nil {
			t.Fatal(err)
		}
		pr := mustBump(t, url, 1, "cart:1.1.0")
		mustBump(t, url, 2, "web:1.1.0")
		// By hand on main: cart deployed directly, web's block removed,
		// pay scaled.
		moved := strings.Replace(shopValues("1.0.0", "cart", "pay"), "cart:\n  replicas: 1\n  image:\n    repository: registry.example.com/shop-cart\n    tag: 1.0.0",
			"cart:\n  replicas: 1\n  image:\n    repository: registry.example.com/shop-cart\n    tag: 1.1.0", 1)
		moved = strings.Replace(moved, "pay:\n  replicas: 1", "pay:\n  replicas: 3", 1)
		if err := g.WriteFiles(repo, "main", "scale pay, deploy cart, retire web", map[string]string{"shop/values-prod.yaml": moved}); err != nil {
			t.Fatal(err)
		}
		r := mustBump(t, url, 3, "pay:1.1.0")
		if r.PRNumber != pr.PRNumber {
			t.Errorf("pay went to #%d, want #%d", r.PRNumber, pr.PRNumber)
		}
		want := strings.Replace(moved, "registry.example.com/shop-pay\n    tag: 1.0.0", "registry.example.com/shop-pay\n    tag: 1.1.0", 1)
		if got := file(t, repo, branch); got != want {
			t.Errorf("PR branch:\n%s\nwant\n%s", got, want)
		}
		msg, parents := head(t, repo, branch)
		mainMsg, _ := head(t, repo, "main")
		if strings.Contains(msg, ".cart.") || strings.Contains(msg, ".web.") || !strings.Contains(msg, ".pay.image.tag: 1.0.0 → 1.1.0") {
			t.Errorf("PR branch commit:\n%s", msg)
		}
		var mainTip []struct {
			SHA string `json:"sha"`
		}
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/commits?sha=main&limit=1&stat=false", nil, &mainTip); err != nil || len(mainTip) == 0 {
			t.Fatal(err)
		}
		if !slices.Equal(parents, []string{mainTip[0].SHA}) {
			t.Errorf("PR branch commit's parents %v, want main's tip %s (%q)", parents, mainTip[0].SHA, mainMsg)
		}
		if body := pull(t, repo, pr.PRNumber).Body; !strings.Contains(body, "pending change dropped") || !strings.Contains(body, ".web.image.tag") {
			t.Errorf("PR body does not warn of web's dropped change:\n%s", body)
		}
	})
	t.Run("promote and rollback keep the pending deploys", func(t *testing.T) {
		const repo = "pending-promote"
		url, err := g.CreateRepo(repo, map[string]string{
			"shop/values-prod.yaml":    shopValues("1.0.0", "backend", "frontend"),
			"shop/values-staging.yaml": strings.Replace(shopValues("1.0.0", "backend", "frontend"), "shop-backend\n    tag: 1.0.0", "shop-backend\n    tag: 1.2.0", 1),
		})
		if err != nil {
			t.Fatal(err)
		}
		shop := func(t *testing.T, want int, args ...string) string {
			t.Helper()
			args = append(args, "--repo", url, "--chart", "shop")
			if slices.Contains(args, "--pr") {
				args = append(args, "--provider", "gitea")
			}
			code, out, errOut := tagbump(t, env(4), args...)
			if code != want {
				t.Fatalf("tagbump %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
			}
			return out + errOut
		}
		// frontend 1.1.0 deployed directly; backend 1.1.0 pending.
		shop(t, 0, "bump", "--no-verify", "--env", "prod", "--image", "registry.example.com/shop-frontend:1.1.0")
		mustBump(t, url, 1, "backend:1.1.0")
		// The rollback of frontend goes to the same pull request.
		shop(t, 0, "rollback", "--env", "prod", "--pr", "--pr-branch", branch)
		got := file(t, repo, branch)
		if !strings.Contains(got, "shop-backend\n    tag: 1.1.0") || !strings.Contains(got, "shop-frontend\n    tag: 1.0.0") {
			t.Fatalf("PR branch after the rollback:\n%s", got)
		}
		// The rollback pending there took 1.1.0 away: its bump is refused.
		if out := shop(t, 4, "bump", "--no-verify", "--env", "prod", "--image", "registry.example.com/shop-frontend:1.1.0", "--pr"); !strings.Contains(out, "took 1.1.0 away from prod") {
			t.Errorf("bump of the tag the pending rollback took away:\n%s", out)
		}
		// A promote from staging replaces backend's pending value and
		// keeps the rollback.
		shop(t, 0, "promote", "--no-verify", "--from", "staging", "--to", "prod", "--pr", "--pr-branch", branch)
		got = file(t, repo, branch)
		if !strings.Contains(got, "shop-backend\n    tag: 1.2.0") || !strings.Contains(got, "shop-frontend\n    tag: 1.0.0") {
			t.Fatalf("PR branch after the promote:\n%s", got)
		}
		msg, _ := head(t, repo, branch)
		for _, want := range []string{".backend.image.tag: 1.0.0 → 1.2.0", ".frontend.image.tag: 1.1.0 → 1.0.0", "Promoted-From: staging@", "Rolls-Back: ", "Rolled-Back-Tag: 1.1.0"} {
			if !strings.Contains(msg, want) {
				t.Errorf("PR branch commit lacks %q:\n%s", want, msg)
			}
		}
	})
}
