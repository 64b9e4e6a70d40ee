/* The kfree_skb reader's skeleton (bpf/dropledger.bpf.c): configuration, load, attach. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dl_reader.h"
#include "generated/dropledger.skel.h"

struct dropledger_bpf *dl_reader_open(const struct dl_reader_config *config)
{
	struct dropledger_bpf *skel = dropledger_bpf__open();
	int err;

	if (!skel)
		return NULL;
	skel->rodata->customer_tlv_type = config->customer_tlv_type;
	skel->rodata->netns_filter = config->netns_filter;
	skel->rodata->ring_shift = config->ring_shift;
	skel->rodata->wakeup_events = config->wakeup_events;
	skel->rodata->urgent_events = config->urgent_events;
	skel->rodata->sample_interval_ns = config->sample_interval_ns;
	skel->rodata->sample_key_interval_ns = config->sample_key_interval_ns;
	err = bpf_map__set_max_entries(skel->maps.samples, config->samples_ring_bytes);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.events, config->cpu_count << config->ring_shift);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.cursors, config->cpu_count);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.doorbells, config->cpu_count);
	if (!err)
		err = bpf_map__set_inner_map_fd(skel->maps.doorbells, config->doorbell_template_fd);
	if (!err)
		err = bpf_program__set_autoload(config->direct_reads ? skel->progs.on_kfree_skb_copy
							     : skel->progs.on_kfree_skb, false);
	if (err) {
		dropledger_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

struct bpf_object *dl_reader_object(struct dropledger_bpf *skel) { return skel->obj; }
int dl_reader_load(struct dropledger_bpf *skel) { return dropledger_bpf__load(skel); }
int dl_reader_attach(struct dropledger_bpf *skel) { return dropledger_bpf__attach(skel); }
void dl_reader_detach(struct dropledger_bpf *skel) { dropledger_bpf__detach(skel); }
void dl_reader_destroy(struct dropledger_bpf *skel) { dropledger_bpf__destroy(skel); }
static struct bpf_program *loaded_program(struct dropledger_bpf *skel)
{
	return bpf_program__autoload(skel->progs.on_kfree_skb) ? skel->progs.on_kfree_skb
							      : skel->progs.on_kfree_skb_copy;
}

static struct bpf_link *loaded_link(struct dropledger_bpf *skel)
{
	return bpf_program__autoload(skel->progs.on_kfree_skb) ? skel->links.on_kfree_skb
							      : skel->links.on_kfree_skb_copy;
}

int dl_reader_prog_fd(struct dropledger_bpf *skel) { return bpf_program__fd(loaded_program(skel)); }
int dl_reader_link_fd(struct dropledger_bpf *skel)
{
	struct bpf_link *link = loaded_link(skel);

	return link ? bpf_link__fd(link) : -1;
}
int dl_reader_rodata_fd(struct dropledger_bpf *skel) { return bpf_map__fd(skel->maps.rodata); }

int dl_reader_read_config(int rodata_fd, struct dl_reader_config *config)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info), key = 0;
	struct dropledger_bpf__rodata *rodata;
	int err;

	err = bpf_obj_get_info_by_fd(rodata_fd, &info, &len);
	if (err)
		return err;
	if (info.value_size < sizeof(*rodata))
		return -EINVAL;
	rodata = calloc(1, info.value_size);
	if (!rodata)
		return -ENOMEM;
	err = bpf_map_lookup_elem(rodata_fd, &key, rodata);
	if (!err) {
		config->customer_tlv_type = rodata->customer_tlv_type;
		config->netns_filter = rodata->netns_filter;
		config->ring_shift = rodata->ring_shift;
		config->wakeup_events = rodata->wakeup_events;
		config->urgent_events = rodata->urgent_events;
		config->sample_interval_ns = rodata->sample_interval_ns;
		config->sample_key_interval_ns = rodata->sample_key_interval_ns;
	}
	free(rodata);
	return err;
}
