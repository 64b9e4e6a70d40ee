// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Test and benchmark traffic: run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES, it gives every injected frame the metadata area
 * user space put in `meta` (any bytes, malformed ones included) and passes the
 * frame up the receiving device's stack as a real skb.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define META_MAX 252

/* Set through the skeleton's mmapped .bss before each run. */
__u32 meta_len;               /* a multiple of 4, at most META_MAX; 0 = no area */
__u8 meta[META_MAX];
/* Frames the kernel would not give an area of meta_len (not enough headroom): user space reports them. */
__u64 refused;

SEC("xdp")
int inject_meta(struct xdp_md *ctx)
{
	__u32 len = meta_len, i;
	__u8 *dst, *end;

	if (len == 0 || len > META_MAX || len % 4)
		return XDP_PASS;
	if (bpf_xdp_adjust_meta(ctx, -(int)len)) {
		__sync_fetch_and_add(&refused, 1);
		return XDP_ABORTED;
	}
	dst = (void *)(long)ctx->data_meta;
	end = (void *)(long)ctx->data;
	for (i = 0; i < META_MAX / 4; i++) {
		if (i * 4 >= len)
			break;
		if ((void *)(dst + i * 4 + 4) > (void *)end)
			return XDP_ABORTED;
		*(__u32 *)(dst + i * 4) = *(__u32 *)&meta[i * 4];
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
