/* The frame injector's skeleton (bpf/inject.bpf.c), for tests and benchmarks. */
#include <bpf/libbpf.h>
#include "dl_inject.h"
#include "generated/inject.skel.h"

struct inject_bpf *dl_inject_open_and_load(void) { return inject_bpf__open_and_load(); }
int dl_inject_prog_fd(struct inject_bpf *skel) { return bpf_program__fd(skel->progs.inject_meta); }
void dl_inject_destroy(struct inject_bpf *skel) { inject_bpf__destroy(skel); }
