package supplychain

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Key algorithms GenerateKey makes.
const (
	KeyECDSAP256 = "ecdsa-p256" // what cosign generate-key-pair makes
	KeyEd25519   = "ed25519"
)

// GenerateKey makes a key pair. The private key is PKCS#8 encrypted with password (scrypt and
// NaCl secretbox) under the PEM type "ENCRYPTED SIGSTORE PRIVATE KEY", the format of cosign's
// cosign.key, so cosign reads it with COSIGN_PASSWORD set to the same password; an empty
// password encrypts too, as cosign does. The public key is PEM "PUBLIC KEY", like cosign.pub.
func GenerateKey(alg string, password []byte) (privPEM, pubPEM []byte, err error) {
	var priv crypto.Signer
	switch alg {
	case KeyECDSAP256, "":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyEd25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("key type %q: want %s or %s", alg, KeyECDSAP256, KeyEd25519)
	}
	if err != nil {
		return nil, nil, err
	}
	pw := append([]byte{}, password...)
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(priv, cryptoutils.StaticPasswordFunc(pw))
	if err != nil {
		return nil, nil, err
	}
	pubPEM, err = cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	return cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, der), pubPEM, nil
}

// LoadPublicKey reads a PEM public key (cosign.pub, or what GenerateKey wrote) as a verifier.
func LoadPublicKey(path string) (signature.Verifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", path, err)
	}
	return v, nil
}
