/* The XDP tagger (bpf/tagger.bpf.c). */
#ifndef DL_TAGGER_H
#define DL_TAGGER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/if_link.h>       /* XDP_FLAGS_* for the attach mode */
#include "../../../bpf/tagger.h"

struct bpf_object;
struct tagger_bpf;

struct dl_tagger_config {
	uint8_t customer_tlv_type;
	bool match_source;      /* match the source address instead of the destination */
	bool skip_traffic_counts;  /* leave out the per-customer counting (`make bench` only) */
};

/* Opens the embedded object and applies the load-time configuration. NULL and errno on failure. */
struct tagger_bpf *dl_tagger_open(const struct dl_tagger_config *config);
struct bpf_object *dl_tagger_object(struct tagger_bpf *skel);  /* e.g. to reuse pinned maps before load */
int dl_tagger_load(struct tagger_bpf *skel);       /* 0 or -errno */
int dl_tagger_prog_fd(struct tagger_bpf *skel);
void dl_tagger_destroy(struct tagger_bpf *skel);   /* closes the program and maps (pins and links keep theirs) */

#endif
