package layertar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gohcs/hcs/backupstream"
	"github.com/gohcs/hcs/internal/layertartest"
	"github.com/gohcs/hcs/internal/winetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden translates the synthetic layers into staging folders and
// compares a listing of each folder, with every staged file decoded, with
// testdata/golden/NAME.txt. go test -run TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		tar  []byte
	}{{"base", layertartest.Base()}, {"app", layertartest.App()}, {"patch", layertartest.Patch()}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(winetest.TempDir(t), "staging")
			s, err := NewStaging(dir)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := Translate(context.Background(), bytes.NewReader(tc.tar), s)
			if cerr := s.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			got := describeStaging(t, s, sum)
			golden := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -run TestGolden -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("staging folder differs from %s:\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %s\n got %s", i+1, wl, gl)
		}
	}
	return "(no difference)"
}

// describeStaging lists a staging folder: the translation's summary, the
// writer's tombstones and links, then every directory and file, each
// staged file decoded.
func describeStaging(t *testing.T, s *Staging, sum Summary) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# summary: %d files, %d directories, %d symlinks, %d links, %d removed, %d data bytes, utility VM %v\n",
		sum.Files, sum.Directories, sum.Symlinks, sum.Links, sum.Removed, sum.DataBytes, s.UtilityVM())
	for _, ts := range s.Tombstones() {
		fmt.Fprintf(&b, "# tombstone %s\n", ts)
	}
	for _, l := range s.Links() {
		fmt.Fprintf(&b, "# link %s -> %s (in layer: %v)\n", l.Name, l.Target, l.InLayer)
	}
	err := filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == s.Dir() {
			return err
		}
		rel, err := filepath.Rel(s.Dir(), p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			fmt.Fprintf(&b, "%s/\n", rel)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  mtime %s\n", rel, fi.ModTime().UTC().Format(time.RFC3339Nano))
		if strings.HasPrefix(rel, "Hives/") {
			fmt.Fprintf(&b, "    contents %s\n", describeData(data))
			return nil
		}
		describeStaged(&b, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// describeStaged decodes a staged file: attributes, then the backup
// stream.
func describeStaged(b *strings.Builder, data []byte) {
	if len(data) < 4 {
		fmt.Fprintf(b, "    !! %d bytes, no attributes\n", len(data))
		return
	}
	fmt.Fprintf(b, "    attributes %#x\n", binary.LittleEndian.Uint32(data))
	r := backupstream.NewReader(bytes.NewReader(data[4:]))
	for {
		h, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintf(b, "    !! %v\n", err)
			return
		}
		payload, err := io.ReadAll(r)
		if err != nil {
			fmt.Fprintf(b, "    !! %v: %v\n", h.ID, err)
			return
		}
		fmt.Fprintf(b, "    %v", h.ID)
		if h.Name != "" {
			fmt.Fprintf(b, " %q", h.Name)
		}
		switch h.ID {
		case backupstream.SecurityData:
			fmt.Fprintf(b, " %s\n", describeSD(payload))
		case backupstream.EAData:
			eas, err := backupstream.DecodeEAs(payload)
			if err != nil {
				fmt.Fprintf(b, " !! %v\n", err)
				continue
			}
			for _, ea := range eas {
				fmt.Fprintf(b, " %s=%x", ea.Name, ea.Value)
			}
			b.WriteString("\n")
		case backupstream.ReparseData:
			rp, err := backupstream.DecodeReparsePoint(payload)
			fmt.Fprintf(b, " %+v %v (%d bytes)\n", rp, err, len(payload))
		default:
			fmt.Fprintf(b, " %s\n", describeData(payload))
		}
	}
}

// describeData shows short contents as they are, long ones by digest.
func describeData(data []byte) string {
	if len(data) <= 48 {
		return fmt.Sprintf("%d bytes %q", len(data), data)
	}
	return fmt.Sprintf("%d bytes sha256:%x", len(data), sha256.Sum256(data))
}

// describeSD shows a self-relative security descriptor: owner, group and
// the DACL's entries.
func describeSD(sd []byte) string {
	if checkSecurityDescriptor(sd) != nil {
		return fmt.Sprintf("!! invalid %x", sd)
	}
	le := binary.LittleEndian
	s := fmt.Sprintf("control %#04x owner %s group %s", le.Uint16(sd[2:]), sidString(sd[le.Uint32(sd[4:]):]), sidString(sd[le.Uint32(sd[8:]):]))
	if off := le.Uint32(sd[16:]); off != 0 {
		acl := sd[off:]
		s += " dacl"
		for i, p := 0, 8; i < int(le.Uint16(acl[4:])); i++ {
			ace := acl[p:]
			s += fmt.Sprintf(" [type %d flags %#x mask %#08x %s]", ace[0], ace[1], le.Uint32(ace[4:]), sidString(ace[8:]))
			p += int(le.Uint16(ace[2:]))
		}
	}
	return s
}

func sidString(b []byte) string {
	auth := uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	s := fmt.Sprintf("S-%d-%d", b[0], auth)
	for i := range int(b[1]) {
		s += fmt.Sprintf("-%d", binary.LittleEndian.Uint32(b[8+4*i:]))
	}
	return s
}
