package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// outputBuffer is the size of Output's buffer: output reaches the file in
// writes of this size, so a listing of 100k objects makes a few dozen
// writes, not 100k.
const outputBuffer = 64 << 10

// Output is a buffered writer for a verb's standard output. Write errors
// are sticky: the first one is kept and returned by Flush, so verbs can
// print without checking every call.
type Output struct {
	w   *bufio.Writer
	err error
}

// NewOutput returns an Output writing to w.
func NewOutput(w io.Writer) *Output {
	return &Output{w: bufio.NewWriterSize(w, outputBuffer)}
}

// Write appends p to the buffer.
func (o *Output) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	o.err = err
	return n, err
}

// WriteString appends s to the buffer.
func (o *Output) WriteString(s string) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.WriteString(s)
	o.err = err
	return n, err
}

// Printf formats to the buffer.
func (o *Output) Printf(format string, args ...any) {
	fmt.Fprintf(o, format, args...)
}

// Println prints args separated by spaces and a newline.
func (o *Output) Println(args ...any) {
	fmt.Fprintln(o, args...)
}

// Flush writes what is buffered and returns the first write error.
func (o *Output) Flush() error {
	if o.err != nil {
		return o.err
	}
	o.err = o.w.Flush()
	return o.err
}

// JSON prints v as indented JSON followed by a newline.
func (o *Output) JSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return o.indented(b, "")
}

func (o *Output) indented(b []byte, prefix string) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, prefix, "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := o.Write(buf.Bytes())
	return err
}

// JSONList streams a JSON array one element at a time, so a long listing
// is never held whole in memory. Close ends it (an empty list prints []).
type JSONList struct {
	o *Output
	n int
}

// JSONList starts a JSON array on the output.
func (o *Output) JSONList() *JSONList { return &JSONList{o: o} }

// Add prints one element.
func (l *JSONList) Add(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if l.n == 0 {
		l.o.WriteString("[\n  ")
	} else {
		l.o.WriteString(",\n  ")
	}
	l.n++
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "  ", "  "); err != nil {
		return err
	}
	_, err = l.o.Write(buf.Bytes())
	return err
}

// Close ends the array.
func (l *JSONList) Close() error {
	var err error
	if l.n == 0 {
		_, err = l.o.WriteString("[]\n")
	} else {
		_, err = l.o.WriteString("\n]\n")
	}
	return err
}
