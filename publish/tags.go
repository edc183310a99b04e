package publish

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/pkgdriver/pkgdriver/engine"
)

// tagDateLayout is the date part of a published tag.
const tagDateLayout = "2006-01-02"

// PublishTag is the tag a run publishes under: the run's day (UTC) and the OSv short commit,
// e.g. 2024-01-02_abc1234. A nightly of the same OSv commit gets a new tag every day, so a tag
// says which night's packages it holds.
func PublishTag(day time.Time, shortCommit string) string {
	return day.UTC().Format(tagDateLayout) + "_" + shortCommit
}

// parseDateTag reports whether tag has the PublishTag form, and its date.
func parseDateTag(tag string) (time.Time, bool) {
	date, commit, ok := strings.Cut(tag, "_")
	if !ok || commit == "" || strings.Trim(commit, "0123456789abcdef") != "" {
		return time.Time{}, false
	}
	day, err := time.Parse(tagDateLayout, date)
	return day, err == nil
}

// localTag is one <date>_<commit> tag of a repository on the engine.
type localTag struct {
	Tag     string
	Day     time.Time
	Created int64 // the image's creation time, to order two tags of the same day
}

// tagsToRemove keeps the newest keep date tags (by tag date, then image age) and returns the
// others; the pinned tag (the one just pushed) is never returned. latest is not a date tag, so it
// is never among them.
func tagsToRemove(tags []localTag, keep int, pinned string) []string {
	sorted := append([]localTag(nil), tags...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.Day.Equal(b.Day) {
			return a.Day.After(b.Day)
		}
		if a.Created != b.Created {
			return a.Created > b.Created
		}
		return a.Tag > b.Tag
	})
	var out []string
	for i, t := range sorted {
		if i >= keep && t.Tag != pinned {
			out = append(out, t.Tag)
		}
	}
	return out
}

// listDateTags returns the date tags repository has on the engine.
func listDateTags(ctx context.Context, images engine.Images, repository string) ([]localTag, error) {
	want, err := reference.ParseNormalizedNamed(repository)
	if err != nil {
		return nil, err
	}
	list, err := images.ListImages(ctx, engine.ImageFilter{Reference: repository})
	if err != nil {
		return nil, fmt.Errorf("list images of %s: %w", repository, err)
	}
	var tags []localTag
	for _, img := range list {
		for _, rt := range img.Tags {
			// The filter matches by pattern; the name is compared here exactly.
			named, err := reference.ParseNormalizedNamed(rt)
			if err != nil || named.Name() != want.Name() {
				continue
			}
			tagged, ok := named.(reference.Tagged)
			if !ok {
				continue
			}
			if day, ok := parseDateTag(tagged.Tag()); ok {
				tags = append(tags, localTag{Tag: tagged.Tag(), Day: day, Created: img.Created})
			}
		}
	}
	return tags, nil
}

// pruneTags removes the local date tags of repository beyond the newest keep, never latest nor
// pinned. An image left without tags goes with its last tag. A tag that cannot be removed (an
// image a container still uses) is reported, the others are removed anyway.
func pruneTags(ctx context.Context, images engine.Images, repository string, keep int, pinned string) ([]string, error) {
	tags, err := listDateTags(ctx, images, repository)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, tag := range tagsToRemove(tags, keep, pinned) {
		ref := repository + ":" + tag
		// Not ignoreGone: a conflict here is an image still in use, and that tag stays.
		if err := images.RemoveImage(ctx, ref); err != nil && !errors.Is(err, engine.ErrNotFound) {
			errs = append(errs, fmt.Errorf("remove %s: %w", ref, err))
			continue
		}
		removed = append(removed, ref)
	}
	return removed, errors.Join(errs...)
}
