/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The per-CPU event rings: their maps and the producer's side. Shared by
 * dropledger.bpf.c and the benchmark's synthetic producer (bench/producer.bpf.c),
 * which fills the same maps the same way; the consumer is RingConsumer.swift.
 */
#ifndef DL_EVENT_RING_H
#define DL_EVENT_RING_H

#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "dropledger.h"

/*
 * Memory ordering between this producer and the consumer on another CPU
 * (RingConsumer.swift, through dl_cursor_load_head / dl_cursor_store_tail):
 *
 *  - Publish: the event's stores must be visible before the head that covers it; the
 *    consumer loads the head with acquire, so this side needs release. BPF has a
 *    store-release only from Linux 6.15 on, so per architecture:
 *      x86: stores are not reordered with earlier stores (TSO); a compiler barrier
 *           and a plain store are a release. The JIT emits a mov.
 *      arm64: an atomic exchange (BPF_XCHG, Linux 5.12 on) is fully ordered on every
 *           JIT (swpal, or ldaxr/stlxr and dmb ish), so it is a release too.
 *    Any other architecture is refused at build time (below, and in the Makefile).
 *  - Reuse of a slot: the consumer stores the tail with release after reading the
 *    events behind it. Here the slot's stores depend on the loaded tail through the
 *    full-ring branch; no CPU makes a store visible before the branch it depends on
 *    resolves (a control dependency, as the kernel's perf ring buffer relies on), so
 *    the slot is not overwritten before the consumer has read it.
 */
#if defined(__TARGET_ARCH_x86)
#define dl_publish_head(cursor, value)                          \
	do {                                                    \
		asm volatile("" ::: "memory");                  \
		*(volatile __u64 *)&(cursor)->head = (value);   \
	} while (0)
#elif defined(__TARGET_ARCH_arm64)
#define dl_publish_head(cursor, value) \
	((void)__atomic_exchange_n(&(cursor)->head, (value), __ATOMIC_SEQ_CST))
#else
#error "dropledger's rings are built for x86 and arm64 only (define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64): another architecture needs its publish ordering checked first"
#endif

/* Load-time configuration, set by user space before load. */
const volatile __u32 ring_shift = 12;      /* each CPU's ring holds 1 << ring_shift events */
const volatile __u32 wakeup_events = 1024; /* ring the CPU's doorbell when its ring holds this many */
const volatile __u32 urgent_events = 3072; /* ... or this many, even while its consumer polls */

/*
 * One ring per possible CPU, written only by BPF programs on that CPU and read
 * only by the consumer: CPU c's events are slots [c << ring_shift, (c + 1) << ring_shift).
 * Written by hand instead of a BPF_MAP_TYPE_RINGBUF because that one is built for
 * many producers: a reserve takes a spinlock with interrupts off and a commit is an
 * atomic exchange, together about as much as everything else this program does
 * (bench/RESULTS.md). Here one CPU is the only producer of its ring, so plain stores do.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);               /* user space sets CPUs << ring_shift */
	__type(key, __u32);
	__type(value, struct dl_event);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);               /* user space sets the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct dl_ring_cursor);
} cursors SEC(".maps");

struct doorbell {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);            /* template; user space makes one per CPU */
};

/* One per CPU: wakes (epoll) the consumer thread of that CPU's ring when the ring
 * passes wakeup_events. A record is the CPU number; the ring holds the events. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);               /* user space sets the number of possible CPUs */
	__type(key, __u32);
	__array(values, struct doorbell);
} doorbells SEC(".maps");

/*
 * Appends one event to this CPU's ring (`cursor`: this_cpu_cursor(cpu)); false when the
 * ring is full (or there is no cursor). Nothing else
 * writes this ring's head (a run of the program on this CPU is never interrupted by
 * another: the kernel skips and counts nested runs as recursion misses), and the
 * consumer only moves the tail after it has read the events behind it.
 */
/* This CPU's ring positions (NULL only if the map is smaller than the CPU count). */
static __always_inline struct dl_ring_cursor *this_cpu_cursor(__u32 cpu)
{
	return bpf_map_lookup_elem(&cursors, &cpu);
}

static __always_inline bool enqueue(struct dl_ring_cursor *cursor, __u32 cpu, __u64 customer, __u64 location,
				    __u32 reason, __u32 ifindex, __u32 netns, __u32 len, __u8 status, __u16 segments)
{
	__u32 shift = ring_shift, slot;
	struct dl_event *e;
	__u64 head, tail;

	if (!cursor)
		return false;
	head = cursor->head;
	tail = *(volatile __u64 *)&cursor->tail;
	if (head - tail >= 1ULL << shift)
		return false;
	slot = (cpu << shift) | (__u32)(head & ((1ULL << shift) - 1));
	e = bpf_map_lookup_elem(&events, &slot);
	if (!e)
		return false;
	e->customer = customer;
	e->location = location;
	e->reason = reason;
	e->ifindex = ifindex;
	e->netns = netns;
	e->len = len;
	e->status = status;
	e->segments = segments;
	/* Publish after the event (release; see the top of this file). */
	dl_publish_head(cursor, head + 1);
	/* Wake the consumer once per rise through a threshold, not on every event: the
	 * fill this program sees rises by one per event (a stale tail only makes it look
	 * fuller), so every crossing is seen exactly once. A doorbell is expensive for the
	 * dropping CPU (an irq_work self-IPI; ~10 us on a VM, bench/RESULTS.md), so while
	 * drops keep coming the consumer drains on a timer instead and says so in `polling`;
	 * then only a ring filling faster than its timer expects (urgent_events) rings. */
	__u64 fill = head + 1 - tail;

	if ((fill == wakeup_events && !*(volatile __u32 *)&cursor->polling) || fill == urgent_events) {
		void *doorbell = bpf_map_lookup_elem(&doorbells, &cpu);

		if (doorbell)
			bpf_ringbuf_output(doorbell, &cpu, sizeof(cpu), BPF_RB_FORCE_WAKEUP);
	}
	return true;
}

#endif
