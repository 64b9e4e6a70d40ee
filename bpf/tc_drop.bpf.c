/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Test-only TC program (SampleTests): drops every packet it sees, as a TC filter
 * dropping at ingress does (TC_INGRESS). At TC ingress a received frame's 802.1Q tag
 * is still held out of the frame (skb->vlan_tci); the kernel clears it right after,
 * so this is where a sample can show a tag the frame no longer has in its bytes.
 * (Used instead of `matchall action drop`: not every kernel has those modules.)
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int drop_all(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
