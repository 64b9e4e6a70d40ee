/* Capabilities without libcap: reading the sets, and limiting the calling thread's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "dl_capabilities.h"
#include "caps_thread.h"

int dl_caps_last(void)
{
	int last = 40, fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	char buf[16] = {0};

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			last = atoi(buf);
		close(fd);
	}
	return last > 0 && last < 64 ? last : 40;
}

static int caps_get(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable)
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &header, data) != 0)
		return -1;
	*effective = data[0].effective | (uint64_t)data[1].effective << 32;
	*permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	*inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

int dl_caps_read(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable, uint64_t *bounding, uint64_t *ambient)
{
	int last = dl_caps_last();

	if (caps_get(effective, permitted, inheritable) != 0)
		return -1;
	*bounding = *ambient = 0;
	for (int cap = 0; cap <= last; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			*bounding |= 1ULL << cap;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			*ambient |= 1ULL << cap;
	}
	return 0;
}

/* Async-signal-safe: only raw system calls. Credentials are per thread in Linux. */
int dl_caps_limit_this_thread(uint64_t keep, int last)
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t set;

	if (syscall(SYS_capget, &header, data) != 0)
		return -1;
	set = keep & (data[0].permitted | (uint64_t)data[1].permitted << 32);
	/*
	 * The bounding set first: dropping from it needs CAP_SETPCAP, which capset removes.
	 * Without CAP_SETPCAP (e.g. under a unit that grants only CAP_BPF and CAP_PERFMON)
	 * it stays as it is: with no_new_privs and empty permitted/inheritable/ambient sets,
	 * nothing in it can be regained anyway.
	 */
	for (int cap = 0; (data[0].effective & (1U << CAP_SETPCAP)) && cap <= last; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
			return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -1;
	data[0].effective = data[0].permitted = (uint32_t)set;
	data[1].effective = data[1].permitted = (uint32_t)(set >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &header, data) != 0)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
