/*
 * udpengine.c - io_uring UDP engine (see udpengine.h for the chain).
 *
 * The slot life cycle is engine.c's: popped from the free stack at prep,
 * its generation bumped, the target address, timeout and payload copied in
 * (the kernel reads them after the submit returns), queued; run writes the
 * queued chains into the SQ a piece at a time and stamps each piece at the
 * start of its enter.  Within a chain CQEs come in order: failures of the
 * socket, setsockopt, connect or send first, then the recv and its link
 * timeout (either order), the error-queue read, and always the close last,
 * which alone turns the slot into a result and frees it.
 *
 * Unlike the connect engine there is no linger: a UDP socket that stayed
 * silent until its timeout has nothing that a later read would not also
 * give the next attempt, and keeping it open would hold a slot for it.
 *
 * Nothing here allocates after udpengine_new.
 */
#include <errno.h>
#include <liburing.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "clock.h"
#include "icmpreason.h"
#include "mix.h"
#include "ringsetup.h"
#include "srcaddr.h"
#include "udpengine.h"
#include "udppayload.h"

#define UDP_SQ_ENTRIES 4096
/* fds kept back from RLIMIT_NOFILE for output files, stdio and rings. */
#define UDP_FD_RESERVE 64
/* A reply's bytes are not read: any datagram back is the answer. */
#define UDP_RBUF 64
/* The error queue's cmsg: sock_extended_err and the offender's address. */
#define UDP_CBUF 128

/* Nine ops: 4 bits of user_data (the generation keeps 28). */
/* The opcodes every chain needs (the bind op is checked apart). */
static const int ops_needed[] = { IORING_OP_SOCKET,  IORING_OP_CONNECT,
				  IORING_OP_SEND,    IORING_OP_RECV,
				  IORING_OP_RECVMSG, IORING_OP_LINK_TIMEOUT,
				  IORING_OP_CLOSE };

enum udp_op {
	OP_SOCKET = 0,
	OP_SOCKOPT,
	OP_BIND,
	OP_CONNECT,
	OP_SEND,
	OP_RECV,
	OP_TIMEOUT,
	OP_ERRQ,
	OP_CLOSE,
};

#define UD_OP_SHIFT 60
#define UD_GEN_BITS 28
#define UD_GEN_MASK ((1u << UD_GEN_BITS) - 1)

struct uslot {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t addrlen;
	struct __kernel_timespec ts;
	struct sched_probe probe;
	uint64_t sent_ns;
	uint64_t rtt_ns;
	int32_t socket_res, bind_res, connect_res, send_res, recv_res, errq_res;
	const struct sockaddr *src; /* the source to bind, NULL none */
	socklen_t srclen;
	uint32_t gen;
	uint32_t len; /* payload bytes */
	bool active; /* prepared, its close not yet reaped */
	/* the error-queue read: all the kernel writes into */
	struct msghdr msg;
	struct iovec iov;
	uint8_t ebuf[UDP_RBUF];
	uint8_t cbuf[UDP_CBUF] __attribute__((aligned(8)));
	uint8_t rbuf[UDP_RBUF];
	uint8_t payload[UDPPAYLOAD_MAX];
};

struct udpengine {
	struct io_uring ring;
	struct uslot *slots;
	uint32_t *free_stack;
	uint32_t nfree;
	uint32_t nslots;
	uint32_t sqes_per_probe;
	/* prepared, not yet in the kernel: a ring of slot indices */
	uint32_t *queue;
	uint32_t q_head, q_n;
	uint32_t q_written; /* of those, chains already in the SQ */
	bool recverr;
	int one; /* the setsockopt's value, read by the kernel at issue */
	/* --source-ip: the sources of each family, [0] IPv4, [1] IPv6 */
	struct sockaddr_storage *src[2];
	uint32_t nsrc[2];
	uint32_t turn[2]; /* srcaddr_next's, per family */
};

static inline uint64_t ud_pack(enum udp_op op, uint32_t gen, uint32_t idx)
{
	return ((uint64_t)op << UD_OP_SHIFT) |
	       ((uint64_t)(gen & UD_GEN_MASK) << 32) | idx;
}

static void udpengine_free(void *handle)
{
	struct udpengine *e = handle;

	if (!e)
		return;
	/* Exiting the ring cancels what is in flight and closes the sockets. */
	io_uring_queue_exit(&e->ring);
	free(e->src[0]);
	free(e->src[1]);
	free(e->queue);
	free(e->free_stack);
	free(e->slots);
	free(e);
}

int udpengine_new(struct udpengine **out, const struct udpengine_config *cfg,
		  struct udpengine_info *info)
{
	struct udpengine *e;
	bool bind = cfg->src && srcaddr_count(cfg->src, 0);
	uint32_t max = bind ? UDPENGINE_MAX_SLOTS_BIND : UDPENGINE_MAX_SLOTS;
	uint32_t nslots = 0, cq;
	const char *setup = "";
	int ret;

	if (!cfg->slots)
		return -EINVAL;
	ret = ringsetup_cap_slots(cfg->slots < max ? cfg->slots : max,
				  UDP_FD_RESERVE, &nslots);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->nslots = nslots;
	e->one = 1;
	e->slots = calloc(nslots, sizeof(*e->slots));
	e->free_stack = calloc(nslots, sizeof(*e->free_stack));
	e->queue = calloc(nslots, sizeof(*e->queue));
	if (!e->slots || !e->free_stack || !e->queue) {
		ret = -ENOMEM;
		goto out_free_tables;
	}
	ret = ringsetup_sources(cfg->src, e->src, e->nsrc);
	if (ret)
		goto out_free_tables;
	for (uint32_t i = 0; i < nslots; i++)
		e->free_stack[i] = nslots - 1 - i;
	e->nfree = nslots;

	/* Every CQE a chain can post, for every slot at once (and never
	 * below the SQ: the kernel refuses a smaller CQ). */
	cq = 2 * UDP_SQ_ENTRIES;
	while (cq < (uint64_t)nslots * (UDPENGINE_SQES_PER_PROBE + bind))
		cq <<= 1;
	ret = ringsetup_init(&e->ring, UDP_SQ_ENTRIES, cq, &setup);
	if (ret)
		goto out_free_tables;
	ret = ringsetup_has_ops(&e->ring, ops_needed,
				sizeof(ops_needed) / sizeof(ops_needed[0]),
				bind);
	if (ret)
		goto out_exit_ring;
	ret = io_uring_register_files_sparse(&e->ring, nslots);
	if (ret)
		goto out_exit_ring;
	ret = ringsetup_trial(&e->ring, SOCK_DGRAM, SOL_IP, IP_RECVERR, &e->one,
			      sizeof(e->one), &e->recverr);
	if (ret)
		goto out_exit_ring;
	e->sqes_per_probe = (e->recverr ? UDPENGINE_SQES_PER_PROBE :
					  UDPENGINE_SQES_PER_PROBE - 2) +
			    bind;
	if (info) {
		info->slots = nslots;
		info->sources = e->nsrc[0] + e->nsrc[1];
		info->sq_entries = e->ring.sq.ring_entries;
		info->cq_entries = e->ring.cq.ring_entries;
		info->setup = setup;
		info->recverr = e->recverr;
	}
	*out = e;
	return 0;

out_exit_ring:
	io_uring_queue_exit(&e->ring);
out_free_tables:
	free(e->src[0]);
	free(e->src[1]);
	free(e->queue);
	free(e->free_stack);
	free(e->slots);
	free(e);
	return ret;
}

static uint32_t udpengine_idle(const void *handle)
{
	const struct udpengine *e = handle;

	return e->nfree;
}

static uint32_t udpengine_busy(const void *handle)
{
	const struct udpengine *e = handle;

	return e->nslots - e->nfree;
}

static int udpengine_prep(void *handle, const struct sched_probe *p,
			  const struct sockaddr *sa, socklen_t salen,
			  uint64_t timeout_ns, uint64_t linger_ns)
{
	struct udpengine *e = handle;
	struct uslot *s;
	uint16_t port;
	size_t len = 0;
	uint32_t idx;
	unsigned v6;

	(void)linger_ns;
	if (!e->nfree)
		return -EBUSY;
	if (salen > sizeof(s->addr) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return -EINVAL;
	v6 = sa->sa_family == AF_INET6;
	idx = e->free_stack[--e->nfree];
	s = &e->slots[idx];
	s->gen = (s->gen + 1) & UD_GEN_MASK;
	memcpy(&s->addr, sa, salen);
	s->addrlen = salen;
	port = ntohs(sa->sa_family == AF_INET ? s->addr.in4.sin_port :
						s->addr.in6.sin6_port);
	/* A cookie per attempt: retries carry new transaction IDs. */
	if (udppayload_build(
		    port, (uint32_t)mix64(p->probe ^ ((uint64_t)s->gen << 40)),
		    s->payload, sizeof(s->payload), &len))
		len = 0; /* cannot happen: UDPPAYLOAD_MAX fits every probe */
	s->len = (uint32_t)len;
	s->ts.tv_sec = (long long)(timeout_ns / 1000000000ULL);
	s->ts.tv_nsec = (long long)(timeout_ns % 1000000000ULL);
	s->probe = *p;
	s->src = NULL;
	s->srclen = 0;
	if (e->nsrc[v6]) {
		uint32_t i = srcaddr_next(e->nsrc[v6], &e->turn[v6]);

		s->src = (const struct sockaddr *)&e->src[v6][i];
		s->srclen = v6 ? sizeof(struct sockaddr_in6) :
				 sizeof(struct sockaddr_in);
	}
	s->socket_res = s->bind_res = s->connect_res = s->send_res = 0;
	s->recv_res = s->errq_res = 0;
	s->rtt_ns = 0;
	s->active = true;
	e->queue[(e->q_head + e->q_n++) % e->nslots] = idx;
	return 0;
}

/* The chain of slot idx into the SQ (room checked by the caller). */
static void chain_write(struct udpengine *e, uint32_t idx)
{
	struct uslot *s = &e->slots[idx];
	struct io_uring_sqe *sqe;
	const unsigned quiet = IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_socket_direct(sqe, s->addr.sa.sa_family, SOCK_DGRAM, 0,
				    idx, 0);
	sqe->flags |= quiet;
	sqe->user_data = ud_pack(OP_SOCKET, s->gen, idx);

	if (e->recverr) {
		bool v6 = s->addr.sa.sa_family == AF_INET6;

		sqe = io_uring_get_sqe(&e->ring);
		ringsetup_prep_setsockopt(sqe, (int)idx, v6 ? SOL_IPV6 : SOL_IP,
					  v6 ? IPV6_RECVERR : IP_RECVERR,
					  &e->one, sizeof(e->one));
		sqe->flags |= quiet;
		sqe->user_data = ud_pack(OP_SOCKOPT, s->gen, idx);
	}

	if (s->src) {
		sqe = io_uring_get_sqe(&e->ring);
		ringsetup_prep_bind(sqe, (int)idx, s->src, s->srclen);
		sqe->flags |= quiet;
		sqe->user_data = ud_pack(OP_BIND, s->gen, idx);
	}

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_connect(sqe, (int)idx, &s->addr.sa, s->addrlen);
	sqe->flags |= IOSQE_FIXED_FILE | quiet;
	sqe->user_data = ud_pack(OP_CONNECT, s->gen, idx);

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_send(sqe, (int)idx, s->payload, s->len, 0);
	sqe->flags |= IOSQE_FIXED_FILE | quiet;
	sqe->user_data = ud_pack(OP_SEND, s->gen, idx);

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_recv(sqe, (int)idx, s->rbuf, sizeof(s->rbuf), 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
	sqe->user_data = ud_pack(OP_RECV, s->gen, idx);

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_link_timeout(sqe, &s->ts, 0);
	sqe->flags |= IOSQE_IO_HARDLINK;
	sqe->user_data = ud_pack(OP_TIMEOUT, s->gen, idx);

	if (e->recverr) {
		memset(&s->msg, 0, sizeof(s->msg));
		s->iov.iov_base = s->ebuf;
		s->iov.iov_len = sizeof(s->ebuf);
		s->msg.msg_iov = &s->iov;
		s->msg.msg_iovlen = 1;
		s->msg.msg_control = s->cbuf;
		s->msg.msg_controllen = sizeof(s->cbuf);
		sqe = io_uring_get_sqe(&e->ring);
		/* DONTWAIT: EAGAIN at once when no ICMP error is queued. */
		io_uring_prep_recvmsg(sqe, (int)idx, &s->msg,
				      MSG_ERRQUEUE | MSG_DONTWAIT);
		sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
		sqe->user_data = ud_pack(OP_ERRQ, s->gen, idx);
	}

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_close_direct(sqe, idx);
	sqe->user_data = ud_pack(OP_CLOSE, s->gen, idx);
}

/*
 * The ICMP destination unreachable the error queue gave, if any: its code
 * in *code.  Only an ICMP (or ICMPv6) type 3 (1) from the network counts;
 * a local error (origin LOCAL: EMSGSIZE and the like) is no verdict.
 */
static bool errq_unreach(const struct uslot *s, uint8_t *code)
{
	const struct cmsghdr *cm;

	if (s->errq_res < 0)
		return false;
	for (cm = CMSG_FIRSTHDR(&s->msg); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)&s->msg, (struct cmsghdr *)cm)) {
		const struct sock_extended_err *ee;

		if (!((cm->cmsg_level == SOL_IP &&
		       cm->cmsg_type == IP_RECVERR) ||
		      (cm->cmsg_level == SOL_IPV6 &&
		       cm->cmsg_type == IPV6_RECVERR)))
			continue;
		ee = (const struct sock_extended_err *)CMSG_DATA(cm);
		if ((ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == 3) ||
		    (ee->ee_origin == SO_EE_ORIGIN_ICMP6 && ee->ee_type == 1)) {
			*code = ee->ee_code;
			return true;
		}
	}
	return false;
}

/* An error from the network (ICMP, or the route) as an outcome. */
static void judge_err(const struct uslot *s, int err, struct engine_result *r)
{
	uint8_t code;

	r->err = err;
	if (errq_unreach(s, &code)) {
		bool port = s->addr.sa.sa_family == AF_INET ? code == 3 :
							      code == 4;

		r->reason = icmp_unreach_reason(s->addr.sa.sa_family, code);
		/* No verdict (fragmentation needed): as if silent. */
		r->outcome = !r->reason ? ENGINE_TIMEOUT :
			     port	? ENGINE_CLOSED :
					  ENGINE_UNREACH;
		return;
	}
	switch (-err) {
	case ECONNREFUSED:
		r->outcome = ENGINE_CLOSED;
		break;
	case ECANCELED:
	case ETIMEDOUT:
		r->outcome = ENGINE_TIMEOUT;
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENONET:
	case EACCES:
	case EPERM:
	case ENOPROTOOPT:
		r->outcome = ENGINE_UNREACH;
		if (-err == ENOPROTOOPT)
			r->reason = "proto-unreach";
		break;
	default:
		r->outcome = ringsetup_local_shortage(err) ? ENGINE_DEFER :
							     ENGINE_ERROR;
		break;
	}
}

static void slot_judge(const struct uslot *s, struct engine_result *r)
{
	bool defer;

	*r = (struct engine_result){
		.probe = s->probe,
		.rtt_ns = s->rtt_ns,
		.sent_ns = s->rtt_ns ? s->sent_ns : 0,
	};
	if (ringsetup_chain_failed(s->socket_res, s->bind_res, &r->err,
				   &defer)) {
		r->outcome = defer ? ENGINE_DEFER : ENGINE_ERROR;
		return;
	}
	if (s->connect_res < 0) {
		judge_err(s, s->connect_res, r);
		return;
	}
	if (s->send_res < 0) {
		judge_err(s, s->send_res, r);
		return;
	}
	if (s->recv_res >= 0) {
		r->outcome = ENGINE_OPEN; /* a datagram, even an empty one */
		return;
	}
	judge_err(s, s->recv_res, r);
	if (r->outcome != ENGINE_OPEN && r->outcome != ENGINE_CLOSED &&
	    r->outcome != ENGINE_UNREACH) {
		r->rtt_ns = 0;
		r->sent_ns = 0;
	}
}

static void reap(struct udpengine *e, uint64_t now, struct engine_result *res,
		 uint32_t *nres, uint32_t max)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&e->ring, head, cqe) {
		uint64_t ud = cqe->user_data;
		uint32_t idx = (uint32_t)ud;
		uint32_t gen = (uint32_t)(ud >> 32) & UD_GEN_MASK;
		enum udp_op op = (enum udp_op)(ud >> UD_OP_SHIFT);
		struct uslot *s;

		if (*nres == max)
			break;
		seen++;
		if (idx >= e->nslots || e->slots[idx].gen != gen)
			continue; /* cannot happen: slots outlive their CQEs */
		s = &e->slots[idx];
		switch (op) {
		case OP_SOCKET:
			s->socket_res = cqe->res;
			break;
		case OP_SOCKOPT:
			break; /* only the exact reason is lost; keep going */
		case OP_BIND:
			s->bind_res = cqe->res;
			break;
		case OP_CONNECT:
			s->connect_res = cqe->res;
			break;
		case OP_SEND:
			s->send_res = cqe->res;
			break;
		case OP_RECV:
			s->recv_res = cqe->res;
			/* 1 ns at least: 0 means no sample */
			if (cqe->res != -ECANCELED)
				s->rtt_ns =
					now > s->sent_ns ? now - s->sent_ns : 1;
			break;
		case OP_TIMEOUT:
			break;
		case OP_ERRQ:
			s->errq_res = cqe->res;
			break;
		case OP_CLOSE:
			slot_judge(s, &res[(*nres)++]);
			s->active = false;
			e->free_stack[e->nfree++] = idx;
			break;
		}
	}
	io_uring_cq_advance(&e->ring, seen);
}

/* The queued chains, UDPENGINE_SUBMIT per enter, each piece stamped. */
static int submit_queue(struct udpengine *e, struct engine_result *res,
			uint32_t *nres, uint32_t max)
{
	while (e->q_n) {
		uint32_t k = e->q_n < UDPENGINE_SUBMIT ? e->q_n :
							 UDPENGINE_SUBMIT;
		uint64_t t0, t1;
		int ret;

		/* Chains left in the SQ by an enter that took nothing (a
		 * full CQ: EBUSY) go with this one, not written twice. */
		if (!e->q_written) {
			for (uint32_t j = 0; j < k; j++)
				chain_write(
					e,
					e->queue[(e->q_head + j) % e->nslots]);
			e->q_written = k;
		}
		k = e->q_written;
		t0 = clock_now_ns();
		ret = ringsetup_enter_drain(&e->ring);
		t1 = clock_now_ns();
		if (ringsetup_enter_failed(ret))
			return ret;
		if (io_uring_sq_ready(&e->ring)) {
			/* SUBMIT_ALL: the kernel took none of them; reap to
			 * make room and try again at the next run. */
			reap(e, t1, res, nres, max);
			return 0;
		}
		e->q_written = 0;
		for (uint32_t j = 0; j < k; j++) {
			uint32_t idx = e->queue[e->q_head];

			e->slots[idx].sent_ns = t0;
			e->q_head = (e->q_head + 1) % e->nslots;
		}
		e->q_n -= k;
		reap(e, t1, res, nres, max);
	}
	return 0;
}

static int udpengine_run(void *handle, uint64_t wait_ns,
			 struct engine_result *res, uint32_t max)
{
	struct udpengine *e = handle;
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	uint32_t nres = 0;
	bool entered = e->q_n > 0;
	int ret;

	ret = submit_queue(e, res, &nres, max);
	if (ret)
		return ret;
	if (nres)
		wait_ns = 0;
	if (wait_ns && udpengine_busy(e)) {
		ts.tv_sec = (long long)(wait_ns / 1000000000ULL);
		ts.tv_nsec = (long long)(wait_ns % 1000000000ULL);
		ret = io_uring_submit_and_wait_timeout(&e->ring, &cqe, 1, &ts,
						       NULL);
		if (!ringsetup_enter_failed(ret))
			ret = ringsetup_enter_drain(&e->ring);
	} else if (!entered) {
		ret = ringsetup_enter_drain(&e->ring);
	}
	if (ringsetup_enter_failed(ret))
		return ret;
	reap(e, clock_now_ns(), res, &nres, max);
	return (int)nres;
}

static uint32_t udpengine_inflight(const void *handle, struct sched_probe *out,
				   uint32_t max)
{
	const struct udpengine *e = handle;
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->nslots && n < max; i++)
		if (e->slots[i].active)
			out[n++] = e->slots[i].probe;
	return n;
}

const struct engine_ops udpengine_ops = {
	.idle = udpengine_idle,
	.busy = udpengine_busy,
	.inflight = udpengine_inflight,
	.prep = udpengine_prep,
	.run = udpengine_run,
	.free = udpengine_free,
};
