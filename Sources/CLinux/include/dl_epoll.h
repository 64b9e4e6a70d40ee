/* Waiting on epoll with a timeout in nanoseconds. */
#ifndef DL_EPOLL_H
#define DL_EPOLL_H

#include <stdint.h>

/* Waits up to `nanoseconds` for the epoll instance `epfd` (epoll_pwait2: epoll_wait's
 * timeout is in milliseconds). The number of ready descriptors, 0, or -1 and errno. */
int dl_epoll_wait_ns(int epfd, uint64_t nanoseconds);

#endif
