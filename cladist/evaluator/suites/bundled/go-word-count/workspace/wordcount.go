// Package wordcount counts words.
package wordcount

// WordCount returns how often each word occurs in text.
func WordCount(text string) map[string]int {
	panic("not implemented")
}
