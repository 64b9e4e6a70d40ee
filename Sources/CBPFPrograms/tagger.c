#include <errno.h>
#include <bpf/libbpf.h>
#include "dl_tagger.h"
#include "generated/tagger.skel.h"

struct tagger_bpf *dl_tagger_open(const struct dl_tagger_config *config)
{
	struct tagger_bpf *skel = tagger_bpf__open();

	if (!skel)
		return NULL;
	skel->rodata->customer_tlv_type = config->customer_tlv_type;
	skel->rodata->match_source = config->match_source;
	skel->rodata->count_traffic = !config->skip_traffic_counts;
	return skel;
}

struct bpf_object *dl_tagger_object(struct tagger_bpf *skel) { return skel->obj; }
int dl_tagger_load(struct tagger_bpf *skel) { return tagger_bpf__load(skel); }
int dl_tagger_prog_fd(struct tagger_bpf *skel) { return bpf_program__fd(skel->progs.tag_customer); }
void dl_tagger_destroy(struct tagger_bpf *skel) { tagger_bpf__destroy(skel); }
