package wordcount

import (
	"reflect"
	"testing"
)

func TestWordCount(t *testing.T) {
	cases := []struct {
		in   string
		want map[string]int
	}{
		{"", map[string]int{}},
		{"one fish two fish", map[string]int{"one": 1, "fish": 2, "two": 1}},
		{"Joe can't tell between 'large' and large.",
			map[string]int{"joe": 1, "can't": 1, "tell": 1, "between": 1, "large": 2, "and": 1}},
		{"GO go Go!!\n\tgo,1 2 1", map[string]int{"go": 4, "1": 2, "2": 1}},
		{"'' ' x'y z''", map[string]int{"x'y": 1, "z": 1}},
		{"café ümlaut", map[string]int{"caf": 1, "mlaut": 1}},
	}
	for _, c := range cases {
		got := WordCount(c.in)
		if got == nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("WordCount(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
