/* Filesystem identity and mounting: statfs and mount are not in Swift's Glibc module. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include "dl_mounts.h"

int dl_filesystem_type(const char *path, uint64_t *type)
{
	struct statfs info;

	if (statfs(path, &info) != 0)
		return -1;
	*type = (uint64_t)info.f_type;
	return 0;
}

int dl_mount_bpffs(const char *target)
{
	/* As bpftool and systemd mount it: only root may list or create pins. */
	return mount("bpf", target, "bpf", 0, "mode=0700");
}
