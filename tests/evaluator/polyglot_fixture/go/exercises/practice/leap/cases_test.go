package leap

// The cases leap_test.go checks: an "editor" file, shown to the agent and never its to change.
var testCases = []struct {
	year int
	want bool
}{{2015, false}, {1996, true}, {2100, false}, {2000, true}}
