package testenv

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// The repository query and the updateRefs mutation of GitHubGraphQL follow:
//
//   - https://docs.github.com/en/graphql/reference/queries#repository
//     (repository(owner:, name:), null with a NOT_FOUND error when the
//     token cannot see it) and .../objects#repository (its id);
//   - https://docs.github.com/en/graphql/reference/mutations#updaterefs,
//     .../input-objects#updaterefsinput and #refupdate: repositoryId and
//     refUpdates are required; each RefUpdate has name (a fully qualified
//     GitRefname), afterOid (required; zeros delete the ref), beforeOid
//     (the ref must be there first; zeros: it must not exist) and force
//     (default false: a non-fast-forward update is refused); all updates
//     are applied atomically or none is;
//   - https://docs.github.com/en/graphql/overview/schema-previews#update-refs-preview:
//     updateRefs exists only with the media type
//     application/vnd.github.update-refs-preview+json in Accept.
//
// GitHub does not document the wording of a refused ref update; this
// server's is its own, so a client must not read it.

var (
	repositoryShape = regexp.MustCompile(`^\s*query\b\s*\w*\s*\(\s*\$(\w+)\s*:\s*String!\s*,\s*\$(\w+)\s*:\s*String!\s*\)\s*\{\s*repository\s*\(\s*owner\s*:\s*\$(\w+)\s*,\s*name\s*:\s*\$(\w+)\s*\)\s*\{\s*id\s*\}\s*\}\s*$`)
	updateRefsShape = regexp.MustCompile(`^\s*mutation\b\s*\w*\s*\(\s*\$(\w+)\s*:\s*UpdateRefsInput!\s*\)\s*\{\s*updateRefs\s*\(\s*input\s*:\s*\$(\w+)\s*\)\s*\{\s*clientMutationId\s*\}\s*\}\s*$`)
)

// repositoryID is the stand-in's node id of owner/name.
func repositoryID(repo string) string {
	return "R_" + base64.RawURLEncoding.EncodeToString([]byte(repo))
}

func (g *GitHubGraphQL) serveRepository(w http.ResponseWriter, m []string, vars map[string]json.RawMessage) {
	declared := map[string]bool{m[1]: true, m[2]: true}
	if !declared[m[3]] || !declared[m[4]] || m[1] == m[2] {
		gqlErrors(w, map[string]any{"message": "Variable used but not declared in the query"})
		return
	}
	var owner, name string
	if json.Unmarshal(vars[m[3]], &owner) != nil || json.Unmarshal(vars[m[4]], &name) != nil || owner == "" || name == "" {
		gqlErrors(w, map[string]any{"message": "Variable $" + m[3] + " or $" + m[4] + " of type String! was provided invalid value"})
		return
	}
	repo := owner + "/" + name
	if !g.exists(repo) {
		gqlErrors(w, map[string]any{"type": "NOT_FOUND", "path": []string{"repository"}, "message": fmt.Sprintf("Could not resolve to a Repository with the name '%s'.", repo)}, "repository")
		return
	}
	writeGraphQLJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"repository": map[string]any{"id": repositoryID(repo)}}})
}

func (g *GitHubGraphQL) exists(repo string) bool {
	if strings.Count(repo, "/") != 1 {
		return false
	}
	_, err := Git(g.git.Dir(repo), "rev-parse", "--git-dir")
	return err == nil
}

type refUpdate struct {
	Name      string  `json:"name"`
	AfterOid  string  `json:"afterOid"`
	BeforeOid *string `json:"beforeOid"`
	Force     bool    `json:"force"`
}

func (g *GitHubGraphQL) serveUpdateRefs(w http.ResponseWriter, r *http.Request, id GitHubIdentity, m []string, vars map[string]json.RawMessage) {
	if !strings.Contains(r.Header.Get("Accept"), "application/vnd.github.update-refs-preview+json") {
		// Without the preview's media type the field is not in the schema.
		gqlErrors(w, map[string]any{"message": "Field 'updateRefs' doesn't exist on type 'Mutation'",
			"extensions": map[string]string{"code": "undefinedField", "typeName": "Mutation", "fieldName": "updateRefs"}})
		return
	}
	if m[1] != m[2] {
		gqlErrors(w, map[string]any{"message": "Variable $" + m[2] + " is used by updateRefs but not declared"})
		return
	}
	var in struct {
		ClientMutationID string      `json:"clientMutationId"`
		RepositoryID     *string     `json:"repositoryId"`
		RefUpdates       []refUpdate `json:"refUpdates"`
	}
	invalid := func(problem string) {
		gqlErrors(w, map[string]any{"message": fmt.Sprintf("Variable $%s of type UpdateRefsInput! was provided invalid value%s", m[1], problem)})
	}
	if err := strictUnmarshal(vars[m[1]], &in); err != nil {
		invalid(" (" + err.Error() + ")")
		return
	}
	if in.RepositoryID == nil || in.RefUpdates == nil {
		invalid(" for repositoryId and refUpdates (Expected value to not be null)")
		return
	}
	for i, u := range in.RefUpdates {
		switch {
		case !strings.HasPrefix(u.Name, "refs/"):
			invalid(fmt.Sprintf(" for refUpdates[%d].name (Could not coerce value to GitRefname: a fully qualified name such as refs/heads/main)", i))
			return
		case !hexOID.MatchString(u.AfterOid):
			invalid(fmt.Sprintf(" for refUpdates[%d].afterOid (Could not coerce value to GitObjectID)", i))
			return
		case u.BeforeOid != nil && !hexOID.MatchString(*u.BeforeOid):
			invalid(fmt.Sprintf(" for refUpdates[%d].beforeOid (Could not coerce value to GitObjectID)", i))
			return
		}
	}
	var repo string
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(*in.RepositoryID, "R_")); err == nil && strings.HasPrefix(*in.RepositoryID, "R_") {
		repo = string(b)
	}
	fail := func(typ, msg string) {
		e := map[string]any{"path": []string{"updateRefs"}, "message": msg}
		if typ != "" {
			e["type"] = typ
		}
		gqlErrors(w, e, "updateRefs")
	}
	if !g.exists(repo) {
		fail("NOT_FOUND", fmt.Sprintf("Could not resolve to a node with the global id of '%s'", *in.RepositoryID))
		return
	}
	if id.ReadOnly {
		fail("FORBIDDEN", "Resource not accessible by integration")
		return
	}
	if msg := g.updateRefs(g.git.Dir(repo), in.RefUpdates); msg != "" {
		fail("", msg)
		return
	}
	g.refUpdates.Add(1)
	g.mu.Lock()
	lose := false
	if g.loseRef > 0 {
		g.loseRef--
		lose = g.loseRef == 0
	}
	g.mu.Unlock()
	if lose {
		badGateway(w)
		return
	}
	writeGraphQLJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"updateRefs": map[string]any{"clientMutationId": nullable(in.ClientMutationID)}}})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const zeroOID = "0000000000000000000000000000000000000000"

// updateRefs checks every update against the repository in dir and applies
// them all in one git update-ref transaction, or none; it returns why not.
func (g *GitHubGraphQL) updateRefs(dir string, updates []refUpdate) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var tx strings.Builder
	tx.WriteString("start\n")
	for _, u := range updates {
		cur, _ := Git(dir, "rev-parse", "-q", "--verify", u.Name)
		if u.BeforeOid != nil {
			want := *u.BeforeOid
			if (want == zeroOID && cur != "") || (want != zeroOID && cur != want) {
				return fmt.Sprintf("Ref %s is at %s, not at the given beforeOid %s: no ref was updated", u.Name, orNone(cur), want)
			}
		}
		if u.AfterOid == zeroOID {
			if cur == "" {
				return fmt.Sprintf("Ref %s does not exist: no ref was updated", u.Name)
			}
			fmt.Fprintf(&tx, "delete %s %s\n", u.Name, cur)
			continue
		}
		if _, err := Git(dir, "cat-file", "-e", u.AfterOid+"^{commit}"); err != nil {
			return fmt.Sprintf("Object %s does not exist or is not a commit: no ref was updated", u.AfterOid)
		}
		if cur != "" && !u.Force {
			if _, err := Git(dir, "merge-base", "--is-ancestor", cur, u.AfterOid); err != nil {
				return fmt.Sprintf("Update of %s is not a fast-forward (set force to allow it): no ref was updated", u.Name)
			}
		}
		fmt.Fprintf(&tx, "update %s %s %s\n", u.Name, u.AfterOid, orZero(cur))
	}
	tx.WriteString("prepare\ncommit\n")
	if _, err := gitEnv(dir, nil, []byte(tx.String()), "update-ref", "--stdin"); err != nil {
		return "A ref changed while it was updated: no ref was updated"
	}
	return ""
}

func orNone(oid string) string {
	if oid == "" {
		return "nothing (it does not exist)"
	}
	return oid
}

func orZero(oid string) string {
	if oid == "" {
		return zeroOID
	}
	return oid
}
