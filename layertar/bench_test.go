package layertar

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gohcs/hcs/internal/layertartest"
)

// discardWriter reads each stream and keeps nothing: the translation
// alone.
type discardWriter struct{}

func (discardWriter) Add(_ string, _ BasicInfo, stream io.Reader) error {
	_, err := io.Copy(io.Discard, stream)
	return err
}
func (discardWriter) AddLink(string, string) error { return nil }
func (discardWriter) Remove(string) error          { return nil }
func (discardWriter) Close() error                 { return nil }

// BenchmarkTranslate measures the throughput of the translation, in MB/s
// of tar in, for layers of many small files and of fewer large ones:
// "discard" is the translation alone (tar and PAX parsing, backup stream
// framing), "staging" adds writing the staging folder to the temporary
// directory's disk.
func BenchmarkTranslate(b *testing.B) {
	for _, shape := range []struct {
		name        string
		files, size int
	}{{"4KiB-files", 2000, 4 << 10}, {"1MiB-files", 32, 1 << 20}} {
		layer := layertartest.Bench(shape.files, shape.size)
		b.Run(fmt.Sprintf("discard/%s", shape.name), func(b *testing.B) {
			b.SetBytes(int64(len(layer)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Translate(context.Background(), bytes.NewReader(layer), discardWriter{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("staging/%s", shape.name), func(b *testing.B) {
			b.SetBytes(int64(len(layer)))
			b.ReportAllocs()
			tmp := b.TempDir()
			i := 0
			for b.Loop() {
				dir := filepath.Join(tmp, fmt.Sprint(i))
				i++
				s, err := NewStaging(dir)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Translate(context.Background(), bytes.NewReader(layer), s); err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}
