package schema

// The generated files (*_gen.go) come from internal/schemagen, which reads
// Microsoft's published schema from the hcs-reference folder beside the
// repository. Regenerate with: go generate ./schema

//go:generate go run ../internal/schemagen -ref ../../shared/hcs-reference -out .
