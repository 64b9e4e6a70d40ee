// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * dlbench: the C side of `make bench` (see bench/run.sh).
 *
 *   dlbench attach
 *       Loads and attaches the reference programs on tp_btf/kfree_skb, in this
 *       order: the empty floor, the per-CPU hash counter (its direct-read variant
 *       where the kernel accepts it, else its copy variant, as dropledger loads its
 *       own) and, when the direct one loaded, a second hash counter with the copy
 *       variant, to show what the copy costs. Prints "floor <prog id>",
 *       "hashcount <prog id> direct|copy", maybe "hashcount_copy <prog id>", then
 *       "ready"; waits for stdin to close and prints the hash counter's totals
 *       ("hashcount_drops <n>").
 *
 *   dlbench floor
 *       Attaches only the empty floor program on tp_btf/kfree_skb, prints "ready" and
 *       waits for stdin to close: the throughput bench's reference for what any program
 *       there costs the host's drops.
 *
 *   dlbench consume RING_BYTES EVENTS_PER_CPU CUSTOMERS
 *       The minimal C consumer of the capacity test: makes the per-CPU event rings
 *       of bpf/event_ring.h (RING_BYTES / 64 events per CPU), fills every CPU's ring
 *       with the synthetic producer (BPF_PROG_TEST_RUN, repeat, pinned to that CPU),
 *       then drains them with one thread per CPU, pinned to it as the Swift consumer's
 *       are, straight from the mmapped arrays into an open-addressing table keyed by
 *       the drop site the Swift consumer keys its counts by (customer, status, reason,
 *       location, ifindex, netns). Prints "events <n> seconds <s> rate <events/s> series <n>".
 *
 *   dlbench fill PROG_ID EVENTS_PER_CPU CUSTOMERS
 *       Fills the rings of an already loaded dropledger program (the Swift side
 *       of the capacity test, in dropledger-bench) the same way.
 *
 *   dlbench flood PROG_ID CUSTOMERS [EVENTS]
 *       Writes EVENTS events (default CUSTOMERS) of CUSTOMERS distinct customer IDs into
 *       the rings of a running dropledger program while its exporter consumes them: one
 *       thread per CPU, pinned to it, a quarter ring per test run, an event that did not
 *       fit written again by the next run. The memory bench's forged-ID flood on kernels
 *       that refuse injected frames. Prints "events <n> seconds <s> retried <n>".
 *
 *   dlbench udpflood SECONDS RATE CPU
 *       Sends 18-byte UDP datagrams to 127.0.0.1:9 (nothing listens: each is dropped as
 *       NO_SOCKET) from CPU, pinned, for SECONDS: RATE per second, or as fast as it can
 *       with 0. sendmmsg, 64 per call: the drop path, not the syscalls, is what a drop
 *       flood costs. Run it in a namespace of its own. Prints "sent <n> seconds <s>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
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

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

/* One hash counter with only one variant loaded; NULL if the kernel rejects it. */
static struct bench_hashcount_bpf *load_hashcount(bool direct)
{
	struct bench_hashcount_bpf *hc = bench_hashcount_bpf__open();

	if (!hc)
		die("opening the hash counter", errno);
	bpf_program__set_autoload(direct ? hc->progs.bench_hashcount_copy : hc->progs.bench_hashcount, false);
	if (bench_hashcount_bpf__load(hc)) {
		bench_hashcount_bpf__destroy(hc);
		return NULL;
	}
	return hc;
}

static uint64_t hashcount_drops(struct bench_hashcount_bpf *hc)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(hc->maps.counts);
	struct dl_fallback_key key, next, *prev = NULL;
	struct dl_count values[ncpu];
	uint64_t drops = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, values) == 0)
			for (int i = 0; i < ncpu; i++)
				drops += values[i].drops;
		key = next;
		prev = &key;
	}
	return drops;
}

static int attach(void)
{
	struct bench_floor_bpf *floor = bench_floor_bpf__open_and_load();
	struct bench_hashcount_bpf *hc, *copy = NULL;
	struct bpf_program *prog;
	char buf[64];

	if (!floor)
		die("loading the floor", errno);
	/* As KernelDropReader: the direct reads first, the copy where the kernel rejects
	 * them (before 6.17; its verifier log is not news, so not printed). */
	libbpf_print_fn_t print = libbpf_set_print(quiet);
	hc = load_hashcount(true);
	libbpf_set_print(print);
	bool direct = hc != NULL;
	if (direct)
		copy = load_hashcount(false);  /* the extra row; skipped if it fails */
	else if (!(hc = load_hashcount(false)))
		die("loading the hash counter", errno);
	prog = direct ? hc->progs.bench_hashcount : hc->progs.bench_hashcount_copy;
	/* Programs run in the order they were attached: the floor, then the hash counters. */
	if (!bpf_program__attach(floor->progs.bench_floor) || !bpf_program__attach(prog) ||
	    (copy && !bpf_program__attach(copy->progs.bench_hashcount_copy)))
		die("attaching the reference programs", errno);
	printf("floor %u\nhashcount %u %s\n", prog_id(bpf_program__fd(floor->progs.bench_floor)),
	       prog_id(bpf_program__fd(prog)), direct ? "direct" : "copy");
	if (copy)
		printf("hashcount_copy %u\n", prog_id(bpf_program__fd(copy->progs.bench_hashcount_copy)));
	printf("ready\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	/* Totals of the in-kernel counter, a cross-check of what it saw. */
	printf("hashcount_drops %llu\n", (unsigned long long)hashcount_drops(hc));
	if (copy)
		bench_hashcount_bpf__destroy(copy);
	bench_hashcount_bpf__destroy(hc);
	bench_floor_bpf__destroy(floor);
	return 0;
}

static int floor_only(void)
{
	struct bench_floor_bpf *floor = bench_floor_bpf__open_and_load();
	char buf[64];

	if (!floor)
		die("loading the floor", errno);
	if (!bpf_program__attach(floor->progs.bench_floor))
		die("attaching the floor", errno);
	printf("ready\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	bench_floor_bpf__destroy(floor);
	return 0;
}

/* ---- the C consumer ---- */

/* The drop site, as the Swift consumer's DrainTally keys its counts: customer, status,
 * reason, kernel location and device. Same work per event on both sides. */
struct site {
	uint64_t customer, location;
	uint32_t reason, status;  /* status stored + 1: 0 marks an empty slot */
	uint32_t ifindex, netns;
};

struct slot {
	struct site site;
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

static inline size_t site_hash(const struct site *k)
{
	return mix(k->customer ^ mix(k->location ^ mix(((uint64_t)k->reason | (uint64_t)k->status << 32) ^
						     ((uint64_t)k->ifindex | (uint64_t)k->netns << 32))));
}

static inline int site_equal(const struct site *a, const struct site *b)
{
	return a->customer == b->customer && a->location == b->location && a->reason == b->reason &&
	       a->status == b->status && a->ifindex == b->ifindex && a->netns == b->netns;
}

static void table_grow(struct table *t);

static inline void table_add(struct table *t, const struct site *k, uint64_t drops, uint64_t bytes)
{
	size_t i = site_hash(k) & t->mask;

	for (;;) {
		struct slot *s = &t->slots[i];

		if (s->site.status == 0) {
			*s = (struct slot){ *k, drops, bytes };
			if (++t->used * 2 > t->mask + 1)
				table_grow(t);
			return;
		}
		if (site_equal(&s->site, k)) {
			s->drops += drops;
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

		if (s->site.status) {
			size_t j = site_hash(&s->site) & t->mask;

			while (t->slots[j].site.status)
				j = (j + 1) & t->mask;
			t->slots[j] = *s;
			t->used++;
		}
	}
	free(old.slots);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Pins the calling thread. */
static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
}

/*
 * Opens the producer with the rings' geometry; the caller makes or reuses its maps,
 * then loads it.
 */
static struct bench_producer_bpf *open_producer(uint32_t shift, uint32_t per_cpu, uint32_t customers, uint32_t cpus)
{
	struct bench_producer_bpf *p = bench_producer_bpf__open();
	uint32_t quarter = (1U << shift) / 4;

	if (!p)
		die("opening the producer", errno);
	p->rodata->customers = customers;
	p->rodata->cpus = cpus;
	p->rodata->ring_shift = shift;
	/* As DropReaderConfiguration.wakeupEvents, a quarter ring rings the doorbell; a fill
	 * smaller than that rings it with its last event, so that the consumer is timed
	 * draining, not waiting for its 50 ms timer. */
	p->rodata->wakeup_events = per_cpu < quarter ? per_cpu : quarter;
	p->rodata->urgent_events = quarter * 3;
	return p;
}

/*
 * Fills every CPU's ring with per_cpu events from the producer running on that CPU,
 * nobody consuming yet. Events that did not fit are an error: the run would measure
 * less than it says.
 */
static void fill(struct bench_producer_bpf *p, int ncpu, uint32_t per_cpu)
{
	uint8_t frame[64] = { 0 };
	cpu_set_t all;
	int err;

	sched_getaffinity(0, sizeof(all), &all);
	for (int c = 0; c < ncpu; c++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame),
			    .repeat = per_cpu);
		pin(c);
		if ((err = bpf_prog_test_run_opts(bpf_program__fd(p->progs.produce), &opts)))
			die("running the producer", err);
	}
	sched_setaffinity(0, sizeof(all), &all);
	__u32 k = 1;
	__u64 full[ncpu], lost = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(p->maps.stats), &k, full))
		die("reading the producer's counts", errno);
	for (int c = 0; c < ncpu; c++)
		lost += full[c];
	if (lost) {
		fprintf(stderr, "dlbench: %llu events did not fit the rings (%u per CPU asked)\n",
			(unsigned long long)lost, per_cpu);
		exit(1);
	}
}

/* log2 of a ring's events, from its size in bytes or events; -1 if not a power of two. */
static int ring_shift(uint64_t events)
{
	if (events == 0 || (events & (events - 1)))
		return -1;
	return __builtin_ctzll(events);
}

/* One consumer thread: one CPU's ring into its own table. */
struct lane {
	pthread_t thread;
	int cpu;
	uint64_t expected;
	const struct dl_event *ring;
	struct dl_ring_cursor *cursor;
	uint64_t mask;
	struct table t;
};

static void *drain(void *arg)
{
	struct lane *l = arg;

	pin(l->cpu);
	while (l->t.events < l->expected) {
		/* As dl_cursor_load_head/dl_cursor_store_tail (CBPFPrograms' dl_ring_cursor.h): the head read
		 * before the events behind it, the tail published after they were read. */
		uint64_t head = __atomic_load_n(&l->cursor->head, __ATOMIC_ACQUIRE), tail = l->cursor->tail;

		l->t.events += head - tail;
		for (; tail != head; tail++) {
			const struct dl_event *e = &l->ring[tail & l->mask];

			struct site k = { e->status == DL_STATUS_CUSTOMER ? e->customer : 0, e->location, e->reason,
					  (uint32_t)(e->status < 2 ? e->status : 2) + 1, e->ifindex, e->netns };

			table_add(&l->t, &k, e->segments, e->len);
		}
		__atomic_store_n(&l->cursor->tail, tail, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *map_array(int fd, size_t len, int prot, const char *what)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die(what, errno);
	return p;
}

static int consume(uint32_t ring_bytes, uint32_t per_cpu, uint32_t customers)
{
	int ncpu = libbpf_num_possible_cpus(), shift = ring_shift(ring_bytes / sizeof(struct dl_event)), err;
	struct bench_producer_bpf *p;

	if (ncpu <= 0)
		die("counting possible CPUs", ncpu);
	if (shift < 0 || ring_bytes % sizeof(struct dl_event))
		die("RING_BYTES must be a power of two of at least 64", EINVAL);
	int doorbells[ncpu];

	for (int c = 0; c < ncpu; c++)
		if ((doorbells[c] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bench_doorbell", 0, 0, 4096, NULL)) < 0)
			die("creating a doorbell", doorbells[c]);
	p = open_producer(shift, per_cpu, customers, 0);
	if ((err = bpf_map__set_max_entries(p->maps.events, (uint32_t)ncpu << shift)) ||
	    (err = bpf_map__set_max_entries(p->maps.cursors, ncpu)) ||
	    (err = bpf_map__set_max_entries(p->maps.doorbells, ncpu)) ||
	    (err = bpf_map__set_inner_map_fd(p->maps.doorbells, doorbells[0])) ||
	    (err = bench_producer_bpf__load(p)))
		die("loading the producer", err);
	for (int c = 0; c < ncpu; c++) {
		__u32 key = c;

		if ((err = bpf_map_update_elem(bpf_map__fd(p->maps.doorbells), &key, &doorbells[c], BPF_ANY)))
			die("installing a doorbell", err);
	}
	fill(p, ncpu, per_cpu);

	size_t events_len = ((size_t)ncpu << shift) * sizeof(struct dl_event);
	size_t cursors_len = ncpu * sizeof(struct dl_ring_cursor);
	const struct dl_event *events = map_array(bpf_map__fd(p->maps.events), events_len, PROT_READ, "mapping the events");
	struct dl_ring_cursor *cursors =
		map_array(bpf_map__fd(p->maps.cursors), cursors_len, PROT_READ | PROT_WRITE, "mapping the cursors");
	struct lane lanes[ncpu];

	for (int c = 0; c < ncpu; c++)
		lanes[c] = (struct lane){ .cpu = c, .expected = per_cpu, .ring = events + ((size_t)c << shift),
					  .cursor = &cursors[c], .mask = (1ULL << shift) - 1,
					  .t = { calloc(16, sizeof(struct slot)), 15, 0, 0 } };
	double t0 = now();

	for (int c = 0; c < ncpu; c++)
		if ((err = pthread_create(&lanes[c].thread, NULL, drain, &lanes[c])))
			die("starting a consumer thread", err);
	for (int c = 0; c < ncpu; c++)
		pthread_join(lanes[c].thread, NULL);
	/* One table of totals, as the Swift side's ledger: the merge is part of the work. */
	uint64_t events_seen = lanes[0].t.events;

	for (int c = 1; c < ncpu; c++) {
		struct table *t = &lanes[c].t;

		for (size_t i = 0; i <= t->mask; i++) {
			struct slot *s = &t->slots[i];

			if (s->site.status)
				table_add(&lanes[0].t, &s->site, s->drops, s->bytes);
		}
		events_seen += t->events;
	}
	double t1 = now();

	printf("events %llu seconds %.6f rate %.0f series %zu\n", (unsigned long long)events_seen, t1 - t0,
	       events_seen / (t1 - t0), lanes[0].t.used);
	munmap((void *)events, events_len);
	munmap(cursors, cursors_len);
	bench_producer_bpf__destroy(p);
	for (int c = 0; c < ncpu; c++) {
		free(lanes[c].t.slots);
		close(doorbells[c]);
	}
	return 0;
}

/* A map of a loaded program by name, or -1. */
static int map_of_program(int prog, const char *name)
{
	__u32 map_ids[16];
	struct bpf_prog_info info = { .nr_map_ids = 16, .map_ids = (__u64)(unsigned long)map_ids };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog, &info, &len))
		die("reading the program's maps", errno);
	for (__u32 i = 0; i < info.nr_map_ids && i < 16; i++) {
		int fd = bpf_map_get_fd_by_id(map_ids[i]);
		struct bpf_map_info mi = {};
		__u32 ml = sizeof(mi);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &mi, &ml) == 0 && !strcmp(mi.name, name))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

/*
 * A producer writing into the rings of a loaded dropledger program (by id); `cpus` as
 * the producer's (0: fill, else flood).
 */
static struct bench_producer_bpf *producer_on_program(uint32_t id, uint32_t per_cpu, uint32_t customers, uint32_t cpus)
{
	int ncpu = libbpf_num_possible_cpus(), prog = bpf_prog_get_fd_by_id(id), err;
	const char *names[] = { "events", "cursors", "doorbells" };
	int fds[3];

	if (prog < 0)
		die("finding the program", errno);
	for (int i = 0; i < 3; i++)
		if ((fds[i] = map_of_program(prog, names[i])) < 0) {
			fprintf(stderr, "dlbench: program %u has no map named %s\n", id, names[i]);
			exit(1);
		}
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fds[0], &info, &len))
		die("reading the events map", errno);
	int shift = ring_shift(info.max_entries / ncpu);

	if (shift < 0 || info.max_entries % ncpu)
		die("the events map is not one power-of-two ring per CPU", EINVAL);
	struct bench_producer_bpf *p = open_producer(shift, per_cpu, customers, cpus);

	if ((err = bpf_map__reuse_fd(p->maps.events, fds[0])) || (err = bpf_map__reuse_fd(p->maps.cursors, fds[1])) ||
	    (err = bpf_map__reuse_fd(p->maps.doorbells, fds[2])) || (err = bench_producer_bpf__load(p)))
		die("loading the producer on the program's rings", err);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	close(prog);
	return p;
}

/* Fills the rings of a loaded dropledger program (by id): the Swift side's. */
static int fill_program(uint32_t id, uint32_t per_cpu, uint32_t customers)
{
	struct bench_producer_bpf *p = producer_on_program(id, per_cpu, customers, 0);

	fill(p, libbpf_num_possible_cpus(), per_cpu);
	bench_producer_bpf__destroy(p);
	return 0;
}

/* One CPU's share of a flood. */
struct flooder {
	pthread_t thread;
	int cpu, ncpu;
	uint64_t target, retried;
	struct bench_producer_bpf *p;
};

/* Written events (stats[0]) and misses (stats[1]) of this flooder's CPU. */
static uint64_t producer_stat(struct flooder *f, __u32 k)
{
	__u64 values[f->ncpu];

	if (bpf_map_lookup_elem(bpf_map__fd(f->p->maps.stats), &k, values))
		die("reading the producer's counts", errno);
	return values[f->cpu];
}

static void *flood_cpu(void *arg)
{
	struct flooder *f = arg;
	uint8_t frame[64] = { 0 };
	uint64_t chunk = f->p->rodata->wakeup_events, written;

	pin(f->cpu);
	while ((written = producer_stat(f, 0)) < f->target) {
		uint64_t left = f->target - written, missed = producer_stat(f, 1);
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame),
			    .repeat = left < chunk ? left : chunk);
		int err = bpf_prog_test_run_opts(bpf_program__fd(f->p->progs.produce), &opts);

		if (err)
			die("running the producer", err);
		if (producer_stat(f, 1) > missed) {
			/* The ring is full: let the consumer on this CPU drain it. */
			f->retried += producer_stat(f, 1) - missed;
			usleep(20);
		}
	}
	return NULL;
}

/* Floods a running exporter's rings with `events` events of `customers` distinct IDs. */
static int flood_program(uint32_t id, uint32_t customers, uint64_t events)
{
	int ncpu = libbpf_num_possible_cpus();
	/* A quarter ring per run, as the doorbell's threshold. */
	struct bench_producer_bpf *p = producer_on_program(id, UINT32_MAX, customers, ncpu);
	struct flooder f[ncpu];
	uint64_t retried = 0;
	double start = now();

	for (int c = 0; c < ncpu; c++) {
		f[c] = (struct flooder){ .cpu = c, .ncpu = ncpu, .p = p,
					 .target = events / ncpu + ((uint64_t)c < events % ncpu) };
		if (pthread_create(&f[c].thread, NULL, flood_cpu, &f[c]))
			die("pthread_create", errno);
	}
	for (int c = 0; c < ncpu; c++) {
		pthread_join(f[c].thread, NULL);
		retried += f[c].retried;
	}
	printf("events %llu seconds %.3f retried %llu\n", (unsigned long long)events, now() - start,
	       (unsigned long long)retried);
	bench_producer_bpf__destroy(p);
	return 0;
}

/* ---- the drop flood of the throughput bench ---- */

static int udpflood(double seconds, double rate, int cpu)
{
	enum { BATCH = 64 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	static char payload[18];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t sent = 0;

	if (fd < 0)
		die("socket", errno);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ payload, sizeof(payload) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov[i],
							 .msg_iovlen = 1 } };
	}
	pin(cpu);
	double start = now(), end = start + seconds, t;

	while ((t = now()) < end) {
		int batch = BATCH;

		if (rate > 0) {
			/* Paced: send what is due by now, then sleep a little. */
			double due = (t - start) * rate - (double)sent;

			if (due < 1) {
				usleep(due < -rate / 1000 ? 1000 : 100);
				continue;
			}
			batch = due < BATCH ? (int)due : BATCH;
		}
		int n = sendmmsg(fd, msgs, batch, 0);

		/* ECONNREFUSED and the like (an ICMP error for an earlier datagram) are not sends. */
		if (n > 0)
			sent += n;
	}
	printf("sent %llu seconds %.3f\n", (unsigned long long)sent, now() - start);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "attach"))
		return attach();
	if (argc == 2 && !strcmp(argv[1], "floor"))
		return floor_only();
	if (argc == 5 && !strcmp(argv[1], "fill"))
		return fill_program(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "udpflood"))
		return udpflood(strtod(argv[2], NULL), strtod(argv[3], NULL), atoi(argv[4]));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "flood"))
		return flood_program(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0),
				     argc == 5 ? strtoull(argv[4], NULL, 0) : strtoull(argv[3], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "consume"))
		return consume(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), strtoul(argv[4], NULL, 0));
	fprintf(stderr, "usage: dlbench attach | floor | consume RING_BYTES EVENTS_PER_CPU CUSTOMERS"
			" | fill DROPLEDGER_PROG_ID EVENTS_PER_CPU CUSTOMERS"
			" | flood DROPLEDGER_PROG_ID CUSTOMERS [EVENTS] | udpflood SECONDS RATE CPU\n");
	return 2;
}
