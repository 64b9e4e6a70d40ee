#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include "CLinux.h"

int dl_enter_netns(int fd) { return setns(fd, CLONE_NEWNET); }

int dl_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
