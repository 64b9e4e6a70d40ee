/* Network namespaces: entering one, and a helper process that may (CAP_SYS_ADMIN). */
#ifndef DL_NETNS_H
#define DL_NETNS_H

#include <stdint.h>

/* setns(fd, CLONE_NEWNET): moves the calling thread into a network namespace. */
int dl_enter_netns(int fd);

/* Forks a single-threaded helper that keeps only CAP_SYS_ADMIN and answers
 * "name of ifindex N in the namespace at PATH" over a socket; it exits when the
 * parent closes its end or dies. Call before any thread exists. Returns the
 * parent's socket (close-on-exec) and stores the pid, or -1 and errno. */
int dl_netns_helper_start(int *pid);

/* Asks the helper: the interface name of `ifindex` in the namespace file `path`.
 * 0 and the name in `name` (IF_NAMESIZE bytes), or -1. Not thread-safe: serialize calls. */
int dl_netns_helper_ifname(int sock, const char *path, uint32_t ifindex, char *name);

#endif
