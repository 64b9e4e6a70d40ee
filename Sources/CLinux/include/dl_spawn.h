/* Spawning children (ChildProcesses). */
#ifndef DL_SPAWN_H
#define DL_SPAWN_H

#include <spawn.h>

/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34, a GNU extension Swift does not
 * see): the child keeps no descriptor from `fd` up. 0 or an error number. */
int dl_spawn_close_from(posix_spawn_file_actions_t *actions, int fd);

#endif
