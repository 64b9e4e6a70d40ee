// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark reference: how ebpf_exporter-style exporters count. The same metadata
 * read and TLV walk as dropledger.bpf.c (metadata_read.h, so the two do the same work
 * up to the point where they differ), then an in-kernel per-CPU hash counter keyed by
 * (customer, status, reason) that user space would read at scrape time. Two variants,
 * as dropledger's: dlbench loads the direct one where the kernel allows it, as
 * dropledger does, and can load the copy one next to it to show what the copy costs.
 */
#include <stdbool.h>
#include "../kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "../metadata_read.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dl_fallback_key);
	__type(value, struct dl_count);
} counts SEC(".maps");

const volatile __u8 customer_tlv_type = 1;

static __always_inline int count_drop(struct sk_buff *skb, enum skb_drop_reason reason, bool direct)
{
	struct dl_fallback_key key = { .reason = reason };
	struct dl_count *c;

	if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	key.status = direct ? classify_direct(skb, &customer_tlv_type, &key.customer)
			    : classify_copy(skb, &customer_tlv_type, &key.customer);
	c = bpf_map_lookup_elem(&counts, &key);
	if (!c) {
		struct dl_count zero = {};

		bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counts, &key);
		if (!c)
			return 0;
	}
	c->drops += 1;
	c->bytes += skb->len;
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_hashcount, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return count_drop(skb, reason, true);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_hashcount_copy, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return count_drop(skb, reason, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
