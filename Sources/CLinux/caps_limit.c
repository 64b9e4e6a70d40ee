/* Limiting every thread's capabilities: credentials are per thread, so a signal makes
 * each of the others drop its own. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "dl_capabilities.h"
#include "dl_caps_limit.h"
#include "caps_thread.h"

static uint64_t broadcast_keep;
static int broadcast_last;
static atomic_int broadcast_done, broadcast_failed;

static void on_limit_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (dl_caps_limit_this_thread(broadcast_keep, broadcast_last) != 0)
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

/* Signals every other thread until a pass over the task list finds none left, and waits
 * for their answers. 0, or -1 and errno (ETIMEDOUT: a thread that exists did not answer). */
static int broadcast(int sig)
{
	static pid_t handled[DL_MAX_TASKS];
	int handled_count = 0;
	pid_t self = (pid_t)syscall(SYS_gettid), process = getpid();

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
			return 0;
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
	return 0;
}

int dl_caps_limit(uint64_t keep)
{
	int sig = DL_CAPS_SIGNAL, result, saved;
	struct sigaction action = {0}, previous;

	broadcast_keep = keep;
	broadcast_last = dl_caps_last();
	atomic_store(&broadcast_failed, 0);
	action.sa_handler = on_limit_signal;
	action.sa_flags = SA_RESTART;
	sigemptyset(&action.sa_mask);
	if (sigaction(sig, &action, &previous) != 0)
		return -1;

	result = broadcast(sig);
	saved = errno;
	if (result == 0 || saved != ETIMEDOUT) {
		/* Every signalled thread answered: the handler is no longer needed. */
		sigaction(sig, &previous, NULL);
	} else {
		/* A thread still owes an answer; its signal must not meet the default action
		 * (termination) when it finally arrives. */
		struct sigaction ignore = {0};

		ignore.sa_handler = SIG_IGN;
		sigaction(sig, &ignore, NULL);
	}
	errno = saved;
	if (result != 0)
		return -1;
	if (atomic_load(&broadcast_failed) != 0) {
		errno = EPERM;
		return -1;
	}
	return dl_caps_limit_this_thread(keep, broadcast_last);
}
