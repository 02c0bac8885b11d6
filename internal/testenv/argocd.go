package testenv

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FakeArgoCD is an in-process stand-in for Argo CD's API server, which
// needs a Kubernetes cluster to run. It follows the OpenAPI document Argo
// CD serves at /swagger.json (v3.1, ApplicationService_Get): GET
// /api/v1/applications/{name} with the query parameters refresh, project,
// resourceVersion, selector, repo, appNamespace; a bearer token; answers of
// the v1alpha1Application schema (metadata, spec.source or spec.sources,
// status.sync.status/revision/revisions, status.health.status/message,
// status.operationState.phase/message/startedAt/finishedAt/syncResult);
// errors as grpc-gateway writes them ({"error", "code", "message"}): 401
// code 16 for a bad token, 403 code 7 "permission denied" for a token
// whose role may not get the application, 404 code 5 for a missing one.
// Unknown query parameters are refused with 400.
type FakeArgoCD struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Token may read every application; ForbiddenToken is valid but its
	// role has no applications, get.
	Token, ForbiddenToken string

	srv      *http.Server
	mu       sync.Mutex
	apps     map[string]*fakeApp
	requests int
	limit    int
	after    int
}

// FakeAppState is what an application reports at one poll.
type FakeAppState struct {
	// Sync is Synced, OutOfSync or Unknown; Revision the synced commit
	// (Revisions for a multi-source application).
	Sync      string
	Revision  string
	Revisions []string
	// Health is Healthy, Progressing, Degraded, Missing...
	Health, HealthMessage string
	// Phase is the last operation's phase (Running, Succeeded, Failed,
	// Error), "" for none; StartedAt when it started.
	Phase, OpMessage string
	StartedAt        time.Time
	// OpRevision is the revision the operation synced, when it is not
	// Revision (the one Argo CD compares to): a sync of an older commit.
	OpRevision string
}

type fakeApp struct {
	namespace string
	sources   []string
	states    []FakeAppState
	polls     int
}

// StartFakeArgoCD starts the stand-in on 127.0.0.1.
func StartFakeArgoCD() (*FakeArgoCD, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &FakeArgoCD{URL: "http://" + ln.Addr().String(), Token: "fake-argocd-token-0123456789abcdef", ForbiddenToken: "fake-argocd-forbidden-0123456789", apps: map[string]*fakeApp{}}
	a.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(a.serve)}
	go a.srv.Serve(ln)
	return a, nil
}

// Close stops the server.
func (a *FakeArgoCD) Close() { a.srv.Close() }

// SetApp defines the application name in namespace (argocd when ""),
// whose sources are the repository URLs repos (one: a single-source
// application), and the states it reports: one per poll, the last one
// from then on.
func (a *FakeArgoCD) SetApp(name, namespace string, repos []string, states ...FakeAppState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if namespace == "" {
		namespace = "argocd"
	}
	a.apps[name] = &fakeApp{namespace: namespace, sources: repos, states: states}
}

// Limit makes the next n requests answer 429 with Retry-After: after.
func (a *FakeArgoCD) Limit(n, after int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limit, a.after = n, after
}

// Requests returns the number of API requests received.
func (a *FakeArgoCD) Requests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests
}

func (a *FakeArgoCD) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests++
	fail := func(status, code int, msg string) {
		writeJSON(w, status, map[string]any{"error": msg, "code": code, "message": msg})
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/api/v1/applications/")
	if !ok || name == "" || strings.Contains(name, "/") || r.Method != http.MethodGet {
		fail(http.StatusNotFound, 5, "Not Found")
		return
	}
	t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || t == "":
		fail(http.StatusUnauthorized, 16, "no session information")
		return
	case subtle.ConstantTimeCompare([]byte(t), []byte(a.ForbiddenToken)) == 1:
		fail(http.StatusForbidden, 7, "permission denied")
		return
	case subtle.ConstantTimeCompare([]byte(t), []byte(a.Token)) != 1:
		fail(http.StatusUnauthorized, 16, "invalid session: token signature is invalid")
		return
	}
	if a.limit > 0 {
		a.limit--
		w.Header().Set("Retry-After", strconv.Itoa(a.after))
		fail(http.StatusTooManyRequests, 8, "too many requests")
		return
	}
	for k := range r.URL.Query() {
		if !contains([]string{"refresh", "project", "resourceVersion", "selector", "repo", "appNamespace"}, k) {
			fail(http.StatusBadRequest, 3, "unknown query parameter "+k)
			return
		}
	}
	app := a.apps[name]
	ns := r.URL.Query().Get("appNamespace")
	if app == nil || (ns != "" && ns != app.namespace) || (ns == "" && app.namespace != "argocd") {
		fail(http.StatusNotFound, 5, `applications.argoproj.io "`+name+`" not found`)
		return
	}
	st := app.states[min(app.polls, len(app.states)-1)]
	app.polls++
	writeJSON(w, http.StatusOK, fakeApplication(name, app, st))
}

// fakeApplication renders st as a v1alpha1Application.
func fakeApplication(name string, app *fakeApp, st FakeAppState) map[string]any {
	spec := map[string]any{"project": "default", "destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": "default"}}
	var sources []map[string]any
	for _, r := range app.sources {
		sources = append(sources, map[string]any{"repoURL": r, "targetRevision": "main", "path": "app-service"})
	}
	if len(sources) == 1 {
		spec["source"] = sources[0]
	} else {
		spec["sources"] = sources
	}
	sync := map[string]any{"status": st.Sync}
	if st.Revision != "" {
		sync["revision"] = st.Revision
	}
	if len(st.Revisions) > 0 {
		sync["revisions"] = st.Revisions
	}
	status := map[string]any{
		"sync":   sync,
		"health": map[string]any{"status": st.Health, "message": st.HealthMessage},
	}
	if st.Phase != "" {
		opRev := st.Revision
		if st.OpRevision != "" {
			opRev = st.OpRevision
		}
		op := map[string]any{"phase": st.Phase, "message": st.OpMessage, "startedAt": st.StartedAt.UTC().Format(time.RFC3339),
			"operation": map[string]any{"sync": map[string]any{"revision": opRev}}}
		if st.Phase != "Running" {
			op["finishedAt"] = st.StartedAt.Add(time.Second).UTC().Format(time.RFC3339)
			op["syncResult"] = map[string]any{"revision": opRev, "revisions": st.Revisions}
		}
		status["operationState"] = op
	}
	return map[string]any{
		"metadata": map[string]any{"name": name, "namespace": app.namespace},
		"spec":     spec,
		"status":   status,
	}
}
