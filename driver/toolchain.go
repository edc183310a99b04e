package driver

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/images"
	"github.com/pkgdriver/pkgdriver/internal/fsutil"
	"github.com/pkgdriver/pkgdriver/internal/tarball"
	"github.com/pkgdriver/pkgdriver/report"
)

// LabelOSVCommit is the OSv commit a toolchain image (and the packages image published from
// it) was built from.
const LabelOSVCommit = "pkgdriver.osv.commit"

// Toolchain image labels. The toolchain image is a kernel image (see toolchain_kernel.go) with
// `capstan` added; each carries its own input hash, and the toolchain image also the kernel
// image's labels.
const (
	labelInput = "pkgdriver.toolchain.input"
	// labelKernel is, on a toolchain image, the kernel image it was built from.
	labelKernel     = "pkgdriver.toolchain.kernel"
	labelCommit     = LabelOSVCommit
	labelCommitTime = "pkgdriver.osv.commit-time"
	labelDescribe   = "pkgdriver.osv.version"
	labelPlatform   = "pkgdriver.platform"
	// labelRebuilt is the time (Unix nanoseconds) of a --rebuild-image build: among images of
	// the same inputs, the latest rebuild wins over older images.
	labelRebuilt = "pkgdriver.toolchain.rebuilt"
	// toolchainFacts is written by the Dockerfile and read back into labels.
	toolchainFacts = "/etc/pkgdriver-toolchain"
)

// BuildError is a failed toolchain image build: the step that failed and the last lines of its
// output.
type BuildError struct {
	Step    string
	Message string
	Tail    []string
}

func (e *BuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "toolchain image build failed")
	if e.Step != "" {
		fmt.Fprintf(&b, " at %s", e.Step)
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	if len(e.Tail) > 0 {
		fmt.Fprintf(&b, "\n  last lines of its output:\n    %s", strings.Join(e.Tail, "\n    "))
	}
	return b.String()
}

// ToolchainBuilder builds or reuses the toolchain image.
type ToolchainBuilder struct {
	Engine engine.Engine
	Config ImageConfig
	// Capstan is the pkgdriver binary put in the image as `capstan`; empty: this executable.
	Capstan string
	LogPath string
	// StatePath remembers the input hash of the last context written (optional).
	StatePath string
	Log       zerolog.Logger
	// Progress is a terminal to show a build's progress on, one line redrawn; nil: one log
	// event per Dockerfile step.
	Progress io.Writer
	Now      func() time.Time
}

// Ensure returns the toolchain image for the configuration: an image with the same input hash
// when one exists (and Rebuild is not set), else `capstan` added to the kernel image of the same
// kernel inputs, which is built first when none exists (or Rebuild is set).
func (b *ToolchainBuilder) Ensure(ctx context.Context) (*Toolchain, error) {
	src, err := resolveSource(ctx, b.Config)
	if err != nil {
		return nil, err
	}
	if src.Dirty() {
		b.Log.Warn().Str("osv", src.Dir).Str("commit", src.LabelCommit()).Int("changes", len(src.Changes)).
			Strs("first", src.Changes[:min(len(src.Changes), maxListedChanges)]).
			Msg("--allow-dirty: building the OSv checkout as it is, not its commit")
	}
	t := &toolchainBuild{ToolchainBuilder: b, src: src, args: b.buildArgs(src)}
	defer t.close()
	kernelInput, err := t.kernelInput(ctx)
	if err != nil {
		return nil, err
	}
	capstan, err := b.capstan()
	if err != nil {
		return nil, err
	}
	capstanDigest, err := fsutil.SHA256File(capstan)
	if err != nil {
		return nil, fmt.Errorf("capstan: %w", err)
	}
	input := toolchainInput(kernelInput, capstanDigest)
	if !b.Config.Rebuild {
		if tc, err := b.find(ctx, input, ""); err != nil || tc != nil {
			return tc, err
		}
	}
	kernel, built, err := t.kernel(ctx, kernelInput)
	if err != nil {
		return nil, err
	}
	tc, err := t.addCapstan(ctx, kernel, input, capstan)
	if err != nil {
		return nil, err
	}
	tc.KernelReused = !built
	// Another run may have finished the same inputs first; use the image every run settles on.
	if first, err := b.find(ctx, input, tc.ID); err == nil && first != nil {
		first.KernelReused = !built
		return first, nil
	}
	return tc, nil
}

func (s *osvSource) describe() string {
	if s.Dir != "" {
		return s.Dir + " at " + s.Commit
	}
	return s.Repo + " " + s.Ref
}

// writeContext writes the kernel image's build context: its Dockerfiles and the OSv tree.
func (b *ToolchainBuilder) writeContext(ctx context.Context, tw *tarball.Writer, src *osvSource) error {
	if err := tw.Bytes("Dockerfile", images.ToolchainDockerfile, 0o644); err != nil {
		return err
	}
	// Both builds' Dockerfiles, so the context, and the input hash, do not depend on which runs.
	incremental, err := images.ToolchainIncrementalDockerfile()
	if err != nil {
		return err
	}
	if err := tw.Bytes(incrementalDockerfile, incremental, 0o644); err != nil {
		return err
	}
	if err := tw.Dir("osv", 0o755); err != nil {
		return err
	}
	for _, f := range src.Files {
		err := tw.File(ctx, filepath.Join(src.Dir, f), path.Join("osv", f))
		if os.IsNotExist(err) {
			continue // tracked but deleted in the work tree
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *ToolchainBuilder) buildArgs(src *osvSource) map[string]string {
	args := map[string]string{}
	for k, v := range b.Config.BuildArgs {
		args[k] = v
	}
	if b.Config.BaseImage != "" {
		args["BASE_IMAGE"] = b.Config.BaseImage
	}
	if b.Config.OSVBuildArgs != "" {
		args["OSV_BUILD_ARGS"] = b.Config.OSVBuildArgs
	}
	args["OSV_COMMIT"] = src.Commit
	if src.Dirty() {
		// After the kernel step in the Dockerfile: a clean tree's layers are not affected.
		args["OSV_DIRTY"] = "1"
	}
	if src.Dir != "" {
		args["OSV_DESCRIBE"] = src.Describe
		args["OSV_COMMIT_TIME"] = strconv.FormatInt(src.CommitTime.Unix(), 10)
	} else {
		args["OSV_REPO"], args["OSV_REF"] = src.Repo, src.Ref
	}
	return args
}

func inputHash(contextHash string, args map[string]string) string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "context %s\n", contextHash)
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, args[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// find returns the toolchain image a run of these inputs uses, tagged, or nil when there is none
// or it is the image self this run just built.
func (b *ToolchainBuilder) find(ctx context.Context, input, self string) (*Toolchain, error) {
	img, err := b.settled(ctx, labelInput, input, roleToolchain)
	if err != nil || img == nil || img.ID == self {
		return nil, err
	}
	tc, err := b.describeImage(ctx, img.ID)
	if err != nil {
		return nil, err
	}
	tc.Reused, tc.KernelReused = true, true
	b.Log.Info().Str("image", tc.Tags[0]).Str("id", tc.ShortID()).Msg("reusing the toolchain image built from the same inputs")
	return tc, b.tag(ctx, tc)
}

// settled returns the image of role whose label key is input that runs of these inputs use (the
// latest --rebuild-image build, else the oldest image), or nil when there is none.
func (b *ToolchainBuilder) settled(ctx context.Context, key, input, role string) (*engine.Image, error) {
	list, err := b.Engine.ListImages(ctx, engine.ImageFilter{Label: engine.Selector{Key: key, Value: input}})
	if err != nil {
		return nil, fmt.Errorf("list toolchain images: %w", err)
	}
	// A toolchain image carries its kernel image's labels too.
	list = slices.DeleteFunc(list, func(img engine.Image) bool { return img.Labels[LabelRole] != role })
	if len(list) == 0 {
		return nil, nil
	}
	// The oldest: when two runs built the same inputs at once, every later run settles on the
	// first image made, so caches keyed by the image ID stay valid. An image built with
	// --rebuild-image replaces the ones before it.
	rebuilt := func(i int) int64 {
		n, _ := strconv.ParseInt(list[i].Labels[labelRebuilt], 10, 64)
		return n
	}
	sort.Slice(list, func(i, j int) bool {
		if ri, rj := rebuilt(i), rebuilt(j); ri != rj {
			return ri > rj
		}
		if list[i].Created != list[j].Created {
			return list[i].Created < list[j].Created
		}
		return list[i].ID < list[j].ID
	})
	return &list[0], nil
}

// rebuiltLabel is the value of labelRebuilt on an image this run builds: the time of a
// --rebuild-image build, else empty (an image does not inherit its base's).
func (b *ToolchainBuilder) rebuiltLabel() string {
	if !b.Config.Rebuild {
		return ""
	}
	return strconv.FormatInt(b.now().UnixNano(), 10)
}

func (b *ToolchainBuilder) readFacts(ctx context.Context, id string) (map[string]string, error) {
	cid, err := b.Engine.Create(ctx, engine.ContainerSpec{Image: id, Labels: map[string]string{LabelRole: "toolchain-facts"}, NoNetwork: true})
	if err != nil {
		return nil, fmt.Errorf("read toolchain facts: %w", err)
	}
	defer b.remove(ctx, cid)
	data, err := readFileFromContainer(ctx, b.Engine, cid, toolchainFacts, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("read toolchain facts: %w", err)
	}
	facts := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			facts[k] = v
		}
	}
	return facts, nil
}

func (b *ToolchainBuilder) remove(ctx context.Context, id string) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := b.Engine.Remove(cctx, id); err != nil {
		b.Log.Warn().Err(err).Msg("cleanup")
	}
}

// removeImage removes an image this run made and no longer needs; a failure only warns.
func (b *ToolchainBuilder) removeImage(ctx context.Context, id string) {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := b.Engine.RemoveImage(cctx, id); err != nil {
		b.Log.Warn().Err(err).Str("image", id).Msg("cleanup")
	}
}

// describeImage turns an image's labels into a Toolchain.
func (b *ToolchainBuilder) describeImage(ctx context.Context, id string) (*Toolchain, error) {
	info, err := b.Engine.InspectImage(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inspect toolchain image: %w", err)
	}
	l := info.Labels
	tc := &Toolchain{Toolchain: report.Toolchain{
		ID: info.ID, Commit: l[labelCommit], Describe: l[labelDescribe],
		Platform: l[labelPlatform], InputHash: l[labelInput], BuiltOn: l[labelBuiltOn], KernelImage: l[labelKernel],
	}, repoTags: info.Tags}
	if secs, err := strconv.ParseInt(l[labelCommitTime], 10, 64); err == nil {
		tc.CommitTime = time.Unix(secs, 0).UTC()
	}
	repo := b.Config.Repository
	if repo == "" {
		repo = DefaultToolchainRepository
	}
	// The tag carries the day the image was built, also when a later run reuses it.
	built := b.now()
	if info.Created > 0 {
		built = time.Unix(info.Created, 0)
	}
	day := built.UTC().Format("2006-01-02")
	tc.Tags = []string{fmt.Sprintf("%s:%s_%s", repo, day, tc.ShortCommit()), repo + ":latest"}
	return tc, nil
}

func (b *ToolchainBuilder) tag(ctx context.Context, tc *Toolchain) error {
	for _, t := range tc.Tags {
		if slices.Contains(tc.repoTags, t) {
			continue // already there: a run with nothing changed makes no engine writes
		}
		if err := b.Engine.TagImage(ctx, tc.ID, t); err != nil {
			return fmt.Errorf("tag toolchain image %s: %w", t, err)
		}
	}
	return nil
}

func (b *ToolchainBuilder) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// contextTempPrefix names the build context's temporary file (in the system's temporary
// directory, not the result directory, which may be small).
const contextTempPrefix = "pkgdriver-context-"

// DefaultToolchainRepository is the local name of the toolchain image.
const DefaultToolchainRepository = "pkgdriver/toolchain"

// capstan is the binary put in the image as capstan: Capstan, else this executable.
func (b *ToolchainBuilder) capstan() (string, error) {
	if b.Capstan != "" {
		return b.Capstan, nil
	}
	return os.Executable()
}
