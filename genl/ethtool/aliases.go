package ethtool

// featureAliases are the names ethtool(8) gives groups of features (its
// short and long legacy names, as in "ethtool -K eth0 gro off"), mapped
// to the kernel's feature names (netdev_features_strings) they stand for.
var featureAliases = map[string][]string{
	"rx":                           {"rx-checksum"},
	"rx-checksumming":              {"rx-checksum"},
	"tx":                           {"tx-checksum-ipv4", "tx-checksum-ip-generic", "tx-checksum-ipv6", "tx-checksum-fcoe-crc", "tx-checksum-sctp"},
	"tx-checksumming":              {"tx-checksum-ipv4", "tx-checksum-ip-generic", "tx-checksum-ipv6", "tx-checksum-fcoe-crc", "tx-checksum-sctp"},
	"sg":                           {"tx-scatter-gather", "tx-scatter-gather-fraglist"},
	"scatter-gather":               {"tx-scatter-gather", "tx-scatter-gather-fraglist"},
	"tso":                          {"tx-tcp-segmentation", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation", "tx-tcp6-segmentation", "tx-tcp-accecn-segmentation"},
	"tcp-segmentation-offload":     {"tx-tcp-segmentation", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation", "tx-tcp6-segmentation", "tx-tcp-accecn-segmentation"},
	"gso":                          {"tx-generic-segmentation"},
	"generic-segmentation-offload": {"tx-generic-segmentation"},
	"gro":                          {"rx-gro"},
	"generic-receive-offload":      {"rx-gro"},
	"lro":                          {"rx-lro"},
	"large-receive-offload":        {"rx-lro"},
	"rxvlan":                       {"rx-vlan-hw-parse"},
	"rx-vlan-offload":              {"rx-vlan-hw-parse"},
	"txvlan":                       {"tx-vlan-hw-insert"},
	"tx-vlan-offload":              {"tx-vlan-hw-insert"},
	"ntuple":                       {"rx-ntuple-filter"},
	"ntuple-filters":               {"rx-ntuple-filter"},
	"rxhash":                       {"rx-hashing"},
	"receive-hashing":              {"rx-hashing"},
}

// FeatureAlias returns the kernel feature names an ethtool(8) name stands
// for ("gro" is "rx-gro"), and whether name is such an alias.
func FeatureAlias(name string) ([]string, bool) {
	m, ok := featureAliases[name]
	return append([]string(nil), m...), ok
}
