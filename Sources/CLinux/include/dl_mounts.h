/* Filesystems: identity and mounting. */
#ifndef DL_MOUNTS_H
#define DL_MOUNTS_H

#include <stdint.h>

/* The f_type statfs reports for `path` (e.g. BPF_FS_MAGIC 0xcafe4a11). 0, or -1 and errno. */
int dl_filesystem_type(const char *path, uint64_t *type);

/* Mounts a BPF filesystem at `target` (mode 0700). 0, or -1 and errno. */
int dl_mount_bpffs(const char *target);

#endif
