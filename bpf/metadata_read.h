/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Finds a dropped skb's metadata area (head + mac_header, or skb_shinfo()->meta_end
 * on kernels that have it, chosen by CO-RE), copies it to the per-CPU scratch and
 * parses it. Shared by the kfree_skb program and the benchmark's reference counter,
 * so both do the same work up to where they differ.
 */
#ifndef DL_METADATA_READ_H
#define DL_METADATA_READ_H

#include "kernel_types.h"
#include <bpf/bpf_core_read.h>
#include "metadata_parse.h"

static __always_inline __u8 classify(struct sk_buff *skb, const volatile __u8 *customer_type, __u64 *customer)
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

	if (bpf_core_field_exists(shinfo->meta_end)) {
		end = BPF_CORE_READ(shinfo, meta_end);
	} else {
		end = skb->mac_header;
		if (end == (__u16)~0U)
			return DL_STATUS_INVALID;
	}
	if (end < m)
		return DL_STATUS_INVALID;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return DL_STATUS_INVALID;
	if (bpf_probe_read_kernel(s->buf, m, head + end - m))
		return DL_STATUS_INVALID;
	return parse_customer(s->buf, m, customer_type, customer);
}

#endif
