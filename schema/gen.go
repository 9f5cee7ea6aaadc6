package schema

// The generated files (*_gen.go) come from internal/schemagen, which reads
// Microsoft's published schema from the hcs-reference folder: $HCS_REFERENCE,
// else ../shared/hcs-reference beside the repository (see package
// internal/reference). Regenerate with: go generate ./schema

//go:generate go run ../internal/schemagen -out .
