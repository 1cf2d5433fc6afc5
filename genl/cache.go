package genl

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
)

// FamilyNotFoundError says the controller knows no family of that name (or
// ID). errors.Is(err, fs.ErrNotExist) holds; Err is the kernel's answer.
type FamilyNotFoundError struct {
	// Name is the name asked for; empty when asked by ID.
	Name string
	// ID is the ID asked for, when asked by ID.
	ID uint16
	// Err is the controller's error (ENOENT), if it answered.
	Err error
}

// Error prints `genl: family "nosuch" not found`.
func (e *FamilyNotFoundError) Error() string {
	if e.Name == "" && e.ID != 0 {
		return fmt.Sprintf("genl: family ID %d not found", e.ID)
	}
	return fmt.Sprintf("genl: family %q not found", e.Name)
}

// Is makes errors.Is(err, fs.ErrNotExist) hold.
func (e *FamilyNotFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// Unwrap returns the controller's error.
func (e *FamilyNotFoundError) Unwrap() error { return e.Err }

// familyCache holds the families a Conn resolved, by name.
type familyCache struct {
	mu sync.RWMutex
	m  map[string]*familyEntry
}

// familyEntry is one cached family.
type familyEntry struct {
	fam *Family
}

func (fc *familyCache) get(name string) *familyEntry {
	fc.mu.RLock()
	e := fc.m[name]
	fc.mu.RUnlock()
	return e
}

func (fc *familyCache) put(f *Family) *familyEntry {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.m == nil {
		fc.m = make(map[string]*familyEntry)
	}
	if e := fc.m[f.Name]; e != nil && e.fam.ID == f.ID && e.fam.Equal(f) {
		return e
	}
	e := &familyEntry{fam: f}
	fc.m[f.Name] = e
	return e
}

// forget drops name; with id not 0, only while the entry has that ID.
func (fc *familyCache) forget(name string, id uint16) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if e := fc.m[name]; e != nil && (id == 0 || e.fam.ID == id) {
		delete(fc.m, name)
	}
}

func (fc *familyCache) forgetAll() {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	clear(fc.m)
}

// familyInterner hands out one string per family or group name seen, so
// decoding the same names again allocates nothing. It holds at most
// familyInternMax names.
type familyInterner struct {
	mu sync.Mutex
	m  map[string]string
}

const familyInternMax = 4096

// string returns b as a string, interned; a nil interner allocates.
func (in *familyInterner) string(b []byte) string {
	if in == nil {
		return string(b)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < familyInternMax {
		in.m[s] = s
	}
	return s
}

// Family returns the family called name, resolving it with the controller
// the first time and from the Conn's cache afterwards (no round trip). An
// unknown name gives a *FamilyNotFoundError. The *Family is shared: do not
// change it.
func (c *Conn) Family(ctx context.Context, name string) (*Family, error) {
	if e := c.fams.get(name); e != nil {
		return e.fam, nil
	}
	e, err := c.resolve(ctx, name)
	if err != nil {
		return nil, err
	}
	return e.fam, nil
}

func (c *Conn) resolve(ctx context.Context, name string) (*familyEntry, error) {
	c.startWatch()
	f, err := c.GetFamily(ctx, name)
	if err != nil {
		return nil, err
	}
	return c.fams.put(f), nil
}

// Forget drops the family called name from the Conn's cache: the next call
// by name resolves it again.
func (c *Conn) Forget(name string) { c.fams.forget(name, 0) }

// refresh is called when a request to f came back as if f's ID were
// stale: it forgets f and resolves its name again. It returns the family
// to retry with, or nil when the ID has not changed (the error was the
// request's own).
func (c *Conn) refresh(ctx context.Context, f *Family) (*Family, error) {
	c.fams.forget(f.Name, f.ID)
	e, err := c.resolve(ctx, f.Name)
	if err != nil {
		return nil, err
	}
	if e.fam.ID == f.ID {
		return nil, nil
	}
	return e.fam, nil
}

// errFamilyGone is what GetFamily's controller answer means for a missing
// family: ENOENT.
func familyNotFound(err error, name string, id uint16) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &FamilyNotFoundError{Name: name, ID: id, Err: err}
	}
	return err
}
