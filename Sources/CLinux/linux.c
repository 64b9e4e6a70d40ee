#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CLinux.h"

int dl_enter_netns(int fd) { return setns(fd, CLONE_NEWNET); }

int dl_spawn_close_from(posix_spawn_file_actions_t *actions, int fd)
{
	return posix_spawn_file_actions_addclosefrom_np(actions, fd);
}

int dl_terminal_size(int fd, unsigned short *rows, unsigned short *columns)
{
	struct winsize size;

	if (ioctl(fd, TIOCGWINSZ, &size) != 0)
		return -1;
	*rows = size.ws_row;
	*columns = size.ws_col;
	return 0;
}

/* ---- capabilities ---- */

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
static int limit_this_thread(uint64_t keep, int last)
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

static uint64_t broadcast_keep;
static int broadcast_last;
static atomic_int broadcast_done, broadcast_failed;

static void on_limit_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (limit_this_thread(broadcast_keep, broadcast_last) != 0)
		atomic_fetch_add(&broadcast_failed, 1);
	atomic_fetch_add(&broadcast_done, 1);
	errno = saved;
}

#define DL_MAX_TASKS 4096

/*
 * capset, PR_CAPBSET_DROP and no_new_privs change the calling thread only, so every
 * other thread of the process is made to call them too, from a signal handler (as
 * libcap's libpsx does). Threads started meanwhile inherit the credentials of their
 * creator, so the task list is scanned until a pass finds no thread left to do.
 */
#define DL_CAPS_SIGNAL (SIGRTMIN + 5)

int dl_caps_prepare(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, DL_CAPS_SIGNAL);
	return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

int dl_caps_limit(uint64_t keep)
{
	static pid_t handled[DL_MAX_TASKS];
	int handled_count = 0, sig = DL_CAPS_SIGNAL;
	pid_t self = (pid_t)syscall(SYS_gettid), process = getpid();
	struct sigaction action = {0}, previous;

	broadcast_keep = keep;
	broadcast_last = dl_caps_last();
	atomic_store(&broadcast_failed, 0);
	action.sa_handler = on_limit_signal;
	action.sa_flags = SA_RESTART;
	sigemptyset(&action.sa_mask);
	if (sigaction(sig, &action, &previous) != 0)
		return -1;

	for (int pass = 0; pass < 100; pass++) {
		DIR *dir = opendir("/proc/self/task");
		struct dirent *entry;
		int sent = 0, first = handled_count;

		if (!dir)
			return -1;
		atomic_store(&broadcast_done, 0);
		while ((entry = readdir(dir))) {
			pid_t tid = (pid_t)atoi(entry->d_name);
			int seen = 0;

			if (tid <= 0 || tid == self)
				continue;
			for (int i = 0; i < handled_count; i++)
				seen |= handled[i] == tid;
			if (seen || handled_count == DL_MAX_TASKS)
				continue;
			if (syscall(SYS_tgkill, process, tid, sig) == 0) {
				handled[handled_count++] = tid;
				sent++;
			}
		}
		closedir(dir);
		if (sent == 0)
			break;
		/* Wait (up to 5 s) for every thread signalled in this pass. A thread that exited
		 * meanwhile never answers: that is fine, it has nothing left to drop. */
		for (int waited = 0; atomic_load(&broadcast_done) < sent && waited < 5000; waited++) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
		if (atomic_load(&broadcast_done) < sent) {
			/* A thread that still exists did not answer (the signal blocked?): fail loudly. */
			for (int i = first; i < handled_count; i++) {
				char path[64];

				snprintf(path, sizeof(path), "/proc/self/task/%d", (int)handled[i]);
				if (access(path, F_OK) == 0) {
					errno = ETIMEDOUT;
					return -1;
				}
			}
		}
	}
	if (atomic_load(&broadcast_failed) != 0) {
		errno = EPERM;
		return -1;
	}
	return limit_this_thread(keep, broadcast_last);
}

/* ---- the network-namespace helper ---- */

struct helper_request {
	uint32_t ifindex;
	char path[512];
};

struct helper_reply {
	int32_t ok;
	char name[IF_NAMESIZE];
};

static void helper_loop(int sock)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct helper_request request;
	struct helper_reply reply;

	for (;;) {
		ssize_t got = recv(sock, &request, sizeof(request), 0);
		int fd;

		if (got <= 0)
			_exit(0);
		memset(&reply, 0, sizeof(reply));
		request.path[sizeof(request.path) - 1] = '\0';
		/* Only `ip netns` names: the helper is no general-purpose namespace hopper. */
		fd = strncmp(request.path, "/run/netns/", 11) == 0 && !strstr(request.path, "/..")
			? open(request.path, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0 && setns(fd, CLONE_NEWNET) == 0) {
			reply.ok = if_indextoname(request.ifindex, reply.name) != NULL;
			if (home < 0 || setns(home, CLONE_NEWNET) != 0)
				_exit(1); /* never answer from the wrong namespace */
		}
		if (fd >= 0)
			close(fd);
		if (send(sock, &reply, sizeof(reply), MSG_NOSIGNAL) != (ssize_t)sizeof(reply))
			_exit(0);
	}
}

int dl_netns_helper_start(int *pid)
{
	int fds[2];
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
		return -1;
	child = fork();
	if (child < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (child == 0) {
		/* Only C from here on: the helper never returns to Swift. */
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() == 1)
			_exit(0);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != fds[1])
				close(fd);
		prctl(PR_SET_NAME, "dropledger-ns", 0, 0, 0);
		if (limit_this_thread(1ULL << CAP_SYS_ADMIN, dl_caps_last()) != 0)
			_exit(1);
		helper_loop(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	*pid = child;
	return fds[0];
}

int dl_netns_helper_ifname(int sock, const char *path, uint32_t ifindex, char *name)
{
	struct helper_request request = {0};
	struct helper_reply reply;

	if (strlen(path) >= sizeof(request.path))
		return -1;
	request.ifindex = ifindex;
	strcpy(request.path, path);
	if (send(sock, &request, sizeof(request), MSG_NOSIGNAL) != (ssize_t)sizeof(request))
		return -1;
	if (recv(sock, &reply, sizeof(reply), 0) != (ssize_t)sizeof(reply) || !reply.ok)
		return -1;
	memcpy(name, reply.name, IF_NAMESIZE);
	name[IF_NAMESIZE - 1] = '\0';
	return 0;
}

int dl_allowed_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int count = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE && count < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[count++] = cpu;
	return count;
}

int dl_pin_current_thread(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int dl_epoll_wait_ns(int epfd, uint64_t nanoseconds)
{
	struct epoll_event event;
	struct timespec timeout = { .tv_sec = nanoseconds / 1000000000, .tv_nsec = nanoseconds % 1000000000 };

	return epoll_pwait2(epfd, &event, 1, &timeout, NULL);
}
