// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark: a synthetic drop-event producer for the consumer-capacity test. Run with
 * BPF_PROG_TEST_RUN and `repeat`, it appends one dl_event per run to the ring of the
 * CPU it runs on, with the same maps and the same enqueue() as dropledger.bpf.c
 * (event_ring.h), as fast as the kernel can, spreading events over `customers`
 * customers and 4 reasons.
 */
#include "../event_ring.h"

const volatile __u32 customers = 1000;

/* [0] events written, [1] ring full, [2] sequence */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &k);

	if (v)
		*v += 1;
}

SEC("xdp")
int produce(struct xdp_md *ctx)
{
	__u32 k = 2;
	__u64 *seq = bpf_map_lookup_elem(&stats, &k), n;

	if (!seq)
		return XDP_PASS;
	n = (*seq)++;
	__u32 cpu = bpf_get_smp_processor_id();

	if (enqueue(this_cpu_cursor(cpu), cpu, 1000 + (n % customers), 0xffffffff81000000ULL, 2 + ((n / customers) & 3), 2,
		    4026531840U, 64, DL_STATUS_CUSTOMER, 1))
		bump(0);
	else
		bump(1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
