package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/rs/zerolog"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/report"
)

// Config says what a publish does: `pkgdriver publish`, or `pkgdriver run --push` after
// its tests.
type Config struct {
	// Push makes `run` publish after its tests (`publish` always does).
	Push bool
	// PushOnFailure publishes even when a selected recipe did not build or its test failed.
	PushOnFailure bool
	// Repository is the image repository the toolchain image is pushed to, e.g.
	// registry.example.com/pkgdriver/capstan-packages; the packages image goes to
	// Repository+"-packages". Empty: nothing is pushed.
	Repository string
	// KeepTags, when positive, keeps that many date tags of each repository on the engine and
	// removes older ones (never latest, never the one just pushed).
	KeepTags int
	// PackagesTo is a Capstan repository directory that receives packages/ and mike/.
	PackagesTo string
}

// Validate checks the configuration without touching the engine or the disk.
func (c Config) Validate() error {
	var errs []error
	if c.KeepTags < 0 {
		errs = append(errs, fmt.Errorf("--keep-tags %d: must not be negative", c.KeepTags))
	}
	if c.Push && c.Repository == "" {
		errs = append(errs, errors.New("--push needs --repository"))
	}
	if c.Repository != "" {
		errs = append(errs, validateRepository(c.Repository))
	}
	if err := errors.Join(errs...); err != nil {
		return driver.UsageError(err)
	}
	return nil
}

func validateRepository(repo string) error {
	for _, name := range []string{repo, PackagesRepository(repo)} {
		named, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return fmt.Errorf("--repository %q: %w", repo, err)
		}
		if !reference.IsNameOnly(named) {
			return fmt.Errorf("--repository %q: give the repository without a tag or digest; tags are made from the date and the OSv commit", repo)
		}
	}
	return nil
}

// Publication is what a publish did. It is written to publish.json in the result directory;
// it never holds credentials.
type Publication struct {
	RunID string    `json:"run_id"`
	Time  time.Time `json:"time"`
	// Tag is the date tag pushed, beside latest.
	Tag         string        `json:"tag,omitempty"`
	Pushed      []PushedImage `json:"pushed,omitempty"`
	PackagesTo  string        `json:"packages_to,omitempty"`
	RemovedTags []string      `json:"removed_tags,omitempty"`
	// NotPublished says why nothing was published.
	NotPublished []string `json:"not_published,omitempty"`
	Error        string   `json:"error,omitempty"`
}

// NotPublishedError is a publish refused because the run did not build and pass every selected
// recipe (and PushOnFailure was not set).
type NotPublishedError struct{ Reasons []string }

func (e *NotPublishedError) Error() string {
	return "nothing was published (--push-on-failure publishes anyway): " + strings.Join(e.Reasons, "; ")
}

// Unwrap makes a refusal driver.ErrNotPublished: `run --push` skips its publish stage.
func (e *NotPublishedError) Unwrap() error { return driver.ErrNotPublished }

// Publisher tags and pushes a run's toolchain image and packages image, and copies its packages
// into a Capstan repository directory.
type Publisher struct {
	// Engine may be nil when nothing is pushed (Config.Repository is empty).
	Engine      engine.Engine
	Config      Config
	Layout      resultdir.Layout
	Credentials CredentialSource
	Log         zerolog.Logger
	// PushAttempts and PushBackoff govern retrying a push that failed for a reason other than
	// credentials or a missing image; zero: 3 attempts, 5s apart (then 10s).
	PushAttempts int
	PushBackoff  time.Duration
}

// Publish publishes the run rep describes, when every selected recipe built and no test failed
// (or Config.PushOnFailure): the copy into Config.PackagesTo first, then the pushes. The
// Publication is also written to publish.json.
func (p *Publisher) Publish(ctx context.Context, rep *report.Report) (*Publication, error) {
	pub := &Publication{RunID: rep.RunID, Time: time.Now().UTC()}
	err := p.publish(ctx, rep, pub)
	if err != nil {
		pub.Error = err.Error()
	}
	if werr := writePublication(p.Layout, pub); werr != nil {
		err = errors.Join(err, fmt.Errorf("publish.json: %w", werr))
	}
	return pub, err
}

func (p *Publisher) publish(ctx context.Context, rep *report.Report, pub *Publication) error {
	if err := p.Config.Validate(); err != nil {
		return err
	}
	if reasons := publishBlockers(rep); len(reasons) > 0 {
		if !p.Config.PushOnFailure {
			pub.NotPublished = reasons
			p.Log.Warn().Strs("reasons", reasons).Msg("nothing published: not every selected recipe built and passed (--push-on-failure publishes anyway)")
			return &NotPublishedError{Reasons: reasons}
		}
		p.Log.Warn().Strs("reasons", reasons).Msg("publishing although not every selected recipe built and passed (--push-on-failure)")
	}
	if dir := p.Config.PackagesTo; dir != "" {
		if err := CopyRepository(ctx, p.Layout, dir); err != nil {
			return err
		}
		pub.PackagesTo, _ = filepath.Abs(dir)
		p.Log.Info().Str("dir", pub.PackagesTo).Msg("packages copied into the Capstan repository")
	}
	if p.Config.Repository == "" {
		return nil
	}
	return p.push(ctx, rep, pub)
}

// publishBlockers are the reasons a run's result is not published: a selected recipe that did
// not build (built or cached), a test that failed, a run that stopped or broke. Recipes without
// a demo and tests skipped on request do not block.
func publishBlockers(rep *report.Report) []string {
	var out []string
	if rep.Status == report.RunCancelled || rep.Status == report.RunError {
		out = append(out, "the run ended with status "+string(rep.Status))
	}
	for _, r := range rep.Recipes {
		if r.Status != report.StatusNotBuilt && !r.Status.OK() {
			out = append(out, fmt.Sprintf("%s: build %s", r.Name, r.Status))
		}
		if t := r.Test; t != nil && t.Status.Broken() {
			out = append(out, fmt.Sprintf("%s: test %s", r.Name, t.Status))
		}
	}
	return out
}

func writePublication(l resultdir.Layout, pub *Publication) error {
	data, err := json.MarshalIndent(pub, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(l.Root, 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(l.PublishRecord(), append(data, '\n'), 0o644)
}

// Hook is what `run --push` sets as driver.Config.Publish: after the tests, a publish with cfg
// of what the run's report says, from the result directory resultDir, through the run's engine.
func Hook(cfg Config, resultDir string, log zerolog.Logger) func(context.Context, engine.Engine, *report.Report) error {
	return func(ctx context.Context, eng engine.Engine, rep *report.Report) error {
		p := &Publisher{Engine: eng, Config: cfg, Layout: resultdir.Layout{Root: resultDir}, Log: log}
		_, err := p.Publish(ctx, rep)
		return err
	}
}
