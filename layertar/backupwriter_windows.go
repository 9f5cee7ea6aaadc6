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

// backupWriter is the Windows half of BackupWriter.
type backupWriter struct {
	*folder

	dirs      []dirTimes // directories added, in order
	utilityVM bool
}

// dirTimes is a directory's basic information, set again by Close.
type dirTimes struct {
	name string
	info BasicInfo
}

func newBackupWriter(dir string) (*backupWriter, error) {
	f, err := openFolder(dir, "restoring")
	if err != nil {
		return nil, err
	}
	return &backupWriter{folder: f}, nil
}

func (w *backupWriter) layerDir() string { return w.dir }

func (w *backupWriter) hasUtilityVM() bool { return w.utilityVM }

func (w *backupWriter) add(name string, info BasicInfo, stream io.Reader) error {
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
func (w *backupWriter) restore(name string, info BasicInfo, stream io.Reader) (err error) {
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
func (w *backupWriter) openAt(name string, access, disposition, options uint32) (windows.Handle, error) {
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

func (w *backupWriter) addLink(name, target string) error {
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

func (w *backupWriter) remove(name string) error {
	if err := w.check("remove", name); err != nil {
		return err
	}
	return w.fail(fmt.Errorf("layertar: restoring remove %s: a base layer has nothing to delete", name))
}

func (w *backupWriter) finish() error {
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

func (w *backupWriter) setDirInfo(d dirTimes) error {
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
