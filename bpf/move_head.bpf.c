/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Test-only TC programs (TopologyTests) that move a packet's head the way TC programs
 * do in production, so the tests can check that a drop whose metadata area was left
 * behind (kernels before 6.19 do not move it) is never read as a customer. Each
 * section leaves a valid packet, so the stack still drops it where the test says.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

/* Room for a header pushed at the MAC layer, then removed again (an encapsulation
 * tried and undone, or a decapsulation of what the program itself added). */
static __always_inline int push_and_pop(struct __sk_buff *skb, int len)
{
	if (bpf_skb_adjust_room(skb, len, BPF_ADJ_ROOM_MAC, 0) ||
	    bpf_skb_adjust_room(skb, -len, BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc/push_pop_4") int push_pop_4(struct __sk_buff *skb) { return push_and_pop(skb, 4); }
SEC("tc/push_pop_8") int push_pop_8(struct __sk_buff *skb) { return push_and_pop(skb, 8); }
SEC("tc/push_pop_20") int push_pop_20(struct __sk_buff *skb) { return push_and_pop(skb, 20); }
SEC("tc/push_pop_70") int push_pop_70(struct __sk_buff *skb) { return push_and_pop(skb, 70); }

/* A VLAN tag pushed and popped through the skb's tag field: the head does not move. */
SEC("tc/vlan_push_pop")
int vlan_push_pop(struct __sk_buff *skb)
{
	if (bpf_skb_vlan_push(skb, __builtin_bswap16(0x8100), 5) || bpf_skb_vlan_pop(skb))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
