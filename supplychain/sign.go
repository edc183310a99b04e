package supplychain

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// Signer signs package blobs and attestation envelopes with one private key. It never shows
// the key: every printed or JSON form of it is redacted.
type Signer struct {
	sv  signature.SignerVerifier
	pub crypto.PublicKey
	// Source names where the key came from (a path), for messages.
	Source string
}

// LoadSigner reads a PEM private key: ECDSA P-256 or Ed25519, in PKCS#8 ("PRIVATE KEY"), SEC 1
// ("EC PRIVATE KEY") or encrypted the way cosign and `pkgdriver keygen` write it ("ENCRYPTED
// SIGSTORE PRIVATE KEY", also cosign's older "ENCRYPTED COSIGN PRIVATE KEY", or PKCS#8
// "ENCRYPTED PRIVATE KEY"). password decrypts an encrypted key; an empty one is a valid password
// (cosign encrypts with it when given none).
func LoadSigner(path string, password []byte) (*Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	pw := append([]byte{}, password...) // never nil: nil would skip decryption
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(data, cryptoutils.StaticPasswordFunc(pw))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w (a wrong PKGDRIVER_SIGN_PASSWORD for an encrypted key?)", path, keyError(err))
	}
	var pub crypto.PublicKey
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("signing key %s: ECDSA on %s; want P-256 or Ed25519", path, k.Curve.Params().Name)
		}
		pub = k.Public()
	case ed25519.PrivateKey:
		pub = k.Public()
	default:
		return nil, fmt.Errorf("signing key %s: a %T; want ECDSA P-256 or Ed25519", path, priv)
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return &Signer{sv: sv, pub: pub, Source: path}, nil
}

// keyError keeps a parse error's message free of key material (the libraries' errors carry
// none, but a message is what gets logged).
func keyError(err error) error {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return errors.New(msg)
}

// String, GoString, Format and MarshalJSON redact: a Signer in a log line or a report names its
// source, never its key.
func (s *Signer) String() string {
	if s == nil {
		return "<no signing key>"
	}
	return "signing key " + s.Source + " (redacted)"
}
func (s *Signer) GoString() string             { return s.String() }
func (s *Signer) Format(f fmt.State, _ rune)   { io.WriteString(f, s.String()) }
func (s *Signer) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
func (s *Signer) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
func (s *Signer) PublicKey() crypto.PublicKey  { return s.pub }

// PublicKeyPEM is the public key as cosign writes it ("PUBLIC KEY").
func (s *Signer) PublicKeyPEM() ([]byte, error) { return cryptoutils.MarshalPublicKeyToPEM(s.pub) }

// SignBlob signs a file's bytes and returns the signature base64-encoded, the content of the
// .sig file `cosign verify-blob --signature` reads.
func (s *Signer) SignBlob(r io.Reader) ([]byte, error) {
	sig, err := s.sv.SignMessage(r)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return []byte(base64.StdEncoding.EncodeToString(sig)), nil
}

// Envelope wraps a statement in a DSSE envelope, signed when s is not nil (an unsigned envelope
// has no signatures: the statement is still there to read).
func Envelope(ctx context.Context, s *Signer, statement []byte) (*dsse.Envelope, error) {
	if s == nil {
		return &dsse.Envelope{PayloadType: PayloadType,
			Payload: base64.StdEncoding.EncodeToString(statement), Signatures: []dsse.Signature{}}, nil
	}
	es, err := dsse.NewEnvelopeSigner(dsseKey{s.sv, s.pub})
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	env, err := es.SignPayload(ctx, PayloadType, statement)
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	return env, nil
}

// MarshalEnvelope writes an envelope as one JSON line, the .intoto.jsonl form.
func MarshalEnvelope(env *dsse.Envelope) ([]byte, error) {
	data, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// dsseKey adapts sigstore's signer (which hashes the message itself) to DSSE. The key ID is left
// empty, as cosign leaves it: verifiers then try the key they were given.
type dsseKey struct {
	sv  signature.Verifier
	pub crypto.PublicKey
}

func (k dsseKey) Sign(_ context.Context, data []byte) ([]byte, error) {
	signer, ok := k.sv.(signature.Signer)
	if !ok {
		return nil, errors.New("a verification key cannot sign")
	}
	return signer.SignMessage(bytes.NewReader(data))
}

func (k dsseKey) Verify(_ context.Context, data, sig []byte) error {
	return k.sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(data))
}

func (k dsseKey) KeyID() (string, error)   { return "", nil }
func (k dsseKey) Public() crypto.PublicKey { return k.pub }

// Verifier checks signatures made with this key; nil for a nil Signer.
func (s *Signer) Verifier() signature.Verifier {
	if s == nil {
		return nil
	}
	return s.sv
}
