#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dl_parse_check.h"
#include "generated/parse_check.skel.h"

struct parse_check_bpf *dl_parse_check_open_and_load(uint8_t customer_tlv_type)
{
	struct parse_check_bpf *skel = parse_check_bpf__open();
	int err;

	if (!skel)
		return NULL;
	skel->rodata->customer_tlv_type = customer_tlv_type;
	err = parse_check_bpf__load(skel);
	if (err) {
		parse_check_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

int dl_parse_check_run(struct parse_check_bpf *skel, const uint8_t *bytes, uint32_t len,
		       uint32_t *status, uint64_t *customer, uint32_t *seal)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	if (len > sizeof(skel->bss->area))
		return -EINVAL;
	memcpy(skel->bss->area, bytes, len);
	skel->bss->area_len = len;
	skel->bss->verdict_status = ~0U;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.parse_check), &opts);
	if (err)
		return err;
	*status = skel->bss->verdict_status;
	*customer = skel->bss->verdict_customer;
	*seal = skel->bss->verdict_seal;
	return 0;
}

void dl_parse_check_destroy(struct parse_check_bpf *skel) { parse_check_bpf__destroy(skel); }
