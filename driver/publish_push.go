package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/rs/zerolog"
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
	// Err is the engine API call's own error, nil when the failure came in the stream.
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
	Client   client.APIClient
	Auth     string // the X-Registry-Auth value; never logged
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

// pushOnce runs one ImagePush and reads its stream to the end: a failed push arrives inside the
// stream, and the pushed manifest's digest is in its aux message.
func (p *pusher) pushOnce(ctx context.Context, ref string) (PushedImage, error) {
	fmt.Fprintf(p.Progress, "push %s\n", ref)
	// A push is as long as the upload takes; an engine that stops answering ends it.
	watch := watchEngine(ctx, p.Client, 0, 0)
	defer watch.stop()
	rc, err := p.Client.ImagePush(watch.Ctx, ref, image.PushOptions{RegistryAuth: p.Auth})
	if err != nil {
		err = watch.Err(err)
		return PushedImage{}, &PushError{Ref: ref, Message: err.Error(), Kind: apiErrorKind(err), Err: err}
	}
	defer rc.Close()
	pushed := PushedImage{Ref: ref}
	err = readEngineStream(watch.Reader(rc), p.Progress, func(aux json.RawMessage) {
		var res types.PushResult
		if json.Unmarshal(aux, &res) == nil && res.Digest != "" {
			pushed.Digest, pushed.Size = res.Digest, res.Size
		}
	})
	err = watch.Err(err)
	var se *streamError
	switch {
	case errors.As(err, &se):
		return PushedImage{}, &PushError{Ref: ref, Message: se.Message, Kind: streamErrorKind(se.Message)}
	case err != nil:
		return PushedImage{}, &PushError{Ref: ref, Message: err.Error(), Err: err}
	case pushed.Digest == "":
		return PushedImage{}, &PushError{Ref: ref, Message: "the engine reported no digest for the pushed image"}
	}
	return pushed, nil
}

func apiErrorKind(err error) error {
	switch {
	case cerrdefs.IsUnauthorized(err) || cerrdefs.IsPermissionDenied(err):
		return ErrRegistryUnauthorized
	case cerrdefs.IsNotFound(err):
		return ErrRegistryNotFound
	}
	return nil
}

// streamErrorKind classifies an error message from inside a push stream. The stream carries only
// text (the registry's error code, such as "unauthorized: authentication required" or "name
// unknown", relayed by the engine), so the text is all there is to go by.
func streamErrorKind(msg string) error {
	m := strings.ToLower(msg)
	for _, s := range []string{"unauthorized", "authentication required", "no basic auth credentials", "denied", "forbidden"} {
		if strings.Contains(m, s) {
			return ErrRegistryUnauthorized
		}
	}
	for _, s := range []string{"name unknown", "manifest unknown", "not found", "does not exist"} {
		if strings.Contains(m, s) {
			return ErrRegistryNotFound
		}
	}
	return nil
}

// streamError is an error message the engine sent inside a progress stream.
type streamError struct{ Message string }

func (e *streamError) Error() string { return e.Message }

// readEngineStream reads a progress stream of the engine (push, pull, build) to its very end,
// since failures arrive inside it, writes its text to log (not the progress bars), and hands
// every aux message to aux.
func readEngineStream(r io.Reader, log io.Writer, aux func(json.RawMessage)) error {
	dec := json.NewDecoder(r)
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's output: %w", err)
		}
		switch {
		case msg.Error != nil || msg.ErrorMessage != "":
			text := msg.ErrorMessage
			if msg.Error != nil && msg.Error.Message != "" {
				text = msg.Error.Message
			}
			fmt.Fprintln(log, "ERROR:", text)
			return &streamError{Message: text}
		case msg.Stream != "":
			io.WriteString(log, msg.Stream)
		case msg.Status != "" && !isProgressBar(msg.Progress):
			if msg.ID != "" {
				fmt.Fprintf(log, "%s: %s\n", msg.ID, msg.Status)
			} else {
				fmt.Fprintln(log, msg.Status)
			}
		}
		if msg.Aux != nil && aux != nil {
			aux(*msg.Aux)
		}
	}
}

// isProgressBar tells a progress update (many per layer) from a status line ("Pushed").
func isProgressBar(p *jsonmessage.JSONProgress) bool {
	return p != nil && (p.Current > 0 || p.Total > 0)
}
