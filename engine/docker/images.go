package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"

	"github.com/pkgdriver/pkgdriver/engine"
)

// BuildImage builds with the classic builder (its "Step n/m" lines are what the progress and
// the error name), removing intermediate containers. A build is as long as it is; an engine
// that stops answering ends it (watch.go).
func (e *Engine) BuildImage(ctx context.Context, spec engine.BuildSpec) (string, error) {
	args := map[string]*string{}
	for k, v := range spec.Args {
		args[k] = &v
	}
	dockerfile := spec.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	log := spec.Log
	if log == nil {
		log = io.Discard
	}
	watch := e.watch(ctx)
	defer watch.stop()
	resp, err := e.api.ImageBuild(watch.Ctx, spec.Context, build.ImageBuildOptions{
		Dockerfile:  dockerfile,
		BuildArgs:   args,
		Tags:        spec.Tags,
		Labels:      spec.Labels,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
		NoCache:     spec.NoCache,
	})
	if err != nil {
		return "", wrapErr(watch.Err(err))
	}
	defer resp.Body.Close()
	id, err := readBuildStream(watch.Reader(resp.Body), log, spec.Progress)
	return id, watch.Err(err)
}

// InspectImage describes an image.
func (e *Engine) InspectImage(ctx context.Context, ref string) (engine.Image, error) {
	info, err := e.api.ImageInspect(ctx, ref)
	if err != nil {
		return engine.Image{}, wrapErr(fmt.Errorf("inspect image %s: %w", ref, err))
	}
	img := engine.Image{ID: info.ID, Tags: info.RepoTags}
	if info.Config != nil {
		img.Labels = info.Config.Labels
	}
	if t, err := parseTime(info.Created); err == nil {
		img.Created = t
	}
	return img, nil
}

// ListImages lists images by label and reference pattern.
func (e *Engine) ListImages(ctx context.Context, f engine.ImageFilter) ([]engine.Image, error) {
	args := filters.NewArgs()
	if f.Label.Key != "" {
		args.Add("label", f.Label.String())
	}
	if f.Reference != "" {
		args.Add("reference", f.Reference)
	}
	list, err := e.api.ImageList(ctx, image.ListOptions{Filters: args})
	if err != nil {
		return nil, wrapErr(fmt.Errorf("list images: %w", err))
	}
	out := make([]engine.Image, len(list))
	for i, img := range list {
		out[i] = engine.Image{ID: img.ID, Tags: img.RepoTags, Labels: img.Labels, Created: img.Created}
	}
	return out, nil
}

// TagImage tags an image.
func (e *Engine) TagImage(ctx context.Context, id, ref string) error {
	if err := e.api.ImageTag(ctx, id, ref); err != nil {
		return wrapErr(fmt.Errorf("tag %s as %s: %w", id, ref, err))
	}
	return nil
}

// RemoveImage removes a reference and the untagged parents it leaves.
func (e *Engine) RemoveImage(ctx context.Context, ref string) error {
	if _, err := e.api.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil {
		return wrapErr(fmt.Errorf("remove image %s: %w", ref, err))
	}
	return nil
}

// LabelImage commits a never-started container of image with LABEL changes: the labels land
// in the image's config without a build.
func (e *Engine) LabelImage(ctx context.Context, img string, labels map[string]string, comment string) (string, error) {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	changes := make([]string, 0, len(keys))
	for _, k := range keys {
		changes = append(changes, fmt.Sprintf("LABEL %s=%s", k, strconv.Quote(labels[k])))
	}
	c, err := e.api.ContainerCreate(ctx, &container.Config{Image: img, Labels: map[string]string{engine.LabelRole: "image-label"}}, nil, nil, nil, "")
	if err != nil {
		return "", wrapErr(fmt.Errorf("label image %s: %w", img, err))
	}
	defer func() {
		cctx, cancel := engine.CleanupContext(ctx)
		defer cancel()
		_ = e.Remove(cctx, c.ID)
	}()
	committed, err := e.api.ContainerCommit(ctx, c.ID, container.CommitOptions{Changes: changes, Comment: comment})
	if err != nil {
		return "", wrapErr(fmt.Errorf("label image %s: %w", img, err))
	}
	return committed.ID, nil
}

// PushImage runs one ImagePush and reads its stream to the end: a failed push arrives inside the
// stream, and the pushed manifest's digest is in its aux message. A push is as long as the
// upload takes; an engine that stops answering ends it.
func (e *Engine) PushImage(ctx context.Context, ref string, auth engine.RegistryAuth, log io.Writer) (engine.Pushed, error) {
	header, err := authHeader(auth)
	if err != nil {
		return engine.Pushed{}, fmt.Errorf("registry credentials: %w", err)
	}
	watch := e.watch(ctx)
	defer watch.stop()
	rc, err := e.api.ImagePush(watch.Ctx, ref, image.PushOptions{RegistryAuth: header})
	if err != nil {
		return engine.Pushed{}, wrapErr(watch.Err(err))
	}
	defer rc.Close()
	var pushed engine.Pushed
	err = readStream(watch.Reader(rc), log, nil, func(aux json.RawMessage) {
		var res struct {
			Digest string
			Size   int
		}
		if json.Unmarshal(aux, &res) == nil && res.Digest != "" {
			pushed.Digest, pushed.Size = res.Digest, res.Size
		}
	})
	err = watch.Err(err)
	var se *streamError
	switch {
	case errors.As(err, &se):
		if kind := streamErrorKind(se.Message); kind != nil {
			return engine.Pushed{}, &kindError{err: se, kind: kind}
		}
		return engine.Pushed{}, se
	case err != nil:
		return engine.Pushed{}, err
	case pushed.Digest == "":
		return engine.Pushed{}, errors.New("the engine reported no digest for the pushed image")
	}
	return pushed, nil
}

// authHeader is the X-Registry-Auth value the engine expects for a push.
func authHeader(a engine.RegistryAuth) (string, error) {
	return registry.EncodeAuthConfig(registry.AuthConfig{
		Username: a.Username, Password: a.Password, ServerAddress: a.ServerAddress,
		IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken,
	})
}

// streamErrorKind classifies an error message from inside a push stream. The stream carries only
// text (the registry's error code, such as "unauthorized: authentication required" or "name
// unknown", relayed by the engine), so the text is all there is to go by.
func streamErrorKind(msg string) error {
	m := strings.ToLower(msg)
	for _, s := range []string{"unauthorized", "authentication required", "no basic auth credentials", "denied", "forbidden"} {
		if strings.Contains(m, s) {
			return engine.ErrUnauthorized
		}
	}
	for _, s := range []string{"name unknown", "manifest unknown", "not found", "does not exist"} {
		if strings.Contains(m, s) {
			return engine.ErrNotFound
		}
	}
	return nil
}

// parseTime reads the engine's RFC 3339 creation time as Unix seconds.
func parseTime(s string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	return t.Unix(), nil
}
