package bump

import (
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// trailerStart is a "Key: value" line of a commit message's trailer block.
var trailerStart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*: `)

// withSignoff appends "Signed-off-by: Name <email>" for author as the last
// trailer of msg, as git commit --signoff does: into the final paragraph
// when that is a trailer block, else as a new paragraph.
func withSignoff(msg string, author object.Signature) string {
	return withTrailer(msg, "Signed-off-by: "+author.Name+" <"+author.Email+">")
}

// withTrailer appends the trailer line ("Key: value") as the last trailer
// of msg: into the final paragraph when that is a trailer block, else as a
// new paragraph; msg is left alone when line already ends it.
func withTrailer(msg, line string) string {
	msg = strings.TrimRight(msg, "\n")
	paragraphs := strings.Split(msg, "\n\n")
	last := paragraphs[len(paragraphs)-1]
	trailers := len(paragraphs) > 1
	for _, l := range strings.Split(last, "\n") {
		trailers = trailers && trailerStart.MatchString(l)
	}
	switch {
	case strings.HasSuffix(msg, "\n"+line) || msg == line:
		return msg + "\n" // already the last trailer
	case trailers:
		return msg + "\n" + line + "\n"
	}
	return msg + "\n\n" + line + "\n"
}
