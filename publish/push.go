package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/pkgdriver/pkgdriver/engine"
)

// Registry failures that trying again does not cure.
var (
	ErrRegistryUnauthorized = errors.New("unauthorized")
	ErrRegistryNotFound     = errors.New("not found")
)

// PushError is a push that failed, either when the engine refused the call or inside its
// progress stream. It unwraps to ErrRegistryUnauthorized or ErrRegistryNotFound when the failure
// is one of those, and to the engine's error when there is one.
type PushError struct {
	Ref     string
	Message string
	// Kind is ErrRegistryUnauthorized, ErrRegistryNotFound or nil (a failure worth retrying).
	Kind error
	// Err is the engine's error.
	Err error
}

func (e *PushError) Error() string { return "push " + e.Ref + ": " + e.Message }

// Unwrap gives errors.Is access to both the kind and the engine's error.
func (e *PushError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Permanent reports whether retrying is pointless.
func (e *PushError) Permanent() bool { return e.Kind != nil }

// PushedImage is one reference pushed to a registry.
type PushedImage struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Size   int    `json:"size"`
}

// pusher pushes references through the engine, trying transient failures again.
type pusher struct {
	Engine   engine.Images
	Auth     engine.RegistryAuth // never logged
	Log      zerolog.Logger
	Progress io.Writer
	Attempts int
	Backoff  time.Duration
}

func (p *pusher) push(ctx context.Context, ref string) (PushedImage, error) {
	attempts := max(p.Attempts, 1)
	for attempt := 1; ; attempt++ {
		pushed, err := p.pushOnce(ctx, ref)
		var pe *PushError
		if err == nil || !errors.As(err, &pe) || pe.Permanent() || attempt >= attempts {
			return pushed, err
		}
		wait := p.Backoff * time.Duration(attempt)
		p.Log.Warn().Err(err).Int("attempt", attempt).Dur("retry_in", wait).Msg("push failed, trying again")
		select {
		case <-ctx.Done():
			return pushed, context.Cause(ctx)
		case <-time.After(wait):
		}
	}
}

// pushOnce pushes ref once; the engine reads the push's progress to its end.
func (p *pusher) pushOnce(ctx context.Context, ref string) (PushedImage, error) {
	fmt.Fprintf(p.Progress, "push %s\n", ref)
	pushed, err := p.Engine.PushImage(ctx, ref, p.Auth, p.Progress)
	if err != nil {
		return PushedImage{}, &PushError{Ref: ref, Message: err.Error(), Kind: errorKind(err), Err: err}
	}
	return PushedImage{Ref: ref, Digest: pushed.Digest, Size: pushed.Size}, nil
}

// errorKind says whether a failed push is one that trying again does not cure.
func errorKind(err error) error {
	switch {
	case errors.Is(err, engine.ErrUnauthorized):
		return ErrRegistryUnauthorized
	case errors.Is(err, engine.ErrNotFound):
		return ErrRegistryNotFound
	}
	return nil
}
