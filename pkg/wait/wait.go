// Package wait polls what tells whether a commit to a charts repository
// was deployed: the commit statuses the Git host holds (those Argo CD's
// notifications post), or Argo CD's Application through its API. It polls
// politely (one request at a time, at growing intervals, honouring
// Retry-After) until success, failure or the timeout, and never prints:
// progress goes to a callback.
package wait

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// State is where a deployment stands.
type State string

// The states of a deployment. Pending covers everything before a verdict:
// no status yet, a sync not started or running, resources progressing.
const (
	Pending   State = "pending"
	Succeeded State = "success"
	Failed    State = "failure"
)

// Observation is what one poll saw.
type Observation struct {
	State State `json:"state"`
	// Detail says the state in the source's own words, e.g.
	// "argocd/app-staging: pending" or "OutOfSync, Missing"; a change of
	// Detail is a change of state for progress reports.
	Detail string `json:"detail"`
	// SyncedRevision and Health are Argo CD's (empty for commit statuses).
	SyncedRevision string `json:"synced_revision,omitempty"`
	Health         string `json:"health,omitempty"`
	// Message is the source's message for a failure.
	Message string `json:"message,omitempty"`
}

// Source is polled for the state of the deployment.
type Source interface {
	Poll(ctx context.Context) (Observation, error)
}

// Clock is the time the loop reads and sleeps on.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Defaults of the poll intervals and the timeout.
const (
	DefaultInterval    = 2 * time.Second
	DefaultMaxInterval = 15 * time.Second
	DefaultTimeout     = 10 * time.Minute
)

type options struct {
	clock         Clock
	interval, max time.Duration
	timeout       time.Duration
	onChange      func(Observation, time.Duration)
	onPoll        func(Observation, time.Duration)
}

// Option configures Run.
type Option func(*options)

// WithClock makes Run read the time from c and sleep on it (default: the
// system's clock).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithIntervals sets the first pause between polls and the longest one
// the pause grows to, by half each poll (default 2s and 15s).
func WithIntervals(first, most time.Duration) Option {
	return func(o *options) { o.interval, o.max = first, most }
}

// WithTimeout sets how long Run waits for a verdict (default 10m).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithProgress calls fn with each observation whose Detail differs from
// the previous one's, and the time waited so far.
func WithProgress(fn func(Observation, time.Duration)) Option {
	return func(o *options) { o.onChange = fn }
}

// WithEveryPoll calls fn with the observation of every poll that
// answered, and the time waited so far (a terminal's updating line).
func WithEveryPoll(fn func(Observation, time.Duration)) Option {
	return func(o *options) { o.onPoll = fn }
}

// Result is the end of a wait.
type Result struct {
	Observation
	// Waited is the time from the first poll to the verdict.
	Waited time.Duration
	// Polls is the number of requests sent to the source.
	Polls int
}

// FailedError is a deployment that failed: a failure status, a failed
// sync, a Degraded application or a rollback past the commit.
type FailedError struct {
	Result Result
}

func (e *FailedError) Error() string {
	msg := "the deployment failed: " + e.Result.Detail
	if e.Result.Message != "" {
		msg += ": " + e.Result.Message
	}
	return msg
}

// TimeoutError is a wait that ran out of time before a verdict.
type TimeoutError struct {
	Result Result
	// Timeout is the time allowed.
	Timeout time.Duration
	// Last is the last error of a poll, when the last poll failed.
	Last error
	// Hint says what to do about it (default: raise --timeout, or check
	// that Argo CD watches the branch).
	Hint string
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("no verdict within %s: the last state seen was %s", e.Timeout, e.Result.Detail)
	if e.Result.Detail == "" {
		msg = fmt.Sprintf("no verdict within %s: no state was read", e.Timeout)
	}
	if e.Last != nil {
		msg += " (last poll: " + e.Last.Error() + ")"
	}
	if e.Hint == "" {
		return msg + ": raise --timeout, or check that Argo CD watches the branch"
	}
	return msg + ": " + e.Hint
}

// Unwrap returns context.DeadlineExceeded.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// Run polls src until it reports success (nil error), failure
// (*FailedError) or the timeout runs out (*TimeoutError). A poll that
// fails for the server (5xx, 429, the network) is tried again at the next
// interval, after the pause a Retry-After asked for when longer; a refused
// token or a missing application or repository ends the wait with that
// error.
func Run(ctx context.Context, src Source, opts ...Option) (Result, error) {
	o := options{clock: realClock{}, interval: DefaultInterval, max: DefaultMaxInterval, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	start := o.clock.Now()
	deadline := start.Add(o.timeout)
	interval := o.interval
	var res Result
	var last error
	for {
		// --timeout bounds the poll too: a server that takes the
		// request and never answers ends the wait at the deadline.
		pctx, cancel := context.WithTimeout(ctx, max(deadline.Sub(o.clock.Now()), time.Millisecond))
		obs, err := src.Poll(pctx)
		timedOut := pctx.Err() != nil && ctx.Err() == nil
		cancel()
		res.Polls++
		res.Waited = o.clock.Now().Sub(start)
		pause := interval
		switch {
		case err != nil && ctx.Err() != nil:
			return res, err
		case err != nil && timedOut:
			return res, &TimeoutError{Result: res, Timeout: o.timeout, Last: err}
		case err != nil && !transient(err):
			return res, err
		case err != nil:
			last = err
			pause = max(pause, retryAfter(err))
		default:
			last = nil
			if obs.Detail != res.Detail && o.onChange != nil {
				o.onChange(obs, res.Waited)
			}
			if o.onPoll != nil {
				o.onPoll(obs, res.Waited)
			}
			res.Observation = obs
			switch obs.State {
			case Succeeded:
				return res, nil
			case Failed:
				return res, &FailedError{Result: res}
			}
		}
		now := o.clock.Now()
		if !now.Before(deadline) {
			return res, &TimeoutError{Result: res, Timeout: o.timeout, Last: last}
		}
		pause = min(pause, deadline.Sub(now))
		if err := o.clock.Sleep(ctx, pause); err != nil {
			return res, err
		}
		interval = min(interval*3/2, o.max)
	}
}

// transient reports a poll error that the next poll may not meet.
func transient(err error) bool {
	return errors.Is(err, forge.ErrServer) || errors.Is(err, argocd.ErrServer) || errors.Is(err, gitrepo.ErrNetwork)
}

// retryAfter returns the pause the error's Retry-After asked for (the
// errors of pkg/argocd are *forge.Error too).
func retryAfter(err error) time.Duration {
	var fe *forge.Error
	if errors.As(err, &fe) {
		return fe.RetryAfter
	}
	return 0
}
