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
const volatile __u32 cpus = 0;

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

/* A TC program: each BPF_PROG_TEST_RUN of an XDP program switches the kernel's XDP
 * dispatcher (a static key and an RCU grace period, ~10 ms), which made a flood of
 * short runs sleep most of the time. */
SEC("tc")
int produce(struct __sk_buff *ctx)
{
	__u32 k = 2;
	__u64 *seq = bpf_map_lookup_elem(&stats, &k), n;

	if (!seq)
		return 0;
	n = *seq;
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 id = cpus ? 1000 + (n * cpus + cpu) % customers : 1000 + (n % customers);
	__u32 reason = cpus ? 2 : 2 + ((n / customers) & 3);

	if (enqueue(this_cpu_cursor(cpu), cpu, id, 0xffffffff81000000ULL, reason, 2, 4026531840U, 64,
		    DL_STATUS_CUSTOMER, 1)) {
		bump(0);
		*seq = n + 1;
	} else {
		bump(1);
		if (!cpus)
			*seq = n + 1;
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
