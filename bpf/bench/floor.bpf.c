// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Benchmark references: the floor, an empty tp_btf/kfree_skb program attached next to
 * dropledger's so that bpf_stats shows what running *any* program there costs; and
 * the first touch, which only loads skb->len: whichever program reads the skb first
 * pays for bringing its cache line in, so this is the least any reader costs. */
#include "../kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 touched;

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_floor, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_touch, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	touched += skb->len;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
