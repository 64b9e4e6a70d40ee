#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "CBPFPrograms.h"
#include "generated/dropledger.skel.h"
#include "generated/inject.skel.h"

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
	}
	free(rodata);
	return err;
}

struct inject_bpf *dl_inject_open_and_load(void) { return inject_bpf__open_and_load(); }
int dl_inject_prog_fd(struct inject_bpf *skel) { return bpf_program__fd(skel->progs.inject_meta); }
uint64_t dl_inject_refused(struct inject_bpf *skel) { return __atomic_load_n(&skel->bss->refused, __ATOMIC_RELAXED); }
void dl_inject_destroy(struct inject_bpf *skel) { inject_bpf__destroy(skel); }

int dl_inject_set_meta(struct inject_bpf *skel, const uint8_t *bytes, uint32_t len)
{
	if (len > sizeof(skel->bss->meta) || len % 4)
		return -EINVAL;
	memcpy(skel->bss->meta, bytes, len);
	skel->bss->meta_len = len;
	return 0;
}

static dl_libbpf_log_fn log_fn;

static int print_to_swift(enum libbpf_print_level level, const char *format, va_list args)
{
	char *buf, *line, *next;

	/* Verifier logs arrive as one long message: split them into lines. */
	if (!log_fn || vasprintf(&buf, format, args) < 0)
		return 0;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line)
			log_fn((int)level, line);
	}
	free(buf);
	return 0;
}

void dl_libbpf_set_log(dl_libbpf_log_fn fn)
{
	log_fn = fn;
	libbpf_set_print(print_to_swift);
}
