// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark: a synthetic drop-event producer for the consumer-capacity test. Run with
 * BPF_PROG_TEST_RUN and `repeat`, it writes one dl_event per run into the ring of the
 * CPU it runs on (the same ARRAY_OF_MAPS-of-RINGBUF layout as dropledger.bpf.c), as
 * fast as the kernel can, spreading events over `customers` customers and 4 reasons.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "../dropledger.h"

const volatile __u32 customers = 1000;
const volatile __u64 wakeup_bytes = 1;

struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

/* [0] events written, [1] reserve failures (ring full), [2] sequence */
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
	__u32 cpu = bpf_get_smp_processor_id(), k = 2;
	__u64 *seq = bpf_map_lookup_elem(&stats, &k), n;
	struct dl_event *e;
	void *ring;

	if (!seq)
		return XDP_PASS;
	n = (*seq)++;
	ring = bpf_map_lookup_elem(&rings, &cpu);
	if (!ring)
		return XDP_PASS;
	e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e) {
		bump(1);
		return XDP_PASS;
	}
	e->customer = 1000 + (n % customers);
	e->location = 0xffffffff81000000ULL;
	e->reason = 2 + ((n / customers) & 3);
	e->ifindex = 2;
	e->netns = 4026531840U;
	e->len = 64;
	e->status = DL_STATUS_CUSTOMER;
	/* As dropledger.bpf.c: wake only the event that crosses wakeup_bytes. */
	__u64 over = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) - wakeup_bytes;

	bpf_ringbuf_submit(e, over < sizeof(*e) + BPF_RINGBUF_HDR_SZ ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	bump(0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
