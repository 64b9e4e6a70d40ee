// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * dlbench: the C side of `make bench` (see bench/run.sh).
 *
 *   dlbench attach
 *       Loads and attaches the reference programs next to dropledger's on
 *       tp_btf/kfree_skb: the empty floor and the per-CPU hash counter. Prints
 *       "floor <prog id>" and "hashcount <prog id>", then waits for stdin to
 *       close and prints the hash counter's totals ("hashcount_drops <n>").
 *
 *   dlbench attach-touch
 *       Attaches the first-touch program (loads skb->len only) and then the
 *       floor, so that a program attached after them finds the skb's first cache
 *       line warm. Prints "touch <prog id>" and "floor <prog id>"; waits for stdin.
 *
 *   dlbench consume RING_BYTES EVENTS_PER_CPU CUSTOMERS
 *       The minimal C libbpf consumer of the capacity test: fills one ring per
 *       CPU with the synthetic producer (BPF_PROG_TEST_RUN, repeat), then drains
 *       them with ring_buffer__poll/consume into an open-addressing table keyed
 *       by (customer, status, reason), as the Swift consumer does. Prints
 *       "events <n> seconds <s> rate <events/s>".
 *
 *   dlbench fill PROG_ID EVENTS_PER_CPU CUSTOMERS
 *       Fills the rings of an already loaded dropledger program (the Swift side
 *       of the capacity test, in dropledger-bench) the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <sys/select.h>
#include <linux/types.h>
#include "dropledger.h"
#include "floor.skel.h"
#include "hashcount.skel.h"
#include "producer.skel.h"

static void die(const char *what, int err)
{
	fprintf(stderr, "dlbench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static uint32_t prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("bpf_obj_get_info_by_fd", errno);
	return info.id;
}

static int attach(void)
{
	struct bench_floor_bpf *floor = bench_floor_bpf__open_and_load();
	struct bench_hashcount_bpf *hc = bench_hashcount_bpf__open_and_load();
	char buf[64];
	int err = 0, ncpu = libbpf_num_possible_cpus();

	if (!floor || !hc)
		die("loading the reference programs", errno);
	/* Programs run in the order they were attached: the floor, then the hash counter. */
	if (!bpf_program__attach(floor->progs.bench_floor) || (err = bench_hashcount_bpf__attach(hc)))
		die("attaching the reference programs", err ? err : errno);
	printf("floor %u\nhashcount %u\n", prog_id(bpf_program__fd(floor->progs.bench_floor)),
	       prog_id(bpf_program__fd(hc->progs.bench_hashcount)));
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	/* Totals of the in-kernel counter, a cross-check of what it saw. */
	struct dl_fallback_key key, next, *prev = NULL;
	struct dl_count values[ncpu];
	uint64_t drops = 0;
	int fd = bpf_map__fd(hc->maps.counts);

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, values) == 0)
			for (int i = 0; i < ncpu; i++)
				drops += values[i].drops;
		key = next;
		prev = &key;
	}
	printf("hashcount_drops %llu\n", (unsigned long long)drops);
	bench_hashcount_bpf__destroy(hc);
	bench_floor_bpf__destroy(floor);
	return 0;
}

static int attach_touch(void)
{
	struct bench_floor_bpf *floor = bench_floor_bpf__open_and_load();
	char buf[64];

	if (!floor)
		die("loading the reference programs", errno);
	/* The touch first: it brings the skb's first line in, for every program after it. */
	if (!bpf_program__attach(floor->progs.bench_touch) || !bpf_program__attach(floor->progs.bench_floor))
		die("attaching the reference programs", errno);
	printf("touch %u\nfloor %u\n", prog_id(bpf_program__fd(floor->progs.bench_touch)),
	       prog_id(bpf_program__fd(floor->progs.bench_floor)));
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	bench_floor_bpf__destroy(floor);
	return 0;
}

/* ---- the C consumer ---- */

struct slot {
	uint64_t customer;
	uint32_t reason;
	uint32_t status;  /* 0 = empty slot; stored as status + 1 */
	uint64_t drops, bytes;
};

struct table {
	struct slot *slots;
	size_t mask, used;
	uint64_t events;
};

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static void table_grow(struct table *t);

static inline void table_add(struct table *t, uint64_t customer, uint32_t status, uint32_t reason, uint64_t bytes)
{
	size_t i = mix(mix(customer) ^ ((uint64_t)reason | (uint64_t)status << 32)) & t->mask;

	for (;;) {
		struct slot *s = &t->slots[i];

		if (s->status == 0) {
			*s = (struct slot){ customer, reason, status + 1, 1, bytes };
			if (++t->used * 2 > t->mask + 1)
				table_grow(t);
			return;
		}
		if (s->customer == customer && s->reason == reason && s->status == status + 1) {
			s->drops++;
			s->bytes += bytes;
			return;
		}
		i = (i + 1) & t->mask;
	}
}

static void table_grow(struct table *t)
{
	struct table old = *t;

	t->mask = (old.mask + 1) * 2 - 1;
	t->slots = calloc(t->mask + 1, sizeof(struct slot));
	t->used = 0;
	for (size_t i = 0; i <= old.mask; i++) {
		struct slot *s = &old.slots[i];

		if (s->status) {
			size_t j = mix(mix(s->customer) ^ ((uint64_t)s->reason | (uint64_t)(s->status - 1) << 32)) & t->mask;

			while (t->slots[j].status)
				j = (j + 1) & t->mask;
			t->slots[j] = *s;
			t->used++;
		}
	}
	free(old.slots);
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct table *t = ctx;
	const struct dl_event *e = data;

	if (size < sizeof(*e))
		return 0;
	table_add(t, e->status == DL_STATUS_CUSTOMER ? e->customer : 0, e->status, e->reason, e->len);
	t->events++;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
}

/*
 * Fills rings[c] with per_cpu events from the producer running on CPU c, nobody
 * consuming yet.
 */
static void fill(const int *rings, int ncpu, uint32_t per_cpu, uint32_t customers)
{
	struct bench_producer_bpf *p = bench_producer_bpf__open();
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	uint8_t frame[64] = { 0 };
	cpu_set_t all;
	int err;

	if (!p)
		die("opening the producer", errno);
	if (bpf_obj_get_info_by_fd(rings[0], &info, &len))
		die("reading a ring's size", errno);
	p->rodata->customers = customers;
	p->rodata->wakeup_bytes = info.max_entries / 4;
	if ((err = bpf_map__set_max_entries(p->maps.rings, ncpu)) ||
	    (err = bpf_map__set_inner_map_fd(p->maps.rings, rings[0])) ||
	    (err = bench_producer_bpf__load(p)))
		die("loading the producer", err);
	for (int c = 0; c < ncpu; c++) {
		__u32 key = c;

		if ((err = bpf_map_update_elem(bpf_map__fd(p->maps.rings), &key, &rings[c], BPF_ANY)))
			die("installing a ring", err);
	}
	sched_getaffinity(0, sizeof(all), &all);
	for (int c = 0; c < ncpu; c++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame),
			    .repeat = per_cpu);
		pin(c);
		if ((err = bpf_prog_test_run_opts(bpf_program__fd(p->progs.produce), &opts)))
			die("running the producer", err);
	}
	sched_setaffinity(0, sizeof(all), &all);
	/* Events that did not fit (ring too small for per_cpu): reported, never hidden. */
	__u32 k = 1;
	__u64 full[ncpu], lost = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(p->maps.stats), &k, full) == 0)
		for (int c = 0; c < ncpu; c++)
			lost += full[c];
	if (lost)
		fprintf(stderr, "dlbench: %llu events did not fit the rings\n", (unsigned long long)lost);
	bench_producer_bpf__destroy(p);
}

/* The rings of a loaded dropledger program (by id), in CPU order: the Swift side's. */
static int rings_of_program(uint32_t id, int *rings, int ncpu)
{
	int prog = bpf_prog_get_fd_by_id(id);
	__u32 map_ids[16], len;
	struct bpf_prog_info info = {};

	if (prog < 0)
		die("finding the program", errno);
	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)map_ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		die("reading the program's maps", errno);
	for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++) {
		int fd = bpf_map_get_fd_by_id(map_ids[i]);
		struct bpf_map_info mi = {};
		__u32 ml = sizeof(mi);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &mi, &ml) || strcmp(mi.name, "rings")) {
			close(fd);
			continue;
		}
		for (int c = 0; c < ncpu; c++) {
			__u32 key = c, inner;

			if (bpf_map_lookup_elem(fd, &key, &inner) || (rings[c] = bpf_map_get_fd_by_id(inner)) < 0)
				die("opening a ring of the program", errno);
		}
		close(fd);
		close(prog);
		return 0;
	}
	die("the program has no map named rings", ENOENT);
	return -1;
}

static int consume(uint32_t ring_bytes, uint32_t per_cpu, uint32_t customers)
{
	int ncpu = libbpf_num_possible_cpus(), rings[ncpu], err = 0;
	struct table t = { calloc(16, sizeof(struct slot)), 15, 0, 0 };
	struct ring_buffer *rb = NULL;

	for (int c = 0; c < ncpu; c++) {
		rings[c] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bench_ring", 0, 0, ring_bytes, NULL);
		if (rings[c] < 0)
			die("creating a ring", rings[c]);
	}
	fill(rings, ncpu, per_cpu, customers);
	for (int c = 0; c < ncpu; c++) {
		err = rb ? ring_buffer__add(rb, rings[c], on_sample, &t) : 0;
		if (!rb)
			rb = ring_buffer__new(rings[c], on_sample, &t, NULL);
		if (!rb || err)
			die("setting up the consumer", rb ? err : errno);
	}
	uint64_t expected = (uint64_t)per_cpu * ncpu;
	double t0 = now();

	while (t.events < expected) {
		ring_buffer__poll(rb, 50);
		ring_buffer__consume(rb);
	}
	double t1 = now();

	printf("events %llu seconds %.6f rate %.0f series %zu\n", (unsigned long long)t.events, t1 - t0,
	       t.events / (t1 - t0), t.used);
	ring_buffer__free(rb);
	for (int c = 0; c < ncpu; c++)
		close(rings[c]);
	return 0;
}

static int fill_program(uint32_t id, uint32_t per_cpu, uint32_t customers)
{
	int ncpu = libbpf_num_possible_cpus(), rings[ncpu];

	rings_of_program(id, rings, ncpu);
	fill(rings, ncpu, per_cpu, customers);
	for (int c = 0; c < ncpu; c++)
		close(rings[c]);
	return 0;
}

static int count_sample(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	(*(uint64_t *)ctx)++;
	return 0;
}

/*
 * Development aid: loads a variant of dropledger.bpf.c from an object file with rings
 * of the default size and wakeup at a quarter, attaches it, prints "variant <prog id>"
 * and drains its rings (counting only) until stdin closes.
 */
static int variant(const char *path)
{
	int ncpu = libbpf_num_possible_cpus(), rings[ncpu], err;
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *outer, *rodata;
	struct ring_buffer *rb = NULL;
	uint64_t events = 0;
	size_t size;

	if (!obj)
		die("opening the object", errno);
	for (int c = 0; c < ncpu; c++)
		if ((rings[c] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "dl_ring", 0, 0, 256 * 1024, NULL)) < 0)
			die("creating a ring", rings[c]);
	outer = bpf_object__find_map_by_name(obj, "rings");
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!outer || !rodata)
		die("finding rings and .rodata", ENOENT);
	/* wakeup_bytes by its BTF offset in .rodata */
	const struct btf *btf = bpf_object__btf(obj);
	int sec = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	const struct btf_type *t = btf__type_by_id(btf, sec);
	const struct btf_var_secinfo *v = btf_var_secinfos(t);
	char *data = (char *)bpf_map__initial_value(rodata, &size);

	for (int i = 0; i < btf_vlen(t); i++, v++)
		if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off), "wakeup_bytes"))
			*(uint64_t *)(data + v->offset) = 256 * 1024 / 4;
	if ((err = bpf_map__set_max_entries(outer, ncpu)) || (err = bpf_map__set_inner_map_fd(outer, rings[0])) ||
	    (err = bpf_object__load(obj)))
		die("loading the variant", err);
	for (int c = 0; c < ncpu; c++) {
		__u32 key = c;

		if ((err = bpf_map_update_elem(bpf_map__fd(outer), &key, &rings[c], BPF_ANY)))
			die("installing a ring", err);
		err = rb ? ring_buffer__add(rb, rings[c], count_sample, &events) : 0;
		if (!rb)
			rb = ring_buffer__new(rings[c], count_sample, &events, NULL);
		if (!rb || err)
			die("setting up the consumer", rb ? err : errno);
	}
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link)
		die("attaching the variant", errno);
	printf("variant %u\n", prog_id(bpf_program__fd(prog)));
	fflush(stdout);
	for (;;) {
		struct timeval tv = { 0, 0 };
		fd_set in;

		ring_buffer__poll(rb, 50);
		ring_buffer__consume(rb);
		FD_ZERO(&in);
		FD_SET(0, &in);
		if (select(1, &in, NULL, NULL, &tv) > 0) {
			char buf[64];

			if (read(0, buf, sizeof(buf)) <= 0)
				break;
		}
	}
	bpf_link__destroy(link);
	ring_buffer__consume(rb);
	printf("variant_events %llu\n", (unsigned long long)events);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "variant"))
		return variant(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "attach"))
		return attach();
	if (argc == 2 && !strcmp(argv[1], "attach-touch"))
		return attach_touch();
	if (argc == 5 && !strcmp(argv[1], "fill"))
		return fill_program(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "consume"))
		return consume(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	fprintf(stderr, "usage: dlbench attach | attach-touch | consume RING_BYTES EVENTS_PER_CPU CUSTOMERS"
			" | fill DROPLEDGER_PROG_ID EVENTS_PER_CPU CUSTOMERS\n");
	return 2;
}
