package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/log"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/pkg/registry"
)

// PushOptions are the inputs of `tagbump push`.
type PushOptions struct {
	From     string
	Image    string
	Registry registryFlags
	Output   outputFlag
}

// NewCmdPush builds `tagbump push`. runF replaces the command's work in
// tests.
func NewCmdPush(streams IOStreams, runF func(*PushOptions) error) *cobra.Command {
	opts := &PushOptions{}
	opts.Registry.Redactor = streams.Redactor
	cmd := &cobra.Command{
		Use:   "push --from PATH IMAGE",
		Short: "Push a built image under an immutable tag",
		Long: `Push the image at --from (a docker save tarball, or an OCI image layout
directory holding one image or a multi-platform index) to IMAGE
(registry/repository:tag). When the tag is absent the image is pushed,
skipping blobs the registry already has; when it exists with the same digest
nothing is written; when it exists with another digest tagbump refuses
(exit code 4) and the registry is unchanged.

Registries have no compare-and-swap for tags: tagbump uploads blobs and
manifest by digest, then checks the tag again right before writing it (a rival
push during the upload is refused, exit code 4, and keeps the tag) and once
more after writing it, so a rival in that last moment is detected afterwards
(exit code 4), not prevented.`,
		Example: `  docker save -o app.tar app:build && tagbump push --from app.tar registry.example.com/team/app:app-service-123
  tagbump push --from ./oci-layout registry.example.com/team/app:1.2.3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Image = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runPush(cmd, streams, opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "docker save tarball or OCI image layout directory to push (required)")
	opts.Registry.register(cmd.Flags())
	opts.Output.register(cmd.Flags())
	return cmd
}

func runPush(cmd *cobra.Command, streams IOStreams, opts *PushOptions) error {
	if opts.From == "" {
		return usageErr(errors.New("push: --from is required: give a docker save tarball or an OCI layout directory"))
	}
	ref, ropts, err := opts.Registry.setup(&opts.Output, opts.Image)
	if err != nil {
		return err
	}
	pr := newProgressReporter(streams.Err, logger(cmd.Context()), 5*time.Second)
	defer pr.done()
	res, err := registry.Push(cmd.Context(), opts.From, ref, append(ropts, registry.WithProgress(pr.report))...)
	pr.done()
	if err != nil {
		return err
	}
	if res.Pushed {
		logger(cmd.Context()).Info("pushed", "image", res.Image, "layers", res.Layers)
	} else {
		logger(cmd.Context()).Info("already in the registry with the same digest, nothing written", "image", res.Image)
	}
	return opts.Output.print(streams.Out, res.Image, res)
}

// progressReporter shows push progress: on a terminal a line redrawn in
// place, at most once per redraw interval; otherwise a log line at the
// first report and then one every interval from a ticker, with the last
// known state, so that a stalled upload still shows up in CI logs.
type progressReporter struct {
	w        io.Writer
	log      *log.Logger
	tty      bool
	interval time.Duration    // between log lines without a terminal
	redraw   time.Duration    // between redraws on a terminal
	now      func() time.Time // the clock of the redraw throttle

	mu       sync.Mutex
	last     registry.Progress
	seen     bool // a report came
	pending  bool // on a terminal: last is not drawn yet
	drawn    bool // on a terminal: a line is open
	lastDraw time.Time
	closed   bool
	stop     chan struct{} // closed by done to stop the ticker
	stopped  chan struct{} // closed by the ticker goroutine when it ends
}

func newProgressReporter(w io.Writer, l *log.Logger, interval time.Duration) *progressReporter {
	f, ok := w.(*os.File)
	tty := ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
	return &progressReporter{w: w, log: l, tty: tty, interval: interval, redraw: 100 * time.Millisecond, now: time.Now}
}

func (p *progressReporter) report(u registry.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.last = u
	if p.tty {
		if t := p.now(); !p.drawn || t.Sub(p.lastDraw) >= p.redraw {
			p.lastDraw = t
			p.draw()
		} else {
			p.pending = true
		}
		return
	}
	if !p.seen {
		p.seen = true
		p.logLast()
		if p.interval > 0 {
			p.stop, p.stopped = make(chan struct{}), make(chan struct{})
			go p.tick()
		}
	}
}

// tick logs the last known state every interval until done.
func (p *progressReporter) tick() {
	defer close(p.stopped)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.logLast()
			p.mu.Unlock()
		}
	}
}

// draw redraws the terminal line with the last state; p.mu is held.
func (p *progressReporter) draw() {
	fmt.Fprintf(p.w, "\r\033[Kpushing %d layers: %s / %s", p.last.Layers, mb(p.last.Complete), mb(p.last.Total))
	p.drawn, p.pending = true, false
}

// logLast logs the last state; p.mu is held.
func (p *progressReporter) logLast() {
	p.log.Info("pushing", "layers", p.last.Layers, "done", mb(p.last.Complete), "total", mb(p.last.Total))
}

// done stops the ticker, draws the last state a throttled terminal did
// not show and ends the line. It may be called more than once.
func (p *progressReporter) done() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.pending {
		p.draw()
	}
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	stop, stopped := p.stop, p.stopped
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
