/* Pipes for spawned children. */
#ifndef DL_PIPES_H
#define DL_PIPES_H

/* pipe2(fds, O_CLOEXEC): a pipe no spawned child inherits by accident. */
int dl_pipe_cloexec(int fds[2]);

#endif
