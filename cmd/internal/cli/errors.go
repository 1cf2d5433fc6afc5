package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// UsageError is an error in how the command was called (a bad flag, a
// missing argument): it is printed with a pointer to --help.
type UsageError struct {
	Err error
}

// Error returns the cause's text.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// PrintError prints err on w as nlkit reports failures: "nlkit: " and the
// error's text, which for a kernel error (*core.Error) carries the errno
// and the kernel's extended-ACK message; a hint follows for usage errors
// and for permission errors when not running as root.
func PrintError(w io.Writer, name string, err error) {
	fmt.Fprintf(w, "%s: %s\n", name, err)
	var ue *UsageError
	switch {
	case errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command "):
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", name)
	case errors.Is(err, fs.ErrPermission) && os.Geteuid() != 0:
		fmt.Fprintf(w, "(this needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN: try sudo)\n")
	}
}
