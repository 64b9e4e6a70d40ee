// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Test and benchmark traffic: run with BPF_PROG_TEST_RUN and
 * BPF_F_TEST_XDP_LIVE_FRAMES, it passes every injected frame up the receiving
 * device's stack as a real skb. The metadata area comes with the frame: user space
 * puts it before the frame in the test run's input and says how long it is in the
 * context (xdp_md.data), and the kernel copies it into each page of its pool with the
 * frame (recycled pages are not copied again: see FrameInjector.swift), so the program
 * writes nothing (bpf_xdp_adjust_meta is not needed, and some kernels refuse it: the
 * injector works there too). Any bytes, malformed ones included.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int inject_meta(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
