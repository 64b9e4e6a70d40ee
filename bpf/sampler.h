/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Samples of dropped packets (issue 17): at a bounded rate per CPU, the first bytes of
 * a dropped packet and its event's fields go into the `samples` BPF ring buffer, for
 * user space to decode and keep per customer.
 *
 * The cost that matters is the drops that are not sampled, in a flood. Each (customer,
 * status, reason) key counts down the drops of it to skip before it looks at the clock
 * again: the key this CPU looked last keeps its countdown in the CPU's ring cursor,
 * next to the ring's head the program writes anyway (a flood's drops pay a hash, a
 * compare and a decrement), the others in a small direct-mapped table per CPU (a
 * per-CPU lookup more). Only when a key's countdown ends, or another key lands in its
 * slot, does a drop read the clock, refill the CPU's budget and decide.
 *
 * Bounds, per CPU: samples are paid from a budget refilled at --samples.rate per
 * second and capped at one second's worth, so at most rate x (seconds + 1) samples;
 * and one key is sampled at most every sample_key_interval_ns (a quarter of the rate),
 * so a flood of one customer and reason leaves the rest of the budget to the others.
 * A countdown only ever skips drops of its own key, and is sized from that key's
 * recent rate to last until the key could be sampled again.
 */
#ifndef DL_SAMPLER_H
#define DL_SAMPLER_H

#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "dropledger.h"

/* Load-time configuration, set by user space before load. 0: sampling off, and the
 * verifier drops every instruction below from the program. */
const volatile __u64 sample_interval_ns = 0;      /* 1 s / --samples.rate */
const volatile __u64 sample_key_interval_ns = 0;  /* the shortest gap between two samples of one key */

#define DL_SAMPLER_SLOTS 64           /* a power of two */
#define DL_SAMPLE_BURST_NS 1000000000ULL /* the budget holds at most one second of samples */
#define DL_SAMPLE_MAX_SKIP (1U << 20)

struct dl_sampler_slot {
	__u64 key;         /* sampler_key(): 0 for a slot never used */
	__u64 next_ns;     /* this key may be sampled again from then on */
	__u64 checked_ns;  /* when this key last looked at the clock */
	__u32 skip;        /* drops of this key to skip before looking again (while not in the cursor) */
	__u32 planned;     /* the skip planned then: the key's drops between two looks, minus one */
};

struct dl_sampler {
	__u64 budget_ns;   /* sampling time available: a sample costs sample_interval_ns */
	__u64 refilled_ns;
	struct dl_sampler_slot slots[DL_SAMPLER_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dl_sampler);
} sampler SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);      /* user space sizes it to the rate and CPUs */
} samples SEC(".maps");

/* Samples the ring buffer had no room for (per CPU): user space counts them as lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} samples_lost SEC(".maps");

/* A drop's key in the table: (customer, status << 32 | reason) hashed to 64 bits, whose
 * top bits pick the slot. Two keys with the same hash (one chance in 2^64) would share
 * a quarter of the budget; the bounds hold whatever the keys are. */
static __always_inline __u64 sampler_key(__u64 customer, __u64 status_reason)
{
	return ((customer * 0x9E3779B97F4A7C15ULL) ^ status_reason) * 0xC2B2AE3D27D4EB4FULL;
}

static __always_inline __u32 sampler_slot(__u64 key)
{
	return key >> (64 - 6);  /* log2(DL_SAMPLER_SLOTS) */
}

/* Where the copied bytes start: the MAC header of an Ethernet frame, else the network
 * header (a tunnel's decapsulated packet, a device without a link header). */
static __always_inline void copy_headers(struct sk_buff *skb, struct dl_sample *r)
{
	unsigned char *head = skb->head;
	__u16 mac = skb->mac_header, network = skb->network_header;
	__u32 start, tail = skb->tail, cap;
	long wire;

	if (mac != (__u16)~0U && (network == (__u16)~0U || network >= mac + 14)) {
		start = mac;
		r->link = DL_SAMPLE_LINK_ETHERNET;
	} else if (network != (__u16)~0U) {
		start = network;
		r->link = DL_SAMPLE_LINK_RAW_IP;
	} else {
		return;
	}
	cap = tail > start ? tail - start : 0;
	if (cap > DL_SAMPLE_BYTES)
		cap = DL_SAMPLE_BYTES;
	/* Masked: older verifiers lose the bound the branch gave. */
	asm volatile("%0 &= 0xff" : "+r"(cap));
	if (cap > DL_SAMPLE_BYTES)
		cap = DL_SAMPLE_BYTES;
	if (bpf_probe_read_kernel(r->bytes, cap, head + start))
		cap = 0;
	r->captured = cap;
	/* skb->len counts from skb->data, which may be past `start` (a received frame) or at
	 * it. As numbers: the verifier allows no arithmetic between two pointers. */
	__u64 data = 0, base = 0;

	bpf_core_read(&data, sizeof(data), &skb->data);
	bpf_core_read(&base, sizeof(base), &skb->head);
	wire = (long)skb->len + (long)(data - base) - (long)start;
	r->wire_len = wire < cap ? cap : wire;
	if (bpf_core_field_exists(struct sk_buff___vlan_present, vlan_present) &&
	    !BPF_CORE_READ_BITFIELD((struct sk_buff___vlan_present *)skb, vlan_present))
		return;
	r->vlan_tci = skb->vlan_tci;
	r->vlan_proto = skb->vlan_proto;
}

/* Out of line: the program's stack is nearly all taken on 6.1, and this runs rarely. */
static __noinline void dl_take_sample(struct sk_buff *skb, __u64 customer, __u64 location, __u32 reason,
				      __u32 status_segments)
{
	struct dl_sample *r = bpf_ringbuf_reserve(&samples, sizeof(*r), 0);
	struct net_device *dev = skb->dev;

	if (!r) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&samples_lost, &zero);

		if (lost)
			*lost += 1;
		return;
	}
	__builtin_memset(r, 0, 64);
	r->time_ns = bpf_ktime_get_boot_ns();
	r->customer = customer;
	r->location = location;
	r->reason = reason;
	if (dev) {
		r->ifindex = dev->ifindex;
		r->netns = dev->nd_net.net->ns.inum;
	}
	r->len = skb->len;
	r->status = status_segments & 0xff;
	r->segments = status_segments >> 16;
	copy_headers(skb, r);
	bpf_ringbuf_submit(r, 0);
}

/*
 * Whether this drop is sampled, and if so the sample. With sampling off (the default
 * of the variable, and --samples.rate 0) the whole body is dead code to the verifier.
 * `cursor` is this CPU's (this_cpu_cursor()).
 */
static __always_inline void sample_drop(struct dl_ring_cursor *cursor, struct sk_buff *skb, __u64 customer,
					__u64 location, __u32 reason, __u8 status, __u16 segments)
{
	__u32 zero = 0;
	struct dl_sampler *s;
	struct dl_sampler_slot *slot;
	__u64 key, now, budget, wait, skip = 0, status_reason = (__u64)status << 32 | reason;
	bool take;

	if (!sample_interval_ns || !cursor)
		return;
	/* A flood: the same key as the last look, counting down in the cursor's line. */
	if (cursor->sample_customer == customer && cursor->sample_status_reason == status_reason &&
	    cursor->sample_skip) {
		cursor->sample_skip--;
		return;
	}
	key = sampler_key(customer, status_reason);
	s = bpf_map_lookup_elem(&sampler, &zero);
	if (!s)
		return;
	slot = &s->slots[sampler_slot(key) & (DL_SAMPLER_SLOTS - 1)];
	if (slot->key == key && slot->skip) {
		slot->skip--;
		return;
	}

	/* The slow path: once per countdown, or for a key new to its slot. */
	now = bpf_ktime_get_boot_ns();
	if (slot->key != key) {
		slot->key = key;
		slot->next_ns = 0;
		slot->checked_ns = 0;
		slot->planned = 0;
	}
	budget = s->budget_ns + (now - s->refilled_ns);
	if (budget > DL_SAMPLE_BURST_NS)
		budget = DL_SAMPLE_BURST_NS;
	s->refilled_ns = now;
	take = now >= slot->next_ns && budget >= sample_interval_ns;
	if (take) {
		budget -= sample_interval_ns;
		slot->next_ns = now + sample_key_interval_ns;
	}
	s->budget_ns = budget;

	/* Until this key could be sampled again, skip as many of its drops as it had in
	 * the same time before (planned + 1 drops since checked_ns). */
	wait = slot->next_ns > now ? slot->next_ns - now : 0;
	if (budget < sample_interval_ns && sample_interval_ns - budget > wait)
		wait = sample_interval_ns - budget;
	if (slot->checked_ns && now > slot->checked_ns) {
		skip = ((__u64)slot->planned + 1) * wait / (now - slot->checked_ns);
		if (skip > DL_SAMPLE_MAX_SKIP)
			skip = DL_SAMPLE_MAX_SKIP;
	}
	slot->planned = skip;
	slot->checked_ns = now;
	/* The countdown goes to the cursor; the key it held keeps what it had left in its slot. */
	if (cursor->sample_skip) {
		__u64 held_key = sampler_key(cursor->sample_customer, cursor->sample_status_reason);
		struct dl_sampler_slot *held = &s->slots[sampler_slot(held_key) & (DL_SAMPLER_SLOTS - 1)];

		if (held_key != key && held->key == held_key)
			held->skip = cursor->sample_skip;
	}
	slot->skip = 0;
	cursor->sample_customer = customer;
	cursor->sample_status_reason = status_reason;
	cursor->sample_skip = skip;

	if (take)
		dl_take_sample(skb, customer, location, reason, (__u32)segments << 16 | status);
}

#endif
