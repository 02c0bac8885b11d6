package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFile is the JSON Schema of --output json, which every JSON output
// of the tests is checked against (tagbumpMain, runJSON).
var schemaFile = func() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", "docs", "reference", "output.schema.json")
}()

// outputDefs names the schema definition of each command's result.
var outputDefs = map[string]string{
	"bump": "bump", "rollback": "bump", "promote": "bump", "history": "history",
	"verify": "image", "tag": "image", "push": "push", "wait": "wait", "doctor": "doctor", "version": "version",
}

var (
	schemaOnce    sync.Once
	schemaByCmd   map[string]*jsonschema.Schema
	schemaLoadErr error
)

func loadSchemas() {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	f, err := os.Open(schemaFile)
	if err != nil {
		schemaLoadErr = err
		return
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		schemaLoadErr = err
		return
	}
	if schemaLoadErr = c.AddResource("output.schema.json", doc); schemaLoadErr != nil {
		return
	}
	schemaByCmd = map[string]*jsonschema.Schema{}
	for cmd, def := range outputDefs {
		// A command prints its result, or an error object.
		wrap := fmt.Sprintf(`{"anyOf": [{"$ref": "output.schema.json#/$defs/error"}, {"$ref": "output.schema.json#/$defs/%s"}]}`, def)
		w, _ := jsonschema.UnmarshalJSON(strings.NewReader(wrap))
		name := "cmd-" + cmd + ".json"
		if schemaLoadErr = c.AddResource(name, w); schemaLoadErr != nil {
			return
		}
		if schemaByCmd[cmd], schemaLoadErr = c.Compile(name); schemaLoadErr != nil {
			return
		}
	}
}

// jsonCommand returns the command of args (the first that has a JSON
// result) when it prints JSON (-o json,
// --output json, --output=json or TAGBUMP_OUTPUT=json), else "".
func jsonCommand(args []string) string {
	cmd := ""
	json := os.Getenv("TAGBUMP_OUTPUT") == "json"
	for i, a := range args {
		switch {
		case cmd == "" && outputDefs[a] != "":
			cmd = a
		case (a == "-o" || a == "--output") && i+1 < len(args):
			json = args[i+1] == "json"
		case a == "-ojson" || a == "--output=json" || a == "-o=json":
			json = true
		}
	}
	if !json {
		return ""
	}
	return cmd
}

// checkOutputSchema validates what a command printed with --output json
// against the schema: nil when the command prints no JSON result.
func checkOutputSchema(args []string, stdout []byte) error {
	cmd := jsonCommand(args)
	if _, ok := outputDefs[cmd]; !ok || len(bytes.TrimSpace(stdout)) == 0 {
		return nil
	}
	schemaOnce.Do(loadSchemas)
	if schemaLoadErr != nil {
		return fmt.Errorf("output schema: %w", schemaLoadErr)
	}
	dec := json.NewDecoder(bytes.NewReader(stdout))
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("tagbump %s --output json printed no JSON: %w", cmd, err)
		}
		if err := schemaByCmd[cmd].Validate(roundTrip(v)); err != nil {
			return fmt.Errorf("tagbump %s --output json does not follow docs/reference/output.schema.json: %w", cmd, err)
		}
	}
	return nil
}

// roundTrip gives v in the form jsonschema expects (json.Number for
// numbers).
func roundTrip(v any) any {
	b, _ := json.Marshal(v)
	out, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	return out
}

// TestOutputSchema: the schema refuses what it must (a wrong type, a
// missing field, an unknown error kind) and takes each command's
// documented shapes; every JSON output of the scripts is checked by
// tagbumpMain.
func TestOutputSchema(t *testing.T) {
	ok := map[string]string{
		"bump":    `{"repo":"r","branch":"main","outcome":"changed","files":[{"file":"a/values.yaml","env":"prod","key":".image.tag","old":"1","new":"2"}],"attempts":1,"image":"reg/app:2","pushed":true,"commit":"0123456789abcdef0123456789abcdef01234567"}`,
		"history": `{"repo":"r","branch":"main","file":"f","deployments":[{"commit":"0123456789abcdef0123456789abcdef01234567","date":"2026-12-07T10:00:00Z","author":"a","subject":"s","kind":"bump","images":[{"key":".image.tag","old":"1","new":"2"}]}]}`,
		"verify":  `{"image":"reg/app:1@sha256:00","tag":"1","digest":"sha256:00","mediaType":"m"}`,
		"doctor":  `{"repo":"r","ready":false,"checks":[{"name":"git","status":"fail","detail":"d","exit_code":5}],"host":{"kind":"github","found_from":"the URL","access":{"scopes_note":"n","permission":"push","can_push":true,"branch":{"name":"main","known":true,"protected":true,"pull_request":true,"approvals":1,"signed":true,"push_refused":true,"pushers":"nobody"}}}}`,
		"wait":    `{"commit":"c","state":"success","waited_seconds":1.5,"polls":2}`,
	}
	for cmd, doc := range ok {
		if err := checkOutputSchema([]string{cmd, "-o", "json"}, []byte(doc)); err != nil {
			t.Errorf("%s: %v", cmd, err)
		}
	}
	bad := []struct{ cmd, doc string }{
		{"bump", `{"repo":"r","branch":"main","outcome":"done","files":[],"attempts":1,"image":"i","pushed":true}`},
		{"bump", `{"repo":"r","branch":"main","outcome":"changed","attempts":1,"image":"i","pushed":true}`},
		{"bump", `{"repo":"r","branch":"main","outcome":"changed","files":[],"attempts":"1","image":"i","pushed":true}`},
		{"history", `{"repo":"r","branch":"main","file":"f","deployments":[{"commit":"abc","date":"d","author":"a","subject":"s","kind":"bump","images":[]}]}`},
		{"verify", `{"image":"reg/app:1","tag":"1","digest":"sha256:00","mediaType":"m"}`},
		{"doctor", `{"repo":"r","ready":true,"checks":[{"name":"git","status":"fine","detail":"d"}]}`},
		{"doctor", `{"repo":"r","ready":true,"checks":[],"host":{"kind":"gitbucket","found_from":"the URL"}}`},
		{"doctor", `{"repo":"r","ready":true,"checks":[],"host":{"kind":"gitea","found_from":"the URL","access":{"branch":{"name":"main","known":true,"protected":true,"pull_request":"yes","signed":false,"push_refused":true}}}}`},
		{"wait", `{"error":{"message":"m","exit_code":9,"kind":"boom"}}`},
		{"push", `{"image":"reg/app:1@sha256:00","tag":"1","digest":"sha256:00","mediaType":"m"}`},
	}
	for _, b := range bad {
		if err := checkOutputSchema([]string{b.cmd, "--output=json"}, []byte(b.doc)); err == nil {
			t.Errorf("%s: %s passed the schema", b.cmd, b.doc)
		}
	}
	if err := checkOutputSchema([]string{"bump"}, []byte(`not json`)); err != nil {
		t.Errorf("text output checked: %v", err)
	}
	if got := jsonCommand([]string{"--log-level", "debug", "history", "-o", "json"}); got != "history" {
		t.Errorf("jsonCommand after a global flag = %q, want history", got)
	}
}
