package genl

// Cached reports whether c's cache holds the family called name.
func Cached(c *Conn, name string) bool { return c.fams.get(name) != nil }
