package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/log"
	"github.com/tagbump/tagbump/pkg/registry"
)

// lines passes each log line written to it on to the channel, dropping
// lines that no one reads.
type lines chan string

func (c lines) Write(p []byte) (int, error) {
	select {
	case c <- string(p):
	default:
	}
	return len(p), nil
}

// TestProgressReporterTicksWhileStalled gives the reporter one update and
// then none, as a stalled upload does: without a terminal it must keep
// logging the last state from its ticker, and stop when done.
func TestProgressReporterTicksWhileStalled(t *testing.T) {
	got := make(lines, 64)
	const interval = 10 * time.Millisecond
	p := newProgressReporter(io.Discard, log.New(got), interval)
	p.report(registry.Progress{Complete: 3e6, Total: 7e6, Layers: 2})
	// One line from the report, then two from the ticker with no new
	// report; if they never come, the test's own timeout ends the test.
	for range 3 {
		if l := <-got; !strings.Contains(l, "pushing") || !strings.Contains(l, "3.0 MB") || !strings.Contains(l, "7.0 MB") {
			t.Errorf("progress line %q, want the last state (3.0 MB of 7.0 MB)", l)
		}
	}
	p.done()
	for len(got) > 0 { // lines logged before done
		<-got
	}
	select {
	case l := <-got:
		t.Errorf("the reporter logged after done: %q", l)
	case <-time.After(5 * interval):
	}
	p.done() // a second call is harmless
}

// TestProgressReporterThrottlesRedraws drives the terminal mode with a
// fake clock: at most one redraw per 100 ms, and done draws the last
// state that the throttle held back.
func TestProgressReporterThrottlesRedraws(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progressReporter{w: &buf, tty: true, redraw: 100 * time.Millisecond, now: func() time.Time { return clock }}
	for i := range 50 { // 50 reports 10 ms apart: 500 ms
		p.report(registry.Progress{Complete: int64(i+1) * 1e6, Total: 50e6, Layers: 1})
		clock = clock.Add(10 * time.Millisecond)
	}
	p.done()
	out := buf.String()
	if n := strings.Count(out, "\r"); n > 6 {
		t.Errorf("%d redraws for 500 ms of reports, want at most 6 (≤10/s and the final one):\n%q", n, out)
	}
	if !strings.HasSuffix(out, "pushing 1 layers: 50.0 MB / 50.0 MB\n") {
		t.Errorf("output ends %q, want the last state and a newline", out[max(0, len(out)-60):])
	}
}
