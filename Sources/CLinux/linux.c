#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "CLinux.h"

int dl_enter_netns(int fd) { return setns(fd, CLONE_NEWNET); }

int dl_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int dl_terminal_size(int fd, unsigned short *rows, unsigned short *columns)
{
	struct winsize size;

	if (ioctl(fd, TIOCGWINSZ, &size) != 0)
		return -1;
	*rows = size.ws_row;
	*columns = size.ws_col;
	return 0;
}
