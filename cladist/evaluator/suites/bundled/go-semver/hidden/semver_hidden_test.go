package semver

import (
	"reflect"
	"sort"
	"testing"
)

func mustParse(t *testing.T, s string) Version {
	t.Helper()
	v, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) failed: %v", s, err)
	}
	return v
}

func TestParseFields(t *testing.T) {
	v := mustParse(t, "1.22.333-rc.1.x-y+build.007")
	want := Version{1, 22, 333, []string{"rc", "1", "x-y"}, []string{"build", "007"}}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got %#v, want %#v", v, want)
	}
	plain := mustParse(t, "0.0.0")
	if plain.Major != 0 || plain.Prerelease != nil || plain.Build != nil {
		t.Fatalf("got %#v", plain)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, s := range []string{"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-0.3.7",
		"1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
		"1.0.0-alpha-a.b-c+build.1-aef.1-its-okay", "2.0.0--"} {
		if got := mustParse(t, s).String(); got != s {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, s := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03",
		"v1.2.3", " 1.2.3", "1.2.3 ", "1.2.3-", "1.2.3+", "1.2.3-alpha..1", "1.2.3-01",
		"1.2.3-alpha.01", "1.2.3-al_pha", "1.2.3+b..1", "a.b.c", "-1.2.3", "1.2.-3",
		"1.2.3+build+x", "1..3"} {
		if v, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %#v, want an error", s, v)
		}
	}
}

func TestOrder(t *testing.T) {
	ordered := []string{"0.9.99", "1.0.0-0", "1.0.0-2", "1.0.0-10", "1.0.0-alpha",
		"1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0-a", "2.0.0"}
	for i := range ordered {
		for j := range ordered {
			a, b := mustParse(t, ordered[i]), mustParse(t, ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestBuildIgnoredAndSort(t *testing.T) {
	if Compare(mustParse(t, "1.0.0+a"), mustParse(t, "1.0.0+b")) != 0 {
		t.Error("build metadata must not affect precedence")
	}
	in := []string{"1.0.0", "1.0.0-rc.1", "0.1.0+x", "1.0.0-beta.11", "1.0.0-beta.2"}
	vs := make([]Version, len(in))
	for i, s := range in {
		vs[i] = mustParse(t, s)
	}
	sort.Slice(vs, func(i, j int) bool { return Compare(vs[i], vs[j]) < 0 })
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := []string{"0.1.0+x", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sorted = %v, want %v", got, want)
	}
}
