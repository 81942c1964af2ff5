// Package sumevens adds up numbers.
package sumevens

// SumEvens returns the sum of the even numbers in nums.
func SumEvens(nums []int) int {
	total := 0
	for _, n := range nums {
		if n%2 == 0 {
			total += n
		}
	}
	return total
}
