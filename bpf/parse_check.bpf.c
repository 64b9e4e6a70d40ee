// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Test only (never attached): the kfree_skb program's metadata verdict on
 * bytes chosen by user space, for the differential tests against the Swift
 * decoder. Run with BPF_PROG_TEST_RUN. It copies the area into a per-CPU
 * scratch exactly as classify() in dropledger.bpf.c does and calls the same
 * parse_customer_sealed() (metadata_parse.h), seal included; only the source of the
 * bytes differs (a global instead of the skb's head).
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "metadata_parse.h"

/* As in dropledger.bpf.c: set by user space before load. */
const volatile __u8 customer_tlv_type = 1;

/* In: set through the skeleton's mmapped .bss before each run. Any length is
 * accepted (the kernel only ever hands over multiples of 4 up to 252). */
__u32 area_len;
__u8 area[DL_META_MAX];

/* Out. */
__u32 verdict_status;
__u64 verdict_customer;
__u32 verdict_seal;   /* enum dl_seal, for a customer verdict */

static __always_inline __u8 check(__u32 m, __u64 *customer, __u8 *seal)
{
	__u32 zero = 0;
	struct scratch *s;

	/* classify()'s checks before the copy, as written there. */
	if (m == 0)
		return DL_STATUS_NONE;
	if (m > DL_META_MAX)
		return DL_STATUS_INVALID;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return DL_STATUS_INVALID;
	if (bpf_probe_read_kernel(s->buf, m, area))
		return DL_STATUS_INVALID;
	return parse_customer_sealed(s->buf, m, &customer_tlv_type, customer, seal);
}

SEC("syscall")
int parse_check(void *ctx)
{
	__u64 customer = 0;
	__u8 seal = DL_SEAL_ABSENT;

	verdict_status = check(area_len, &customer, &seal);
	verdict_customer = customer;
	verdict_seal = seal;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
