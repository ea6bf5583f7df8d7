package tune

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Cache is the measured choices of every machine and dlc version that
// tuned on this account, in one JSON file: choices by entry key (the CPU,
// the dlc version and the decision's key, see EntryKey).
type Cache struct {
	path    string
	Version int               `json:"version"`
	Choices map[string]string `json:"choices"`
}

// cacheVersion is the file's format.
const cacheVersion = 1

// DefaultCachePath is dlc/tune.json in the user's cache folder.
func DefaultCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache folder for the tuning cache: %w", err)
	}
	return filepath.Join(dir, "dlc", "tune.json"), nil
}

// EntryKey is the cache key of one decision on one machine and dlc
// version: a choice measured elsewhere, or with other kernels, is not
// reused.
func EntryKey(cpu, version, decision string) string {
	return cpu + " | " + version + " | " + decision
}

// LoadCache reads the cache at path. A missing file is an empty cache; an
// unreadable or malformed one is an error (and an empty cache, which the
// caller may go on with).
func LoadCache(path string) (*Cache, error) {
	c := &Cache{path: path, Version: cacheVersion, Choices: map[string]string{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, nil
	case err != nil:
		return c, fmt.Errorf("reading the tuning cache: %w", err)
	}
	var file Cache
	if err := json.Unmarshal(data, &file); err != nil {
		return c, fmt.Errorf("the tuning cache %s is not valid JSON (delete it to start afresh): %w", path, err)
	}
	if file.Version != cacheVersion {
		return c, nil // another format: start afresh, overwriting it
	}
	for k, v := range file.Choices {
		c.Choices[k] = v
	}
	return c, nil
}

// Save writes the cache: to a temporary file beside it, then renamed, so
// that a reader never sees half a file.
func (c *Cache) Save() error {
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("writing the tuning cache: %w", err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".tune-*.json")
	if err != nil {
		return fmt.Errorf("writing the tuning cache: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), c.path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the tuning cache: %w", werr)
	}
	return nil
}
