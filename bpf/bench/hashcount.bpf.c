// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark reference: how ebpf_exporter-style exporters count. The same metadata
 * read and TLV walk as dropledger.bpf.c (metadata_read.h, so the two do the same work
 * up to the point where they differ), then an in-kernel per-CPU hash counter keyed by
 * (customer, status, reason) that user space would read at scrape time.
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

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_hashcount, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct dl_fallback_key key = { .reason = reason };
	struct dl_count *c;

	if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	key.status = classify(skb, &customer_tlv_type, &key.customer);
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
