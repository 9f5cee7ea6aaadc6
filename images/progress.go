package images

import "fmt"

// PullStatus is where the download of a blob stands.
type PullStatus int

// The statuses of a blob, in the order they come.
const (
	// PullQueued: waiting for one of the pull's download slots.
	PullQueued PullStatus = iota
	// PullCached: already in the store; nothing to download.
	PullCached
	// PullWaiting: another process is downloading it; this pull waits
	// for it and then uses its blob.
	PullWaiting
	// PullDownloading: bytes are coming; Bytes counts them.
	PullDownloading
	// PullVerifying: all bytes are in; the digest is being checked.
	PullVerifying
	// PullDone: verified and in the store.
	PullDone
	// PullFailed: the download failed; Err says why. A partial download
	// stays in the store for the next pull to resume.
	PullFailed
)

var pullStatusNames = [...]string{"queued", "cached", "waiting", "downloading", "verifying", "done", "failed"}

// String returns the status in lower case, such as "downloading".
func (s PullStatus) String() string {
	if s >= 0 && int(s) < len(pullStatusNames) {
		return pullStatusNames[s]
	}
	return fmt.Sprintf("PullStatus(%d)", int(s))
}

// PullProgress reports on one blob of a pull.
type PullProgress struct {
	Digest Digest
	// Kind is "config" or "layer".
	Kind   string
	Status PullStatus
	// Size is the blob's size; Bytes, how many of its bytes are in hand
	// (those of a resumed partial download included).
	Size, Bytes int64
	// Resumed is how many bytes an earlier, interrupted download had
	// fetched, which this one continues from.
	Resumed int64
	// Source is the URL being downloaded from.
	Source string
	// Err is why the download failed (PullFailed).
	Err error
}
