/* The terminal's size. */
#ifndef DL_TERMINAL_H
#define DL_TERMINAL_H

/* The terminal's rows and columns (TIOCGWINSZ; ioctl is variadic). 0 on success. */
int dl_terminal_size(int fd, unsigned short *rows, unsigned short *columns);

#endif
