package runtime

import (
	"bufio"
	"os"
	"path/filepath"
)

// writeFileAtomic replaces path with what write produces, so that a crash
// or kill at any moment leaves either the old file or the new one, whole:
// the content goes to a temporary file in the same folder (a rename is
// atomic only within one file system), which is flushed to disk, renamed
// over path, and the folder is flushed so that the rename itself survives
// a power loss. The temporary file has a fixed name, path+".tmp", so that
// one left by a killed writer is overwritten by the next save rather than
// piling up.
func writeFileAtomic(path string, write func(*bufio.Writer) error) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir flushes a folder's entries to disk. Some file systems cannot sync
// a folder; the rename has happened by then, so that is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	d.Sync()
	return nil
}
