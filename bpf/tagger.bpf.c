// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * dropledger's tagger: an XDP program that finds each packet's customer by
 * longest-prefix match on its IP address and pushes the customer entry onto
 * the packet's metadata area exactly as ../shared/docs/metadata-tlv.md
 * ("Pushing and popping") says, on top of whatever entries are already there.
 * It never drops: a packet it cannot tag passes untouched and is counted.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tagger.h"

/* The kernel's ceiling for the area; older kernels (6.1: 32) refuse less, see push_customer. */
#define META_MAX 252

/* Load-time configuration, set by user space before load. */
const volatile __u8 customer_tlv_type = 1;
const volatile bool match_source = false;   /* match the source address instead of the destination */
/* Count tagged traffic per customer; off only in `make bench`, to measure what counting costs. */
const volatile bool count_traffic = true;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TAGGER_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tagger_v4_key);
	__type(value, struct tagger_value);
} prefixes_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TAGGER_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tagger_v6_key);
	__type(value, struct tagger_value);
} prefixes_v6 SEC(".maps");

/* Per-CPU cumulative counts by enum tagger_result; never reset by the program. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TAGGER_RESULT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU tagged traffic by customer slot (struct tagger_value.slot); never reset by the program. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TAGGER_MAX_CUSTOMERS);
	__type(key, __u32);
	__type(value, struct tagger_traffic);
} traffic SEC(".maps");

/* The customer of each slot of `traffic`, for user space; the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TAGGER_MAX_CUSTOMERS);
	__type(key, __u32);
	__type(value, struct tagger_slot);
} customer_slots SEC(".maps");

/* One entry: the tagger's interface and its network namespace, for user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tagger_attachment);
} attachment SEC(".maps");

struct vlan_tag {
	__be16 tci;
	__be16 inner_proto;
};

/*
 * A value masked in a way clang cannot drop: older verifiers lose bounds that
 * 6.18 keeps, and clang removes a mask it proves redundant (field-notes.md).
 */
static __always_inline __u32 bounded(__u32 x)
{
	asm volatile("%0 &= 0xff" : "+r"(x));
	return x;
}

static __always_inline int count(__u32 result)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &result);

	if (c)
		*c += 1;
	return XDP_PASS;
}

/* The matching customer for the packet, or NULL; *result says why not. */
/* Steps over one VLAN tag if *proto says there is one; false if the frame ends inside it. */
static __always_inline bool skip_vlan_tag(__u16 *proto, void **l3, void *data_end)
{
	struct vlan_tag *tag = *l3;

	if (*proto != bpf_htons(ETH_P_8021Q) && *proto != bpf_htons(ETH_P_8021AD))
		return true;
	if ((void *)(tag + 1) > data_end)
		return false;
	*proto = tag->inner_proto;
	*l3 = tag + 1;
	return true;
}

static __always_inline struct tagger_value *lookup_customer(struct xdp_md *ctx, __u32 *result)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__u16 proto;
	struct tagger_value *value;

	*result = TAGGER_NOT_IP;
	if ((void *)(eth + 1) > data_end)
		return NULL;
	proto = eth->h_proto;
	l3 = eth + 1;

	/* Up to two tags: 802.1Q, or 802.1ad outer + 802.1Q inner (QinQ). */
	if (!skip_vlan_tag(&proto, &l3, data_end) || !skip_vlan_tag(&proto, &l3, data_end))
		return NULL;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		struct tagger_v4_key key = { .prefixlen = 32 };

		if ((void *)(ip + 1) > data_end)
			return NULL;
		__builtin_memcpy(key.addr, match_source ? &ip->saddr : &ip->daddr, 4);
		value = bpf_map_lookup_elem(&prefixes_v4, &key);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		struct tagger_v6_key key = { .prefixlen = 128 };

		if ((void *)(ip6 + 1) > data_end)
			return NULL;
		__builtin_memcpy(key.addr, match_source ? &ip6->saddr : &ip6->daddr, 16);
		value = bpf_map_lookup_elem(&prefixes_v6, &key);
	} else {
		return NULL;
	}
	*result = TAGGER_NO_MATCH;
	return value;
}

/*
 * metadata-tlv.md, "Pushing and popping": push [T][L][V] as the newest entry.
 * Returns the enum tagger_result; on anything but TAGGER_TAGGED the packet is
 * as it was.
 *
 * A new area first gets the seal (TaggerSeal.swift), as its oldest entries:
 *
 *   ... [T L ID] [00 04 check] [00 00] | packet
 *
 * - The guard, a flag of type 0 right before the packet. When the host forwards the
 *   packet, the neighbour cache writes the new Ethernet header as 16 aligned bytes
 *   (neigh_hh_output), the first two zero, over the area's last two bytes; with the
 *   guard those were 00 00 already, so the customer entry survives to an egress drop
 *   (a full queue). Without it they would be the ID's last two bytes, zeroed: another
 *   customer's ID.
 * - The check, type 0 with 4 bytes derived from the ID (user space computes them):
 *   the reader trusts an area that ends in a seal matching its ID without asking how
 *   the skb got there; moved or overwritten bytes do not pass it.
 *
 * Writing all three at once gives the bytes the format's three pushes give (guard,
 * check, customer entry): M = round_up(1 + 8 + n, 4) for every n.
 */
#define SEAL_LEN 8

static __always_inline __u32 push_customer(struct xdp_md *ctx, const struct tagger_value *v)
{
	__u8 *meta = (void *)(long)ctx->data_meta;
	__u8 *data = (void *)(long)ctx->data;
	__u32 l = v->len, n, m, tl = 0, grow = 0, off;
	bool fresh = meta >= data;
	__u8 *e;

	if (l == 0 || l > 8)      /* user space never writes these */
		return TAGGER_NO_MATCH;
	n = 2 + l;

	if (fresh) {
		/* No area (a driver without metadata support has meta > data: adjust_meta refuses). */
		m = 0;
		grow = (1 + SEAL_LEN + n + 3) & ~3U;   /* TL, the seal, the entry */
	} else {
		/* A pointer difference is an unknown scalar to the verifier: bound it first. */
		m = (__u32)(data - meta);
		if (m > META_MAX || meta + 1 > data)
			return TAGGER_MALFORMED_AREA;
		tl = meta[0];
		if (1 + tl > m)
			return TAGGER_MALFORMED_AREA;
		if (m - 1 - tl < n)
			grow = (n - (m - 1 - tl) + 3) & ~3U;
	}
	if (m + grow > META_MAX)
		return TAGGER_AREA_FULL;
	/* Fails where the kernel caps the area lower (6.1: 32 bytes) or lacks headroom. */
	if (grow && bpf_xdp_adjust_meta(ctx, -(int)grow))
		return TAGGER_AREA_FULL;

	/* Entries stay where they are: the new entry goes right before the newest one. */
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if (fresh) {
		__u8 *s = meta + bounded(grow - SEAL_LEN);

		if (meta + 1 > data || s + SEAL_LEN > data)
			goto undo;
		s[0] = 0;
		s[1] = 4;
		s[2] = v->check[0];
		s[3] = v->check[1];
		s[4] = v->check[2];
		s[5] = v->check[3];
		s[6] = 0;
		s[7] = 0;
		tl = SEAL_LEN;
	}
	off = bounded(m + grow - tl - n);
	e = meta + off;
	if (meta + 1 > data || e + 2 > data)
		goto undo;
	e[0] = customer_tlv_type;
	e[1] = l;
	/* Unrolled by hand (clang will not unroll a loop with an early exit). */
#define PUT(i) if (l > i) { if (e + 3 + i > data) goto undo; e[2 + i] = v->be[i]; }
	PUT(0) PUT(1) PUT(2) PUT(3) PUT(4) PUT(5) PUT(6) PUT(7)
#undef PUT
	meta[0] = tl + n;
	return TAGGER_TAGGED;

undo:
	/* Unreachable by the arithmetic above; the checks are for the verifier. Only
	 * free space was written, and the TL byte was not: shrink back and the area is as it was. */
	if (grow)
		bpf_xdp_adjust_meta(ctx, (int)grow);
	return TAGGER_MALFORMED_AREA;
}

SEC("xdp")
int tag_customer(struct xdp_md *ctx)
{
	struct tagger_value *value;
	__u32 result, len;

	value = lookup_customer(ctx, &result);
	if (!value)
		return count(result);
	/* The frame's length before the push (which only moves data_meta). */
	len = ctx->data_end - ctx->data;
	result = push_customer(ctx, value);
	if (count_traffic && result == TAGGER_TAGGED) {
		/* Per-CPU, so no atomics; an array lookup (the verifier inlines it from 6.10 on). */
		struct tagger_traffic *t = bpf_map_lookup_elem(&traffic, &value->slot);

		if (t) {
			t->packets += 1;
			t->bytes += len;
		}
	}
	return count(result);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
