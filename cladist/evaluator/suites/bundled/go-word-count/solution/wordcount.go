// Package wordcount counts words.
package wordcount

import "strings"

func isWordByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\''
}

// WordCount returns how often each word occurs in text.
func WordCount(text string) map[string]int {
	counts := map[string]int{}
	start := -1
	flush := func(end int) {
		if start >= 0 {
			word := strings.Trim(strings.ToLower(text[start:end]), "'")
			if word != "" {
				counts[word]++
			}
			start = -1
		}
	}
	for i := 0; i < len(text); i++ {
		if isWordByte(text[i]) {
			if start < 0 {
				start = i
			}
		} else {
			flush(i)
		}
	}
	flush(len(text))
	return counts
}
