// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Benchmark reference: the floor, an empty tp_btf/kfree_skb program attached next to
 * dropledger's so that bpf_stats shows what running *any* program there costs. */
#include "../kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_floor, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
