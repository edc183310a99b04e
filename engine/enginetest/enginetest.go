// Package enginetest is an in-memory engine.Engine for unit tests: containers are file maps
// that tar streams go in and out of, runs are scripted, failures are injected per call, and
// every call is recorded. The real engine remains the proof; this lets every stage's paths run
// in `go test -short`.
package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pkgdriver/pkgdriver/engine"
)

// File is a file, directory or symlink in a container or image.
type File struct {
	Data []byte
	Mode int64 // permission bits; 0: 0o644 for files, 0o755 for directories
	Dir  bool
	Link string // symlink target
}

// Container is a container of the fake.
type Container struct {
	ID   string
	Spec engine.ContainerSpec
	// Files by absolute path: the image's, what CopyIn put there, what Run wrote.
	Files   map[string]File
	Started bool
	Removed bool
}

// Call is one recorded call: the method and its main arguments (ids, paths, images, refs), and
// for Create the spec.
type Call struct {
	Method string
	Args   []string
	Spec   *engine.ContainerSpec
}

func (c Call) String() string { return c.Method + "(" + strings.Join(c.Args, ", ") + ")" }

// RunFunc scripts what a started container does: write output, change c.Files, and end.
type RunFunc func(ctx context.Context, c *Container, stdout, stderr io.Writer) (engine.Exit, error)

// Engine is the fake. The zero value is not usable: call New.
type Engine struct {
	// RunScript scripts every container's run; nil: exit 0 at once.
	RunScript RunFunc
	// BuildScript scripts image builds; nil: a build that succeeds, adding an image with the spec's
	// labels and tags (and the files of BuildFiles).
	BuildScript func(ctx context.Context, spec engine.BuildSpec) (string, error)
	// BuildFiles are the files every image built by default holds.
	BuildFiles map[string]File
	// PushScript scripts pushes; nil: a push that succeeds with a digest made from ref.
	PushScript func(ctx context.Context, ref string, auth engine.RegistryAuth, log io.Writer) (engine.Pushed, error)
	// Err injects failures: called before each call, a non-nil error fails it.
	Err func(c Call) error
	// InfoValue is what Info returns.
	InfoValue engine.Info
	// ImageDirVolumes: CreateImageDirVolume makes a volume; false: it is ErrNotSupported, as on
	// an engine whose image storage cannot be layered.
	ImageDirVolumes bool

	mu         sync.Mutex
	next       int
	calls      []Call
	containers map[string]*Container
	images     map[string]*imageEntry // by id
	volumes    map[string]engine.Volume
	closed     bool
}

type imageEntry struct {
	engine.Image
	files map[string]File
}

var _ engine.Engine = (*Engine)(nil)

// New returns an empty fake engine with 4 CPUs.
func New() *Engine {
	return &Engine{
		InfoValue:  engine.Info{Name: "fake", CPUs: 4, Memory: 8 << 30, OS: "linux", Arch: "amd64", Version: "test"},
		containers: map[string]*Container{},
		images:     map[string]*imageEntry{},
		volumes:    map[string]engine.Volume{},
	}
}

// AddImage makes an image known, with its files; it returns its id.
func (e *Engine) AddImage(img engine.Image, files map[string]File) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addImage(img, files)
}

func (e *Engine) addImage(img engine.Image, files map[string]File) string {
	if img.ID == "" {
		e.next++
		img.ID = digest(fmt.Sprint("image", e.next))
	}
	if img.Created == 0 {
		img.Created = time.Now().Unix() + int64(e.next)
	}
	for _, t := range img.Tags {
		e.untag(t)
	}
	e.images[img.ID] = &imageEntry{Image: img, files: files}
	return img.ID
}

func (e *Engine) untag(ref string) {
	for _, im := range e.images {
		im.Tags = slices.DeleteFunc(im.Tags, func(t string) bool { return t == ref })
	}
}

// lookup finds an image by id or tag.
func (e *Engine) lookup(ref string) *imageEntry {
	if im, ok := e.images[ref]; ok {
		return im
	}
	for _, im := range e.images {
		if slices.Contains(im.Tags, ref) || slices.Contains(im.Tags, ref+":latest") {
			return im
		}
	}
	return nil
}

// Calls returns the calls so far, in order.
func (e *Engine) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

// Methods returns the method names of the calls so far, in order.
func (e *Engine) Methods() []string {
	var out []string
	for _, c := range e.Calls() {
		out = append(out, c.Method)
	}
	return out
}

// Container returns a container by id, removed ones included (nil if never made).
func (e *Engine) Container(id string) *Container {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.containers[id]
}

// Containers returns every container made, removed ones included, in creation order.
func (e *Engine) Containers() []*Container {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Container, 0, len(e.containers))
	for _, c := range e.containers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Live returns the containers and volumes that exist now (what a run left behind).
func (e *Engine) Live() (containers []*Container, volumes []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.containers {
		if !c.Removed {
			containers = append(containers, c)
		}
	}
	for name := range e.volumes {
		volumes = append(volumes, name)
	}
	sort.Strings(volumes)
	return containers, volumes
}

// Images returns the images the fake holds.
func (e *Engine) Images() []engine.Image {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []engine.Image
	for _, im := range e.images {
		out = append(out, im.Image)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Closed reports whether Close was called.
func (e *Engine) Closed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// call records a call and returns the injected error for it, if any.
func (e *Engine) call(method string, args ...string) error {
	return e.record(Call{Method: method, Args: args})
}

func (e *Engine) record(c Call) error {
	e.mu.Lock()
	e.calls = append(e.calls, c)
	inject := e.Err
	e.mu.Unlock()
	if inject != nil {
		return inject(c)
	}
	return nil
}

// Create implements engine.Containers; the image must be known.
func (e *Engine) Create(ctx context.Context, spec engine.ContainerSpec) (string, error) {
	if err := e.record(Call{Method: "Create", Args: []string{spec.Image}, Spec: &spec}); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	im := e.lookup(spec.Image)
	if im == nil {
		return "", fmt.Errorf("create container from %s: no such image: %w", spec.Image, engine.ErrNotFound)
	}
	e.next++
	c := &Container{ID: fmt.Sprintf("c%04d%s", e.next, digest(spec.Image)[7:15]), Spec: spec, Files: map[string]File{}}
	for p, f := range im.files {
		c.Files[p] = f
	}
	e.containers[c.ID] = c
	return c.ID, nil
}

func (e *Engine) container(id string) (*Container, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[id]
	if c == nil || c.Removed {
		return nil, fmt.Errorf("no such container %s: %w", id, engine.ErrNotFound)
	}
	return c, nil
}

// CopyIn implements engine.Containers: the tar's entries land under dir.
func (e *Engine) CopyIn(ctx context.Context, id, dir string, content io.Reader) error {
	if err := e.call("CopyIn", id, dir); err != nil {
		return err
	}
	c, err := e.container(id)
	if err != nil {
		return err
	}
	tr := tar.NewReader(content)
	files := map[string]File{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("copy into container %s: %w", id, err)
		}
		p := path.Join(dir, hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			files[p] = File{Dir: true, Mode: hdr.Mode}
		case tar.TypeSymlink:
			files[p] = File{Link: hdr.Linkname}
		case tar.TypeLink:
			files[p] = files[path.Join(dir, hdr.Linkname)]
		default:
			data, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			files[p] = File{Data: data, Mode: hdr.Mode}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for p, f := range files {
		c.Files[p] = f
	}
	return nil
}

// Run implements engine.Containers with the RunScript. A ctx that ends first stops it with
// the context's cause and exit code 137, as a kill does.
func (e *Engine) Run(ctx context.Context, id string, stdout, stderr io.Writer) (engine.Exit, error) {
	if err := e.call("Run", id); err != nil {
		return engine.Exit{}, err
	}
	c, err := e.container(id)
	if err != nil {
		return engine.Exit{}, err
	}
	e.mu.Lock()
	c.Started = true
	run := e.RunScript
	e.mu.Unlock()
	if run == nil {
		return engine.Exit{}, nil
	}
	type result struct {
		exit engine.Exit
		err  error
	}
	done := make(chan result, 1)
	go func() {
		exit, err := run(ctx, c, stdout, stderr)
		done <- result{exit, err}
	}()
	select {
	case r := <-done:
		if ctx.Err() != nil {
			return engine.Exit{Code: 137}, context.Cause(ctx)
		}
		return r.exit, r.err
	case <-ctx.Done():
		<-done // a script must return when its ctx ends
		return engine.Exit{Code: 137}, context.Cause(ctx)
	}
}

// CopyOut implements engine.Containers: a tar whose top entry is path's base name.
func (e *Engine) CopyOut(ctx context.Context, id, p string) (io.ReadCloser, error) {
	if err := e.call("CopyOut", id, p); err != nil {
		return nil, err
	}
	c, err := e.container(id)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p = path.Clean(p)
	top, ok := c.Files[p]
	if !ok {
		// A directory exists when something is under it.
		for q := range c.Files {
			if strings.HasPrefix(q, p+"/") {
				top, ok = File{Dir: true}, true
				break
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("copy %s out of container %s: %w", p, id, engine.ErrNotFound)
	}
	var names []string
	for q := range c.Files {
		if strings.HasPrefix(q, p+"/") {
			names = append(names, q)
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	base := path.Base(p)
	write := func(name string, f File) error {
		hdr := &tar.Header{Name: name, Mode: f.Mode, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		switch {
		case f.Dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
			if hdr.Mode == 0 {
				hdr.Mode = 0o755
			}
		case f.Link != "":
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Link, 0o777
		default:
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.Data))
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(f.Data)
		return err
	}
	dirs := map[string]bool{}
	if err := write(base, top); err != nil {
		return nil, err
	}
	for _, q := range names {
		rel := strings.TrimPrefix(q, p+"/")
		// Parents not listed themselves get a directory entry first.
		for d := path.Dir(rel); d != "." && !dirs[d]; d = path.Dir(d) {
			if _, listed := c.Files[p+"/"+d]; !listed {
				dirs[d] = true
				if err := write(base+"/"+d, File{Dir: true}); err != nil {
					return nil, err
				}
			}
		}
		if err := write(base+"/"+rel, c.Files[q]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

// Remove implements engine.Containers; a container already gone is fine.
func (e *Engine) Remove(ctx context.Context, id string) error {
	if err := e.call("Remove", id); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.containers[id]; c != nil {
		c.Removed = true
	}
	return nil
}

// ListContainers implements engine.Containers.
func (e *Engine) ListContainers(ctx context.Context, sel engine.Selector) ([]engine.Container, error) {
	if err := e.call("ListContainers", sel.String()); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []engine.Container
	for _, c := range e.containers {
		if !c.Removed && sel.Matches(c.Spec.Labels) {
			out = append(out, engine.Container{ID: c.ID, Labels: c.Spec.Labels})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// CreateVolume implements engine.Volumes.
func (e *Engine) CreateVolume(ctx context.Context, name string, labels map[string]string) error {
	if err := e.call("CreateVolume", name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.volumes[name] = engine.Volume{Name: name, Labels: labels}
	return nil
}

// CreateImageDirVolume implements engine.Volumes: with ImageDirVolumes a volume like
// CreateVolume's, else ErrNotSupported.
func (e *Engine) CreateImageDirVolume(ctx context.Context, name, image, dir string, labels map[string]string) error {
	if err := e.call("CreateImageDirVolume", name, image, dir); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.ImageDirVolumes {
		return fmt.Errorf("fake engine: no layered image storage: %w", engine.ErrNotSupported)
	}
	e.volumes[name] = engine.Volume{Name: name, Labels: labels}
	return nil
}

// RemoveVolume implements engine.Volumes.
func (e *Engine) RemoveVolume(ctx context.Context, name string) error {
	if err := e.call("RemoveVolume", name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.volumes, name)
	return nil
}

// ListVolumes implements engine.Volumes.
func (e *Engine) ListVolumes(ctx context.Context, sel engine.Selector) ([]engine.Volume, error) {
	if err := e.call("ListVolumes", sel.String()); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []engine.Volume
	for _, v := range e.volumes {
		if sel.Matches(v.Labels) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// BuildImage implements engine.Images with the BuildScript; the context is read to its end
// and must be a tar holding the Dockerfile.
func (e *Engine) BuildImage(ctx context.Context, spec engine.BuildSpec) (string, error) {
	if err := e.call("BuildImage", spec.Tags...); err != nil {
		return "", err
	}
	if e.BuildScript != nil {
		return e.BuildScript(ctx, spec)
	}
	h := sha256.New()
	tr := tar.NewReader(io.TeeReader(spec.Context, h))
	dockerfile := spec.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	found := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("build context: %w", err)
		}
		found = found || hdr.Name == dockerfile
	}
	if !found {
		return "", &engine.BuildError{Message: "no " + dockerfile + " in the build context"}
	}
	if spec.Log != nil {
		fmt.Fprintln(spec.Log, "Step 1/1 : FROM scratch")
	}
	if spec.Progress != nil {
		fmt.Fprintln(spec.Progress, "Step 1/1 : FROM scratch")
		spec.Progress.Step(1, 1, "FROM scratch")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.addImage(engine.Image{ID: "sha256:" + hex.EncodeToString(h.Sum(nil)), Tags: slices.Clone(spec.Tags), Labels: spec.Labels}, e.BuildFiles)
	return id, nil
}

// InspectImage implements engine.Images.
func (e *Engine) InspectImage(ctx context.Context, ref string) (engine.Image, error) {
	if err := e.call("InspectImage", ref); err != nil {
		return engine.Image{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	im := e.lookup(ref)
	if im == nil {
		return engine.Image{}, fmt.Errorf("inspect image %s: %w", ref, engine.ErrNotFound)
	}
	return im.Image, nil
}

// ListImages implements engine.Images; a reference filter matches the repository part.
func (e *Engine) ListImages(ctx context.Context, f engine.ImageFilter) ([]engine.Image, error) {
	if err := e.call("ListImages", f.Label.String(), f.Reference); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []engine.Image
	for _, im := range e.images {
		if f.Label.Key != "" && !f.Label.Matches(im.Labels) {
			continue
		}
		if f.Reference != "" && !slices.ContainsFunc(im.Tags, func(t string) bool {
			return t == f.Reference || strings.HasPrefix(t, f.Reference+":")
		}) {
			continue
		}
		out = append(out, im.Image)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// TagImage implements engine.Images.
func (e *Engine) TagImage(ctx context.Context, id, ref string) error {
	if err := e.call("TagImage", id, ref); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	im := e.lookup(id)
	if im == nil {
		return fmt.Errorf("tag %s: %w", id, engine.ErrNotFound)
	}
	if !strings.Contains(path.Base(ref), ":") {
		ref += ":latest"
	}
	e.untag(ref)
	im.Tags = append(im.Tags, ref)
	return nil
}

// RemoveImage implements engine.Images: a tag goes; an image goes with its last tag.
func (e *Engine) RemoveImage(ctx context.Context, ref string) error {
	if err := e.call("RemoveImage", ref); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	im := e.lookup(ref)
	if im == nil {
		return fmt.Errorf("remove image %s: %w", ref, engine.ErrNotFound)
	}
	if ref != im.ID {
		e.untag(ref)
		if len(im.Tags) > 0 {
			return nil
		}
	}
	delete(e.images, im.ID)
	return nil
}

// LabelImage implements engine.Images: a new image with the labels added.
func (e *Engine) LabelImage(ctx context.Context, image string, labels map[string]string, comment string) (string, error) {
	if err := e.call("LabelImage", image); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	im := e.lookup(image)
	if im == nil {
		return "", fmt.Errorf("label image %s: %w", image, engine.ErrNotFound)
	}
	merged := map[string]string{}
	for k, v := range im.Labels {
		merged[k] = v
	}
	for k, v := range labels {
		merged[k] = v
	}
	return e.addImage(engine.Image{Labels: merged, Created: im.Created}, im.files), nil
}

// PushImage implements engine.Images with the PushScript; the image must be known.
func (e *Engine) PushImage(ctx context.Context, ref string, auth engine.RegistryAuth, log io.Writer) (engine.Pushed, error) {
	if err := e.call("PushImage", ref); err != nil {
		return engine.Pushed{}, err
	}
	if e.PushScript != nil {
		return e.PushScript(ctx, ref, auth, log)
	}
	e.mu.Lock()
	im := e.lookup(ref)
	e.mu.Unlock()
	if im == nil {
		return engine.Pushed{}, fmt.Errorf("no image tagged %s to push: %w", ref, engine.ErrNotFound)
	}
	if log != nil {
		fmt.Fprintf(log, "pushed %s\n", ref)
	}
	return engine.Pushed{Digest: digest(ref + im.ID), Size: 528}, nil
}

// Info implements engine.Engine.
func (e *Engine) Info(ctx context.Context) (engine.Info, error) {
	if err := e.call("Info"); err != nil {
		return engine.Info{}, err
	}
	return e.InfoValue, nil
}

// Ping implements engine.Engine.
func (e *Engine) Ping(ctx context.Context) error { return e.call("Ping") }

// Close implements engine.Engine.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	return nil
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
