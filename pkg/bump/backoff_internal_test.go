package bump

import (
	"testing"
	"time"
)

// The race backoff draws below a window of cycle × 2^losses, capped by
// maxRaceWindow and the time left; over many draws it uses the window.
func TestRaceBackoffWindow(t *testing.T) {
	for _, tc := range []struct {
		losses      int
		cycle, left time.Duration
		window      time.Duration
	}{
		{1, 100 * time.Millisecond, time.Hour, 200 * time.Millisecond},
		{3, 100 * time.Millisecond, time.Hour, 800 * time.Millisecond},
		{1, time.Millisecond, time.Hour, 2 * minRaceUnit},
		{20, time.Second, time.Hour, maxRaceWindow},
		{8, time.Second, 10 * time.Second, 10 * time.Second},
		{2, time.Second, 0, 0},
	} {
		var hi time.Duration
		for range 2000 {
			d := raceBackoff(tc.losses, tc.cycle, tc.left)
			if d < 0 || (tc.window > 0 && d >= tc.window) || (tc.window == 0 && d != 0) {
				t.Fatalf("raceBackoff(%d, %s, %s) = %s, want in [0, %s)", tc.losses, tc.cycle, tc.left, d, tc.window)
			}
			hi = max(hi, d)
		}
		if tc.window > 0 && hi < tc.window*3/4 {
			t.Errorf("raceBackoff(%d, %s, %s): largest of 2000 draws %s, want near %s", tc.losses, tc.cycle, tc.left, hi, tc.window)
		}
	}
}
