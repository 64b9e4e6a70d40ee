/* Pipes for spawned children (pipe2 needs _GNU_SOURCE). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "dl_pipes.h"

int dl_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
