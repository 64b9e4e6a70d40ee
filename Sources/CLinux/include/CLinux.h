/* Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE). */
#ifndef CLINUX_H
#define CLINUX_H

/* setns(fd, CLONE_NEWNET): moves the calling thread into a network namespace. */
int dl_enter_netns(int fd);

/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34, a GNU extension Swift does not
 * see): the child keeps no descriptor from `fd` up. 0 or an error number. */
#include <spawn.h>
int dl_spawn_close_from(posix_spawn_file_actions_t *actions, int fd);

/* The terminal's rows and columns (TIOCGWINSZ; ioctl is variadic). 0 on success. */
int dl_terminal_size(int fd, unsigned short *rows, unsigned short *columns);

/* ---- capabilities (no libcap): bit n of a mask is capability n ---- */
#include <stdint.h>

/* The calling process's effective, permitted, inheritable and bounding sets and its ambient set. 0 or -1 and errno. */
int dl_caps_read(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable, uint64_t *bounding, uint64_t *ambient);

/* Keeps only `keep` (intersected with what is permitted now): drops every other capability
 * from the bounding set, clears the ambient and inheritable sets, sets permitted = effective
 * = keep, and sets no_new_privs, in every thread of the process (credentials are per
 * thread: the others are made to do the same from a signal handler). 0 or -1 and errno. */
int dl_caps_limit(uint64_t keep);

/* Unblocks the signal dl_caps_limit sends to the other threads, in the calling thread
 * and so in every thread it starts afterwards: call it before starting any. */
int dl_caps_prepare(void);

/* The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap). */
int dl_caps_last(void);

/* ---- a helper process that may enter network namespaces (CAP_SYS_ADMIN) ---- */

/* Forks a single-threaded helper that keeps only CAP_SYS_ADMIN and answers
 * "name of ifindex N in the namespace at PATH" over a socket; it exits when the
 * parent closes its end or dies. Call before any thread exists. Returns the
 * parent's socket (close-on-exec) and stores the pid, or -1 and errno. */
int dl_netns_helper_start(int *pid);

/* Asks the helper: the interface name of `ifindex` in the namespace file `path`.
 * 0 and the name in `name` (IF_NAMESIZE bytes), or -1. Not thread-safe: serialize calls. */
int dl_netns_helper_ifname(int sock, const char *path, uint32_t ifindex, char *name);

/* CPU sets are macros Swift cannot call. */
/* The CPUs this process may run on, in increasing order, at most `max` of them. The count, or -1 and errno. */
int dl_allowed_cpus(int *cpus, int max);
/* Pins the calling thread to `cpu`. 0 or an errno value. */
int dl_pin_current_thread(int cpu);

/* Waits up to `nanoseconds` for the epoll instance `epfd` (epoll_pwait2: epoll_wait's
 * timeout is in milliseconds). The number of ready descriptors, 0, or -1 and errno. */
int dl_epoll_wait_ns(int epfd, uint64_t nanoseconds);

/* ---- filesystems ---- */

/* The f_type statfs reports for `path` (e.g. BPF_FS_MAGIC 0xcafe4a11). 0, or -1 and errno. */
int dl_filesystem_type(const char *path, uint64_t *type);

/* Mounts a BPF filesystem at `target` (mode 0700). 0, or -1 and errno. */
int dl_mount_bpffs(const char *target);

#endif
