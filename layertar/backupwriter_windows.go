package layertar

import (
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"unsafe"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// BackupWriter is a Writer that writes a base layer into its layer folder
// with BackupWrite, as hcsshim's base layer writer does: each file and
// directory is created with its basic information, then restored from its
// backup stream — contents, security descriptor (owner, DACL and SACL),
// extended attributes, reparse point and alternate data streams — with
// SeBackupPrivilege and SeRestorePrivilege enabled on the calling thread
// only. Hard links are created as links. Close sets the directories'
// times again (adding to a directory changes them). ProcessBaseImage (and
// ProcessUtilityImage when UtilityVM reports one) must then run on the
// folder; that is not this package's job.
//
// A base layer deletes nothing: Remove always fails. Names resolve inside
// the folder only (os.Root): a junction the layer holds cannot redirect
// later entries outside it. A file whose Add fails is deleted; the writer
// then refuses further calls, and the caller removes the folder. The
// process must be elevated. The methods may be called from one goroutine
// at a time; Close may be called from any, and more than once.
//
// On other systems NewBackupWriter fails with an error wrapping
// errors.ErrUnsupported.
type BackupWriter struct {
	*folder

	dirs      []dirTimes // directories added, in order
	utilityVM bool
}

var _ Writer = (*BackupWriter)(nil)

// dirTimes is a directory's basic information, set again by Close.
type dirTimes struct {
	name string
	info BasicInfo
}

// NewBackupWriter returns a BackupWriter that writes a layer into dir,
// which must exist and be empty.
func NewBackupWriter(dir string) (*BackupWriter, error) {
	f, err := openFolder(dir, "restoring")
	if err != nil {
		return nil, err
	}
	return &BackupWriter{folder: f}, nil
}

// Dir returns the layer folder.
func (w *BackupWriter) Dir() string { return w.dir }

// UtilityVM reports whether the layer has a UtilityVM folder, which
// ProcessUtilityImage must process.
func (w *BackupWriter) UtilityVM() bool { return w.utilityVM }

// Add creates name and restores it from stream with BackupWrite. It fails
// when name exists or its parent does not, for times a FILETIME cannot
// hold, when the privileges cannot be enabled, and when stream or
// BackupWrite fails; the file is deleted then.
func (w *BackupWriter) Add(name string, info BasicInfo, stream io.Reader) error {
	if err := w.check("add", name); err != nil {
		return err
	}
	if err := info.checkTimes(); err != nil {
		return w.fail(fmt.Errorf("layertar: restoring %s: %v", name, err))
	}
	err := withPrivileges(func() error { return w.restore(name, info, stream) })
	if err != nil {
		return w.fail(fmt.Errorf("layertar: restoring %s: %w", name, err))
	}
	if under(name, utilityVMDir) {
		w.utilityVM = true
	}
	if info.IsDir() {
		w.dirs = append(w.dirs, dirTimes{name, info})
	}
	return nil
}

// restore creates name and writes its backup stream; the caller holds
// the privileges.
func (w *BackupWriter) restore(name string, info BasicInfo, stream io.Reader) (err error) {
	options := uint32(windows.FILE_NON_DIRECTORY_FILE)
	if info.IsDir() {
		options = windows.FILE_DIRECTORY_FILE
	}
	const access = windows.GENERIC_READ | windows.GENERIC_WRITE | windows.WRITE_DAC | windows.WRITE_OWNER |
		windows.ACCESS_SYSTEM_SECURITY | windows.DELETE | windows.SYNCHRONIZE
	h, err := w.openAt(name, access, windows.FILE_CREATE, options)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(h), name)
	defer func() {
		if err != nil {
			// Delete on close: nothing of a failed file remains.
			del := byte(1)
			_ = windows.SetFileInformationByHandle(h, windows.FileDispositionInfo, &del, 1)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := winio.SetFileBasicInfo(f, winioInfo(info)); err != nil {
		return err
	}
	bw := winio.NewBackupFileWriter(f, true)
	_, err = io.CopyBuffer(bw, stream, make([]byte, 64<<10))
	if cerr := bw.Close(); err == nil {
		err = cerr
	}
	return err
}

// openAt opens or creates name with NtCreateFile, relative to its parent
// directory, which os.Root opened without leaving the folder; the last
// element is not followed if it is a reparse point.
func (w *BackupWriter) openAt(name string, access, disposition, options uint32) (windows.Handle, error) {
	parent, err := w.root.Open(path.Dir(name))
	if err != nil {
		return 0, err
	}
	defer parent.Close()
	base, err := windows.NewNTUnicodeString(path.Base(name))
	if err != nil {
		return 0, err
	}
	oa := windows.OBJECT_ATTRIBUTES{RootDirectory: windows.Handle(parent.Fd()), ObjectName: base}
	oa.Length = uint32(unsafe.Sizeof(oa))
	var h windows.Handle
	var iosb windows.IO_STATUS_BLOCK
	err = windows.NtCreateFile(&h, access, &oa, &iosb, nil, 0, windows.FILE_SHARE_READ, disposition,
		options|windows.FILE_OPEN_FOR_BACKUP_INTENT|windows.FILE_OPEN_REPARSE_POINT|windows.FILE_SYNCHRONOUS_IO_NONALERT, 0, 0)
	if st, ok := err.(windows.NTStatus); ok {
		return 0, &os.PathError{Op: "create", Path: name, Err: st.Errno()}
	} else if err != nil {
		return 0, &os.PathError{Op: "create", Path: name, Err: err}
	}
	return h, nil
}

// winioInfo converts info for go-winio.
func winioInfo(info BasicInfo) *winio.FileBasicInfo {
	return &winio.FileBasicInfo{
		CreationTime:   filetime(info.CreationTime),
		LastAccessTime: filetime(info.LastAccessTime),
		LastWriteTime:  filetime(info.LastWriteTime),
		ChangeTime:     filetime(info.ChangeTime),
		FileAttributes: info.Attributes,
	}
}

// AddLink creates name as a hard link to target, which this layer added.
func (w *BackupWriter) AddLink(name, target string) error {
	if err := w.check("link", name); err != nil {
		return err
	}
	if err := w.check("link target", target); err != nil {
		return err
	}
	if err := w.root.Link(target, name); err != nil {
		return w.fail(fmt.Errorf("layertar: restoring link %s: %w", name, err))
	}
	return nil
}

// Remove fails: a base layer has no parent to delete from.
func (w *BackupWriter) Remove(name string) error {
	if err := w.check("remove", name); err != nil {
		return err
	}
	return w.fail(fmt.Errorf("layertar: restoring remove %s: a base layer has nothing to delete", name))
}

// Close sets each directory's basic information again, children before
// parents (unless a call failed), and closes the folder. It returns the same result however often
// it is called; after it the other methods fail with an error wrapping
// os.ErrClosed.
func (w *BackupWriter) Close() error {
	return w.close(func() error {
		if len(w.dirs) == 0 {
			return nil
		}
		return withPrivileges(func() error {
			for _, d := range slices.Backward(w.dirs) {
				if err := w.setDirInfo(d); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func (w *BackupWriter) setDirInfo(d dirTimes) error {
	h, err := w.openAt(d.name, windows.FILE_WRITE_ATTRIBUTES|windows.SYNCHRONIZE, windows.FILE_OPEN, windows.FILE_DIRECTORY_FILE)
	if err != nil {
		return fmt.Errorf("layertar: restoring %s's times: %w", d.name, err)
	}
	f := os.NewFile(uintptr(h), d.name)
	defer f.Close()
	if err := winio.SetFileBasicInfo(f, winioInfo(d.info)); err != nil {
		return fmt.Errorf("layertar: restoring %s's times: %w", d.name, err)
	}
	return nil
}
