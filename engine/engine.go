// Package engine is the seam between pkgdriver's pipeline and the container backend that runs
// it. The pipeline asks for containers made from a spec in pkgdriver's own terms, tar streams in
// and out, a run with its output streamed, and label-based listing for cleanup; publishing asks
// for image builds, tags and pushes. No type of a backend's client appears here, so a backend
// (engine/docker today, a cluster tomorrow) slots in without touching a stage.
//
// The interface is split by concern: Containers is what every backend implements; Volumes and
// Images are what the Docker engine adds. A backend that cannot do part of it returns an error
// that unwraps to ErrNotSupported from those methods and says what to use instead.
//
// Errors: a backend wraps its own errors so that errors.Is tells ErrNotFound, ErrConflict,
// ErrUnauthorized and ErrUnavailable apart; callers never match error text.
package engine

import (
	"context"
	"errors"
	"io"
	"time"
)

// Engine is everything the pipeline and publishing ask of a container backend.
type Engine interface {
	Containers
	Volumes
	Images
	// Info describes the backend (the machine its containers run on).
	Info(ctx context.Context) (Info, error)
	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	// Close releases the connection; the backend's resources are left as they are.
	Close() error
}

// Containers makes, runs and removes containers. Every container carries the spec's labels, so
// what a run made can be listed and removed by label, also after a crash.
type Containers interface {
	// Create makes a container from spec without starting it and returns its id.
	Create(ctx context.Context, spec ContainerSpec) (id string, err error)
	// CopyIn extracts the tar stream content under dir inside the container (created, not yet
	// started).
	CopyIn(ctx context.Context, id, dir string, content io.Reader) error
	// Run starts the container and streams its stdout and stderr until it exits. When ctx ends
	// first the container is killed and the context's cause is returned (with the Exit known
	// by then).
	Run(ctx context.Context, id string, stdout, stderr io.Writer) (Exit, error)
	// CopyOut returns path from the container (running, exited or never started) as a tar
	// stream whose top entry is path's base name. A path that does not exist is ErrNotFound.
	CopyOut(ctx context.Context, id, path string) (io.ReadCloser, error)
	// Remove removes the container, killing it first if it runs, with its anonymous storage.
	// A container already gone (or being removed) is not an error.
	Remove(ctx context.Context, id string) error
	// ListContainers lists the containers, running or not, that match sel.
	ListContainers(ctx context.Context, sel Selector) ([]Container, error)
}

// Volumes are named storage that outlives the containers mounting it.
type Volumes interface {
	// CreateVolume makes a named volume; an empty volume is filled from the image the first
	// time a container mounts it.
	CreateVolume(ctx context.Context, name string, labels map[string]string) error
	// CreateImageDirVolume makes volume name show directory dir of image as the image holds
	// it, without copying it: a copy-on-write view whose writes go to storage of the volume's
	// own (never to the image), removed with the volume. Mount it with
	// ContainerSpec.VolumesNoCopy. The engine may only find out that it cannot mount the view
	// when the first container mounting it starts. An engine that cannot make one returns an
	// error that unwraps to ErrNotSupported and says why.
	CreateImageDirVolume(ctx context.Context, name, image, dir string, labels map[string]string) error
	// RemoveVolume removes a volume; one already gone is not an error.
	RemoveVolume(ctx context.Context, name string) error
	// ListVolumes lists the volumes that match sel.
	ListVolumes(ctx context.Context, sel Selector) ([]Volume, error)
}

// Images builds, describes, tags, removes and pushes images.
type Images interface {
	// BuildImage builds an image from spec.Context, reading the build's output to its end
	// (failures arrive inside it), and returns the image's id. A build that fails is a
	// *BuildError.
	BuildImage(ctx context.Context, spec BuildSpec) (id string, err error)
	// InspectImage describes an image by id or reference; a missing one is ErrNotFound.
	InspectImage(ctx context.Context, ref string) (Image, error)
	// ListImages lists the images that match f.
	ListImages(ctx context.Context, f ImageFilter) ([]Image, error)
	// TagImage gives the image id (or reference) the reference ref.
	TagImage(ctx context.Context, id, ref string) error
	// RemoveImage removes a reference; an image left without references goes with it. An
	// image a container still uses is ErrConflict; a missing one is ErrNotFound.
	RemoveImage(ctx context.Context, ref string) error
	// LabelImage makes a new image of image with labels added and returns its id; comment
	// says why, in the image's history.
	LabelImage(ctx context.Context, image string, labels map[string]string, comment string) (id string, err error)
	// PushImage pushes ref to its registry with auth (empty: anonymous), writing progress
	// lines to log, and returns the pushed manifest. A registry's refusal unwraps to
	// ErrUnauthorized or ErrNotFound when it is one of those.
	PushImage(ctx context.Context, ref string, auth RegistryAuth, log io.Writer) (Pushed, error)
}

// ContainerSpec is what a container is made from.
type ContainerSpec struct {
	Image      string
	Cmd        []string
	Env        []string
	WorkingDir string
	Labels     map[string]string
	// Devices are host device paths passed through as they are (e.g. /dev/kvm).
	Devices    []string
	Privileged bool
	NoNetwork  bool
	// Volumes maps named volumes to mount points.
	Volumes map[string]string
	// VolumesNoCopy: the engine never fills an empty volume from the image's content at its
	// mount point.
	VolumesNoCopy bool
	// CPUs, Memory (bytes, no swap on top) and PidsLimit bound the container; zero: unbounded.
	CPUs      float64
	Memory    int64
	PidsLimit int64
}

// Exit is how a container ended.
type Exit struct {
	Code      int
	OOMKilled bool
}

// Selector matches resources by one label: Key with any value when Value is empty, else
// Key=Value exactly.
type Selector struct {
	Key, Value string
}

// Matches reports whether labels has what the selector asks for.
func (s Selector) Matches(labels map[string]string) bool {
	v, ok := labels[s.Key]
	return ok && (s.Value == "" || v == s.Value)
}

// String is the selector in the key[=value] form both Docker filters and Kubernetes label
// selectors take.
func (s Selector) String() string {
	if s.Value == "" {
		return s.Key
	}
	return s.Key + "=" + s.Value
}

// Container is one listed container.
type Container struct {
	ID     string
	Labels map[string]string
}

// Volume is one listed volume.
type Volume struct {
	Name   string
	Labels map[string]string
}

// Image describes an image.
type Image struct {
	ID string
	// Tags are the references (repository:tag) naming the image.
	Tags   []string
	Labels map[string]string
	// Created is when the image was made, as Unix seconds.
	Created int64
}

// ImageFilter selects images: by one label, or by a reference pattern such as repo or repo:tag
// (the backend may match by pattern; callers compare the names they get exactly). Both set: both
// must match.
type ImageFilter struct {
	Label     Selector
	Reference string
}

// BuildSpec is an image build: a tar context with a Dockerfile in it.
type BuildSpec struct {
	// Context is the build context as a tar stream.
	Context io.Reader
	// Dockerfile is the Dockerfile's path inside the context; empty: "Dockerfile".
	Dockerfile string
	Args       map[string]string
	// Labels are set on the image built (and on its intermediate containers).
	Labels map[string]string
	// Tags are references the image gets once built.
	Tags    []string
	NoCache bool
	// Log receives the build's output as plain text (colour codes removed), to its end.
	Log io.Writer
	// Progress, when not nil, hears the build's output lines and each Dockerfile step as it
	// starts.
	Progress BuildObserver
}

// BuildObserver hears a build as it goes: its output and each Dockerfile step as it starts.
type BuildObserver interface {
	io.Writer
	Step(n, total int, instruction string)
}

// BuildError is a failed image build: the step that failed and the last lines of its output.
type BuildError struct {
	Step    string
	Message string
	Tail    []string
}

func (e *BuildError) Error() string {
	if e.Step != "" {
		return "at " + e.Step + ": " + e.Message
	}
	return e.Message
}

// RegistryAuth authenticates a push. It is handed to the backend as it is and never shown:
// String, GoString and MarshalJSON redact it.
type RegistryAuth struct {
	ServerAddress string
	Username      string
	Password      string
	IdentityToken string
	RegistryToken string
}

// Empty reports whether there is nothing to authenticate with: the push goes anonymous.
func (a RegistryAuth) Empty() bool {
	return a.Username == "" && a.Password == "" && a.IdentityToken == "" && a.RegistryToken == ""
}

func (a RegistryAuth) String() string   { return "[redacted]" }
func (a RegistryAuth) GoString() string { return "[redacted]" }

// MarshalJSON redacts the credentials in JSON (and so in zerolog's Interface fields).
func (a RegistryAuth) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Pushed is the manifest a push put in the registry.
type Pushed struct {
	Digest string
	Size   int
}

// Info describes the backend.
type Info struct {
	// Name says which backend and where ("docker at unix:///var/run/docker.sock").
	Name string
	// CPUs is how many CPUs the backend's machine has.
	CPUs int
	// Memory is its memory in bytes.
	Memory int64
	// OS and Arch are the platform of its containers (linux, amd64).
	OS, Arch string
	// Version is the backend's version.
	Version string
}

// Errors a backend's errors unwrap to.
var (
	// ErrNotFound: the container, path, volume or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the resource is in use or already being removed.
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized: the registry refused the credentials (or their absence).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnavailable: the backend cannot be reached or is misconfigured; the user has to fix
	// the environment (exit status 2).
	ErrUnavailable = errors.New("engine unavailable")
	// ErrNotSupported: this backend does not do what was asked; the error says what does.
	ErrNotSupported = errors.New("not supported by this engine")
)

// Labels every resource pkgdriver creates carries, so leftovers can be found and reaped.
const (
	LabelRun    = "pkgdriver.run"
	LabelRecipe = "pkgdriver.recipe"
	LabelRole   = "pkgdriver.role"
	// LabelOwner says which process on which host made a resource (host:pid), so the reaper
	// never removes what a live run on this host is still using.
	LabelOwner = "pkgdriver.owner"
)

// CleanupTimeout bounds the removal of what a run made.
const CleanupTimeout = 30 * time.Second

// CleanupContext gives cleanup its own deadline and survives the cancellation of ctx, so Ctrl-C
// never skips removing what a run created.
func CleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
}

// IgnoreGone treats "not found" and "already being removed" as success: cleanup of something
// that is already gone has done its job.
func IgnoreGone(err error) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}
