/* The frame injector used by tests and benchmarks (bpf/inject.bpf.c). */
#ifndef DL_INJECT_H
#define DL_INJECT_H

#include <stdint.h>

struct inject_bpf;

struct inject_bpf *dl_inject_open_and_load(void);    /* NULL and errno on failure */
int dl_inject_prog_fd(struct inject_bpf *skel);
/* Sets the metadata area the next injected frames get (len a multiple of 4, <= 252). */
int dl_inject_set_meta(struct inject_bpf *skel, const uint8_t *bytes, uint32_t len);
/* Frames so far whose area the kernel refused (too little headroom): they were dropped, not injected. */
uint64_t dl_inject_refused(struct inject_bpf *skel);
void dl_inject_destroy(struct inject_bpf *skel);

#endif
