/*
 * ringsetup.c - ring setup and enter helpers shared by the connect and UDP
 * engines (see ringsetup.h).
 *
 * The task-run modes are tried best first; a kernel that does not know a
 * flag answers EINVAL, anything else is a real failure and ends the
 * search.  SUBMIT_ALL (5.18) keeps a failing SQE from cutting a batch
 * short; on a kernel without it the last try goes without it too.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "ringsetup.h"
#include "srcaddr.h"

/* The trial chain's user_data: which op a CQE is for. */
enum { TRIAL_SOCKET = 1, TRIAL_SOCKOPT, TRIAL_CLOSE };

int ringsetup_cap_slots(uint32_t want, uint32_t reserve, uint32_t *got)
{
	struct rlimit rl;
	uint64_t avail;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		/* Registered files count against the limit: take all we may. */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	avail = rl.rlim_cur;
	if (avail == RLIM_INFINITY || avail > UINT32_MAX)
		avail = UINT32_MAX;
	if (avail <= (uint64_t)reserve + 8)
		avail = avail > 16 ? avail - 12 : 1;
	else
		avail -= reserve;
	*got = want < avail ? want : (uint32_t)avail;
	return 0;
}

int ringsetup_init(struct io_uring *ring, uint32_t sq_entries,
		   uint32_t cq_entries, const char **setup)
{
	static const struct {
		unsigned flags;
		const char *name;
	} tries[] = {
		{ IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		  "SINGLE_ISSUER|DEFER_TASKRUN" },
		{ IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN" },
		{ 0, "default" },
	};
	struct io_uring_params p;
	int ret = -EINVAL;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.flags = tries[i].flags | IORING_SETUP_CQSIZE |
			  IORING_SETUP_SUBMIT_ALL;
		p.cq_entries = cq_entries;
		ret = io_uring_queue_init_params(sq_entries, ring, &p);
		if (ret == -EINVAL && tries[i].flags == 0) {
			/* very old kernel: no SUBMIT_ALL either */
			p.flags &= ~IORING_SETUP_SUBMIT_ALL;
			ret = io_uring_queue_init_params(sq_entries, ring, &p);
		}
		if (ret == 0) {
			*setup = tries[i].name;
			return 0;
		}
		if (ret != -EINVAL)
			return ret;
	}
	return ret;
}

int ringsetup_has_ops(struct io_uring *ring, const int *need, size_t n,
		      bool bind)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	int ret = 0;

	if (!probe)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < n; i++)
		if (!io_uring_opcode_supported(probe, need[i]))
			ret = -EOPNOTSUPP;
	if (!ret && bind &&
	    !io_uring_opcode_supported(probe, RINGSETUP_IORING_OP_BIND))
		ret = -EPROTONOSUPPORT;
	io_uring_free_probe(probe);
	return ret;
}

int ringsetup_trial(struct io_uring *ring, int type, int level, int optname,
		    const void *val, uint32_t len, bool *opt_ok)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int sock_res = 0, opt_res = -EOPNOTSUPP, ret;

	sqe = io_uring_get_sqe(ring);
	io_uring_prep_socket_direct(sqe, AF_INET, type, 0, 0, 0);
	sqe->flags |= IOSQE_IO_HARDLINK;
	sqe->user_data = TRIAL_SOCKET;
	sqe = io_uring_get_sqe(ring);
	ringsetup_prep_setsockopt(sqe, 0, level, optname, val, len);
	sqe->flags |= IOSQE_IO_HARDLINK;
	sqe->user_data = TRIAL_SOCKOPT;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_close_direct(sqe, 0);
	sqe->user_data = TRIAL_CLOSE;

	ret = io_uring_submit_and_wait(ring, 3);
	if (ret < 0)
		return ret;
	for (int n = 0; n < 3; n++) {
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0)
			return ret;
		if (cqe->user_data == TRIAL_SOCKET)
			sock_res = cqe->res;
		else if (cqe->user_data == TRIAL_SOCKOPT)
			opt_res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	if (sock_res < 0)
		return sock_res == -EINVAL ? -EOPNOTSUPP : sock_res;
	*opt_ok = opt_res == 0;
	return 0;
}

int ringsetup_sources(const struct srcaddr *src,
		      struct sockaddr_storage *tab[2], uint32_t n[2])
{
	int ret;

	if (!src)
		return 0;
	ret = srcaddr_sockaddrs(src, AF_INET, &tab[0], &n[0]);
	if (!ret)
		ret = srcaddr_sockaddrs(src, AF_INET6, &tab[1], &n[1]);
	return ret;
}

void ringsetup_prep_setsockopt(struct io_uring_sqe *sqe, int fixed_idx,
			       int level, int optname, const void *val,
			       uint32_t len)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fixed_idx, NULL, 0, 0);
	sqe->cmd_op = RINGSETUP_SOCKET_URING_OP_SETSOCKOPT;
	/* level and optname share the addr field in the kernel's layout */
	sqe->addr = (uint64_t)(uint32_t)level |
		    ((uint64_t)(uint32_t)optname << 32);
	sqe->file_index = len; /* optlen */
	sqe->addr3 = (uint64_t)(uintptr_t)val; /* optval */
	sqe->flags |= IOSQE_FIXED_FILE;
}

void ringsetup_prep_bind(struct io_uring_sqe *sqe, int fixed_idx,
			 const struct sockaddr *sa, socklen_t len)
{
	/* The address in addr, its length in addr2 (off), len 0. */
	io_uring_prep_rw(RINGSETUP_IORING_OP_BIND, sqe, fixed_idx, sa, 0, len);
	sqe->flags |= IOSQE_FIXED_FILE;
}

int ringsetup_enter_drain(struct io_uring *ring)
{
	struct __kernel_timespec zero = { 0, 0 };
	struct io_uring_cqe *cqe;

	return io_uring_submit_and_wait_timeout(
		ring, &cqe, ring->cq.ring_entries, &zero, NULL);
}

bool ringsetup_enter_failed(int ret)
{
	return ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EBUSY &&
	       ret != -EAGAIN;
}

bool ringsetup_chain_failed(int socket_res, int bind_res, int *err, bool *defer)
{
	if (socket_res < 0) {
		*err = socket_res;
		*defer = ringsetup_local_shortage(socket_res);
		return true;
	}
	if (bind_res < 0) {
		*err = bind_res;
		*defer = bind_res != -EADDRNOTAVAIL &&
			 ringsetup_local_shortage(bind_res);
		return true;
	}
	return false;
}

bool ringsetup_local_shortage(int err)
{
	switch (-err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EAGAIN:
	case EADDRNOTAVAIL:
	case EADDRINUSE:
		return true;
	default:
		return false;
	}
}
