package netdev

// The family, as the kernel registers it (linux/netdev.h, generated from
// Documentation/netlink/specs/netdev.yaml). x/sys/unix does not carry
// these yet; the values are the kernel's ABI.
const (
	// FamilyName is the generic netlink family name.
	FamilyName = "netdev"
	// FamilyVersion is the interface version requests carry.
	FamilyVersion = 1
	// GroupMgmt is the multicast group of device notifications.
	GroupMgmt = "mgmt"
	// GroupPagePool is the multicast group of page pool notifications.
	GroupPagePool = "page-pool"
)

// Commands (NETDEV_CMD_*).
const (
	CmdDevGet            = 1
	CmdDevAddNtf         = 2
	CmdDevDelNtf         = 3
	CmdDevChangeNtf      = 4
	CmdPagePoolGet       = 5
	CmdPagePoolAddNtf    = 6
	CmdPagePoolDelNtf    = 7
	CmdPagePoolChangeNtf = 8
	CmdPagePoolStatsGet  = 9
	CmdQueueGet          = 10
	CmdNAPIGet           = 11
	CmdQstatsGet         = 12
	CmdBindRX            = 13
	CmdNAPISet           = 14
	CmdBindTX            = 15
)

// Device attributes (NETDEV_A_DEV_*).
const (
	attrDevIfindex               = 1
	attrDevPad                   = 2
	attrDevXDPFeatures           = 3
	attrDevXDPZCMaxSegs          = 4
	attrDevXDPRXMetadataFeatures = 5
	attrDevXSKFeatures           = 6
)

// Page pool attributes (NETDEV_A_PAGE_POOL_*).
const (
	attrPagePoolID          = 1
	attrPagePoolIfindex     = 2
	attrPagePoolNAPIID      = 3
	attrPagePoolInflight    = 4
	attrPagePoolInflightMem = 5
	attrPagePoolDetachTime  = 6
	attrPagePoolDMABuf      = 7
	attrPagePoolIOURing     = 8
)

// Page pool statistics attributes (NETDEV_A_PAGE_POOL_STATS_*).
const (
	attrPPStatsInfo                  = 1
	attrPPStatsAllocFast             = 8
	attrPPStatsAllocSlow             = 9
	attrPPStatsAllocSlowHighOrder    = 10
	attrPPStatsAllocEmpty            = 11
	attrPPStatsAllocRefill           = 12
	attrPPStatsAllocWaive            = 13
	attrPPStatsRecycleCached         = 14
	attrPPStatsRecycleCacheFull      = 15
	attrPPStatsRecycleRing           = 16
	attrPPStatsRecycleRingFull       = 17
	attrPPStatsRecycleReleasedRefcnt = 18
)

// NAPI attributes (NETDEV_A_NAPI_*).
const (
	attrNAPIIfindex           = 1
	attrNAPIID                = 2
	attrNAPIIRQ               = 3
	attrNAPIPID               = 4
	attrNAPIDeferHardIRQs     = 5
	attrNAPIGROFlushTimeout   = 6
	attrNAPIIRQSuspendTimeout = 7
	attrNAPIThreaded          = 8
)

// Queue attributes (NETDEV_A_QUEUE_*).
const (
	attrQueueID      = 1
	attrQueueIfindex = 2
	attrQueueType    = 3
	attrQueueNAPIID  = 4
	attrQueueDMABuf  = 5
	attrQueueIOURing = 6
	attrQueueXSK     = 7
)

// Queue statistics attributes (NETDEV_A_QSTATS_*).
const (
	attrQstatsIfindex   = 1
	attrQstatsQueueType = 2
	attrQstatsQueueID   = 3
	attrQstatsScope     = 4
	attrQstatsFirst     = 8 // rx-packets; the counters run from here
)

// QstatsScopeQueue asks qstats-get for one entry per queue instead of one
// per device (NETDEV_QSTATS_SCOPE_QUEUE).
const QstatsScopeQueue = 1
