// Package genl speaks generic netlink (NETLINK_GENERIC): the layer that
// libnl calls libnl-genl, built on github.com/nlkit/nlkit/core.
//
// A Conn sends a family's commands by the family's name: Execute and
// ExecuteFunc for a request and its answer, Dump for a dump, Subscribe for
// the events of one of the family's multicast groups. Every message
// carries the generic netlink header (genlmsghdr: command and version);
// a family with a header of its own (Family.HeaderSize) has it between
// genlmsghdr and the attributes, in Message.FamilyHeader on the way in and
// at the start of the attrs argument on the way out.
//
//	c, err := genl.Dial(nil)
//	...
//	defer c.Close()
//	msgs, err := c.Execute(ctx, "ethtool", ETHTOOL_MSG_LINKINFO_GET, 0, attrs)
//
// # The controller
//
// The controller, nlctrl, is a family too (ID GENL_ID_CTRL). GetFamily,
// FamilyByID, Families and FamilyIter ask it about families: ID, version,
// header size, maximum attribute, commands (Op, with flags such as
// OpCanDo, OpCanDump, OpHasPolicy, OpAdminPerm) and multicast groups.
// Policy and OpPolicy dump the attribute policies the kernel validates
// requests against (CTRL_CMD_GETPOLICY) into a PolicyDump, which
// converts to a core.Policy (PolicyDump.Core, OpCore). A namespace other
// than the initial one only sees the families that support namespaces.
//
// # Family cache
//
// Family resolves a name once per Conn and remembers it: after the first
// call, a name costs a map lookup and no round trip. The cache forgets a
// family when the controller announces it gone (CTRL_CMD_DELFAMILY on
// nlctrl's "notify" group, which a goroutine of the Conn watches on a
// socket of its own, from the first resolution until Close) and when a
// request by name is answered ENOENT or EINVAL and the name now resolves
// to another ID: that request is then sent again, once. An unknown name
// is a *FamilyNotFoundError (errors.Is(err, fs.ErrNotExist)).
//
// # Validating before sending
//
// Validate checks a request's attributes against the policy the kernel
// will apply to that command (fetched once per command with
// CTRL_CMD_GETPOLICY and kept with the family); ExecuteValidated refuses a
// request that breaks it without sending it, with a *ValidationError
// wrapping the *core.PolicyError and its attribute path. The kernel does
// not name attributes: a family package gives names with SetAttrNames.
//
// # Writing a family package
//
// A typed client for one family (package genl/ethtool is one) holds a
// *genl.Conn, encodes requests with core.AttrEncoder, calls ExecuteFunc,
// Dump or Subscribe with its family's name, and decodes Message.Data with
// core.AttrScanner into its objects. Package genl/genltest is a fake
// kernel with a controller, for unit tests of such a package. See
// docs/genl.md.
package genl
