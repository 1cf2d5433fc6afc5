package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogQueueText(t *testing.T) {
	mark, uid, gid, seq, seqg := uint32(0x2a), uint32(1000), uint32(100), uint32(7), uint32(9)
	r := logRecord{Group: 3, Prefix: "in", Hook: "INPUT", InDev: "veth0", PhysIn: "eth1", HWAddr: "02:00:00:00:00:01",
		Mark: &mark, UID: &uid, GID: &gid, Seq: &seq, SeqGlobal: &seqg, Len: 33, Summary: "udp 192.0.2.1:1 > 192.0.2.2:2"}
	require.Equal(t, `group=3 prefix="in" hook=INPUT IN=veth0 PHYSIN=eth1 MAC=02:00:00:00:00:01 MARK=0x2a UID=1000 GID=100 SEQ=7 SEQ_GLOBAL=9 LEN=33 udp 192.0.2.1:1 > 192.0.2.2:2`, logText(&r))
	require.Equal(t, `group=0 prefix="" hook= LEN=0`, logText(&logRecord{}))

	q := queueRecord{Queue: 2, ID: 5, Hook: "OUTPUT", HWProto: 0x800, OutDev: "lo", Mark: &mark, UID: &uid, GID: &gid,
		Len: 34, Verdict: "accept", SetMark: &mark}
	require.Equal(t, `queue=2 id=5 hook=OUTPUT hwproto=0x0800 OUT=lo MARK=0x2a UID=1000 LEN=34 verdict=accept set-mark=0x2a`, queueText(&q))
}
