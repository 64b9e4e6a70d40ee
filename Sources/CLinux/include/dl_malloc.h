/* glibc's allocator tuning: mallopt and its constants live in <malloc.h>, which Swift's Glibc module does not import. */
#ifndef DL_MALLOC_H
#define DL_MALLOC_H

#include <malloc.h>

/* Blocks of at least `bytes` are mapped on their own and unmapped when freed, and the
 * threshold stops adapting. Returns 1 on success, as mallopt. */
static inline int dl_fix_mmap_threshold(int bytes)
{
	return mallopt(M_MMAP_THRESHOLD, bytes);
}

#endif
