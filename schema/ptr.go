package schema

// Ptr returns a pointer to a copy of v. Boolean and integer fields are
// pointers so that absent (nil), false and 0 can all be written:
//
//	mem := &schema.ContainerMemory{SizeInMB: schema.Ptr[uint64](512)}
func Ptr[T any](v T) *T { return &v }
