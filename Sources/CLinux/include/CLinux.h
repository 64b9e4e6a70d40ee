/* Linux calls Swift's Glibc module does not expose (they need _GNU_SOURCE): one header per concern. */
#ifndef CLINUX_H
#define CLINUX_H

#include "dl_terminal.h"
#include "dl_spawn.h"
#include "dl_capabilities.h"
#include "dl_caps_limit.h"
#include "dl_netns.h"
#include "dl_affinity.h"
#include "dl_epoll.h"
#include "dl_mounts.h"
#include "dl_malloc.h"

#endif
