/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The few kernel types dropledger reads, declared by hand instead of a 3 MB
 * generated vmlinux.h. preserve_access_index makes every access a CO-RE
 * relocation: offsets come from the running kernel's BTF at load time, so
 * field order and the omitted fields here do not matter.
 */
#ifndef DROPLEDGER_KERNEL_TYPES_H
#define DROPLEDGER_KERNEL_TYPES_H

#include <linux/types.h>
#include <linux/bpf.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	int ifindex;
	possible_net_t nd_net;
};

struct sk_buff {
	unsigned int len;
	struct net_device *dev;
	int skb_iif;               /* the device it was last received on */
	__u16 mac_header;
	__u16 network_header;
	__u16 inner_mac_header;    /* where the inner frame starts once a tunnel pushed outer headers
				    * in front of it (left over, and meaningless, on other skbs) */
	__u8 tc_at_ingress:1;      /* the skb passed a TC ingress hook (CONFIG_NET_XGRESS or _CLS_ACT) */
	unsigned int end;          /* an offset from head: NET_SKBUFF_DATA_USES_OFFSET on 64-bit */
	unsigned int tail;         /* where the linear data ends, an offset from head as `end` */
	unsigned char *head;
	unsigned char *data;
	__u16 vlan_tci;            /* an accelerated (taken out of the frame) VLAN tag ... */
	__u16 vlan_proto;          /* ... and its TPID (big-endian); both 0 without one from 6.2 on */
};

/* Up to 6.1 a flag said whether vlan_tci held a tag (6.2 dropped it: clearing the tag zeroes both). */
struct sk_buff___vlan_present {
	__u8 vlan_present:1;
};

struct skb_shared_info {
	__u8 meta_len;
	unsigned short gso_size;   /* followed by gso_segs in every kernel */
	unsigned short gso_segs;
	__u16 meta_end;            /* proposed upstream in 2026; absent up to at least 6.18 */
};

#pragma clang attribute pop

/* Enumerators are relocated by name (bpf_core_enum_value), so only the ones used are listed. */
enum skb_drop_reason {
	SKB_CONSUMED = 1,
};

#endif
