/*
 * privsep.c - the -sS keeper process and the capability drop (see
 * privsep.h).
 *
 * The keeper's protocol is one SOCK_SEQPACKET message each way: a request
 * of exactly sizeof(struct privsep_req), answered by an int32 result.
 * SEQPACKET keeps message boundaries, so a short or long request is seen
 * as such and refused rather than reassembled.  The keeper trusts nothing
 * in a request: a wrong size, family, or interface ends it (the scanner
 * would only send those if it were no longer itself), and then the scanner
 * sees EOF and counts next hops it cannot resolve as failed.
 *
 * Capabilities are dropped with libcap-ng: it knows the running kernel's
 * last capability, drops the bounding set (which needs CAP_SETPCAP, so
 * before the effective set goes) and clears the ambient set, where plain
 * capset() leaves the bounding set to a loop of prctl calls.
 */
#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "neigh.h"
#include "privsep.h"

struct privsep {
	int fd; /* the scanner's end */
	pid_t pid; /* the keeper */
};

struct privsep_req {
	int32_t ifindex;
	struct rs_addr addr;
};

/*
 * The keeper keeps only what its two jobs need: CAP_NET_ADMIN for
 * NTF_USE and the netlink half of the XDP detach, CAP_SYS_ADMIN and
 * CAP_BPF for libxdp's half (looking programs up by id, its dispatcher's
 * pins in bpffs).  Best effort: a failure leaves it as it was, and the
 * scanner's own drop does not depend on it.
 */
static void keeper_narrow(void)
{
	capng_clear(CAPNG_SELECT_ALL);
	capng_updatev(CAPNG_ADD,
		      CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		      CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF, -1);
	if (capng_apply(CAPNG_SELECT_ALL)) {
		capng_get_caps_process();
		return;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The keeper: serve requests until EOF, then clean up.  Never returns. */
static void keeper_main(int fd, int ifindex, void (*cleanup)(void *ctx),
			void *ctx)
{
	struct privsep_req req;
	struct neigh *nl = NULL;
	int32_t res;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	keeper_narrow();
	/* Its own netlink socket: the scanner's copy answers the scanner. */
	if (neigh_new(&nl, false))
		nl = NULL;
	for (;;) {
		n = recv(fd, &req, sizeof(req), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(req) || req.ifindex != ifindex ||
		    (req.addr.family != AF_INET && req.addr.family != AF_INET6))
			break;
		res = nl ? neigh_solicit(nl, ifindex, &req.addr) : -ENOMEM;
		if (send(fd, &res, sizeof(res), MSG_NOSIGNAL) != sizeof(res))
			break;
	}
	if (cleanup)
		cleanup(ctx);
	neigh_free(nl);
	_exit(0);
}

int privsep_start(struct privsep **out, int ifindex, void (*cleanup)(void *ctx),
		  void *ctx)
{
	struct privsep *p;
	int sv[2], ret;
	pid_t pid;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		ret = -errno;
		goto out_free;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_close;
	}
	if (pid == 0) {
		close(sv[0]);
		keeper_main(sv[1], ifindex, cleanup, ctx);
	}
	close(sv[1]);
	p->fd = sv[0];
	p->pid = pid;
	*out = p;
	return 0;

out_close:
	close(sv[0]);
	close(sv[1]);
out_free:
	free(p);
	return ret;
}

int privsep_solicit(struct privsep *p, int ifindex, const struct rs_addr *addr)
{
	struct privsep_req req;
	int32_t res;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.ifindex = ifindex;
	req.addr = *addr;
	if (send(p->fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return -EPIPE;
	do
		n = recv(p->fd, &res, sizeof(res), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(res) ? res : -EPIPE;
}

void privsep_stop(struct privsep *p)
{
	if (!p)
		return;
	close(p->fd);
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	free(p);
}

int privsep_drop(void)
{
	int ret = 0;

	/*
	 * Dropping the bounding set needs CAP_SETPCAP, which a binary given
	 * file capabilities (setcap) instead of run as root lacks: then the
	 * capability sets alone, and no_new_privs keeps an exec from
	 * regaining anything through the bounding set.
	 */
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_apply(CAPNG_SELECT_ALL)) {
		capng_clear(CAPNG_SELECT_CAPS);
		if (capng_apply(CAPNG_SELECT_CAPS))
			ret = -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) && !ret)
		ret = -errno;
	return ret;
}
