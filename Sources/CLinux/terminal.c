/* The terminal's size (for `dropledger top`). */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include "dl_terminal.h"

int dl_terminal_size(int fd, unsigned short *rows, unsigned short *columns)
{
	struct winsize size;

	if (ioctl(fd, TIOCGWINSZ, &size) != 0)
		return -1;
	*rows = size.ws_row;
	*columns = size.ws_col;
	return 0;
}
