/* Private to CLinux: the per-thread half of dropping capabilities, shared by the
 * process-wide limit (caps_limit.c) and the namespace helper (netns.c). */
#ifndef DL_CAPS_THREAD_H
#define DL_CAPS_THREAD_H

#include <stdint.h>

/* Keeps only `keep` (of what is permitted) in the calling thread and sets no_new_privs;
 * `last` is dl_caps_last(). Async-signal-safe. 0 or -1 and errno. */
int dl_caps_limit_this_thread(uint64_t keep, int last);

#endif
