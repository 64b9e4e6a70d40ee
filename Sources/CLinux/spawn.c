/* Spawning children: the GNU posix_spawn extension Swift's Glibc module does not see. */
#define _GNU_SOURCE
#include <spawn.h>
#include "dl_spawn.h"

int dl_spawn_close_from(posix_spawn_file_actions_t *actions, int fd)
{
	return posix_spawn_file_actions_addclosefrom_np(actions, fd);
}
