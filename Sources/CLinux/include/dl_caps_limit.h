/* Limiting the capabilities of every thread of the process: a signal broadcast. */
#ifndef DL_CAPS_LIMIT_H
#define DL_CAPS_LIMIT_H

#include <stdint.h>

/* Keeps only `keep` (intersected with what is permitted now): drops every other capability
 * from the bounding set, clears the ambient and inheritable sets, sets permitted = effective
 * = keep, and sets no_new_privs, in every thread of the process (credentials are per
 * thread: the others are made to do the same from a signal handler). 0 or -1 and errno. */
int dl_caps_limit(uint64_t keep);

/* Unblocks the signal dl_caps_limit sends to the other threads, in the calling thread
 * and so in every thread it starts afterwards: call it before starting any. */
int dl_caps_prepare(void);

#endif
