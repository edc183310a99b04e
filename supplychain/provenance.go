package supplychain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	ita "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Types and identifiers the provenance uses.
const (
	// PredicateSLSAProvenance is SLSA provenance v1 (cosign's --type slsaprovenance1).
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	// BuildType says how to read this provenance's parameters; docs/supply-chain.md describes it.
	BuildType = "https://github.com/pkgdriver/pkgdriver/blob/main/docs/supply-chain.md#build-type-v1"
	// BuilderID names the builder: pkgdriver run on the host that signs.
	BuilderID = "https://github.com/pkgdriver/pkgdriver/pkgdriver-run@v1"
)

// Subject is a file the statement is about.
type Subject struct {
	Name   string // the file's name, e.g. x.mpm
	SHA256 string // lowercase hex
}

// ProvenanceInput is what a provenance statement says about one package's build.
type ProvenanceInput struct {
	Subjects []Subject
	// Recipe is the recipe's name, RecipeDigest the SHA-256 of its content (files, modes, links
	// and the common files).
	Recipe, RecipeDigest string
	// Settings are the run's settings that change the output (external parameters).
	Settings map[string]string
	// Environment is build.sh's environment, sorted (internal parameters).
	Environment []string
	// OSVRepository ("" for a local checkout) and OSVCommit are the OSv source. OSVDirty says
	// the tree differed from OSVCommit (built with --allow-dirty): the dependency then names the
	// commit with an annotation, since a git commit digest cannot say "with changes".
	OSVRepository, OSVCommit string
	OSVDirty                 bool
	// ToolchainImage and BaseImage are image IDs ("sha256:..."); BaseImageRef the name asked for.
	ToolchainImage, BaseImage, BaseImageRef string
	// Version is pkgdriver's own version.
	Version string
	// RunID, Started and Finished are the run details: they differ between two builds.
	RunID             string
	Started, Finished time.Time
}

// Statement builds the in-toto Statement v1 with its SLSA provenance v1 predicate.
func Statement(in ProvenanceInput) (*ita.Statement, error) {
	external, err := structpb.NewStruct(map[string]any{
		"recipe":   in.Recipe,
		"settings": stringMap(in.Settings),
	})
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	env := make([]any, len(in.Environment))
	for i, e := range in.Environment {
		env[i] = e
	}
	internal, err := structpb.NewStruct(map[string]any{"environment": env})
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	osv := &ita.ResourceDescriptor{Name: "osv", Digest: map[string]string{"gitCommit": in.OSVCommit}}
	if in.OSVDirty {
		osv.Annotations, err = structpb.NewStruct(map[string]any{"dirty": true,
			"note": "built from a checkout that differed from this commit (--allow-dirty)"})
		if err != nil {
			return nil, fmt.Errorf("provenance: %w", err)
		}
	}
	if in.OSVRepository != "" {
		osv.Uri = "git+" + strings.TrimPrefix(in.OSVRepository, "git+") + "@" + in.OSVCommit
	}
	deps := []*ita.ResourceDescriptor{
		{Name: "recipe:" + in.Recipe, Digest: map[string]string{"sha256": in.RecipeDigest}},
		osv,
		imageDescriptor("toolchain-image", "", in.ToolchainImage),
		imageDescriptor("base-image", in.BaseImageRef, in.BaseImage),
		{Name: "pkgdriver", Uri: "https://github.com/pkgdriver/pkgdriver@" + in.Version},
	}
	pred := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType: BuildType, ExternalParameters: external, InternalParameters: internal,
			ResolvedDependencies: deps,
		},
		RunDetails: &slsa.RunDetails{
			Builder: &slsa.Builder{Id: BuilderID, Version: map[string]string{"pkgdriver": in.Version}},
			Metadata: &slsa.BuildMetadata{InvocationId: in.RunID,
				StartedOn: timestamppb.New(in.Started.UTC()), FinishedOn: timestamppb.New(in.Finished.UTC())},
		},
	}
	if err := pred.Validate(); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	predStruct, err := toStruct(pred)
	if err != nil {
		return nil, err
	}
	st := &ita.Statement{Type: ita.StatementTypeUri, PredicateType: PredicateSLSAProvenance, Predicate: predStruct}
	for _, s := range in.Subjects {
		st.Subject = append(st.Subject, &ita.ResourceDescriptor{Name: s.Name, Digest: map[string]string{"sha256": s.SHA256}})
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return st, nil
}

// imageDescriptor names an image by its ID (and the reference it was asked for, when known).
func imageDescriptor(name, ref, id string) *ita.ResourceDescriptor {
	d := &ita.ResourceDescriptor{Name: name}
	if alg, hexID, ok := strings.Cut(id, ":"); ok {
		d.Digest = map[string]string{alg: hexID}
	}
	if ref != "" {
		d.Uri = "docker-image:" + ref
	}
	if d.Uri == "" && d.Digest == nil {
		d.Uri = "docker-image:unknown"
	}
	return d
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// toStruct turns a proto message into the generic Struct a Statement's predicate is.
func toStruct(m proto.Message) (*structpb.Struct, error) {
	data, err := protojson.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return s, nil
}

// MarshalStatement writes a statement as compact JSON with sorted keys. protojson's output is
// deliberately unstable in its spacing; this one is the same for the same statement.
func MarshalStatement(st *ita.Statement) ([]byte, error) {
	data, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return canonicalJSON(data)
}

// ParseStatement reads a statement written by MarshalStatement (or anyone else).
func ParseStatement(data []byte) (*ita.Statement, error) {
	st := &ita.Statement{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	return st, nil
}

func canonicalJSON(data []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
