// Package semver parses and orders semantic versions.
package semver

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch int
	Prerelease          []string // dot-separated prerelease identifiers, nil if none
	Build               []string // dot-separated build identifiers, nil if none
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return s != ""
}

func number(s string) (int, error) {
	if !isDigits(s) || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("bad version number %q", s)
	}
	return strconv.Atoi(s)
}

func identifiers(s string, numericNoZeros bool) ([]string, error) {
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if !isIdent(p) {
			return nil, fmt.Errorf("bad identifier %q", p)
		}
		if numericNoZeros && isDigits(p) && len(p) > 1 && p[0] == '0' {
			return nil, fmt.Errorf("numeric identifier with leading zero %q", p)
		}
	}
	return parts, nil
}

// Parse parses a semantic version such as "1.2.3-rc.1+build.5".
func Parse(s string) (Version, error) {
	var v Version
	rest := s
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		build, err := identifiers(rest[i+1:], false)
		if err != nil {
			return Version{}, fmt.Errorf("%q: %w", s, err)
		}
		v.Build, rest = build, rest[:i]
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		pre, err := identifiers(rest[i+1:], true)
		if err != nil {
			return Version{}, fmt.Errorf("%q: %w", s, err)
		}
		v.Prerelease, rest = pre, rest[:i]
	}
	core := strings.Split(rest, ".")
	if len(core) != 3 {
		return Version{}, fmt.Errorf("%q: expected MAJOR.MINOR.PATCH", s)
	}
	nums := []*int{&v.Major, &v.Minor, &v.Patch}
	for i, part := range core {
		n, err := number(part)
		if err != nil {
			return Version{}, fmt.Errorf("%q: %w", s, err)
		}
		*nums[i] = n
	}
	return v, nil
}

// String returns the canonical text of v.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Prerelease) > 0 {
		s += "-" + strings.Join(v.Prerelease, ".")
	}
	if len(v.Build) > 0 {
		s += "+" + strings.Join(v.Build, ".")
	}
	return s
}

func cmpInt(a, b int) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func cmpIdent(a, b string) int {
	an, bn := isDigits(a), isDigits(b)
	switch {
	case an && bn:
		if len(a) != len(b) {
			return cmpInt(len(a), len(b))
		}
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// Compare returns -1 if a < b, 0 if they have the same precedence, 1 if a > b.
func Compare(a, b Version) int {
	for _, c := range []int{cmpInt(a.Major, b.Major), cmpInt(a.Minor, b.Minor), cmpInt(a.Patch, b.Patch)} {
		if c != 0 {
			return c
		}
	}
	if len(a.Prerelease) == 0 || len(b.Prerelease) == 0 {
		return -cmpInt(len(a.Prerelease), len(b.Prerelease))
	}
	for i := 0; i < len(a.Prerelease) && i < len(b.Prerelease); i++ {
		if c := cmpIdent(a.Prerelease[i], b.Prerelease[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(a.Prerelease), len(b.Prerelease))
}
