package driver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkgdriver/pkgdriver/engine"
	"github.com/pkgdriver/pkgdriver/images"
	"github.com/pkgdriver/pkgdriver/internal/resultdir"
	"github.com/pkgdriver/pkgdriver/internal/tarball"
	"github.com/pkgdriver/pkgdriver/report"
)

// The toolchain image is built in two parts: the kernel image (images/toolchain/Dockerfile, or
// its incremental build: the base image, apt, the OSv tree with its kernel built, the ZFS
// builder), keyed by an input hash of its own context (the Dockerfiles and the OSv tree) and
// build arguments, and then the toolchain image, `capstan` added on top of it
// (toolchain_capstan.go). A new pkgdriver binary thus reuses the kernel image and costs one layer.

// Roles (LabelRole) of the images a toolchain build makes.
const (
	roleToolchain = "toolchain"
	roleKernel    = "toolchain-kernel"
	// roleStage marks an image as it comes out of a build, before its labels are added.
	roleStage = "toolchain-stage"
)

// labelKernelInput is a kernel image's input hash.
const labelKernelInput = "pkgdriver.toolchain.kernel-input"

// labelRebuildBase marks the fresh image of the base a --rebuild-image build starts from.
const labelRebuildBase = "pkgdriver.toolchain.rebuild-base"

// toolchainBuild is one Ensure: its inputs, the kernel's build context once written, and the log
// and progress its builds share.
type toolchainBuild struct {
	*ToolchainBuilder
	src  *osvSource
	args map[string]string

	kernelCtx  *tarball.Context // nil until written
	kernelHash string

	log      *os.File // the toolchain log, created by the first build
	progress *buildProgress
}

func (t *toolchainBuild) close() {
	if t.kernelCtx != nil {
		t.kernelCtx.Close()
	}
	if t.log != nil {
		t.log.Close()
	}
	if t.progress != nil {
		t.progress.Close()
	}
}

// kernelInput returns the kernel image's input hash. Writing the context of a large OSv tree
// takes seconds; when nothing it is made of changed since the last run (same files, sizes and
// times), the hash is already known.
func (t *toolchainBuild) kernelInput(ctx context.Context) (string, error) {
	fp, err := t.fingerprint(t.src, t.args)
	if err != nil {
		return "", err
	}
	if !t.Config.Rebuild {
		if input := t.knownInput(fp); input != "" {
			return input, nil
		}
	}
	if _, err := t.kernelContext(ctx); err != nil {
		return "", err
	}
	input := inputHash(t.kernelHash, t.args)
	t.rememberInput(fp, input)
	return input, nil
}

// kernelContext returns the kernel image's build context, writing it the first time.
func (t *toolchainBuild) kernelContext(ctx context.Context) (*tarball.Context, error) {
	if t.kernelCtx != nil {
		return t.kernelCtx, nil
	}
	c, err := newToolchainContext()
	if err != nil {
		return nil, err
	}
	hash, err := c.Write(func(tw *tarball.Writer) error { return t.writeContext(ctx, tw, t.src) })
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("toolchain build context: %w", err)
	}
	t.kernelCtx, t.kernelHash = c, hash
	return c, nil
}

// kernel returns the kernel image of input, building it when none exists or Rebuild is set;
// built says whether this run built it.
func (t *toolchainBuild) kernel(ctx context.Context, input string) (img *engine.Image, built bool, err error) {
	if !t.Config.Rebuild {
		if img, err := t.settled(ctx, labelKernelInput, input, roleKernel); err != nil || img != nil {
			if img != nil {
				t.Log.Info().Str("id", shortID(img.ID)).Msg("reusing the kernel image built from the same inputs; adding this capstan")
			}
			return img, false, err
		}
	}
	buildCtx, err := t.kernelContext(ctx)
	if err != nil {
		return nil, false, err
	}
	t.Log.Info().Str("osv", t.src.describe()).Str("log", t.LogPath).Msg("building the toolchain image")
	id, how, err := t.buildImage(ctx, buildCtx, t.src, t.args)
	if err != nil {
		return nil, false, err
	}
	img, err = t.finishKernel(ctx, id, input, how)
	if err != nil {
		return nil, false, err
	}
	// Another run may have finished the same inputs first; use the image every run settles on.
	if first, err := t.settled(ctx, labelKernelInput, input, roleKernel); err == nil && first != nil {
		return first, true, nil
	}
	return img, true, nil
}

// finishKernel reads the facts the build wrote and turns them into labels on a committed image.
func (t *toolchainBuild) finishKernel(ctx context.Context, id, input string, how map[string]string) (*engine.Image, error) {
	facts, err := t.readFacts(ctx, id)
	if err != nil {
		return nil, err
	}
	if facts["commit"] == "" {
		facts["commit"] = t.src.Commit
	}
	if t.src.Dirty() && !strings.HasSuffix(facts["commit"], dirtySuffix) {
		facts["commit"] += dirtySuffix
	}
	labels := map[string]string{
		labelKernelInput: input,
		labelCommit:      facts["commit"],
		labelCommitTime:  facts["commit_time"],
		labelDescribe:    facts["describe"],
		labelPlatform:    facts["platform"],
		labelRebuilt:     t.rebuiltLabel(),
		LabelRole:        roleKernel,
	}
	for k, v := range how {
		labels[k] = v
	}
	committed, err := t.Engine.LabelImage(ctx, id, labels, "pkgdriver toolchain kernel")
	if err != nil {
		return nil, fmt.Errorf("label the kernel image: %w", err)
	}
	// Tagged, or the engine would list it among the intermediate images of the toolchain images
	// built on it, which no listing shows: one tag per kernel input, so no other kernel takes it.
	if err := t.Engine.TagImage(ctx, committed, t.kernelRef(input)); err != nil {
		return nil, fmt.Errorf("tag the kernel image: %w", err)
	}
	img, err := t.Engine.InspectImage(ctx, committed)
	if err != nil {
		return nil, fmt.Errorf("inspect the kernel image: %w", err)
	}
	return &img, nil
}

// kernelRef is the kernel image's tag: <repository>-kernel:<the input hash's first 16 digits>.
func (t *toolchainBuild) kernelRef(input string) string {
	repo := t.Config.Repository
	if repo == "" {
		repo = DefaultToolchainRepository
	}
	return repo + "-kernel:" + input[:min(len(input), 16)]
}

// rebuildBase makes the image a --rebuild-image build starts from: the base image with a label
// of this build's own, so that no layer the build makes has the layer-cache key of an earlier
// one's (the engine's classic builder would take the newest of equal layers from then on, and
// other builds of the base would miss theirs), and yet nothing comes from the cache.
func (t *toolchainBuild) rebuildBase(ctx context.Context) (string, error) {
	dockerfile, err := images.ToolchainRebuildBase(fmt.Sprintf("%s=%q", labelRebuildBase, t.rebuiltLabel()))
	if err != nil {
		return "", err
	}
	args := map[string]string{}
	if base, ok := t.args["BASE_IMAGE"]; ok {
		args["BASE_IMAGE"] = base
	}
	return t.buildSmall(ctx, func(tw *tarball.Writer) error { return tw.Bytes("Dockerfile", dockerfile, 0o644) }, args, "")
}

// newToolchainContext makes an empty build context file. The PID in its name lets a later run
// remove it if this process is killed.
func newToolchainContext() (*tarball.Context, error) {
	return tarball.NewContext(fmt.Sprintf("%s%d-*.tar", contextTempPrefix, os.Getpid()))
}

// buildSmall builds dockerfile from a context of its own, which fill writes.
func (t *toolchainBuild) buildSmall(ctx context.Context, fill func(*tarball.Writer) error, args map[string]string, dockerfile string) (string, error) {
	c, err := newToolchainContext()
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := c.Write(fill); err != nil {
		return "", fmt.Errorf("toolchain build context: %w", err)
	}
	return t.build(ctx, c, args, dockerfile)
}

// build builds the image from dockerfile (empty: Dockerfile) in the context and streams its
// output into the toolchain log, after the output of this Ensure's earlier builds.
func (t *toolchainBuild) build(ctx context.Context, buildCtx *tarball.Context, args map[string]string, dockerfile string) (string, error) {
	if t.log == nil {
		if err := os.MkdirAll(filepath.Dir(t.LogPath), 0o755); err != nil {
			return "", err
		}
		f, err := os.Create(t.LogPath)
		if err != nil {
			return "", err
		}
		t.log, t.progress = f, newBuildProgress(t.Log, t.Progress)
	} else {
		t.progress.nextBuild()
	}
	id, err := buildCtx.Build(ctx, t.Engine, engine.BuildSpec{
		Dockerfile: dockerfile,
		Args:       args,
		Labels:     map[string]string{LabelRole: roleStage},
		Log:        t.log,
		Progress:   t.progress,
	})
	var be *engine.BuildError
	if errors.As(err, &be) {
		return "", &BuildError{Step: be.Step, Message: be.Message, Tail: be.Tail}
	}
	if err != nil {
		return "", fmt.Errorf("toolchain image build: %w", err)
	}
	return id, nil
}

func shortID(id string) string { return (&report.Toolchain{ID: id}).ShortID() }

// fingerprint identifies the kernel's build context by file metadata instead of content.
func (b *ToolchainBuilder) fingerprint(src *osvSource, args map[string]string) (string, error) {
	h := sha256.New()
	h.Write(images.ToolchainDockerfile)
	h.Write(images.ToolchainIncremental)
	fmt.Fprintf(h, "\nargs %s\n", inputHash("", args))
	for _, p := range src.paths() {
		fi, err := os.Lstat(p)
		if os.IsNotExist(err) {
			fmt.Fprintf(h, "%q missing\n", p)
			continue
		}
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%q %d %d %o\n", p, fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s *osvSource) paths() []string {
	out := make([]string, len(s.Files))
	for i, f := range s.Files {
		out[i] = filepath.Join(s.Dir, f)
	}
	return out
}

// toolchainState remembers the kernel input hash of the last kernel context written.
type toolchainState struct {
	Fingerprint string `json:"kernel_fingerprint"`
	Input       string `json:"kernel_input"`
}

func (b *ToolchainBuilder) knownInput(fp string) string {
	if b.StatePath == "" {
		return ""
	}
	var st toolchainState
	if !resultdir.ReadState(b.StatePath, &st) || st.Fingerprint != fp {
		return ""
	}
	return st.Input
}

func (b *ToolchainBuilder) rememberInput(fp, input string) {
	if b.StatePath == "" {
		return
	}
	_ = resultdir.WriteState(b.StatePath, toolchainState{Fingerprint: fp, Input: input})
}
