package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// MarkdownInjection is a tag a values file may hold that, written raw into
// a markdown table, closes its code span and its row, then approves the
// pull request in bold in a team's name, loads an external image and opens
// a <details> block outside the table.
const MarkdownInjection = "1.0.0` |\r\n\n**LGTM, approved by @acme/security, @acme**\n\n![ok](https://evil.example/pixel.png)\n\n<details><summary>more</summary>\n\n|x|"

// injectionWords are the pieces of MarkdownInjection that must not be read
// as markdown: each may stand only inside a code span.
var injectionWords = []string{"**LGTM", "@acme", "![", "](https://evil", "<details"}

// CheckInertMarkdown returns an error when body, a pull request body that
// shows MarkdownInjection in its table, lets it act: a piece of it outside
// a code span (where it would be bold text, a mention, an image or HTML),
// or on a line that is not a table row.
func CheckInertMarkdown(body string) error {
	var problems []string
	for i, line := range strings.Split(body, "\n") {
		if strings.Contains(line, "\r") {
			problems = append(problems, fmt.Sprintf("line %d holds a carriage return: %q", i+1, line))
		}
		if strings.Contains(line, "LGTM") && !strings.HasPrefix(line, "|") {
			problems = append(problems, fmt.Sprintf("line %d is outside the table: %q", i+1, line))
		}
		text := OutsideCodeSpans(line)
		for _, w := range injectionWords {
			if strings.Contains(text, w) {
				problems = append(problems, fmt.Sprintf("line %d has %q outside a code span: %q", i+1, w, line))
			}
		}
	}
	if !strings.Contains(body, "LGTM") {
		problems = append(problems, "the body does not show the old value at all")
	}
	if len(problems) > 0 {
		return fmt.Errorf("the injection acts:\n%s\nbody:\n%s", strings.Join(problems, "\n"), body)
	}
	return nil
}

// OutsideCodeSpans returns line without its code spans, read as CommonMark
// reads them: a run of n backticks opens a span that the next run of
// exactly n closes, a run with no such closer is text, and a backslash
// escapes the character after it outside a span.
func OutsideCodeSpans(line string) string {
	var b strings.Builder
	run := func(s string, i int) int { // length of the backtick run at i
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		return n
	}
	for i := 0; i < len(line); {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			b.WriteString(line[i : i+2])
			i += 2
		case line[i] == '`':
			n := run(line, i)
			end := -1
			for j := i + n; j < len(line); {
				if m := run(line, j); m > 0 {
					if m == n {
						end = j + m
						break
					}
					j += m
				} else {
					j++
				}
			}
			if end < 0 {
				b.WriteString(line[i : i+n])
				i += n
			} else {
				i = end
			}
		default:
			b.WriteByte(line[i])
			i++
		}
	}
	return b.String()
}

// RenderMarkdown renders text as Gitea renders a comment of Owner/repo
// (POST /markdown, mode gfm: mentions and issue references included) and
// returns the HTML.
func (g *Gitea) RenderMarkdown(repo, text string) (string, error) {
	body, _ := json.Marshal(map[string]string{"Text": text, "Mode": "gfm", "Context": g.URL + "/" + g.Owner + "/" + repo})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/api/v1/markdown", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "token "+g.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	html, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /markdown: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(html))
	}
	return string(html), nil
}
