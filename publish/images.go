package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pkgdriver/pkgdriver/driver"
	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/report"
)

const (
	defaultPushAttempts = 3
	defaultPushBackoff  = 5 * time.Second
)

// push tags the toolchain image and builds the packages image under today's date tag and
// latest, and pushes them: both date tags first, so latest only moves once the night's images
// are all in the registry.
func (p *Publisher) push(ctx context.Context, rep *report.Report, pub *Publication) error {
	if p.Engine == nil {
		return errors.New("publish: no engine")
	}
	tc := rep.Toolchain
	if tc == nil || tc.ID == "" || tc.Commit == "" {
		return errors.New("the report names no toolchain image (the run stopped before it was ready), so there is nothing to push")
	}
	day := rep.Start
	if day.IsZero() {
		day = time.Now()
	}
	tag := PublishTag(day, tc.ShortCommit())
	pub.Tag = tag
	repo, pkgRepo := p.Config.Repository, PackagesRepository(p.Config.Repository)

	creds, err := p.Credentials.Lookup(ctx, repo)
	if err != nil {
		return fmt.Errorf("registry credentials: %w", err)
	}
	// Where the credentials came from, never what they are.
	p.Log.Debug().Str("registry", creds.ServerAddress).Str("source", creds.Source).
		Bool("authenticated", !creds.Empty()).Msg("registry credentials")

	if err := os.MkdirAll(p.Layout.LogDir(), 0o755); err != nil {
		return err
	}
	logf, err := os.Create(p.Layout.PublishLog())
	if err != nil {
		return err
	}
	defer logf.Close()
	ps := &pusher{
		Engine: p.Engine, Auth: creds.auth(), Log: p.Log, Progress: logf,
		Attempts: p.PushAttempts, Backoff: p.PushBackoff,
	}
	if ps.Attempts == 0 {
		ps.Attempts = defaultPushAttempts
	}
	if ps.Backoff == 0 {
		ps.Backoff = defaultPushBackoff
	}

	for _, ref := range []string{repo + ":" + tag, repo + ":latest"} {
		if err := p.Engine.TagImage(ctx, tc.ID, ref); err != nil {
			return fmt.Errorf("tag toolchain image %s as %s: %w", tc.ShortID(), ref, err)
		}
	}
	labels := map[string]string{
		driver.LabelOSVCommit: tc.Commit,
		labelSourceRun:        rep.RunID,
		engine.LabelRole:      "packages",
		labelOCIRevision:      tc.Commit,
		labelOCIVersion:       tag,
	}
	p.Log.Info().Str("image", pkgRepo+":"+tag).Str("log", p.Layout.PublishLog()).Msg("building the packages image")
	if _, err := buildPackagesImage(ctx, p.Engine, p.Layout, labels, []string{pkgRepo + ":" + tag, pkgRepo + ":latest"}, logf); err != nil {
		return err
	}

	for _, ref := range []string{repo + ":" + tag, pkgRepo + ":" + tag, repo + ":latest", pkgRepo + ":latest"} {
		pushed, err := ps.push(ctx, ref)
		if err != nil {
			return err
		}
		pub.Pushed = append(pub.Pushed, pushed)
		p.Log.Info().Str("image", ref).Str("digest", pushed.Digest).Msg("pushed")
	}

	if p.Config.KeepTags > 0 {
		for _, r := range []string{repo, pkgRepo} {
			removed, err := pruneTags(ctx, p.Engine, r, p.Config.KeepTags, tag)
			pub.RemovedTags = append(pub.RemovedTags, removed...)
			if err != nil {
				// Housekeeping: what was pushed is pushed; a tag left behind only costs disk.
				p.Log.Warn().Err(err).Str("repository", r).Msg("--keep-tags: some older tags were not removed")
			}
		}
		if len(pub.RemovedTags) > 0 {
			p.Log.Info().Strs("tags", pub.RemovedTags).Msg("--keep-tags: removed older tags")
		}
	}
	return nil
}
