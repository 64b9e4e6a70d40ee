#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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
	skel->rodata->wakeup_bytes = config->wakeup_bytes;
	err = bpf_map__set_max_entries(skel->maps.rings, config->ring_count);
	if (!err)
		err = bpf_map__set_inner_map_fd(skel->maps.rings, config->ring_template_fd);
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

struct inject_bpf *dl_inject_open_and_load(void) { return inject_bpf__open_and_load(); }
int dl_inject_prog_fd(struct inject_bpf *skel) { return bpf_program__fd(skel->progs.inject_meta); }
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
