/* Capabilities (no libcap): bit n of a mask is capability n. */
#ifndef DL_CAPABILITIES_H
#define DL_CAPABILITIES_H

#include <stdint.h>

/* The calling process's effective, permitted, inheritable and bounding sets and its ambient set. 0 or -1 and errno. */
int dl_caps_read(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable, uint64_t *bounding, uint64_t *ambient);

/* The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap). */
int dl_caps_last(void);

#endif
