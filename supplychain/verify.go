package supplychain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/signature"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/pkgdriver/pkgdriver/packager"
)

// Files names a package's supply-chain files, which live beside it.
type Files struct {
	MPM, Descriptor, SBOM, Attestation, Signature string
}

// FilesFor returns the names beside an .mpm: x.yaml, x.spdx.json, x.intoto.jsonl, x.mpm.sig.
func FilesFor(mpm string) Files {
	base := strings.TrimSuffix(mpm, ".mpm")
	return Files{MPM: mpm, Descriptor: base + ".yaml", SBOM: base + SBOMSuffix,
		Attestation: base + AttestationSuffix, Signature: mpm + SignatureSuffix}
}

// The suffixes of the supply-chain files.
const (
	SBOMSuffix        = ".spdx.json"
	AttestationSuffix = ".intoto.jsonl"
	SignatureSuffix   = ".sig" // after .mpm
)

// Problem is one thing verification found wrong, in one file.
type Problem struct {
	File string
	What string
}

func (p Problem) String() string { return filepath.Base(p.File) + ": " + p.What }

// VerifyError lists every problem found; verification goes on after the first.
type VerifyError struct{ Problems []Problem }

func (e *VerifyError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  " + p.String()
	}
	return fmt.Sprintf("%d problem(s):\n%s", len(e.Problems), strings.Join(lines, "\n"))
}

// Verified says what a successful verification checked.
type Verified struct {
	Files  int  // regular files whose digests the SBOM matched
	Signed bool // the blob signature and the envelope were checked against a key
}

// Verify checks a package against its supply-chain files: with a key, the blob signature and the
// envelope's signature; always, that the SBOM lists exactly the archive's files with their
// digests and the archive itself, and that the attestation's subjects are this .mpm and .yaml.
// Every mismatch (an archive that cannot be read too) is a Problem of the returned *VerifyError;
// a missing .mpm is a plain error.
func Verify(ctx context.Context, f Files, key signature.Verifier) (*Verified, error) {
	if _, err := os.Stat(f.MPM); err != nil {
		return nil, err
	}
	v := &verifier{files: f, key: key}
	if key != nil {
		v.signature()
	}
	arch, err := packager.FileDigestsOf(f.MPM)
	if err != nil {
		v.fail(f.MPM, "cannot be read: %v", err)
		return nil, &VerifyError{Problems: v.problems}
	}
	v.arch = arch
	v.sbom()
	v.attestation(ctx)
	if len(v.problems) > 0 {
		return nil, &VerifyError{Problems: v.problems}
	}
	return &Verified{Files: len(arch.Files), Signed: key != nil}, nil
}

type verifier struct {
	files    Files
	arch     *packager.ArchiveDigests
	key      signature.Verifier
	problems []Problem
}

func (v *verifier) fail(file, format string, a ...any) {
	v.problems = append(v.problems, Problem{File: file, What: fmt.Sprintf(format, a...)})
}

// read returns a file's content, or records that it cannot be read.
func (v *verifier) read(file, what string) ([]byte, bool) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		v.fail(file, "missing: the %s is not beside the package", what)
		return nil, false
	}
	if err != nil {
		v.fail(file, "%v", err)
		return nil, false
	}
	return data, true
}

func (v *verifier) signature() {
	data, ok := v.read(v.files.Signature, "signature")
	if !ok {
		return
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		v.fail(v.files.Signature, "not a base64 signature: %v", err)
		return
	}
	mpm, err := os.Open(v.files.MPM)
	if err != nil {
		v.fail(v.files.MPM, "%v", err)
		return
	}
	defer mpm.Close()
	if err := v.key.VerifySignature(bytes.NewReader(sig), mpm); err != nil {
		v.fail(v.files.Signature, "the signature does not match %s under the key: %v", filepath.Base(v.files.MPM), err)
	}
}

func (v *verifier) sbom() {
	data, ok := v.read(v.files.SBOM, "SBOM")
	if !ok {
		return
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err == nil {
		err = spdxlib.ValidateDocument(doc)
	}
	if err != nil {
		v.fail(v.files.SBOM, "not a valid SPDX document: %v", err)
		return
	}
	if doc.SPDXVersion != spdx.Version {
		v.fail(v.files.SBOM, "SPDX version %q, want %q", doc.SPDXVersion, spdx.Version)
	}
	v.sbomPackage(doc)
	listed := map[string]*spdx.File{}
	for _, file := range doc.Files {
		name := strings.TrimPrefix(file.FileName, "./")
		if listed[name] != nil {
			v.fail(v.files.SBOM, "%s is listed twice", file.FileName)
		}
		listed[name] = file
	}
	for _, af := range v.arch.Files {
		file := listed[af.Name]
		delete(listed, af.Name)
		if file == nil {
			v.fail(v.files.SBOM, "./%s is in the archive but not in the SBOM", af.Name)
			continue
		}
		want := map[common.ChecksumAlgorithm]string{common.SHA256: af.SHA256, common.SHA1: af.SHA1}
		got := checksums(file.Checksums)
		if got[common.SHA256] == "" {
			v.fail(v.files.SBOM, "./%s has no SHA256 in the SBOM", af.Name)
		}
		for _, alg := range []common.ChecksumAlgorithm{common.SHA256, common.SHA1} {
			if g := got[alg]; g != "" && g != want[alg] {
				v.fail(v.files.SBOM, "./%s: the SBOM's %s %s differs from the archive's %s", af.Name, alg, g, want[alg])
			}
		}
	}
	for _, name := range sortedKeys(listed) {
		v.fail(v.files.SBOM, "./%s is in the SBOM but not in the archive", name)
	}
}

// sbomPackage checks that the SBOM describes this archive.
func (v *verifier) sbomPackage(doc *spdx.Document) {
	ids, err := spdxlib.GetDescribedPackageIDs(doc)
	if err != nil || len(ids) != 1 {
		v.fail(v.files.SBOM, "does not describe exactly one package")
		return
	}
	for _, p := range doc.Packages {
		if p.PackageSPDXIdentifier != ids[0] {
			continue
		}
		if got := checksums(p.PackageChecksums)[common.SHA256]; got != v.arch.SHA256 {
			v.fail(v.files.SBOM, "the package's SHA256 %s differs from %s's %s", got, filepath.Base(v.files.MPM), v.arch.SHA256)
		}
		return
	}
	v.fail(v.files.SBOM, "the described package %s is missing", ids[0])
}

func checksums(cs []common.Checksum) map[common.ChecksumAlgorithm]string {
	m := map[common.ChecksumAlgorithm]string{}
	for _, c := range cs {
		m[c.Algorithm] = strings.ToLower(c.Value)
	}
	return m
}

func (v *verifier) attestation(ctx context.Context) {
	file := v.files.Attestation
	data, ok := v.read(file, "attestation")
	if !ok {
		return
	}
	var env dsse.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		v.fail(file, "not a DSSE envelope: %v", err)
		return
	}
	if env.PayloadType != PayloadType {
		v.fail(file, "payload type %q, want %q", env.PayloadType, PayloadType)
	}
	if v.key != nil {
		v.envelopeSignature(ctx, &env)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		v.fail(file, "the payload is not base64: %v", err)
		return
	}
	st, err := ParseStatement(payload)
	if err != nil {
		v.fail(file, "%v", err)
		return
	}
	if st.GetPredicateType() != PredicateSLSAProvenance {
		v.fail(file, "predicate type %q, want %q", st.GetPredicateType(), PredicateSLSAProvenance)
	}
	subjects := map[string]string{}
	for _, s := range st.GetSubject() {
		subjects[s.GetName()] = s.GetDigest()["sha256"]
	}
	v.subject(subjects, filepath.Base(v.files.MPM), v.arch.SHA256)
	if sum, err := fileDigest(v.files.Descriptor); err == nil {
		v.subject(subjects, filepath.Base(v.files.Descriptor), sum)
	} else if !errors.Is(err, os.ErrNotExist) {
		v.fail(v.files.Descriptor, "%v", err)
	}
}

func (v *verifier) envelopeSignature(ctx context.Context, env *dsse.Envelope) {
	if len(env.Signatures) == 0 {
		v.fail(v.files.Attestation, "the envelope is not signed")
		return
	}
	pub, err := v.key.PublicKey()
	if err != nil {
		v.fail(v.files.Attestation, "%v", err)
		return
	}
	ev, err := dsse.NewEnvelopeVerifier(dsseKey{sv: v.key, pub: pub})
	if err == nil {
		_, err = ev.Verify(ctx, env)
	}
	if err != nil {
		v.fail(v.files.Attestation, "the envelope's signature does not verify under the key: %v", err)
	}
}

func (v *verifier) subject(subjects map[string]string, name, sum string) {
	got, ok := subjects[name]
	switch {
	case !ok:
		v.fail(v.files.Attestation, "no subject %s", name)
	case got != sum:
		v.fail(v.files.Attestation, "subject %s has sha256 %s, the file has %s", name, got, sum)
	}
}

func fileDigest(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
