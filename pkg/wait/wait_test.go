package wait_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/wait"
)

// fakeClock advances only when slept on, and records the pauses.
type fakeClock struct {
	now    time.Time
	pauses []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.pauses = append(c.pauses, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// script is a Source that answers its observations (or errors) in turn,
// the last one from then on.
type script struct {
	steps []any
	n     int
}

func (s *script) Poll(context.Context) (wait.Observation, error) {
	step := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	if err, ok := step.(error); ok {
		return wait.Observation{}, err
	}
	return step.(wait.Observation), nil
}

func pending(d string) wait.Observation { return wait.Observation{State: wait.Pending, Detail: d} }

// TestRunBackoff checks the pauses: 2 s growing by half to 15 s, the
// progress callback once per change of state, and the terminal's once per
// poll.
func TestRunBackoff(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	var seen []string
	every := 0
	steps := []any{pending("a"), pending("a"), pending("b"), pending("b"), pending("b"), pending("b"), pending("b"), pending("b"),
		wait.Observation{State: wait.Succeeded, Detail: "done"}}
	res, err := wait.Run(context.Background(), &script{steps: steps}, wait.WithClock(clock),
		wait.WithProgress(func(o wait.Observation, _ time.Duration) { seen = append(seen, o.Detail) }),
		wait.WithEveryPoll(func(wait.Observation, time.Duration) { every++ }))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{2 * time.Second, 3 * time.Second, 4500 * time.Millisecond, 6750 * time.Millisecond, 10125 * time.Millisecond,
		15 * time.Second, 15 * time.Second, 15 * time.Second}
	if len(clock.pauses) != len(want) {
		t.Fatalf("pauses %v, want %v", clock.pauses, want)
	}
	for i := range want {
		if clock.pauses[i] != want[i] {
			t.Fatalf("pauses %v, want %v", clock.pauses, want)
		}
	}
	if strings.Join(seen, ",") != "a,b,done" || res.Polls != 9 || every != 9 || res.State != wait.Succeeded {
		t.Fatalf("progress %v, result %+v", seen, res)
	}
	// Requests per minute of waiting, for the closing note.
	t.Logf("%d polls in %s: %.1f per minute", res.Polls, res.Waited, float64(res.Polls)/res.Waited.Minutes())
}

// TestRunRetryAfter checks that a 429's Retry-After lengthens the pause
// and the poll is tried again; a refused token ends the wait at once.
func TestRunRetryAfter(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	limited := &forge.Error{Op: "read", Status: 429, Kind: forge.ErrServer, RetryAfter: 40 * time.Second}
	res, err := wait.Run(context.Background(), &script{steps: []any{limited, wait.Observation{State: wait.Succeeded, Detail: "ok"}}}, wait.WithClock(clock))
	if err != nil || len(clock.pauses) != 1 || clock.pauses[0] != 40*time.Second || res.Polls != 2 {
		t.Fatalf("err %v, pauses %v, result %+v", err, clock.pauses, res)
	}
	refused := &forge.Error{Op: "read", Status: 401, Kind: forge.ErrAuth}
	if _, err := wait.Run(context.Background(), &script{steps: []any{refused}}, wait.WithClock(clock)); !errors.Is(err, forge.ErrAuth) {
		t.Fatalf("refused token: %v", err)
	}
}

// TestRunVerdicts checks failure and the timeout, which names the last
// state seen and does not sleep past the deadline.
func TestRunVerdicts(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	failed := wait.Observation{State: wait.Failed, Detail: "ctx: failure", Message: "sync failed: boom"}
	_, err := wait.Run(context.Background(), &script{steps: []any{pending("p"), failed}}, wait.WithClock(clock))
	var fe *wait.FailedError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("failure: %v", err)
	}
	clock = &fakeClock{now: time.Unix(0, 0)}
	res, err := wait.Run(context.Background(), &script{steps: []any{pending("OutOfSync, Missing")}}, wait.WithClock(clock), wait.WithTimeout(time.Minute))
	var te *wait.TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "OutOfSync, Missing") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if res.Waited != time.Minute {
		t.Fatalf("waited %s past the deadline (pauses %v)", res.Waited, clock.pauses)
	}
	t.Logf("one minute of waiting: %d polls", res.Polls)
}
