module sumevens

go 1.19
