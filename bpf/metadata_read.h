/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Finds a dropped skb's metadata area (head + mac_header, or skb_shinfo()->meta_end
 * on kernels that have it, chosen by CO-RE) and parses it. Two ways to read it:
 *
 * - classify_direct: plain loads through bpf_rdonly_cast(). The verifier turns them
 *   into fault-safe loads; no helper call. Needs a kernel whose verifier accepts
 *   casts to void (6.17 and later); user space loads this variant when it can.
 * - classify_copy: bpf_probe_read_kernel() of meta_len, then of the area into a
 *   per-CPU scratch. Every supported kernel (6.1 on); a helper call per read.
 *
 * Shared by the kfree_skb program and the benchmark's reference counter, so both
 * do the same work up to where they differ.
 */
#ifndef DL_METADATA_READ_H
#define DL_METADATA_READ_H

#include "kernel_types.h"
#include <bpf/bpf_core_read.h>
#include "metadata_parse.h"
#include "area_recovery.h"

/* Drops whose area an encapsulation overwrote (a packet forwarded into a tunnel):
 * counted as invalid, and here, so operators see how much attribution that costs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} overwritten SEC(".maps");

/* Weak: on kernels without it, only the copy variant is loaded. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* Where the area ends on kernels without skb_shared_info.meta_end: at the MAC header,
 * as an offset from skb->head; -1 when the header was never set. */
static __always_inline long mac_header_end(struct sk_buff *skb)
{
	return skb->mac_header == (__u16)~0U ? -1 : skb->mac_header;
}

/*
 * The verdict read where the kernel says the area ends, checked against how the skb
 * got there. An Ethernet frame as received has its network header 14 bytes after the
 * MAC header (or none set yet). Anything else (a tunnel left the MAC header at an inner packet or an
 * outer IP header) means the bytes before the MAC header are not the tagger's area
 * but outer headers: they may even parse, and must not be read as a customer. There,
 * and wherever the area is not a customer entry with dropledger's seal, the area is looked
 * for behind outer headers (area_recovery.h); only a valid one found there counts.
 */
static __always_inline void count_overwritten(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&overwritten, &zero);

	if (lost)
		*lost += 1;
}

/*
 * Whether the area's last two bytes may have been written over. A host that forwards
 * a packet writes its new Ethernet header from the neighbour cache as 16 aligned bytes
 * (neigh_hh_output), the first two zero, right over them, and the packet keeps them
 * wherever it goes next (into a container's veth, through a bridge). So an area
 * ending in two zero bytes is trusted only with an intact seal (seal_of()): without one,
 * they may have been a customer ID's last bytes, or the area's bytes may have been
 * moved before (a TC program) and only look like an area. (An area of another tagger
 * that genuinely ends in two zero bytes is then `invalid`: such taggers should write
 * the seal too.)
 */
static __always_inline bool zero_tail(const __u8 *area, __u32 m)
{
	if (m < 2)
		return false;
	/* Masked indexes: older verifiers lose the bound m >= 2 gave them. */
	return area[bounded(m - 2)] == 0 && area[bounded(m - 1)] == 0;
}

/*
 * Whether a tunnel pushed outer headers over the area on transmit. Tunnels mark where
 * the inner frame starts when they push (skb_reset_inner_headers) and keep the mark
 * even where they clear skb->encapsulation: the MAC header is then still that inner
 * frame's, with the outer IP header before it, or (once the outer Ethernet header is
 * written) before the mark. Other skbs may carry any stale mark (veth's: two bytes
 * before the MAC header), which neither describes.
 */
static __always_inline bool encapsulated(struct sk_buff *skb, long end, __u16 network, __u16 inner)
{
	if (!inner || end < 0)
		return false;
	return inner > end || (inner == end && network != (__u16)~0U && network < end);
}

/*
 * Whether a customer area read where the tagger left it was written over: a broken seal,
 * or no seal and a zero tail (zero_tail()). Without a seal it is another tagger's.
 */
static __always_inline bool written_over(__u8 status, const __u8 *area, __u8 seal, __u32 m)
{
	return status == DL_STATUS_CUSTOMER && seal != DL_SEAL_INTACT && (seal == DL_SEAL_BROKEN || zero_tail(area, m));
}

/* What checked() keeps across the walks, in one byte: the stack of the program and
 * dl_recover_area together is 512 bytes on 6.1 and 6.12, with little to spare. */
#define DL_READ_STATUS 0x3
#define DL_READ_TRUSTED 0x4
#define DL_READ_WRITTEN_OVER 0x8

static __always_inline __u8 checked(struct sk_buff *skb, unsigned char *head, long end, __u32 m, __u8 status,
				    const __u8 *area, __u8 seal, const volatile __u8 *customer_type,
				    __u64 *customer)
{
	bool ethernet = skb->network_header == (__u16)~0U || skb->network_header == end + 14;
	__u8 read = status | (status == DL_STATUS_CUSTOMER && ethernet ? DL_READ_TRUSTED : 0) |
		    (written_over(status, area, seal, m) ? DL_READ_WRITTEN_OVER : 0);
	int found;

	/* The common path: an area of dropledger's tagger, in place. */
	if ((read & DL_READ_TRUSTED) && seal == DL_SEAL_INTACT)
		return status;
	if ((read & DL_READ_TRUSTED) && (read & DL_READ_WRITTEN_OVER)) {
		count_overwritten();
		return DL_STATUS_INVALID;
	}
	/* A TC program that moved the head left old header bytes where the area is read.
	 * (One call site: each inlined copy takes stack, and 6.1 allows 512 bytes for the
	 * program and dl_recover_area together.) */
	if (head_moved(skb, end, m)) {
		count_overwritten();
		return DL_STATUS_INVALID;
	}
	/* Even an unsealed area that looks in place (another tagger's) is looked for behind
	 * outer headers: a decapsulated VXLAN or Geneve frame has its network header 14 bytes
	 * after its MAC header too, and the outer UDP and tunnel headers before it can walk
	 * as a valid area (VNI 257, a one-byte customer's 12 bytes: customer 0). A sealed one
	 * cannot: the VXLAN flags byte sits where the check entry's type must be 0. */
	found = recover_area(skb, end, m, customer_type, customer);
	if ((found & DL_RECOVERY_KIND) == DL_RECOVERED_AREA)
		return DL_STATUS_CUSTOMER;
	status = read & DL_READ_STATUS;
	/* Outer headers pushed on transmit sit where the area was: whatever the bytes
	 * before the MAC header say, they are not the tagger's (see encapsulated()). */
	if (!(read & DL_READ_TRUSTED) && encapsulated(skb, end, skb->network_header, skb->inner_mac_header)) {
		count_overwritten();
		return DL_STATUS_INVALID;
	}
	/* The bytes read are a tunnel's outer headers, with no area behind them. */
	if (found & DL_TUNNEL_SEEN)
		return status == DL_STATUS_CUSTOMER ? DL_STATUS_INVALID : status;
	if (read & DL_READ_TRUSTED)
		return status;
	/* The area in place after all (an IPIP-like tunnel left the MAC header there). */
	if ((found & DL_RECOVERY_KIND) == DL_KERNEL_END_IS_FRAME) {
		if (read & DL_READ_WRITTEN_OVER) {
			count_overwritten();
			return DL_STATUS_INVALID;
		}
		return status;
	}
	return status == DL_STATUS_CUSTOMER ? DL_STATUS_INVALID : status;
}

/*
 * Packets on the wire behind one skb: a GRO or GSO aggregate holds gso_segs of them,
 * its bytes (skb->len) already all of theirs. gso_size and gso_segs are adjacent
 * u16s in every kernel, so the copy variant reads both with one call.
 */
static __always_inline __u16 segments_direct(struct sk_buff *skb)
{
	struct skb_shared_info *shinfo =
		bpf_rdonly_cast(skb->head + skb->end, bpf_core_type_id_kernel(struct skb_shared_info));

	return shinfo->gso_size && shinfo->gso_segs ? shinfo->gso_segs : 1;
}

static __always_inline __u16 segments_copy(struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = (void *)(skb->head + skb->end);
	__u16 gso[2] = {};

	if (bpf_probe_read_kernel(gso, sizeof(gso), (void *)shinfo + bpf_core_field_offset(shinfo->gso_size)))
		return 1;
	return gso[0] && gso[1] ? gso[1] : 1;
}

static __always_inline __u8 classify_direct(struct sk_buff *skb, const volatile __u8 *customer_type, __u64 *customer)
{
	unsigned char *head = skb->head;
	struct skb_shared_info *shinfo =
		bpf_rdonly_cast(head + skb->end, bpf_core_type_id_kernel(struct skb_shared_info));
	__u32 m = shinfo->meta_len;
	long end;

	if (m == 0)
		return DL_STATUS_NONE;
	if (m > DL_META_MAX)
		return DL_STATUS_INVALID;
	end = bpf_core_field_exists(shinfo->meta_end) ? shinfo->meta_end : mac_header_end(skb);
	if (end < m)
		return DL_STATUS_INVALID;
	/* btf_id 0: untrusted read-only memory of any size; loads past the area read
	 * the packet that follows it (parse_customer never uses those bytes). */
	const __u8 *area = bpf_rdonly_cast(head + end - m, 0);
	__u8 seal = DL_SEAL_ABSENT;
	__u8 status = parse_customer_sealed(area, m, customer_type, customer, &seal);

	return checked(skb, head, end, m, status, area, seal, customer_type, customer);
}

static __always_inline __u8 classify_copy(struct sk_buff *skb, const volatile __u8 *customer_type, __u64 *customer)
{
	unsigned char *head = skb->head;
	struct skb_shared_info *shinfo = (void *)(head + skb->end);
	__u32 zero = 0, m;
	struct scratch *s;
	long end;

	m = BPF_CORE_READ(shinfo, meta_len);
	if (m == 0)
		return DL_STATUS_NONE;
	if (m > DL_META_MAX)
		return DL_STATUS_INVALID;
	end = bpf_core_field_exists(shinfo->meta_end) ? BPF_CORE_READ(shinfo, meta_end) : mac_header_end(skb);
	if (end < m)
		return DL_STATUS_INVALID;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return DL_STATUS_INVALID;
	if (bpf_probe_read_kernel(s->buf, m, head + end - m))
		return DL_STATUS_INVALID;
	__u8 seal = DL_SEAL_ABSENT;
	__u8 status = parse_customer_sealed(s->buf, m, customer_type, customer, &seal);

	return checked(skb, head, end, m, status, s->buf, seal, customer_type, customer);
}

#endif
