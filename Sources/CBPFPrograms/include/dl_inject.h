/* The frame injector used by tests and benchmarks (bpf/inject.bpf.c). */
#ifndef DL_INJECT_H
#define DL_INJECT_H

#include <stdint.h>

struct inject_bpf;

struct inject_bpf *dl_inject_open_and_load(void);    /* NULL and errno on failure */
int dl_inject_prog_fd(struct inject_bpf *skel);
void dl_inject_destroy(struct inject_bpf *skel);

#endif
