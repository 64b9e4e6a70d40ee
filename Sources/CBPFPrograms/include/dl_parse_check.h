/* Test only: the kfree_skb program's metadata verdict (bpf/parse_check.bpf.c). */
#ifndef DL_PARSE_CHECK_H
#define DL_PARSE_CHECK_H

#include <stdint.h>
#include <linux/types.h>
#include "../../../bpf/dropledger.h"  /* enum dl_status */

struct parse_check_bpf;

/* Loads the checker with this customer TLV type. NULL and errno on failure. */
struct parse_check_bpf *dl_parse_check_open_and_load(uint8_t customer_tlv_type);
/* Runs the kernel's parse on `bytes` (len <= 252): *status is an enum dl_status,
 * *customer the ID when DL_STATUS_CUSTOMER. 0 or -errno. */
/* seal: enum dl_seal (metadata_parse.h: 0 absent, 1 intact, 2 broken) for a customer verdict. */
int dl_parse_check_run(struct parse_check_bpf *skel, const uint8_t *bytes, uint32_t len,
		       uint32_t *status, uint64_t *customer, uint32_t *seal);
void dl_parse_check_destroy(struct parse_check_bpf *skel);

#endif
