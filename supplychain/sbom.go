package supplychain

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/pkgdriver/pkgdriver/packager"
)

// SBOMInput is what an SBOM states about one package.
type SBOMInput struct {
	Name, Version string
	// Archive is the .mpm as packager.FileDigests read it.
	Archive *packager.ArchiveDigests
	// OSVRepository is where the OSv source came from ("" when unknown, e.g. a local checkout);
	// OSVCommit the commit the kernel was built from, OSVVersion its `git describe`.
	OSVRepository, OSVCommit, OSVVersion string
	// Debian finds files that came from the toolchain's Debian packages; nil: none are named.
	Debian *DebianIndex
	// Platform is the toolchain's distribution, e.g. Debian-12 (for package URLs).
	Platform string
	// Created is the SBOM's creation time: SOURCE_DATE_EPOCH, never now.
	Created time.Time
	// Tool is the creator, e.g. "pkgdriver-1.2.0".
	Tool string
}

// Element IDs of the document's fixed elements.
const (
	packageID = "Package"
	osvID     = "OSv"
)

// SBOM builds the SPDX 2.3 document of a package.
func SBOM(in SBOMInput) (*spdx.Document, error) {
	if in.Archive == nil || in.Name == "" {
		return nil, fmt.Errorf("sbom: the package name and archive are required")
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      in.Name + "-" + in.Version,
		DocumentNamespace: "https://spdx.org/spdxdocs/pkgdriver-" + url.PathEscape(in.Name) + "-" + contentUUID(in.Archive.SHA256),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: in.Tool}},
			Created:  in.Created.UTC().Format(time.RFC3339),
		},
	}
	main := &spdx.Package{
		PackageName: in.Name, PackageSPDXIdentifier: packageID, PackageVersion: in.Version,
		PackageFileName:         in.Name + ".mpm",
		PackageDownloadLocation: NoAssertion,
		FilesAnalyzed:           true, IsFilesAnalyzedTagPresent: true,
		PackageChecksums:        []common.Checksum{{Algorithm: common.SHA256, Value: in.Archive.SHA256}},
		PackageLicenseConcluded: NoAssertion, PackageLicenseDeclared: NoAssertion,
		PackageCopyrightText:  NoAssertion,
		PrimaryPackagePurpose: "ARCHIVE",
		PackageComment:        "A Capstan package (.mpm) for OSv, built by pkgdriver.",
	}
	doc.Packages = append(doc.Packages, main, osvPackage(in))
	rel := func(a, typ, b string) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", a), RefB: common.MakeDocElementID("", b), Relationship: typ})
	}
	rel("DOCUMENT", common.TypeRelationshipDescribe, packageID)
	rel(osvID, common.TypeRelationshipBuildDependencyOf, packageID)

	debs := map[string]*spdx.Package{}
	var sha1s []string
	for _, f := range in.Archive.Files {
		file := &spdx.File{
			FileName:           "./" + f.Name,
			FileSPDXIdentifier: common.ElementID("File-" + shortHash(f.Name)),
			Checksums: []common.Checksum{
				{Algorithm: common.SHA1, Value: f.SHA1}, {Algorithm: common.SHA256, Value: f.SHA256},
			},
			LicenseConcluded:  NoAssertion,
			FileCopyrightText: NoAssertion,
		}
		sha1s = append(sha1s, f.SHA1)
		doc.Files = append(doc.Files, file)
		rel(packageID, common.TypeRelationshipContains, string(file.FileSPDXIdentifier))
		var from []string
		for _, o := range in.Debian.Lookup(f.Name, f.MD5) {
			id := debianID(o.Package)
			if debs[id] == nil {
				debs[id] = debianPackage(o.Package, id, in.Platform)
				rel(packageID, common.TypeRelationshipContains, id)
			}
			rel(id, common.TypeRelationshipContains, string(file.FileSPDXIdentifier))
			from = append(from, fmt.Sprintf("%s of Debian package %s %s", o.Path, o.Package.Name, o.Package.Version))
		}
		if len(from) > 0 {
			file.FileComment = "A copy of " + strings.Join(from, "; ") + "."
		}
	}
	main.PackageVerificationCode = verificationCode(sha1s)
	for _, id := range sortedKeys(debs) {
		doc.Packages = append(doc.Packages, debs[id])
	}
	sortRelationships(doc.Relationships)
	return doc, nil
}

// WriteSBOM returns the document as indented JSON, ending in a newline.
func WriteSBOM(doc *spdx.Document) ([]byte, error) {
	var buf bytes.Buffer
	if err := spdxjson.Write(doc, &buf, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	return buf.Bytes(), nil
}

// osvPackage is the OSv kernel the package was built against.
func osvPackage(in SBOMInput) *spdx.Package {
	p := &spdx.Package{
		PackageName: "osv", PackageSPDXIdentifier: osvID, PackageVersion: in.OSVVersion,
		PackageDownloadLocation: NoAssertion,
		PackageLicenseConcluded: NoAssertion, PackageLicenseDeclared: NoAssertion,
		PackageCopyrightText:  NoAssertion,
		PrimaryPackagePurpose: "OPERATING-SYSTEM",
		PackageSourceInfo:     "built from commit " + in.OSVCommit,
		PackageComment:        "The OSv kernel the package was built against.",
	}
	if p.PackageVersion == "" {
		p.PackageVersion = in.OSVCommit
	}
	if in.OSVRepository != "" && in.OSVCommit != "" {
		p.PackageDownloadLocation = "git+" + strings.TrimPrefix(in.OSVRepository, "git+") + "@" + in.OSVCommit
		p.PackageHomePage = "https://osv.io"
	}
	return p
}

// debianPackage describes a Debian package some of the package's files came from.
func debianPackage(p *DebianPackage, id, platform string) *spdx.Package {
	comment := "Debian's copyright file is missing or not machine-readable."
	if len(p.Licenses) > 0 {
		comment = "Debian's copyright file (DEP-5) names: " + strings.Join(p.Licenses, "; ") + "."
	}
	purl := "pkg:deb/debian/" + url.PathEscape(p.Name) + "@" + url.PathEscape(p.Version) + "?arch=" + url.QueryEscape(p.Arch)
	if v, ok := strings.CutPrefix(platform, "Debian-"); ok {
		purl += "&distro=debian-" + url.QueryEscape(v)
	}
	return &spdx.Package{
		PackageName: p.Name, PackageSPDXIdentifier: common.ElementID(id), PackageVersion: p.Version,
		PackageSupplier:         &common.Supplier{SupplierType: "Organization", Supplier: "Debian"},
		PackageDownloadLocation: NoAssertion,
		FilesAnalyzed:           false, IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded: NoAssertion,
		PackageLicenseDeclared:  spdxLicense(p.Licenses),
		PackageLicenseComments:  comment,
		PackageCopyrightText:    NoAssertion,
		PackageExternalReferences: []*spdx.PackageExternalReference{
			{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: purl},
		},
	}
}

// debianID is an SPDX element ID for a Debian package: IDs allow letters, digits, "." and "-"
// only, so any other byte (libstdc++6, name:arch) is written as its hex value.
func debianID(p *DebianPackage) string {
	var b strings.Builder
	b.WriteString("Debian-")
	for _, c := range []byte(p.Name + "-" + p.Arch) {
		if c < 0x80 && (c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "x%02x", c)
		}
	}
	return b.String()
}

// verificationCode is SPDX's package verification code: the SHA-1 of the files' sorted SHA-1s.
func verificationCode(sha1s []string) *common.PackageVerificationCode {
	sorted := append([]string(nil), sha1s...)
	sort.Strings(sorted)
	sum := sha1.Sum([]byte(strings.Join(sorted, "")))
	return &common.PackageVerificationCode{Value: hex.EncodeToString(sum[:])}
}

// contentUUID formats the first 16 bytes of a SHA-256 hex string as a name-based UUID (version
// 8 layout), so the document namespace is unique to the package's bytes and never random.
func contentUUID(sha256hex string) string {
	sum := sha256.Sum256([]byte("pkgdriver-spdx:" + sha256hex))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortRelationships(rs []*spdx.Relationship) {
	key := func(r *spdx.Relationship) string {
		return string(r.RefA.ElementRefID) + "\x00" + r.Relationship + "\x00" + string(r.RefB.ElementRefID)
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if (rs[i].Relationship == common.TypeRelationshipDescribe) != (rs[j].Relationship == common.TypeRelationshipDescribe) {
			return rs[i].Relationship == common.TypeRelationshipDescribe
		}
		return key(rs[i]) < key(rs[j])
	})
}
