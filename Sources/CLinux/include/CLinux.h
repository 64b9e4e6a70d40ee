/* Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE). */
#ifndef CLINUX_H
#define CLINUX_H

/* setns(fd, CLONE_NEWNET): moves the calling thread into a network namespace. */
int dl_enter_netns(int fd);

/* pipe2(fds, O_CLOEXEC): a pipe no spawned child inherits by accident. */
int dl_pipe_cloexec(int fds[2]);

/* The terminal's rows and columns (TIOCGWINSZ; ioctl is variadic). 0 on success. */
int dl_terminal_size(int fd, unsigned short *rows, unsigned short *columns);

#endif
