package layertar

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"

	"github.com/gohcs/hcs/backupstream"
)

// wciDirSuffix names the file that holds a directory's attributes and
// backup stream in a staging folder, beside the directory itself.
const wciDirSuffix = ".$wcidirs$"

// Link is a hard link of a staged layer, which the import creates in the
// layer folder once ImportLayer has run.
type Link struct {
	Name, Target string
	// InLayer reports whether the target was added by this layer; if not,
	// it is a file of a parent layer.
	InLayer bool
}

// Staging is a Writer that lays a layer out in a folder the way
// vmcompute's ImportLayer consumes it, on every OS. This is the transport
// format of Windows' layer export and import, which hcsshim's layer writer
// produces (it is not documented by Microsoft; this follows hcsshim's
// internal/wclayer):
//
//   - Files\ and UtilityVM\Files\: each file is a file of the same name
//     whose contents are its attributes (a little-endian uint32) followed
//     by its backup stream; each directory is a directory plus a file
//     NAME.$wcidirs$ holding the directory's attributes and backup stream.
//     A directory that is a reparse point (a junction or a directory
//     symbolic link) is created only by Close, so that nothing is staged
//     through it.
//   - Hives\: each hive is a plain file with the contents of its backup
//     stream's data (what BackupWrite without security would restore).
//   - Each file's times are those of the entry (on Windows all four and no
//     attributes, as hcsshim sets them; elsewhere the last access and
//     write times, the only ones other systems can set).
//
// What ImportLayer does not take from the folder is kept for the caller,
// who applies it to the imported layer folder as hcsshim does: Tombstones
// (paths to delete) and Links (hard links to create), and UtilityVM
// (ProcessUtilityImage must run). Nothing is synced to disk: a staging
// folder is consumed at once, and an interrupted import starts over.
//
// Staging is stricter than needed where Windows would fail: names are
// compared case-insensitively, a parent directory must be added before
// what it holds, and a hive with streams other than data and security is
// refused. Once a call failed, the folder is incomplete: later calls fail
// with that error, and the caller removes the folder. The methods may be
// called from one goroutine at a time; Close may be called from any, and
// more than once.
type Staging struct {
	*folder

	added      map[string]bool // folded names added, true for directories
	tombstones []string
	links      []Link
	utilityVM  bool
	// reparseDirs are directories that are reparse points, made by Close.
	reparseDirs []string
	buf         *bufio.Writer
}

var _ Writer = (*Staging)(nil)

// NewStaging returns a Staging that lays a layer out in dir, which it
// creates if needed and which must be empty.
func NewStaging(dir string) (*Staging, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("layertar: staging folder: %w", err)
	}
	f, err := openFolder(dir, "staging")
	if err != nil {
		return nil, err
	}
	return &Staging{folder: f, added: make(map[string]bool), buf: bufio.NewWriterSize(nil, 64<<10)}, nil
}

// Dir returns the staging folder.
func (s *Staging) Dir() string { return s.dir }

// claim records name as added (or linked, or removed).
func (s *Staging) claim(name string, dir bool) error {
	k := fold(name)
	if _, ok := s.added[k]; ok {
		return fmt.Errorf("layertar: staging %s: already staged (Windows names are case-insensitive)", name)
	}
	s.added[k] = dir
	return nil
}

// Add stages the file or directory name. It fails when the name was staged
// already or its parent directory was not, for times a FILETIME cannot
// hold, for a hive whose stream it cannot stage, and when stream or the
// disk fails.
func (s *Staging) Add(name string, info BasicInfo, stream io.Reader) error {
	if err := s.check("add", name); err != nil {
		return err
	}
	if err := info.checkTimes(); err != nil {
		return s.fail(fmt.Errorf("layertar: staging %s: %v", name, err))
	}
	if err := s.claim(name, info.IsDir()); err != nil {
		return s.fail(err)
	}
	if err := s.add(name, info, stream); err != nil {
		return s.fail(fmt.Errorf("layertar: staging %s: %w", name, err))
	}
	return nil
}

func (s *Staging) add(name string, info BasicInfo, stream io.Reader) (err error) {
	if under(name, utilityVMDir) {
		s.utilityVM = true
	}
	file := name
	switch {
	case info.IsDir() && info.Attributes&AttributeReparsePoint != 0:
		if _, err := s.root.Lstat(path.Dir(name)); err != nil {
			return err
		}
		s.reparseDirs = append(s.reparseDirs, name)
		file += wciDirSuffix
	case info.IsDir():
		if err := s.root.Mkdir(name, 0o755); err != nil {
			return err
		}
		file += wciDirSuffix
	}
	f, err := s.root.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	s.buf.Reset(f)
	defer s.buf.Reset(nil)
	if below(name, hivesDir) {
		err = stageHive(s.buf, stream)
	} else {
		err = binary.Write(s.buf, binary.LittleEndian, info.Attributes)
		if err == nil {
			_, err = io.Copy(s.buf, stream)
		}
	}
	if err == nil {
		err = s.buf.Flush()
	}
	if err == nil {
		err = setTimes(s.root, file, f, info)
	}
	return err
}

// stageHive writes the data of a hive's backup stream: BackupWrite without
// security restores the data and skips the security descriptor; what else
// it would restore a plain file cannot hold.
func stageHive(w io.Writer, stream io.Reader) error {
	r := backupstream.NewReader(stream)
	for {
		h, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch h.ID {
		case backupstream.Data:
			if _, err := io.Copy(w, r); err != nil {
				return err
			}
		case backupstream.SecurityData:
		default:
			return fmt.Errorf("a hive with a %v stream cannot be staged", h.ID)
		}
	}
}

// AddLink records the hard link name to target, which Links returns: the
// import creates it once ImportLayer has run. It fails for a target this
// layer added as a directory.
func (s *Staging) AddLink(name, target string) error {
	if err := s.check("link", name); err != nil {
		return err
	}
	if err := s.check("link target", target); err != nil {
		return err
	}
	dir, inLayer := s.added[fold(target)]
	if dir {
		return s.fail(fmt.Errorf("layertar: staging link %s: target %s is a directory", name, target))
	}
	if err := s.claim(name, false); err != nil {
		return s.fail(err)
	}
	s.links = append(s.links, Link{Name: name, Target: target, InLayer: inLayer})
	return nil
}

// Remove records that name is deleted by this layer: Tombstones returns
// it, for the import to delete once ImportLayer has run.
func (s *Staging) Remove(name string) error {
	if err := s.check("remove", name); err != nil {
		return err
	}
	if !below(name, filesDir) && !below(name, uvmFilesDir) {
		return s.fail(fmt.Errorf("layertar: staging remove %s: outside Files/ and UtilityVM/Files/", name))
	}
	if err := s.claim(name, false); err != nil {
		return s.fail(err)
	}
	s.tombstones = append(s.tombstones, name)
	return nil
}

// Close creates the directories that are reparse points (unless a call
// failed: the folder is to be removed then) and closes the folder. It
// returns the same result however often it is called; after it
// the other methods fail with an error wrapping os.ErrClosed.
func (s *Staging) Close() error {
	return s.close(func() error {
		var errs []error
		for _, d := range s.reparseDirs {
			if err := s.root.Mkdir(d, 0o755); err != nil {
				errs = append(errs, fmt.Errorf("layertar: staging %s: %w", d, err))
			}
		}
		return errors.Join(errs...)
	})
}

// Tombstones returns the paths the layer deletes, in the order removed.
func (s *Staging) Tombstones() []string { return slices.Clone(s.tombstones) }

// Links returns the layer's hard links, in the order added.
func (s *Staging) Links() []Link { return slices.Clone(s.links) }

// UtilityVM reports whether the layer has a UtilityVM folder.
func (s *Staging) UtilityVM() bool { return s.utilityVM }
