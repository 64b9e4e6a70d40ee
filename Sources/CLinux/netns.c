/* Network namespaces: entering one, and the helper process that answers in them. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dl_capabilities.h"
#include "dl_netns.h"
#include "caps_thread.h"

int dl_enter_netns(int fd) { return setns(fd, CLONE_NEWNET); }

/* The helper: a forked child that keeps only CAP_SYS_ADMIN, answering over a socketpair. */

struct helper_request {
	uint32_t ifindex;
	char path[512];
};

struct helper_reply {
	int32_t ok;
	char name[IF_NAMESIZE];
};

static void helper_loop(int sock)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct helper_request request;
	struct helper_reply reply;

	for (;;) {
		ssize_t got = recv(sock, &request, sizeof(request), 0);
		int fd;

		if (got <= 0)
			_exit(0);
		memset(&reply, 0, sizeof(reply));
		request.path[sizeof(request.path) - 1] = '\0';
		/* Only `ip netns` names: the helper is no general-purpose namespace hopper. */
		fd = strncmp(request.path, "/run/netns/", 11) == 0 && !strstr(request.path, "/..")
			? open(request.path, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0 && setns(fd, CLONE_NEWNET) == 0) {
			reply.ok = if_indextoname(request.ifindex, reply.name) != NULL;
			if (home < 0 || setns(home, CLONE_NEWNET) != 0)
				_exit(1); /* never answer from the wrong namespace */
		}
		if (fd >= 0)
			close(fd);
		if (send(sock, &reply, sizeof(reply), MSG_NOSIGNAL) != (ssize_t)sizeof(reply))
			_exit(0);
	}
}

int dl_netns_helper_start(int *pid)
{
	int fds[2];
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
		return -1;
	child = fork();
	if (child < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (child == 0) {
		/* Only C from here on: the helper never returns to Swift. */
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() == 1)
			_exit(0);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != fds[1])
				close(fd);
		prctl(PR_SET_NAME, "dropledger-ns", 0, 0, 0);
		if (dl_caps_limit_this_thread(1ULL << CAP_SYS_ADMIN, dl_caps_last()) != 0)
			_exit(1);
		helper_loop(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	*pid = child;
	return fds[0];
}

int dl_netns_helper_ifname(int sock, const char *path, uint32_t ifindex, char *name)
{
	struct helper_request request = {0};
	struct helper_reply reply;

	if (strlen(path) >= sizeof(request.path))
		return -1;
	request.ifindex = ifindex;
	strcpy(request.path, path);
	if (send(sock, &request, sizeof(request), MSG_NOSIGNAL) != (ssize_t)sizeof(request))
		return -1;
	if (recv(sock, &reply, sizeof(reply), 0) != (ssize_t)sizeof(reply) || !reply.ok)
		return -1;
	memcpy(name, reply.name, IF_NAMESIZE);
	name[IF_NAMESIZE - 1] = '\0';
	return 0;
}
