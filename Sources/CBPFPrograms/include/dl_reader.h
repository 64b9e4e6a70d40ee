/* The kfree_skb reader (bpf/dropledger.bpf.c): open, configure, load, attach. */
#ifndef DL_READER_H
#define DL_READER_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "../../../bpf/dropledger.h"

struct bpf_object;
struct dropledger_bpf;

struct dl_reader_config {
	uint8_t customer_tlv_type;
	uint32_t netns_filter;
	uint32_t ring_shift;     /* each CPU's ring holds 1 << ring_shift events */
	uint32_t wakeup_events;  /* a ring this full wakes the consumer */
	uint32_t urgent_events;  /* ... even while the consumer polls */
	uint32_t cpu_count;      /* one ring per possible CPU */
	bool direct_reads;       /* load on_kfree_skb (bpf_rdonly_cast) rather than on_kfree_skb_copy */
	int doorbell_template_fd; /* one of the doorbell rings: the outer map takes inner maps shaped like it */
	uint64_t sample_interval_ns;     /* 1 s / samples per second per CPU; 0: no samples */
	uint64_t sample_key_interval_ns; /* the shortest gap between two samples of one key */
	uint32_t samples_ring_bytes;     /* the samples BPF ring buffer: a power of two, pages */
};

/* Opens the embedded object and applies the load-time configuration. NULL and errno on failure. */
struct dropledger_bpf *dl_reader_open(const struct dl_reader_config *config);
struct bpf_object *dl_reader_object(struct dropledger_bpf *skel);
int dl_reader_load(struct dropledger_bpf *skel);     /* 0 or -errno */
int dl_reader_attach(struct dropledger_bpf *skel);   /* 0 or -errno */
void dl_reader_detach(struct dropledger_bpf *skel);  /* stops new events; maps stay readable */
void dl_reader_destroy(struct dropledger_bpf *skel); /* detaches and closes everything (pins keep theirs) */
int dl_reader_prog_fd(struct dropledger_bpf *skel);  /* the variant that was loaded */
int dl_reader_link_fd(struct dropledger_bpf *skel);  /* -1 before attach */
int dl_reader_rodata_fd(struct dropledger_bpf *skel); /* the load-time configuration, e.g. to pin it */
/* Reads the load-time configuration back from a (pinned) .rodata map: the customer_tlv_type,
 * netns_filter, ring_shift, wakeup_events, urgent_events and sample_*_ns fields of `config`. 0 or -errno. */
int dl_reader_read_config(int rodata_fd, struct dl_reader_config *config);

#endif
