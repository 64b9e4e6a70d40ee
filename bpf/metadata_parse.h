/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The metadata TLV reader (../shared/docs/metadata-tlv.md), shared by the
 * kfree_skb program (dropledger.bpf.c) and the test-only parse_check.bpf.c,
 * so the differential tests run the very code that classifies real drops.
 *
 * `buf` must be readable for at least 266 bytes: the walk masks indexes to 0xff
 * and loads 8 bytes at an entry's value. It is either a map value (the scratch
 * has 512 bytes) or, with bpf_rdonly_cast(), the area in the skb itself (loads
 * past it read the packet; faults read 0). Bytes past M may hold anything.
 */
#ifndef DL_METADATA_PARSE_H
#define DL_METADATA_PARSE_H

#include "dropledger.h"

/*
 * The metadata is copied here rather than to the stack: verifiers before 6.18
 * reject variable-offset stack reads. The slack past DL_META_MAX lets masked
 * indexes stay in bounds without further checks.
 */
struct scratch {
	__u8 buf[512];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/*
 * An index masked in a way clang cannot drop: older verifiers lose a loop
 * counter's bounds, and clang removes a mask it proves redundant.
 */
static __always_inline __u32 bounded(__u32 x)
{
	asm volatile("%0 &= 0xff" : "+r"(x));
	return x;
}

/* TaggerSeal.check(): the high 32 bits of a Fibonacci hash of the ID. */
static __always_inline __u32 dl_check(__u64 id)
{
	return (id * 0x9E3779B97F4A7C15ULL) >> 32;
}

enum dl_seal { DL_SEAL_ABSENT, DL_SEAL_INTACT, DL_SEAL_BROKEN };

/*
 * dropledger's tagger ends every area it creates with a seal (TaggerSeal.swift): a
 * check entry (type 0, 4 bytes derived from the ID) and a guard (type 0, a flag), the
 * two oldest entries. `oldest` and `previous` are where the walk's last two entries
 * start, so the lengths are proven (4 and 0) when they are at m - 8 and m - 2.
 */
static __always_inline enum dl_seal seal_of(const __u8 *buf, __u32 m, __u32 previous, __u32 oldest, __u64 id)
{
	__u32 c;

	if (m < 1 + 8 + 3 || oldest != m - 2 || previous != m - 8)
		return DL_SEAL_ABSENT;
	/* Masked indexes: older verifiers lose the bound m >= 12 gave them. */
	if (buf[bounded(m - 2)] != 0 || buf[bounded(m - 8)] != 0)
		return DL_SEAL_ABSENT;
	c = (__u32)buf[bounded(m - 6)] << 24 | (__u32)buf[bounded(m - 5)] << 16 |
	    (__u32)buf[bounded(m - 4)] << 8 | buf[bounded(m - 3)];
	return c == dl_check(id) ? DL_SEAL_INTACT : DL_SEAL_BROKEN;
}

/*
 * Walks the whole area as metadata-tlv.md's reader does. The newest entry of
 * the customer type wins, but any malformed part makes the area invalid.
 * `*seal`, unless NULL, is set for a customer area: whether it ends in the tagger's
 * seal, and whether the seal's check is the ID's.
 */
static __always_inline __u8 parse_customer_sealed(const __u8 *buf, __u32 m, const volatile __u8 *customer_type,
						  __u64 *customer, __u8 *seal)
{
	__u32 tl = buf[0], want = *customer_type;
	__u32 p, i, oldest = 0, previous = 0;
	bool found = false;
	__u64 id = 0;

	if (1 + tl > m)
		return DL_STATUS_INVALID;
	p = m - tl;

	/* At most 125 entries fit in 252 bytes (2-byte flags after the TL byte). */
	for (i = 0; i < 126; i++) {
		if (p >= m)
			break;
		p = bounded(p);
		if (p + 2 > m)
			return DL_STATUS_INVALID;
		__u32 t = buf[p];
		__u32 l = buf[p + 1];

		if (l > 16 || p + 2 + l > m)
			return DL_STATUS_INVALID;
		previous = oldest;
		oldest = p;
		if (!found && t == want) {
			if (l == 0 || l > 8)
				return DL_STATUS_INVALID;
			/* One unaligned 8-byte load (the scratch slack keeps it in bounds),
			 * shifted to the value's length: no inner loop for old verifiers
			 * to unroll. */
			id = __builtin_bswap64(*(__u64 *)(buf + p + 2)) >> ((8 - l) * 8);
			found = true;
		}
		p += 2 + l;
	}
	if (p != m)
		return DL_STATUS_INVALID;
	if (!found)
		return DL_STATUS_NONE;
	*customer = id;
	if (seal)
		*seal = seal_of(buf, m, previous, oldest, id);
	return DL_STATUS_CUSTOMER;
}

static __always_inline __u8 parse_customer(const __u8 *buf, __u32 m, const volatile __u8 *customer_type,
					   __u64 *customer)
{
	/* NULL, not a dummy: no stack slot (dl_recover_area's frame is tight on 6.1). */
	return parse_customer_sealed(buf, m, customer_type, customer, NULL);
}

#endif
