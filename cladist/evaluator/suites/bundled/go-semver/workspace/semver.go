// Package semver parses and orders semantic versions.
package semver

import "errors"

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch int
	Prerelease          []string // dot-separated prerelease identifiers, nil if none
	Build               []string // dot-separated build identifiers, nil if none
}

// Parse parses a semantic version such as "1.2.3-rc.1+build.5".
func Parse(s string) (Version, error) {
	return Version{}, errors.New("not implemented")
}

// String returns the canonical text of v.
func (v Version) String() string {
	return ""
}

// Compare returns -1 if a < b, 0 if they have the same precedence, 1 if a > b.
func Compare(a, b Version) int {
	return 0
}
