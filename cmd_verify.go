package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/urfave/cli/v3"

	"github.com/pkgdriver/pkgdriver/packager"
	"github.com/pkgdriver/pkgdriver/supplychain"
)

// verifyPackage is `package verify`: the archive itself, then its supply-chain files.
func verifyPackage(ctx context.Context, c *cli.Command) error {
	mpm := c.Args().First()
	a, err := packager.VerifyFile(mpm)
	if err != nil {
		return err
	}
	if c.Bool("list") {
		for _, e := range a.Entries {
			fmt.Fprintf(c.Root().Writer, "%s\n", e.Name)
		}
	}
	fmt.Fprintf(c.Root().Writer, "%s: package %s %s, %d entries, valid\n", mpm, a.Package.Name, a.Package.Version, len(a.Entries))

	var key signature.Verifier
	if path := c.String("key"); path != "" {
		if key, err = supplychain.LoadPublicKey(path); err != nil {
			return usageError{err}
		}
	}
	files := supplychain.FilesFor(mpm)
	if key == nil && !exists(files.SBOM) && !exists(files.Attestation) {
		fmt.Fprintf(c.Root().Writer, "%s: no SBOM or provenance beside it; give --key to require them\n", mpm)
		return nil
	}
	v, err := supplychain.Verify(ctx, files, key)
	var ve *supplychain.VerifyError
	if errors.As(err, &ve) {
		return fmt.Errorf("%s: verification failed, %w", mpm, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Root().Writer, "%s: the SBOM lists its %d files with matching digests; the provenance's subjects match\n", mpm, v.Files)
	if v.Signed {
		fmt.Fprintf(c.Root().Writer, "%s: the signature and the provenance's signature verify with %s\n", mpm, c.String("key"))
	} else {
		fmt.Fprintf(c.Root().Writer, "%s: signatures not checked (no --key)\n", mpm)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
