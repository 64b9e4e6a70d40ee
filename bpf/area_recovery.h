/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Finding the metadata area again after the stack decapsulated the packet.
 *
 * The tagger writes the area just before the MAC header of the frame as it arrives.
 * A tunnel device then pulls the outer headers and resets the MAC header to the inner
 * frame (VXLAN, Geneve, GRETAP) or to the inner packet (GRE, IPIP, SIT), so the area
 * no longer ends where the kernel says (head + mac_header): the outer headers lie
 * between. Their bytes are still in the buffer, intact. Walking back from the
 * kernel's end over outer headers, each validated field by field (the tunnel header,
 * Geneve's with its option words, the outer UDP or GRE header, the outer IP header's
 * version, length, protocol and checksum, or the IPv6 header's and the destination
 * options Linux's IPv6 tunnels add, the outer Ethernet type, up to two VLAN tags),
 * finds the area where the tagger left it; anything that does not validate, or
 * validates two ways, finds nothing, and the drop keeps the verdict read at the
 * kernel's end (`none` or `invalid`, never a guess).
 *
 * Only drops whose area is not a sealed customer entry where the kernel says it is
 * pay for this: one copy of the bytes before that end, and the checks. (Outer UDP and
 * tunnel headers can walk as a valid unsealed area: an unsealed one is looked behind.)
 */
#ifndef DL_AREA_RECOVERY_H
#define DL_AREA_RECOVERY_H

#include "kernel_types.h"
#include <bpf/bpf_core_read.h>
#include "metadata_parse.h"

/* Bytes copied from before the kernel's end of the area: the largest area (252)
 * behind the largest outer stack walked (Ethernet, two VLAN tags, IPv6, UDP, Geneve
 * with 63 option words: 330); and after it, enough for an outer IP header. */
#define DL_WINDOW 584
#define DL_AFTER 64

/*
 * The window, in a map value rather than on the stack (older verifiers reject
 * variable-offset stack reads). Indexes and the copy's byte counts are masked to
 * 10 bits, so the slack past 1024 keeps every masked load in bounds, as well as the
 * copy (a count up to 1023, and the DL_AFTER bytes after it) and parse_customer's
 * 266 bytes from an area's start.
 */
struct window {
	__u8 b[1024 + 272];
	__u64 customer;   /* what dl_recover_area found */
	__u8 customer_type; /* its argument, here rather than on its stack (6.1: 512 bytes
			     * for the program and this function together) */
	__u32 found;      /* dl_udp_tunnel_start's candidate so far: in memory, where the
			   * verifier does not tell its values apart, so that the states
			   * of the loop's iterations converge */
	__u32 tunnel;     /* the walks found a tunnel's outer headers before the kernel's
			   * end (or read the bytes as one two ways) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct window);
} windows SEC(".maps");

/* An index the verifier can bound whatever it lost about the arithmetic before. */
static __always_inline __u32 idx(__u32 x)
{
	asm volatile("%0 &= 0x3ff" : "+r"(x));
	return x;
}

/* The same for a byte count up to 1023 (clang drops a plain mask it can prove
 * redundant, and older verifiers lose the bound it proved). */
static __always_inline __u32 bytes10(__u32 x)
{
	asm volatile("%0 &= 0x3ff" : "+r"(x));
	return x;
}

_Static_assert(DL_WINDOW <= 1023 && 1023 + DL_AFTER <= 1024 + 272 && 1023 + 266 <= 1024 + 272,
	       "the window's slack must cover the masked copy and parse_customer's reads");

static __always_inline __u32 be16_at(const __u8 *w, __u32 i)
{
	return (__u32)w[idx(i)] << 8 | w[idx(i + 1)];
}

#define DL_ETH_IP 0x0800
#define DL_ETH_IPV6 0x86dd
#define DL_ETH_TEB 0x6558 /* transparent Ethernet bridging: an Ethernet frame inside */
#define DL_ETH_VLAN 0x8100
#define DL_ETH_QINQ 0x88a8
#define DL_ANY_PROTO 0x100

/*
 * An IPv4 header without options, or an IPv6 header, that ends at `end` in `w`,
 * carries `proto` and says its payload is `payload` bytes (0: any). Returns where it
 * starts and its Ethernet type, or 0 (no header can start at 0: the area precedes it).
 */
static __always_inline __u32 outer_ip_ending_at(const __u8 *w, __u32 end, __u32 proto, __u32 payload, __u32 *type)
{
	if (end >= 20 && w[idx(end - 20)] == 0x45 && (proto == DL_ANY_PROTO || w[idx(end - 11)] == proto) &&
	    (payload == 0 || be16_at(w, end - 18) == 20 + payload) &&
	    (be16_at(w, end - 14) & 0x3fff) == 0) { /* not a fragment */
		__u32 s = end - 20, sum = 0;

		for (__u32 i = 0; i < 20; i += 2)
			sum += be16_at(w, s + i);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		if (sum == 0xffff) {
			*type = DL_ETH_IP;
			return s;
		}
	}
	if (end >= 40 && (w[idx(end - 40)] >> 4) == 6 && (proto == DL_ANY_PROTO || w[idx(end - 34)] == proto) &&
	    (payload == 0 || be16_at(w, end - 36) == payload)) {
		*type = DL_ETH_IPV6;
		return end - 40;
	}
	return 0;
}

/*
 * An IPv6 header followed by the destination options Linux's IPv6 tunnels (ip6tnl,
 * ip6gre, ip6gretap) put after it unless told `encaplimit none`: one 8-byte header
 * holding RFC 2473's tunnel encapsulation limit option and a PadN, next header
 * `proto`, ending at `end`. Returns where the IPv6 header starts, or 0.
 */
#define DL_IPPROTO_DSTOPTS 60
static __always_inline __u32 outer_ip6_tel_ending_at(const __u8 *w, __u32 end, __u32 proto, __u32 *type)
{
	__u32 s;

	if (end < 48 || w[idx(end - 8)] != proto || w[idx(end - 7)] != 0 || /* 8 bytes */
	    w[idx(end - 6)] != 4 || w[idx(end - 5)] != 1 ||                   /* encap limit, 1 byte */
	    w[idx(end - 3)] != 1 || w[idx(end - 2)] != 1 || w[idx(end - 1)] != 0) /* PadN, 1 byte */
		return 0;
	s = outer_ip_ending_at(w, end - 8, DL_IPPROTO_DSTOPTS, 0, type);
	return s && *type == DL_ETH_IPV6 ? s : 0;
}

/* An outer IP header carrying `proto` that ends at `end`, or (IPv6) whose tunnel
 * destination options do. */
static __always_inline __u32 outer_tunnel_ip_ending_at(const __u8 *w, __u32 end, __u32 proto, __u32 *type)
{
	__u32 s = outer_ip_ending_at(w, end, proto, 0, type);

	return s ? s : outer_ip6_tel_ending_at(w, end, proto, type);
}

/*
 * The outer Ethernet header, with up to two VLAN tags, that ends at `ip` and carries
 * `type`: where the area must end. 0 if there is none.
 */
static __always_inline __u32 outer_ethernet_ending_at(const __u8 *w, __u32 ip, __u32 type)
{
	if (ip < 14 || be16_at(w, ip - 2) != type)
		return 0;
	if (ip >= 18 && (be16_at(w, ip - 6) == DL_ETH_VLAN || be16_at(w, ip - 6) == DL_ETH_QINQ)) {
		if (ip >= 22 && (be16_at(w, ip - 10) == DL_ETH_VLAN || be16_at(w, ip - 10) == DL_ETH_QINQ))
			return ip - 22;
		return ip - 18;
	}
	return ip - 14;
}

/*
 * A UDP tunnel's header of `hdr` bytes starting at `t` in the window: where its outer
 * Ethernet header starts (the UDP header before it says it holds the tunnel header
 * and at least an Ethernet header, and the outer IP header before that says it holds
 * exactly that UDP datagram), or 0. A global function: dl_udp_tunnel_start calls it for
 * up to 65 candidates, and inlined, every call's branches multiplied the states the
 * verifier walks (6.18 gave up at a million instructions).
 */
__noinline __u32 dl_udp_tunnel_frame(struct window *win, __u32 t, __u32 hdr)
{
	__u32 type = 0, ip, udp_len;
	const __u8 *w;

	if (!win)
		return 0;
	w = win->b;

	if (t < 8)
		return 0;
	udp_len = be16_at(w, t - 4);
	if (udp_len < 8 + hdr + 14)
		return 0;
	ip = outer_ip_ending_at(w, t - 8, 17, udp_len, &type);
	return ip ? outer_ethernet_ending_at(w, ip, type) : 0;
}

/*
 * Copies the bytes around the kernel's end of the area (`end`, an address; `n` bytes
 * before it, DL_AFTER after) into the window, and looks for VXLAN or Geneve before
 * that end (the inner frame): returns where the outer Ethernet header starts in the
 * window, 0 if there is no UDP tunnel there, -1 if the copy failed or the bytes read
 * as a UDP tunnel two ways (then the other walks, which could read the same bytes a
 * third way, are not tried either).
 *
 * VXLAN: 8 bytes, flags with I set, reserved bytes zero. Geneve: 8 bytes, then k
 * option words (0 to 63). Walking back from the inner frame, k is not known, so each
 * is tried: the header k words before the inner frame must start with the byte k
 * (version 0, option length k) and carry Ethernet (0x6558); then the UDP and IP
 * checks. If more than one candidate (VXLAN, or Geneve with two option lengths)
 * checks out, the bytes are ambiguous (a header forged inside the options, or before
 * the real ones) and nothing is found. The reserved flag bits are not checked, as
 * the kernel does not check them: the real header is then one of the candidates
 * whenever the outer headers are ones the walk knows (an IPv4 header without
 * options, an IPv6 header without extension headers), so that a forged one makes
 * the bytes ambiguous rather than wins.
 *
 * A global function: its bounded loop is verified once, on its own. Called by the
 * program itself rather than by dl_recover_area, whose stack leaves no room for a
 * call below it (512 bytes for the whole chain).
 */
__noinline int dl_udp_tunnel_start(struct window *win, __u64 end, __u32 n)
{
	__u32 e, t;

	if (!win)
		return -1;
	win->tunnel = 0;
	if (n < 14 + 20 + 4 || n > DL_WINDOW)
		return -1;
	/* The bytes after `end` are the packet's (or the tail room's): read, and trusted
	 * only as far as the header checks go. */
	if (bpf_probe_read_kernel(win->b, bytes10(n) + DL_AFTER, (void *)(end - n)))
		return -1;
	win->found = 0;
	t = n - 8;
	if ((win->b[idx(t)] & 0x08) && win->b[idx(t + 3)] == 0 && win->b[idx(t + 7)] == 0)
		win->found = dl_udp_tunnel_frame(win, t, 8);
#pragma clang loop unroll(disable)
	for (__u32 k = 0; k < 64; k++) {
		if (n < 16 + 4 * k)
			break;
		t = n - 8 - 4 * k;
		if (win->b[idx(t)] != k || be16_at(win->b, t + 2) != DL_ETH_TEB)
			continue;
		e = dl_udp_tunnel_frame(win, t, 8 + 4 * k);
		if (!e)
			continue;
		if (win->found) {
			win->tunnel = 1;
			return -1;  /* two readings of the same bytes: no guess, nor another walk */
		}
		win->found = e;
	}
	return win->found;
}

/*
 * Where the outer Ethernet header of a tunnelled packet starts in `w`, walking back
 * from `x` (the kernel's end of the area: the inner frame or packet). 0 if the bytes
 * before `x` are not a tunnel's outer headers.
 */
static __always_inline __u32 outer_frame_start(const __u8 *w, __u32 x)
{
	__u32 type = 0, ip, g;

	/* (VXLAN and Geneve: dl_udp_tunnel_start, before.) GRE (version 0, no routing;
	 * checksum, key and sequence words as its flags say), carrying Ethernet (GRETAP)
	 * or IP, over IPv4 or IPv6 (with or without the tunnel destination options). */
	for (__u32 words = 1; words <= 4; words++) {
		if (x < 4 * words)
			break;
		g = x - 4 * words;
		__u32 flags = w[idx(g)], proto = be16_at(w, g + 2);

		if ((flags & 0x4f) || (w[idx(g + 1)] & 0x07) ||
		    1 + !!(flags & 0x80) + !!(flags & 0x20) + !!(flags & 0x10) != words)
			continue;
		if (proto != DL_ETH_TEB && proto != DL_ETH_IP && proto != DL_ETH_IPV6)
			continue;
		ip = outer_tunnel_ip_ending_at(w, g, 47, &type);
		if (ip)
			return outer_ethernet_ending_at(w, ip, type);
	}
	/* IPIP, SIT and IPv6 tunnels: an outer IP header right before the inner one. */
	ip = outer_tunnel_ip_ending_at(w, x, 4, &type);
	if (!ip)
		ip = outer_tunnel_ip_ending_at(w, x, 41, &type);
	if (ip)
		return outer_ethernet_ending_at(w, ip, type);
	/* A tunnel that left the MAC header at the outer IP header (GRE devices pop it
	 * there): the outer header starts at `x`, its Ethernet header before it. */
	for (__u32 proto = 0; proto < 3; proto++) {
		__u32 want = proto == 0 ? 47 : proto == 1 ? 4 : 41;

		ip = outer_ip_ending_at(w, x + 20, want, 0, &type);
		if (ip != x)
			ip = outer_ip_ending_at(w, x + 40, want, 0, &type);
		if (ip == x)
			return outer_ethernet_ending_at(w, x, type);
	}
	return 0;
}

/* What dl_recover_area found (recover_area adds DL_TUNNEL_SEEN). */
enum dl_recovery {
	DL_RECOVERED_NOTHING = 0,
	DL_RECOVERED_AREA = 1,      /* a valid customer entry behind outer headers */
	DL_KERNEL_END_IS_FRAME = 2, /* the kernel's end is where an Ethernet frame with an IP
				     * header starts: the area there is the tagger's (a tunnel
				     * that left the MAC header at the outer frame, as IPIP does) */
	DL_RECOVERY_KIND = 3,       /* the mask of the above */
	DL_TUNNEL_SEEN = 4,         /* a flag: outer headers lie before the kernel's end (their
				     * bytes are what was read there), whatever was found */
};

/*
 * Looks for the area of `m` bytes before the outer headers of a decapsulated packet,
 * in the window dl_udp_tunnel_start filled (`n` bytes before the kernel's end of the
 * area; `udp`, where it found a UDP tunnel's outer frame, or 0): DL_RECOVERED_AREA
 * and the ID in `w->customer` when a valid customer entry is found there.
 *
 * A global function: the verifier checks it once, on its own, rather than once for
 * every path of the caller that reaches it (inlined, the walk's branches times the
 * TLV parser's loop outgrew the verifier's budget).
 */
__noinline int dl_recover_area(struct window *w, __u32 n, __u32 m, __u32 customer_type, __u32 udp)
{
	__u32 e;

	if (!w || n < 14 + 20 + 4 || n > DL_WINDOW || m > DL_META_MAX)
		return DL_RECOVERED_NOTHING;
	w->customer_type = customer_type;
	e = udp ? udp : outer_frame_start(w->b, n);
	if (e)
		w->tunnel = 1;
	if (e >= m && e <= n &&
	    parse_customer(w->b + bytes10(e - m), m, (const volatile __u8 *)&w->customer_type, &w->customer) == DL_STATUS_CUSTOMER)
		return DL_RECOVERED_AREA;
	{
		__u32 ip_type = 0, eth_type = be16_at(w->b, n + 12);

		if ((eth_type == DL_ETH_IP && outer_ip_ending_at(w->b, n + 14 + 20, DL_ANY_PROTO, 0, &ip_type) == n + 14) ||
		    (eth_type == DL_ETH_IPV6 && outer_ip_ending_at(w->b, n + 14 + 40, DL_ANY_PROTO, 0, &ip_type) == n + 14))
			return DL_KERNEL_END_IS_FRAME;
	}
	return DL_RECOVERED_NOTHING;
}

/*
 * Whether a TC program moved the head over the area: bpf_skb_adjust_room(),
 * bpf_skb_vlan_pop() and friends move the MAC header by memmove() and, on kernels
 * before 6.19, leave the metadata where it was. Popping k bytes (or pushing and
 * popping them) leaves a copy of the Ethernet header's first min(k, 14) bytes where
 * the header was, k bytes before where it is now: inside the bytes the area is read
 * from. Looks for that copy for k from 4 up to the area's length `m` (`end` is an
 * address). Only there: the area's bytes are this packet's, written by the tagger,
 * while the headroom before them holds whatever earlier packets left in the buffer,
 * old Ethernet headers of the same flow included.
 *
 * A genuine area misfires only where its last k bytes equal the frame's first k
 * (k >= 4): for k = 4 or 5, with the guard's two zeros, 2 or 3 bytes of the customer
 * value against the destination MAC address (33:33:00:00:.. and an ID ending in 3333,
 * say). The drop is then counted as `invalid`, never for another customer. Only skbs
 * that passed a TC ingress hook are checked; a TC ingress hook clears the mark when the
 * skb is transmitted, so a moved head is not seen on a forwarded packet (README).
 */
__noinline int dl_head_moved(struct window *w, __u64 end, __u32 m)
{
	if (!w || m < 4 || m > DL_META_MAX)
		return 0;
	if (bpf_probe_read_kernel(w->b, bytes10(m) + 14, (void *)(end - m)))
		return 0;
	for (__u32 k = 4; k <= DL_META_MAX && k <= m; k++) {
		__u32 s = m - k, len = k < 14 ? k : 14, j;

		for (j = 0; j < 14 && j < len; j++)
			if (w->b[idx(s + j)] != w->b[idx(m + j)])
				break;
		if (j == len)
			return 1;
	}
	return 0;
}

/* Whether the skb passed a TC ingress hook, where a program may have moved its head. */
static __always_inline bool passed_tc_ingress(struct sk_buff *skb)
{
	return bpf_core_field_exists(skb->tc_at_ingress) && BPF_CORE_READ_BITFIELD(skb, tc_at_ingress);
}

static __always_inline bool head_moved(struct sk_buff *skb, long end, __u32 m)
{
	__u32 zero = 0;
	struct window *w;
	__u64 head = 0;

	if (!passed_tc_ingress(skb))
		return false;
	w = bpf_map_lookup_elem(&windows, &zero);
	if (!w || end < m || bpf_core_read(&head, sizeof(head), &skb->head))
		return false;
	return dl_head_moved(w, head + end, m);
}

/* The caller's side: `end` as an offset from `skb->head`. */
static __always_inline int recover_area(struct sk_buff *skb, long end, __u32 m, const volatile __u8 *customer_type,
					__u64 *customer)
{
	int found, udp;

	__u32 zero = 0, n = end < DL_WINDOW ? (__u32)end : DL_WINDOW;
	struct window *w = bpf_map_lookup_elem(&windows, &zero);
	__u64 head = 0;

	/* A copy, not a load: the head as a plain number, which a global function may take
	 * (a pointer loaded from the skb may not be passed to one). */
	if (!w || end < 0 || bpf_core_read(&head, sizeof(head), &skb->head))
		return DL_RECOVERED_NOTHING;
	udp = dl_udp_tunnel_start(w, head + end, n);
	if (udp < 0)
		return DL_RECOVERED_NOTHING | (w->tunnel ? DL_TUNNEL_SEEN : 0);
	found = dl_recover_area(w, n, m, *customer_type, udp);
	if (found == DL_RECOVERED_AREA)
		*customer = w->customer;
	return found | (w->tunnel ? DL_TUNNEL_SEEN : 0);
}

#endif
