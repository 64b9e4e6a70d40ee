/* The ring positions' atomics: the consumer's side of the per-CPU rings (bpf/event_ring.h). */
#ifndef DL_RING_CURSOR_H
#define DL_RING_CURSOR_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "../../../bpf/dropledger.h"

/* The rings' positions are shared with a BPF program on other CPUs: the tail is
 * published only after the events behind it were read, the head read before them. */
static inline uint64_t dl_cursor_load_head(const struct dl_ring_cursor *cursor)
{
	return __atomic_load_n(&cursor->head, __ATOMIC_ACQUIRE);
}

static inline void dl_cursor_store_tail(struct dl_ring_cursor *cursor, uint64_t tail)
{
	__atomic_store_n(&cursor->tail, tail, __ATOMIC_RELEASE);
}

static inline void dl_cursor_store_polling(struct dl_ring_cursor *cursor, bool polling)
{
	__atomic_store_n(&cursor->polling, polling, __ATOMIC_RELAXED);
}

#endif
