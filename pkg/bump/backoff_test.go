package bump

import (
	"testing"
	"time"
)

// TestNetworkBackoff: pause n is drawn between half and all of 200ms
// doubled n-1 times, at most 3s; the draws spread over that range. It
// checks the values returned, it does not sleep.
func TestNetworkBackoff(t *testing.T) {
	for attempt, hi := range map[int]time.Duration{
		1: 200 * time.Millisecond, 2: 400 * time.Millisecond, 3: 800 * time.Millisecond,
		4: 1600 * time.Millisecond, 5: 3 * time.Second, 6: 3 * time.Second, 20: 3 * time.Second,
	} {
		lo := hi / 2
		lowest, highest := hi, time.Duration(0)
		for range 500 {
			d := networkBackoff(attempt)
			if d < lo || d > hi {
				t.Fatalf("networkBackoff(%d) = %v, want within [%v, %v]", attempt, d, lo, hi)
			}
			lowest, highest = min(lowest, d), max(highest, d)
		}
		if span := hi - lo; lowest > lo+span/4 || highest < hi-span/4 {
			t.Errorf("networkBackoff(%d) drew only from [%v, %v] of [%v, %v]", attempt, lowest, highest, lo, hi)
		}
	}
}
