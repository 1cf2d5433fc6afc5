package cli

import "iter"

// PrintList prints what seq yields, the way every listing verb does: as
// text, one line each (line appends the object's line, without the
// newline, to its buffer); under -j, one JSON array with an element each
// (what js returns, or the object itself when js is nil). The first error
// seq yields ends the listing and is returned. The lines go through one
// reused buffer into env.Out, so a listing makes no write per object.
func PrintList[T any](env *Env, seq iter.Seq2[T, error], line func(b []byte, v T) []byte, js func(v T) (any, error)) error {
	var list *JSONList
	if env.JSON {
		list = env.Out.JSONList()
	}
	var buf []byte
	for v, err := range seq {
		if err != nil {
			return err
		}
		if list == nil {
			buf = append(line(buf[:0], v), '\n')
			if _, err := env.Out.Write(buf); err != nil {
				return err
			}
			continue
		}
		var elem any = v
		if js != nil {
			if elem, err = js(v); err != nil {
				return err
			}
		}
		if err := list.Add(elem); err != nil {
			return err
		}
	}
	if list != nil {
		return list.Close()
	}
	return nil
}

// One is a sequence of one object, or of the error that getting it
// returned: for PrintList when a verb asks for a single object.
func One[T any](v T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) { yield(v, err) }
}

// Filter yields the objects of seq that keep accepts, and every error.
func Filter[T any](seq iter.Seq2[T, error], keep func(v T) bool) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for v, err := range seq {
			if err == nil && !keep(v) {
				continue
			}
			if !yield(v, err) {
				return
			}
		}
	}
}
