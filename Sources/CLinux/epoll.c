/* epoll with a timeout in nanoseconds (epoll_pwait2). */
#define _GNU_SOURCE
#include <time.h>
#include <sys/epoll.h>
#include "dl_epoll.h"

int dl_epoll_wait_ns(int epfd, uint64_t nanoseconds)
{
	struct epoll_event event;
	struct timespec timeout = { .tv_sec = nanoseconds / 1000000000, .tv_nsec = nanoseconds % 1000000000 };

	return epoll_pwait2(epfd, &event, 1, &timeout, NULL);
}
