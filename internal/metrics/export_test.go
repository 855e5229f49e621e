package metrics

// Test helpers shared with the external test package.
var (
	ParseExposition = parseExposition
	Series          = series
)
