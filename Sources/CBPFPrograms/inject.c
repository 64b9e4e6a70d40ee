/* The frame injector's skeleton (bpf/inject.bpf.c), for tests and benchmarks. */
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "dl_inject.h"
#include "generated/inject.skel.h"

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
