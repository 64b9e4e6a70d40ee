// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * dropledger: attribute every dropped skb to the customer named in its
 * metadata TLV area (../shared/docs/metadata-tlv.md) and hand it to user space
 * through one ring per CPU.
 */
#include <stdbool.h>
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "dropledger.h"
#include "metadata_read.h"
#include "event_ring.h"
#include "sampler.h"

/* Load-time configuration, set by user space before load. */
const volatile __u8 customer_tlv_type = 1;
const volatile __u32 netns_filter = 0;    /* count only this netns inode; 0 = all */

/* Counts of drops whose ring was full, so no drop goes uncounted. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct dl_fallback_key);
	__type(value, struct dl_count);
} fallback SEC(".maps");

/* Second line when `fallback` is full (a flood of distinct customers): keep the status
 * and the reason (the key's customer is 0), so that only customers' drops are summed. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct dl_fallback_key);
	__type(value, struct dl_count);
} fallback_reasons SEC(".maps");

/* Drops that fitted neither the ring nor either fallback map: should stay 0. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unrecorded SEC(".maps");

/* Adds to a per-CPU cumulative count; this CPU is the only writer of its slot. */
static __always_inline bool count_in(void *map, const void *key, __u16 segments, __u32 len)
{
	struct dl_count *c = bpf_map_lookup_elem(map, key);

	if (!c) {
		struct dl_count zero = {};

		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(map, key);
		if (!c)
			return false;
	}
	c->drops += segments;
	c->bytes += len;
	return true;
}

static __always_inline int record_drop(struct sk_buff *skb, void *location, enum skb_drop_reason reason, bool direct)
{
	struct net_device *dev = skb->dev;
	__u32 ifindex = 0, netns = 0, len = skb->len, cpu;
	struct dl_ring_cursor *cursor;
	__u64 customer = 0;
	__u16 segments;
	__u8 status;

	/* Older kernels send freed-not-dropped skbs through this tracepoint too. */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	if (dev) {
		ifindex = dev->ifindex;
		netns = dev->nd_net.net->ns.inum;
	}
	if (netns_filter && netns != netns_filter)
		return 0;

	status = direct ? classify_direct(skb, &customer_tlv_type, &customer)
			: classify_copy(skb, &customer_tlv_type, &customer);
	segments = direct ? segments_direct(skb) : segments_copy(skb);
	cpu = bpf_get_smp_processor_id();
	cursor = this_cpu_cursor(cpu);
	sample_drop(cursor, skb, customer, (__u64)location, reason, status, segments);
	if (enqueue(cursor, cpu, customer, (__u64)location, reason, ifindex, netns, len, status, segments))
		return 0;

	struct dl_fallback_key key = { .customer = customer, .status = status, .reason = reason };
	__u32 zero = 0;
	__u64 *lost;

	if (count_in(&fallback, &key, segments, len))
		return 0;
	key.customer = 0;
	if (count_in(&fallback_reasons, &key, segments, len))
		return 0;
	lost = bpf_map_lookup_elem(&unrecorded, &zero);
	if (lost)
		*lost += segments;
	return 0;
}

/* User space loads exactly one of these two: the first where the kernel allows it. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(on_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return record_drop(skb, location, reason, true);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(on_kfree_skb_copy, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return record_drop(skb, location, reason, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
