/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The contract between tagger.bpf.c and user space: the prefix maps' keys and
 * values and the counters' indexes. Included by the BPF program and by the C
 * shim Swift imports, so both sides see the same layout.
 */
#ifndef TAGGER_H
#define TAGGER_H

/* LPM trie keys: prefix length in bits, then the address in network order. */
struct tagger_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct tagger_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * The customer entry's value as user space prepared it (metadata-tlv.md: the
 * minimal big-endian bytes, 1 to 8), and its check (TaggerSeal.swift, big-endian),
 * so the program does no byte math; `slot` indexes the customer's traffic counts.
 */
struct tagger_value {
	__u32 slot;
	__u8 len;
	__u8 be[8];
	__u8 check[4];
	__u8 reserved[3];
};

/*
 * Traffic tagged for one customer on one CPU: packets, and bytes of the frame as
 * received (Ethernet header included, the metadata area not).
 */
struct tagger_traffic {
	__u64 packets;
	__u64 bytes;
};

/*
 * Which customer a slot of `traffic` counts for; written by user space before any
 * prefix points at the slot, and never given to another customer while the tagger
 * is attached, so a slot's counts only ever grow and belong to one customer.
 */
struct tagger_slot {
	__u64 customer;
	__u32 used;
	__u32 reserved;
};

/*
 * Where the tagger is attached, written by user space at attach (the program never
 * reads it): an exporter with --filter.netns counts only the taggers of that namespace.
 */
struct tagger_attachment {
	__u64 netns_inode;
	__u64 attached_ns;   /* CLOCK_BOOTTIME: counts from before an exporter started are not its own */
	__u32 ifindex;
	__u32 reserved;
};

/*
 * Customers whose traffic the tagger counts, per attachment: every customer given
 * since `dropledger tag` attached it, including ones whose prefixes were removed
 * since (their counts stay). 16384 x 16 bytes = 256 KiB per possible CPU.
 */
#define TAGGER_MAX_CUSTOMERS 16384

/* Most prefixes per address family; the tries allocate per entry (BPF_F_NO_PREALLOC). */
#define TAGGER_MAX_PREFIXES 65536

/* Index into the per-CPU `counters` array: what happened to each packet. */
enum tagger_result {
	TAGGER_TAGGED = 0,             /* customer entry pushed */
	TAGGER_NO_MATCH = 1,           /* IP, but no prefix matched the address */
	TAGGER_NOT_IP = 2,             /* not IPv4/IPv6 (after up to two VLAN tags), or truncated */
	TAGGER_AREA_FULL = 3,          /* the area would exceed 252 bytes, or the kernel refused to grow it */
	TAGGER_MALFORMED_AREA = 4,     /* an existing area whose TL byte does not fit it */
	TAGGER_RESULT_COUNT = 5,
};

#endif
