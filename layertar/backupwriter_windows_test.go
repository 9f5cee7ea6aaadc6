package layertar

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/gohcs/hcs/internal/layertartest"
	"github.com/gohcs/hcs/internal/winetest"
)

// TestBackupWriter restores the synthetic base layer. On Windows, elevated,
// it checks the files; under Wine, where BackupWrite is a stub, it checks
// what Wine allows: the privileges are enabled, the first file is created
// and, when BackupWrite fails, deleted, and the failure is reported with
// the file's name and stops the writer.
func TestBackupWriter(t *testing.T) {
	dir := winetest.TempDir(t)
	w, err := NewBackupWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = Translate(context.Background(), bytes.NewReader(layertartest.Base()), w)
	if winetest.UnderWine() {
		if err == nil {
			t.Fatal("BackupWrite succeeded under Wine: its stub changed; check the files as on Windows")
		}
		t.Logf("under Wine: %v", err)
		if !strings.Contains(err.Error(), "restoring Files:") || !strings.Contains(err.Error(), "BackupWrite") {
			t.Errorf("error %q does not name the file and BackupWrite", err)
		}
		if _, serr := os.Lstat(filepath.Join(dir, "Files")); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("the failed directory was left behind: %v", serr)
		}
		if again := w.Add("Hives", dirTimesInfo(), strings.NewReader("")); again == nil || !strings.Contains(again.Error(), "an earlier call failed") {
			t.Errorf("a call after the failure: %v", again)
		}
		return
	}
	if errors.Is(err, errNotElevated) {
		t.Skipf("restoring needs an elevated test: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "Files", "Windows", "System32", "cmd.exe"))
	if err != nil || string(got) != "MZ cmd.exe" {
		t.Errorf("cmd.exe: %q, %v", got, err)
	}
	ads, err := os.ReadFile(filepath.Join(dir, "Files", "Windows", "readme.txt:Zone.Identifier"))
	if err != nil || !strings.Contains(string(ads), "ZoneId=3") {
		t.Errorf("alternate data stream: %q, %v", ads, err)
	}
	a, _ := os.Stat(filepath.Join(dir, "Files", "Windows", "System32", "cmd.exe"))
	b, _ := os.Stat(filepath.Join(dir, "Files", "Windows", "System32", "command.com"))
	if a == nil || b == nil || !os.SameFile(a, b) {
		t.Error("command.com is not a hard link to cmd.exe")
	}
	if fi, err := os.Lstat(filepath.Join(dir, "Files", "Documents and Settings")); err != nil || fi.Mode()&os.ModeIrregular == 0 && fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the junction: %v, %v", fi, err)
	}
	if !w.UtilityVM() {
		t.Error("UtilityVM() = false")
	}
}

func dirTimesInfo() BasicInfo {
	return BasicInfo{CreationTime: layertartest.T0, LastAccessTime: layertartest.T0, LastWriteTime: layertartest.T0, ChangeTime: layertartest.T0, Attributes: AttributeDirectory}
}

// TestBackupWriterRefuses checks what fails before BackupWrite runs.
func TestBackupWriterRefuses(t *testing.T) {
	dir := winetest.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewBackupWriter(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a non-empty folder: %v", err)
	}
	w, err := NewBackupWriter(winetest.TempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Remove("Files/x"); err == nil || !strings.Contains(err.Error(), "base layer") {
		t.Errorf("Remove: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Add("Files", dirTimesInfo(), strings.NewReader("")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
}

// TestPrivileges checks that the privileges are enabled on the calling
// thread only, and off again afterwards. (Wine gives every process them.)
func TestPrivileges(t *testing.T) {
	err := withPrivileges(func() error {
		tok := windows.GetCurrentThreadToken()
		luids, err := lookupPrivileges()
		if err != nil {
			return err
		}
		return checkEnabled(tok, luids)
	})
	if errors.Is(err, errNotElevated) && !winetest.UnderWine() {
		t.Skipf("not elevated: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
