package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/pkgdriver/pkgdriver/supplychain"
)

// Where signing takes its key and password from. The password is read from the environment only,
// never from a flag: a flag shows in the process list.
const (
	envSignKey      = "PKGDRIVER_SIGN_KEY"
	envSignPassword = "PKGDRIVER_SIGN_PASSWORD"
)

// signKeyFlag is run's --sign-key.
func signKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "sign-key", Sources: env(envSignKey), TakesFile: true,
		Usage: "PEM private key (ECDSA P-256 or Ed25519, cosign's format included) to sign each package and its provenance; password in " + envSignPassword}
}

// signerFromFlags loads --sign-key, or returns nil when it is not given. A key that cannot be
// used is a usage error, before anything runs.
func signerFromFlags(c *cli.Command) (*supplychain.Signer, error) {
	path := c.String("sign-key")
	if path == "" {
		return nil, nil
	}
	s, err := supplychain.LoadSigner(path, []byte(os.Getenv(envSignPassword)))
	if err != nil {
		return nil, usageError{fmt.Errorf("--sign-key: %w", err)}
	}
	return s, nil
}

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "make a signing key pair: PREFIX.key (encrypted, cosign's format) and PREFIX.pub",
		Description: "The private key is encrypted with " + envSignPassword + " (asked for on a terminal when it is\n" +
			"not set; empty is allowed, as with cosign). cosign reads both files: COSIGN_PASSWORD is the same password.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output-key-prefix", Value: "pkgdriver", Usage: "write PREFIX.key and PREFIX.pub"},
			&cli.StringFlag{Name: "type", Value: supplychain.KeyECDSAP256, Usage: "key type: " + supplychain.KeyECDSAP256 + " or " + supplychain.KeyEd25519},
		},
		Action: func(_ context.Context, c *cli.Command) error {
			prefix := c.String("output-key-prefix")
			privPath, pubPath := prefix+".key", prefix+".pub"
			for _, p := range []string{privPath, pubPath} {
				if _, err := os.Lstat(p); err == nil {
					return usagef("%s exists: not overwriting a key", p)
				}
			}
			password, err := keygenPassword(c)
			if err != nil {
				return err
			}
			priv, pub, err := supplychain.GenerateKey(c.String("type"), password)
			if err != nil {
				return usageError{err}
			}
			if err := writeExclusive(privPath, priv, 0o600); err != nil {
				return err
			}
			if err := writeExclusive(pubPath, pub, 0o644); err != nil {
				return errors.Join(err, os.Remove(privPath))
			}
			fmt.Fprintf(c.Root().Writer, "wrote %s (private, keep it secret) and %s (public)\n", privPath, pubPath)
			return nil
		},
	}
}

// keygenPassword is PKGDRIVER_SIGN_PASSWORD, or asked for twice on a terminal.
func keygenPassword(c *cli.Command) ([]byte, error) {
	if pw, ok := os.LookupEnv(envSignPassword); ok {
		return []byte(pw), nil
	}
	f, ok := c.Root().Reader.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, nil
	}
	fmt.Fprint(c.Root().ErrWriter, "Password for the private key: ")
	first, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.Root().ErrWriter)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(c.Root().ErrWriter, "Again: ")
	again, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.Root().ErrWriter)
	if err != nil {
		return nil, err
	}
	if string(first) != string(again) {
		return nil, usagef("the passwords differ")
	}
	return first, nil
}

func writeExclusive(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
