package images

import "fmt"

// Status is where the download of a blob stands.
type Status int

// The statuses of a blob, in the order they come.
const (
	// StatusQueued: waiting for one of the pull's download slots.
	StatusQueued Status = iota
	// StatusCached: already in the store; nothing to download.
	StatusCached
	// StatusWaiting: another process is downloading it; this pull waits
	// for it and then uses its blob.
	StatusWaiting
	// StatusDownloading: bytes are coming; Bytes counts them.
	StatusDownloading
	// StatusVerifying: all bytes are in; the digest is being checked.
	StatusVerifying
	// StatusDone: verified and in the store.
	StatusDone
	// StatusFailed: the download failed; Err says why. A partial download
	// stays in the store for the next pull to resume.
	StatusFailed
)

var statusNames = [...]string{"queued", "cached", "waiting", "downloading", "verifying", "done", "failed"}

// String returns the status in lower case, such as "downloading".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Progress reports on one blob of a pull.
type Progress struct {
	Digest Digest
	// Kind is "config" or "layer".
	Kind   string
	Status Status
	// Size is the blob's size; Bytes, how many of its bytes are in hand
	// (those of a resumed partial download included).
	Size, Bytes int64
	// Resumed is how many bytes an earlier, interrupted download had
	// fetched, which this one continues from.
	Resumed int64
	// Source is the URL being downloaded from.
	Source string
	// Err is why the download failed (StatusFailed).
	Err error
}
