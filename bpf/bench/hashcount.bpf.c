// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Benchmark reference: how ebpf_exporter-style exporters count. The same metadata
 * read and TLV walk as dropledger.bpf.c (copied, so the two do the same work up to
 * the point where they differ), then an in-kernel per-CPU hash counter keyed by
 * (customer, status, reason) that user space would read at scrape time.
 */
#include <stdbool.h>
#include "../kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "../dropledger.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dl_fallback_key);
	__type(value, struct dl_count);
} counts SEC(".maps");

struct scratch {
	__u8 buf[512];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline __u32 bounded(__u32 x)
{
	asm volatile("%0 &= 0xff" : "+r"(x));
	return x;
}

static __always_inline __u8 parse_customer(const __u8 *buf, __u32 m, __u64 *customer)
{
	__u32 tl = buf[0];
	__u32 p, i;
	bool found = false;

	if (1 + tl > m)
		return DL_STATUS_INVALID;
	p = m - tl;
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
		if (!found && t == 1) {
			if (l == 0 || l > 8)
				return DL_STATUS_INVALID;
			*customer = __builtin_bswap64(*(__u64 *)(buf + p + 2)) >> ((8 - l) * 8);
			found = true;
		}
		p += 2 + l;
	}
	if (p != m)
		return DL_STATUS_INVALID;
	return found ? DL_STATUS_CUSTOMER : DL_STATUS_NONE;
}

static __always_inline __u8 classify(struct sk_buff *skb, __u64 *customer)
{
	unsigned char *head = skb->head;
	struct skb_shared_info *shinfo = (void *)(head + skb->end);
	__u32 zero = 0, m, end;
	struct scratch *s;

	m = BPF_CORE_READ(shinfo, meta_len);
	if (m == 0)
		return DL_STATUS_NONE;
	if (m > DL_META_MAX)
		return DL_STATUS_INVALID;
	end = skb->mac_header;
	if (end == (__u16)~0U || end < m)
		return DL_STATUS_INVALID;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return DL_STATUS_INVALID;
	if (bpf_probe_read_kernel(s->buf, m, head + end - m))
		return DL_STATUS_INVALID;
	return parse_customer(s->buf, m, customer);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(bench_hashcount, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct dl_fallback_key key = { .reason = reason };
	struct dl_count *c;

	if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	key.status = classify(skb, &key.customer);
	c = bpf_map_lookup_elem(&counts, &key);
	if (!c) {
		struct dl_count zero = {};

		bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&counts, &key);
		if (!c)
			return 0;
	}
	c->drops += 1;
	c->bytes += skb->len;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
