/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The contract between dropledger.bpf.c and user space: the event written to
 * the per-CPU rings, the rings' positions and the fallback map's layout. Included by the BPF program
 * and by the C shim Swift imports, so both sides see the same layout.
 */
#ifndef DROPLEDGER_H
#define DROPLEDGER_H

/* What the metadata said about the dropped packet's customer: the one encoding of a
 * drop's customer kind, in the kernel, in the maps and in user space's tables. */
enum dl_status {
	DL_STATUS_CUSTOMER = 0, /* customer entry found; dl_event.customer holds the ID */
	DL_STATUS_NONE = 1,     /* no metadata area, or no customer entry in it */
	DL_STATUS_INVALID = 2,  /* malformed area or customer value */
	DL_STATUS_OTHER = 3,    /* never written by a program: user space's sum of customers
				 * (`other`), e.g. in a state directory's `folded` map */
};

/* The kernel caps the XDP/skb metadata area at 252 bytes (metadata-tlv.md). */
#define DL_META_MAX 252

/* One drop, as the program writes it into its CPU's ring. 64 bytes: one cache line,
 * so the consumer reading an event never shares a line with the producer writing the next. */
struct dl_event {
	__u64 customer;   /* valid when status == DL_STATUS_CUSTOMER */
	__u64 location;   /* kernel address of the code that dropped the skb */
	__u32 reason;     /* enum skb_drop_reason, subsystem bits included */
	__u32 ifindex;    /* skb->dev, 0 if none */
	__u32 netns;      /* inode of skb->dev's network namespace, 0 if none */
	__u32 len;        /* skb->len */
	__u8 status;      /* enum dl_status */
	__u8 pad0;
	__u16 segments;   /* packets on the wire: a GRO/GSO aggregate's segments, else 1 */
	__u8 pad[28];
};

/*
 * The positions of one CPU's ring (a single-producer, single-consumer queue of
 * dl_event in the `events` array): counts of events written and consumed since
 * the ring was made, never reset; event i is in slot i % ring size. Each on its
 * own cache line, because each has one writer on a different CPU.
 */
struct dl_ring_cursor {
	__u64 head;       /* written by the BPF program on this CPU only */
	__u64 sample_customer;      /* bpf/sampler.h, the program's only too: the key (customer, */
	__u64 sample_status_reason; /* status << 32 | reason) whose drops this CPU skips without */
	__u32 sample_skip;          /* looking at the clock, and how many more it skips */
	__u8 pad0[36];
	__u64 tail;       /* written by the consumer only */
	__u32 polling;    /* written by the consumer: it drains on a timer, ring only when urgent */
	__u8 pad1[52];
};

/* Fallback when a ring is full: per-CPU cumulative counts, never reset by the program. */
struct dl_fallback_key {
	__u64 customer;
	__u32 status;
	__u32 reason;
};

struct dl_count {
	__u64 drops;
	__u64 bytes;
};

/*
 * A sampled drop (bpf/sampler.h), written into the `samples` BPF ring buffer: the
 * event's fields, when it happened, and the first bytes of its packet.
 */
#define DL_SAMPLE_BYTES 128

enum dl_sample_link {
	DL_SAMPLE_LINK_NONE = 0,      /* neither a MAC nor a network header: no bytes */
	DL_SAMPLE_LINK_ETHERNET = 1,  /* bytes from the MAC header */
	DL_SAMPLE_LINK_RAW_IP = 2,    /* bytes from the network header (the MAC header is gone) */
};

struct dl_sample {
	__u64 time_ns;     /* CLOCK_BOOTTIME */
	__u64 customer;    /* valid when status == DL_STATUS_CUSTOMER */
	__u64 location;
	__u32 reason;
	__u32 ifindex;
	__u32 netns;
	__u32 len;         /* skb->len */
	__u32 wire_len;    /* the packet's length from where `bytes` start */
	__u16 segments;
	__u16 captured;    /* bytes of `bytes` copied (<= DL_SAMPLE_BYTES) */
	__u16 vlan_tci;    /* a VLAN tag the kernel took out of the frame (accelerated), when vlan_proto != 0 */
	__u16 vlan_proto;  /* its TPID, network byte order; 0 when there is none */
	__u8 status;       /* enum dl_status */
	__u8 link;         /* enum dl_sample_link */
	__u8 pad[10];     /* the header is 64 bytes */
	__u8 bytes[DL_SAMPLE_BYTES];
};

#endif
