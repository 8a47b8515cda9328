/*
 * engine.c - io_uring connect engine (see engine.h for the chain).
 *
 * A slot is born idle on the free stack.  engine_prep pops one, bumps its
 * generation, copies the target address and timeout into it (the kernel may
 * read them after the submit returns) and queues the slot; engine_run
 * writes the chains of the queue into the SQ one piece at a time, each
 * piece in its own io_uring_enter, and stamps them (engine.h).  CQEs arrive in
 * any order between probes but in chain order within one: a socket or
 * setsockopt failure first, then connect and its link timeout (either order),
 * and always the close last.  Only the close turns the slot's gathered
 * results into an engine_result and returns the slot, so no fixed file and
 * no slot is reused while the kernel still refers to it.
 *
 * --banners (engine.h): the chain stops before the CLOSE; the connect's
 * CQE decides the slot's next op, queued as an action (a ring of slot
 * indices, one entry per slot at most) and written into the SQ at the
 * start of the next run or piece, ahead of the new chains, so the
 * accounting of chains per submit sees them first.  Each RECV and its link
 * timeout, each SEND, post their CQEs like the chain's; only the CLOSE's
 * CQE frees the slot, as without banners.  A CQE that comes after its
 * slot was reused is dropped by the generation check (a link timeout's CQE
 * may trail its RECV's).
 *
 * Nothing here allocates after engine_new; engine_run makes one
 * io_uring_enter per piece of ENGINE_SUBMIT_NS, and one to wait.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bannerid.h"
#include "clock.h"
#include "engine.h"
#include "ringsetup.h"
#include "srcaddr.h"
#include "tlsprobe.h"

#define ENGINE_SQ_ENTRIES 4096
/* fds kept back from RLIMIT_NOFILE for output files, stdio and the ring. */
#define ENGINE_FD_RESERVE 64

/* The opcodes every chain needs (the bind op is checked apart). */
static const int ops_needed[] = { IORING_OP_SOCKET, IORING_OP_CONNECT,
				  IORING_OP_LINK_TIMEOUT, IORING_OP_CLOSE };

enum engine_op {
	OP_SOCKET = 1,
	OP_SOCKOPT,
	OP_CONNECT,
	OP_TIMEOUT,
	OP_CLOSE,
	OP_NOPORT, /* IP_BIND_ADDRESS_NO_PORT, before a bind */
	OP_BIND,
	OP_RECV, /* --banners */
	OP_SEND,
};

/* What a slot does next in a banner exchange (slot.action). */
enum slot_action {
	ACT_NONE,
	ACT_RECV, /* RECV -> LINK_TIMEOUT(xts) */
	ACT_PROBE, /* SEND request -> RECV -> LINK_TIMEOUT(xts) */
	ACT_TLS_SEND, /* SEND TLS bytes -> LINK_TIMEOUT(xts) */
	ACT_CLOSE,
};

/* The request of one slot (bannerid_probe): the longest, an HTTP HEAD to
 * a bracketed IPv6 address with a port, takes 134 bytes and its NUL. */
#define ENGINE_REQ_CAP 160

#define UD_GEN_BITS 28 /* the op takes the 4 bits above */
#define UD_GEN_MASK ((1u << UD_GEN_BITS) - 1)

struct slot {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t addrlen;
	struct __kernel_timespec ts;
	struct sched_probe probe;
	uint64_t sent_ns; /* when its submit sent the SYN (interpolated) */
	uint64_t soft_after_ns; /* reported silent this long after sent_ns */
	uint64_t rtt_ns;
	int32_t socket_res;
	int32_t bind_res;
	int32_t connect_res;
	int32_t timeout_res;
	uint32_t gen;
	uint32_t hpos; /* place in the soft-deadline heap, or HPOS_NONE */
	uint64_t soft_ns; /* when the attempt is reported silent */
	uint8_t state; /* SLOT_* */
	/* --banners */
	uint8_t action; /* ACT_*: queued in the action ring */
	bool sent; /* the request went out */
	bool tls; /* the exchange is a TLS handshake (the slot's tlsprobe) */
	bool tls_ok; /* it finished: the engine's tlsinfo[slot] is valid */
	uint32_t blen; /* bytes in the slot's banner buffer */
	uint32_t rlen; /* length of its request */
	uint64_t xend_ns; /* the exchange's deadline */
	struct __kernel_timespec xts; /* the next RECV's link timeout */
};

enum slot_state {
	SLOT_FREE,
	SLOT_ACTIVE, /* in flight, nothing reported yet */
	SLOT_LINGER, /* reported silent, its connect still listening */
	SLOT_EXCHANGE, /* reported open, reading its banner (--banners) */
};

#define HPOS_NONE UINT32_MAX

/* A late answer waiting for the next attempt of its probe. */
struct late_rec {
	uint64_t probe;
	uint64_t rtt_ns; /* of the attempt answered */
	uint64_t sent_ns; /* and when it was sent (with rtt_ns) */
	int32_t err;
	uint8_t outcome;
	bool valid;
};

struct engine {
	struct io_uring ring;
	struct slot *slots;
	uint32_t *free_stack; /* indices of idle slots */
	uint32_t nfree;
	uint32_t nslots;
	uint32_t sqes_per_probe;
	/* soft deadlines of ACTIVE slots that linger (a min-heap) */
	uint32_t *heap;
	uint32_t heap_len;
	/* late answers, direct-mapped by probe (a collision loses one) */
	struct late_rec *late;
	uint32_t late_mask;
	/* results decided at prep time (a late answer), not yet returned */
	struct engine_result *ready;
	uint32_t ready_head, ready_n;
	/*
	 * Probes prepared and not yet known to be in the kernel, in prep
	 * order (a ring of slot indices): the first q_written have their
	 * chains in the SQ, the rest only in their slots.
	 */
	uint32_t *queue;
	uint32_t q_head, q_n, q_written;
	/* What one chain's issue costs in the submit, smoothed: sizes the
	 * next submit so that it takes about ENGINE_SUBMIT_NS. */
	uint64_t chain_ns;
	struct engine_stats stats;
	/* --banners: per-slot buffers, and slots with an op to issue */
	bool banners;
	uint64_t banner_timeout_ns;
	uint8_t *bufs; /* nslots x ENGINE_BANNER_CAP */
	char *reqs; /* nslots x ENGINE_REQ_CAP */
	uint32_t *acts;
	uint32_t a_head, a_n;
	/* TLS ports: one reusable handshake per slot, and what it found */
	struct tlsprobe_ctx *tls_ctx;
	struct tlsprobe **tls;
	struct tlsinfo *tlsinfo;
	bool linger_rst;
	struct linger linger; /* read by the kernel at issue time */
	int one; /* IP_BIND_ADDRESS_NO_PORT's value, read at issue time */
	/* --source-ip: the sources of each family, [0] IPv4, [1] IPv6 */
	struct sockaddr_storage *src[2];
	uint32_t nsrc[2];
	uint32_t turn[2]; /* srcaddr_next's, per family */
};

static inline uint64_t ud_pack(enum engine_op op, uint32_t gen, uint32_t idx)
{
	return ((uint64_t)op << 60) | ((uint64_t)(gen & UD_GEN_MASK) << 32) |
	       idx;
}

/*
 * --banners: a tlsprobe per slot, made here once so that a handshake
 * reuses its SSL object and BIOs (what OpenSSL still allocates per
 * handshake: tlsprobe.h).  Freed by tls_fini, which takes a half-made set.
 */
static int tls_init(struct engine *e)
{
	int ret = tlsprobe_ctx_new(&e->tls_ctx);

	if (ret)
		return ret;
	e->tls = calloc(e->nslots, sizeof(*e->tls));
	e->tlsinfo = calloc(e->nslots, sizeof(*e->tlsinfo));
	if (!e->tls || !e->tlsinfo)
		return -ENOMEM;
	for (uint32_t i = 0; i < e->nslots; i++) {
		ret = tlsprobe_new(e->tls_ctx, &e->tls[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static void tls_fini(struct engine *e)
{
	if (e->tls)
		for (uint32_t i = 0; i < e->nslots; i++)
			tlsprobe_free(e->tls[i]);
	free(e->tls);
	free(e->tlsinfo);
	tlsprobe_ctx_free(e->tls_ctx);
	e->tls = NULL;
	e->tlsinfo = NULL;
	e->tls_ctx = NULL;
}

int engine_new(struct engine **out, const struct engine_config *cfg,
	       struct engine_info *info)
{
	bool bind = cfg->src && srcaddr_count(cfg->src, 0);
	struct engine *e;
	uint32_t nslots = 0, cq;
	const char *setup = "";
	int ret;

	if (!cfg->slots)
		return -EINVAL;
	ret = ringsetup_cap_slots(cfg->slots, ENGINE_FD_RESERVE, &nslots);
	if (ret)
		return ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->nslots = nslots;
	e->linger.l_onoff = 1;
	e->linger.l_linger = 0;
	e->one = 1;
	e->slots = calloc(nslots, sizeof(*e->slots));
	e->free_stack = calloc(nslots, sizeof(*e->free_stack));
	e->heap = calloc(nslots, sizeof(*e->heap));
	e->ready = calloc(nslots, sizeof(*e->ready));
	e->queue = calloc(nslots, sizeof(*e->queue));
	e->chain_ns = ENGINE_SUBMIT_NS / ENGINE_SUBMIT_FIRST;
	e->late_mask = 1;
	while (e->late_mask < 2 * nslots)
		e->late_mask <<= 1;
	e->late = calloc(e->late_mask, sizeof(*e->late));
	e->late_mask--;
	if (!e->slots || !e->free_stack || !e->heap || !e->ready || !e->queue ||
	    !e->late) {
		ret = -ENOMEM;
		goto out_free_tables;
	}
	ret = ringsetup_sources(cfg->src, e->src, e->nsrc);
	if (ret)
		goto out_free_tables;
	if (cfg->banners) {
		e->banners = true;
		e->banner_timeout_ns = cfg->banner_timeout_ns ?
					       cfg->banner_timeout_ns :
					       ENGINE_BANNER_TIMEOUT_DEFAULT_NS;
		e->bufs = malloc((size_t)nslots * ENGINE_BANNER_CAP);
		e->reqs = malloc((size_t)nslots * ENGINE_REQ_CAP);
		e->acts = calloc(nslots, sizeof(*e->acts));
		if (!e->bufs || !e->reqs || !e->acts) {
			ret = -ENOMEM;
			goto out_free_tables;
		}
		ret = tls_init(e);
		if (ret)
			goto out_free_tls;
	}
	for (uint32_t i = 0; i < nslots; i++) {
		e->free_stack[i] = nslots - 1 - i;
		e->slots[i].hpos = HPOS_NONE;
	}
	e->nfree = nslots;

	/* Three CQEs per chain in flight (with banners, up to eight: connect
	 * and timeout, receives and their timeouts, send, close), plus
	 * failures of a whole batch (whose chains have two more SQEs with a
	 * source to bind). */
	cq = 1;
	while (cq < (uint64_t)nslots * (e->banners ? 8 : 3) +
			    ENGINE_BATCH * (ENGINE_SQES_PER_PROBE + 2 * bind))
		cq <<= 1;
	ret = ringsetup_init(&e->ring, ENGINE_SQ_ENTRIES, cq, &setup);
	if (ret)
		goto out_free_tls;
	ret = ringsetup_has_ops(&e->ring, ops_needed,
				sizeof(ops_needed) / sizeof(ops_needed[0]),
				bind);
	if (ret)
		goto out_exit_ring;
	ret = io_uring_register_files_sparse(&e->ring, nslots);
	if (ret)
		goto out_exit_ring;
	ret = ringsetup_trial(&e->ring, SOCK_STREAM, SOL_SOCKET, SO_LINGER,
			      &e->linger, sizeof(e->linger), &e->linger_rst);
	if (ret)
		goto out_exit_ring;
	/* With banners the CLOSE is issued after the exchange. */
	e->sqes_per_probe =
		(e->linger_rst ? 5 : 4) + 2 * bind - (e->banners ? 1 : 0);

	if (info) {
		info->slots = nslots;
		info->sq_entries = e->ring.sq.ring_entries;
		info->cq_entries = e->ring.cq.ring_entries;
		info->setup = setup;
		info->linger_rst = e->linger_rst;
		info->sources = e->nsrc[0] + e->nsrc[1];
	}
	*out = e;
	return 0;

out_exit_ring:
	io_uring_queue_exit(&e->ring);
out_free_tls:
	tls_fini(e);
out_free_tables:
	free(e->src[0]);
	free(e->src[1]);
	free(e->acts);
	free(e->reqs);
	free(e->bufs);
	free(e->late);
	free(e->queue);
	free(e->ready);
	free(e->heap);
	free(e->free_stack);
	free(e->slots);
	free(e);
	return ret;
}

static void engine_free(void *handle)
{
	struct engine *e = handle;

	if (!e)
		return;
	/* Exiting the ring cancels whatever is in flight and closes the
	 * registered sockets. */
	io_uring_queue_exit(&e->ring);
	tls_fini(e);
	free(e->src[0]);
	free(e->src[1]);
	free(e->acts);
	free(e->reqs);
	free(e->bufs);
	free(e->late);
	free(e->queue);
	free(e->ready);
	free(e->heap);
	free(e->free_stack);
	free(e->slots);
	free(e);
}

static uint32_t engine_idle(const void *handle)
{
	const struct engine *e = handle;

	return e->nfree;
}

static uint32_t engine_busy(const void *handle)
{
	const struct engine *e = handle;

	/* Results decided at prep count: engine_run must be called. */
	return e->nslots - e->nfree + e->ready_n;
}

void engine_get_stats(const struct engine *e, struct engine_stats *st)
{
	*st = e->stats;
}

/* ---- the soft-deadline heap (indexed by slot, so removal is O(log n)) */

static bool heap_less(const struct engine *e, uint32_t a, uint32_t b)
{
	return e->slots[e->heap[a]].soft_ns < e->slots[e->heap[b]].soft_ns;
}

static void heap_swap(struct engine *e, uint32_t a, uint32_t b)
{
	uint32_t t = e->heap[a];

	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->slots[e->heap[a]].hpos = a;
	e->slots[e->heap[b]].hpos = b;
}

static void heap_up(struct engine *e, uint32_t i)
{
	while (i > 0 && heap_less(e, i, (i - 1) / 2)) {
		heap_swap(e, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct engine *e, uint32_t i)
{
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= e->heap_len)
			return;
		if (c + 1 < e->heap_len && heap_less(e, c + 1, c))
			c++;
		if (!heap_less(e, c, i))
			return;
		heap_swap(e, i, c);
		i = c;
	}
}

static void heap_add(struct engine *e, uint32_t idx)
{
	e->heap[e->heap_len] = idx;
	e->slots[idx].hpos = e->heap_len++;
	heap_up(e, e->heap_len - 1);
}

static void heap_del(struct engine *e, uint32_t idx)
{
	uint32_t i = e->slots[idx].hpos;

	if (i == HPOS_NONE)
		return;
	e->slots[idx].hpos = HPOS_NONE;
	if (i != --e->heap_len) {
		e->heap[i] = e->heap[e->heap_len];
		e->slots[e->heap[i]].hpos = i;
		heap_down(e, i);
		heap_up(e, i);
	}
}

static struct late_rec *late_of(struct engine *e, uint64_t probe)
{
	uint64_t h = probe * 0x9e3779b97f4a7c15ULL;

	return &e->late[(h >> 32) & e->late_mask];
}

/*
 * The source of slot idx: IP_BIND_ADDRESS_NO_PORT first, so that the bind
 * takes only the address and the connect picks the port by the whole
 * 4-tuple - otherwise every bind would hold one of the source's ephemeral
 * ports for any destination, and the kernel's bind-conflict search grows
 * with the sockets in flight (NOTES: 32-42 s at 16000).  The option is
 * SOL_IP for IPv6 sockets too.  A failed NO_PORT loses only that; the
 * bind op is prepared by hand (liburing 2.3 has no helper): the address
 * in addr, its length in addr2 (off), len 0.
 */
static void chain_write_bind(struct engine *e, struct slot *s, uint32_t idx)
{
	unsigned v6 = s->addr.sa.sa_family == AF_INET6;
	uint32_t i = srcaddr_next(e->nsrc[v6], &e->turn[v6]);
	struct io_uring_sqe *sqe;

	sqe = io_uring_get_sqe(&e->ring);
	ringsetup_prep_setsockopt(sqe, (int)idx, SOL_IP,
				  IP_BIND_ADDRESS_NO_PORT, &e->one,
				  sizeof(e->one));
	sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = ud_pack(OP_NOPORT, s->gen, idx);

	sqe = io_uring_get_sqe(&e->ring);
	ringsetup_prep_bind(
		sqe, (int)idx, (const struct sockaddr *)&e->src[v6][i],
		v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = ud_pack(OP_BIND, s->gen, idx);
}

/* The chain of queued slot idx into the SQ (room checked by the caller). */
static void chain_write(struct engine *e, uint32_t idx)
{
	struct slot *s = &e->slots[idx];
	struct io_uring_sqe *sqe;

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_socket_direct(sqe, s->addr.sa.sa_family, SOCK_STREAM, 0,
				    idx, 0);
	sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = ud_pack(OP_SOCKET, s->gen, idx);

	if (e->linger_rst) {
		sqe = io_uring_get_sqe(&e->ring);
		ringsetup_prep_setsockopt(sqe, (int)idx, SOL_SOCKET, SO_LINGER,
					  &e->linger, sizeof(e->linger));
		sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
		sqe->user_data = ud_pack(OP_SOCKOPT, s->gen, idx);
	}

	if (e->nsrc[s->addr.sa.sa_family == AF_INET6])
		chain_write_bind(e, s, idx);

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_connect(sqe, (int)idx, &s->addr.sa, s->addrlen);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
	sqe->user_data = ud_pack(OP_CONNECT, s->gen, idx);

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_link_timeout(sqe, &s->ts, 0);
	sqe->user_data = ud_pack(OP_TIMEOUT, s->gen, idx);
	if (e->banners)
		return; /* the connect's CQE decides what comes next */
	sqe->flags |= IOSQE_IO_HARDLINK;

	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_close_direct(sqe, idx);
	sqe->user_data = ud_pack(OP_CLOSE, s->gen, idx);
}

/* ---- --banners: the exchange after a connect (engine.h) */

/* SQEs an action takes at most. */
#define ACT_SQES_MAX 3

static void act_queue(struct engine *e, uint32_t idx, enum slot_action a)
{
	e->slots[idx].action = (uint8_t)a;
	e->acts[(e->a_head + e->a_n++) % e->nslots] = idx;
}

static void set_xts(struct slot *s, uint64_t ns)
{
	s->xts.tv_sec = (long long)(ns / 1000000000ULL);
	s->xts.tv_nsec = (long long)(ns % 1000000000ULL);
}

/* The rest of the exchange's time at now, at least 1 ms. */
static uint64_t x_left(const struct slot *s, uint64_t now)
{
	return s->xend_ns > now + 1000000ULL ? s->xend_ns - now : 1000000ULL;
}

/* RECV into what is left of the buffer, linked to the slot's xts. */
static void prep_recv(struct engine *e, uint32_t idx)
{
	struct slot *s = &e->slots[idx];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	io_uring_prep_recv(sqe, (int)idx,
			   e->bufs + (size_t)idx * ENGINE_BANNER_CAP + s->blen,
			   ENGINE_BANNER_CAP - s->blen, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	sqe->user_data = ud_pack(OP_RECV, s->gen, idx);
	sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_link_timeout(sqe, &s->xts, 0);
	sqe->user_data = ud_pack(OP_TIMEOUT, s->gen, idx);
}

/* The queued actions into the SQ, leaving room for a full piece of
 * chains (submit_queue does not check for room). */
static void acts_write(struct engine *e)
{
	while (e->a_n &&
	       io_uring_sq_space_left(&e->ring) >=
		       ACT_SQES_MAX + ENGINE_BATCH * ENGINE_SQES_PER_PROBE) {
		uint32_t idx = e->acts[e->a_head];
		struct slot *s = &e->slots[idx];
		struct io_uring_sqe *sqe;

		e->a_head = (e->a_head + 1) % e->nslots;
		e->a_n--;
		switch (s->action) {
		case ACT_PROBE:
			sqe = io_uring_get_sqe(&e->ring);
			io_uring_prep_send(sqe, (int)idx,
					   e->reqs +
						   (size_t)idx * ENGINE_REQ_CAP,
					   s->rlen, MSG_NOSIGNAL);
			sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
			sqe->user_data = ud_pack(OP_SEND, s->gen, idx);
			prep_recv(e, idx);
			break;
		case ACT_RECV:
			prep_recv(e, idx);
			break;
		case ACT_TLS_SEND:
			sqe = io_uring_get_sqe(&e->ring);
			io_uring_prep_send(sqe, (int)idx,
					   e->bufs + (size_t)idx *
							     ENGINE_BANNER_CAP,
					   s->rlen, MSG_NOSIGNAL);
			sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
			sqe->user_data = ud_pack(OP_SEND, s->gen, idx);
			sqe = io_uring_get_sqe(&e->ring);
			io_uring_prep_link_timeout(sqe, &s->xts, 0);
			sqe->user_data = ud_pack(OP_TIMEOUT, s->gen, idx);
			break;
		default:
			sqe = io_uring_get_sqe(&e->ring);
			io_uring_prep_close_direct(sqe, idx);
			sqe->user_data = ud_pack(OP_CLOSE, s->gen, idx);
			break;
		}
		s->action = ACT_NONE;
	}
}

/* The slot's port, from the address it connected to. */
static uint16_t slot_port(const struct slot *s)
{
	return ntohs(s->addr.sa.sa_family == AF_INET6 ? s->addr.in6.sin6_port :
							s->addr.in4.sin_port);
}

/* Send opener op's request next (unless it does not fit: then close). */
static void x_probe(struct engine *e, uint32_t idx, uint64_t now,
		    enum bannerid_opener op)
{
	struct slot *s = &e->slots[idx];
	char host[INET6_ADDRSTRLEN];
	const void *a = s->addr.sa.sa_family == AF_INET6 ?
				(const void *)&s->addr.in6.sin6_addr :
				(const void *)&s->addr.in4.sin_addr;
	int n = -ENOSPC;

	if (inet_ntop(s->addr.sa.sa_family, a, host, sizeof(host)))
		n = bannerid_probe(op, host, slot_port(s),
				   e->reqs + (size_t)idx * ENGINE_REQ_CAP,
				   ENGINE_REQ_CAP);
	if (n <= 0) {
		act_queue(e, idx, ACT_CLOSE);
		return;
	}
	s->rlen = (uint32_t)n;
	s->sent = true;
	e->stats.probes++;
	set_xts(s, x_left(s, now));
	act_queue(e, idx, ACT_PROBE);
}

/*
 * The TLS handshake's next step: send what the slot's tlsprobe has to
 * say (through the banner buffer, free while nothing is received), or
 * when it has nothing, receive the server's next flight.  What does not
 * fit in one send goes in the next, after the first's CQE.
 */
static void x_tls_step(struct engine *e, uint32_t idx, uint64_t now)
{
	struct slot *s = &e->slots[idx];
	size_t n = 0;

	if (tlsprobe_pending_out(e->tls[idx],
				 e->bufs + (size_t)idx * ENGINE_BANNER_CAP,
				 ENGINE_BANNER_CAP, &n)) {
		act_queue(e, idx, ACT_CLOSE);
		return;
	}
	s->blen = 0;
	set_xts(s, x_left(s, now));
	if (n) {
		s->rlen = (uint32_t)n;
		act_queue(e, idx, ACT_TLS_SEND);
		return;
	}
	act_queue(e, idx, ACT_RECV);
}

/* A SEND of the TLS handshake completed with res. */
static void x_send_done(struct engine *e, uint32_t idx, int32_t res,
			uint64_t now)
{
	struct slot *s = &e->slots[idx];

	if (!s->tls)
		return; /* a failed request cancels its RECV: seen there */
	/* A short send of a few hundred bytes to a fresh socket means it
	 * is going away: no retry of the rest. */
	if (res != (int32_t)s->rlen || now >= s->xend_ns) {
		act_queue(e, idx, ACT_CLOSE);
		return;
	}
	x_tls_step(e, idx, now);
}

/*
 * A RECV of the TLS handshake got res bytes: fed to the slot's tlsprobe.
 * Done: the certificate's fields are kept and the banner is empty (the
 * bytes were TLS records).  Not TLS after all: what the server said in
 * that read is its banner (an HTTP server answering on 443, say).
 */
static void x_tls_recv(struct engine *e, uint32_t idx, int32_t res,
		       uint64_t now)
{
	struct slot *s = &e->slots[idx];
	int ret;

	if (res <= 0) {
		act_queue(e, idx, ACT_CLOSE); /* EOF, reset, deadline, ... */
		return;
	}
	e->stats.banner_bytes += (uint64_t)res;
	ret = tlsprobe_feed(e->tls[idx],
			    e->bufs + (size_t)idx * ENGINE_BANNER_CAP,
			    (size_t)res);
	if (ret == 0 && now < s->xend_ns) {
		x_tls_step(e, idx, now);
		return;
	}
	if (ret == 1 && !tlsprobe_info(e->tls[idx], &e->tlsinfo[idx])) {
		s->tls_ok = true;
		e->stats.tls_handshakes++;
	}
	s->blen = ret < 0 ? (uint32_t)res : 0;
	act_queue(e, idx, ACT_CLOSE);
}

/*
 * The connect of slot idx succeeded and was reported: start the exchange
 * as bannerid_opener says - the request at once where the server waits
 * for one (HTTP, Redis, memcached), a TLS handshake on TLS ports,
 * otherwise a wait for its greeting.
 */
static void x_start(struct engine *e, uint32_t idx, uint64_t now)
{
	struct slot *s = &e->slots[idx];
	enum bannerid_opener op = bannerid_opener(slot_port(s));

	s->state = SLOT_EXCHANGE;
	s->blen = 0;
	s->sent = false;
	s->tls = false;
	s->tls_ok = false;
	s->xend_ns = now + e->banner_timeout_ns;
	e->stats.exchanges++;
	if (op == BANNERID_TLS && !tlsprobe_start(e->tls[idx], NULL)) {
		s->tls = true;
		x_tls_step(e, idx, now);
		return;
	}
	if (op == BANNERID_HTTP || op == BANNERID_REDIS ||
	    op == BANNERID_MEMCACHED) {
		x_probe(e, idx, now, op);
		return;
	}
	set_xts(s, e->banner_timeout_ns < ENGINE_BANNER_WAIT_NS ?
			   e->banner_timeout_ns :
			   ENGINE_BANNER_WAIT_NS);
	act_queue(e, idx, ACT_RECV);
}

/* A RECV of the exchange completed with res. */
static void x_recv_done(struct engine *e, uint32_t idx, int32_t res,
			uint64_t now)
{
	struct slot *s = &e->slots[idx];
	const uint8_t *buf = e->bufs + (size_t)idx * ENGINE_BANNER_CAP;
	uint64_t wait;

	if (s->tls) {
		x_tls_recv(e, idx, res, now);
		return;
	}
	if (res > 0) {
		s->blen += (uint32_t)res;
		e->stats.banner_bytes += (uint64_t)res;
		if (s->blen >= ENGINE_BANNER_CAP || now >= s->xend_ns) {
			act_queue(e, idx, ACT_CLOSE);
			return;
		}
		wait = x_left(s, now);
		/* A whole line came: a little quiet ends it.  A partial one
		 * (a trickle) is read up to the deadline. */
		if (buf[s->blen - 1] == '\n' && wait > ENGINE_BANNER_IDLE_NS)
			wait = ENGINE_BANNER_IDLE_NS;
		set_xts(s, wait);
		act_queue(e, idx, ACT_RECV);
		return;
	}
	/* Silent through the first wait: ask, HTTP being the likeliest. */
	if (res == -ECANCELED && !s->sent && !s->blen && now < s->xend_ns) {
		x_probe(e, idx, now, BANNERID_HTTP);
		return;
	}
	act_queue(e, idx, ACT_CLOSE); /* EOF, reset, deadline, ... */
}

static int engine_prep(void *handle, const struct sched_probe *p,
		       const struct sockaddr *sa, socklen_t salen,
		       uint64_t timeout_ns, uint64_t linger_ns)
{
	struct engine *e = handle;
	struct late_rec *l = late_of(e, p->probe);
	uint64_t hard_ns = timeout_ns + linger_ns;
	struct slot *s;
	uint32_t idx;

	if (!e->nfree)
		return -EBUSY;
	if (salen > sizeof(s->addr))
		return -EINVAL;
	if (l->valid && l->probe == p->probe) {
		/* An earlier attempt's connect was answered after all. */
		struct engine_result *r =
			&e->ready[(e->ready_head + e->ready_n++) % e->nslots];

		*r = (struct engine_result){
			.probe = *p,
			.outcome = (enum engine_outcome)l->outcome,
			.err = l->err,
			.rtt_ns = l->rtt_ns,
			.sent_ns = l->sent_ns,
			.late = true,
			.withdrawn = true,
		};
		l->valid = false;
		e->stats.late_used++;
		return 0;
	}
	idx = e->free_stack[--e->nfree];
	s = &e->slots[idx];
	s->gen = (s->gen + 1) & UD_GEN_MASK;
	memcpy(&s->addr, sa, salen);
	s->addrlen = salen;
	s->ts.tv_sec = (long long)(hard_ns / 1000000000ULL);
	s->ts.tv_nsec = (long long)(hard_ns % 1000000000ULL);
	s->probe = *p;
	s->socket_res = 0;
	s->bind_res = 0;
	s->connect_res = 0;
	s->timeout_res = 0;
	s->rtt_ns = 0;
	s->state = SLOT_ACTIVE;
	s->blen = 0;
	s->sent = false;

	s->soft_after_ns = linger_ns ? timeout_ns : 0;
	/* The chain is written at run, in the submit that sends it. */
	e->queue[(e->q_head + e->q_n++) % e->nslots] = idx;
	return 0;
}

/* A send time goes only with an answer (rtt_ns set): it is what the
 * scheduler's answers' frontier is made of (sched_answer_sent). */
static uint64_t slot_answer_sent(const struct slot *s)
{
	return s->rtt_ns ? s->sent_ns : 0;
}

static void slot_judge(const struct slot *s, struct engine_result *r)
{
	int c = s->connect_res;
	bool defer;

	r->probe = s->probe;
	r->rtt_ns = s->rtt_ns;
	r->sent_ns = slot_answer_sent(s);
	r->delay_ns = 0;
	r->err = 0;
	r->reason = NULL;
	r->late = false;
	r->withdrawn = false;
	r->early = false;
	r->banner_follows = false;
	r->slot = 0;
	r->banner = NULL;
	r->banner_len = 0;
	/* A failed bind's connect went out from the route's source (a
	 * hard link runs on): not our probe either. */
	if (ringsetup_chain_failed(s->socket_res, s->bind_res, &r->err,
				   &defer)) {
		r->outcome = defer ? ENGINE_DEFER : ENGINE_ERROR;
		return;
	}
	r->err = c;
	switch (-c) {
	case 0:
		r->outcome = ENGINE_OPEN;
		break;
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
		r->outcome = ENGINE_UNREACH;
		break;
	default:
		r->outcome = ringsetup_local_shortage(c) ? ENGINE_DEFER :
							   ENGINE_ERROR;
		break;
	}
}

static bool outcome_is_answer(enum engine_outcome oc)
{
	return oc == ENGINE_OPEN || oc == ENGINE_CLOSED || oc == ENGINE_UNREACH;
}

/*
 * The result of an attempt reported now: its own, unless it is a silence
 * and an earlier attempt of the probe was answered meanwhile.
 */
static void report(struct engine *e, const struct slot *s,
		   struct engine_result *r, bool silent)
{
	struct late_rec *l = late_of(e, s->probe.probe);
	bool have_late = l->valid && l->probe == s->probe.probe;

	if (silent) {
		*r = (struct engine_result){
			.probe = s->probe,
			.outcome = ENGINE_TIMEOUT,
			.err = -ETIMEDOUT,
		};
	} else {
		slot_judge(s, r);
	}
	if (have_late && r->outcome == ENGINE_TIMEOUT) {
		r->outcome = (enum engine_outcome)l->outcome;
		r->err = l->err;
		r->rtt_ns = l->rtt_ns;
		r->sent_ns = l->sent_ns;
		r->late = true;
		e->stats.late_used++;
	}
	if (have_late)
		l->valid = false; /* the probe has its answer now */
}

/*
 * A lingering connect finished: keep its answer for the next attempt, and
 * report it now as early (engine_result.early) - true if *early was
 * filled.
 */
static bool linger_done(struct engine *e, const struct slot *s,
			struct engine_result *early)
{
	struct engine_result r;
	struct late_rec *l;

	slot_judge(s, &r);
	if (!outcome_is_answer(r.outcome))
		return false;
	e->stats.late++;
	/*
	 * Linux sends the SYN again after its initial RTO (1 s): an answer
	 * later than that may be to the kernel's copy, and timed from the
	 * first it would read a second too long (Karn's ambiguity), so it
	 * gives no RTT sample - only a delay one (delay_ns): an answer that
	 * late says the queue held it, or lost it, for a second, and
	 * without it the delay signal was blind to a queue that deep.
	 * Earlier ones are the queue's own measure.  Its
	 * send time stays: the first SYN's is the earliest the answer can
	 * be to, which is what the answers' frontier may safely claim.
	 */
	if (r.rtt_ns >= ENGINE_KERNEL_SYN_RTO_NS) {
		r.delay_ns = r.rtt_ns;
		r.rtt_ns = 0;
	}
	l = late_of(e, s->probe.probe);
	*l = (struct late_rec){
		.probe = s->probe.probe,
		.rtt_ns = r.rtt_ns,
		.sent_ns = r.sent_ns,
		.err = r.err,
		.outcome = (uint8_t)r.outcome,
		.valid = true,
	};
	*early = r;
	early->late = true;
	early->early = true;
	return true;
}

/* Chains per submit that should take about ENGINE_SUBMIT_NS. */
static uint32_t submit_chunk(const struct engine *e)
{
	uint64_t k = ENGINE_SUBMIT_NS / (e->chain_ns ? e->chain_ns : 1);

	if (k < ENGINE_SUBMIT_MIN)
		k = ENGINE_SUBMIT_MIN;
	return k > ENGINE_BATCH ? ENGINE_BATCH : (uint32_t)k;
}

/*
 * The kernel consumed n queued chains in one io_uring_enter that ran from
 * t0 to t1: their SYNs left in that interval, so each is stamped at t0, the
 * earliest it can have left, and with its answer stamped at the end of the
 * enter that posts it - the latest it can have come - an RTT is never
 * shorter than the wire's and at most one enter longer.  Its soft deadline
 * starts there too.
 */
static void queue_stamp(struct engine *e, uint32_t n, uint64_t t0, uint64_t t1)
{
	for (uint32_t j = 0; j < n; j++) {
		uint32_t idx = e->queue[e->q_head];
		struct slot *s = &e->slots[idx];

		e->q_head = (e->q_head + 1) % e->nslots;
		s->sent_ns = t0;
		if (s->soft_after_ns) {
			s->soft_ns = s->sent_ns + s->soft_after_ns;
			heap_add(e, idx);
		}
	}
	e->q_n -= n;
	e->q_written -= n;
	/* Smoothed like TCP's srtt (1/4 new): one slow submit (a
	 * preemption) shrinks the next ones only a little. */
	e->chain_ns = (3 * e->chain_ns + (t1 - t0) / n) / 4;
}

/* One pass over the CQ; answers are taken to have come at now. */
static void reap(struct engine *e, uint64_t now, struct engine_result *res,
		 uint32_t *nres, uint32_t max)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;

	io_uring_for_each_cqe(&e->ring, head, cqe) {
		uint64_t ud = cqe->user_data;
		uint32_t idx = (uint32_t)ud;
		uint32_t gen = (uint32_t)(ud >> 32) & UD_GEN_MASK;
		enum engine_op op = (enum engine_op)(ud >> 60);
		struct slot *s;

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
			break; /* only lose the reset-on-close; keep going */
		case OP_NOPORT:
			break; /* only lose the port's deferral; keep going */
		case OP_BIND:
			s->bind_res = cqe->res;
			break;
		case OP_CONNECT:
			s->connect_res = cqe->res;
			/* 1 ns at least: 0 means no sample */
			if (cqe->res != -ECANCELED)
				s->rtt_ns =
					now > s->sent_ns ? now - s->sent_ns : 1;
			/* Done: no longer a candidate to report silent. */
			heap_del(e, idx);
			if (!e->banners)
				break;
			if (cqe->res == 0 && s->socket_res >= 0 &&
			    s->state == SLOT_ACTIVE) {
				struct engine_result *r = &res[(*nres)++];

				report(e, s, r, false);
				r->banner_follows = true;
				r->slot = idx;
				x_start(e, idx, now);
			} else {
				act_queue(e, idx, ACT_CLOSE);
			}
			break;
		case OP_TIMEOUT:
			s->timeout_res = cqe->res;
			break;
		case OP_RECV:
			x_recv_done(e, idx, cqe->res, now);
			break;
		case OP_SEND:
			x_send_done(e, idx, cqe->res, now);
			break;
		case OP_CLOSE:
			heap_del(e, idx);
			if (s->state == SLOT_EXCHANGE) {
				res[(*nres)++] = (struct engine_result){
					.probe = s->probe,
					.outcome = ENGINE_BANNER,
					.rtt_ns = s->rtt_ns,
					.sent_ns = slot_answer_sent(s),
					.slot = idx,
					.banner =
						e->bufs +
						(size_t)idx * ENGINE_BANNER_CAP,
					.banner_len = s->blen,
					.tls = s->tls_ok ? &e->tlsinfo[idx] :
							   NULL,
				};
			} else if (s->state == SLOT_ACTIVE) {
				report(e, s, &res[(*nres)++], false);
			} else if (linger_done(e, s, &res[*nres])) {
				(*nres)++;
			}
			s->state = SLOT_FREE;
			e->free_stack[e->nfree++] = idx;
			break;
		}
	}
	io_uring_cq_advance(&e->ring, seen);
}

/*
 * Send the queued chains, at most submit_chunk() per io_uring_enter, and
 * reap after each: answers that came during a submit (on loopback, all of
 * them) are stamped at its end, not at the end of the whole batch.
 */
static int submit_queue(struct engine *e, struct engine_result *res,
			uint32_t *nres, uint32_t max)
{
	while (e->q_n) {
		uint32_t k = submit_chunk(e), left;
		uint64_t t0, t1;
		int ret;

		acts_write(e);
		while (e->q_written < e->q_n && e->q_written < k) {
			chain_write(e, e->queue[(e->q_head + e->q_written) %
						e->nslots]);
			e->q_written++;
		}
		t0 = clock_now_ns();
		ret = ringsetup_enter_drain(&e->ring);
		t1 = clock_now_ns();
		if (ringsetup_enter_failed(ret))
			return ret;
		/* Chains still in the SQ go with the next enter (they are
		 * its tail: actions are written first). */
		left = io_uring_sq_ready(&e->ring) / e->sqes_per_probe;
		if (left > e->q_written)
			left = e->q_written;
		if (left < e->q_written)
			queue_stamp(e, e->q_written - left, t0, t1);
		reap(e, t1, res, nres, max);
		if (left && left == e->q_written)
			break; /* the kernel took nothing: try at next run */
	}
	return 0;
}

static int engine_run(void *handle, uint64_t wait_ns, struct engine_result *res,
		      uint32_t max)
{
	struct engine *e = handle;
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	uint32_t nres = 0;
	bool entered;
	uint64_t now;
	int ret;

	while (e->ready_n && nres < max) {
		res[nres++] = e->ready[e->ready_head];
		e->ready_head = (e->ready_head + 1) % e->nslots;
		e->ready_n--;
	}
	entered = e->q_n > 0;
	ret = submit_queue(e, res, &nres, max);
	if (ret)
		return ret;
	if (nres)
		wait_ns = 0;
	if (wait_ns && e->heap_len) {
		/* Wake for the next attempt to report silent. */
		uint64_t t = clock_now_ns(),
			 soft = e->slots[e->heap[0]].soft_ns;

		if (soft <= t)
			wait_ns = 0;
		else if (soft - t < wait_ns)
			wait_ns = soft - t;
	}
	acts_write(e);
	if (wait_ns && engine_busy(e)) {
		ts.tv_sec = (long long)(wait_ns / 1000000000ULL);
		ts.tv_nsec = (long long)(wait_ns % 1000000000ULL);
		ret = io_uring_submit_and_wait_timeout(&e->ring, &cqe, 1, &ts,
						       NULL);
		/* Woken by the first: post the others that came with it. */
		if (!ringsetup_enter_failed(ret))
			ret = ringsetup_enter_drain(&e->ring);
	} else if (!entered || io_uring_sq_ready(&e->ring)) {
		ret = ringsetup_enter_drain(&e->ring);
	}
	if (ringsetup_enter_failed(ret))
		return ret;

	now = clock_now_ns();
	reap(e, now, res, &nres, max);

	/* Attempts past their timeout: silent now; their connect lingers. */
	while (e->heap_len && nres < max &&
	       e->slots[e->heap[0]].soft_ns <= now) {
		uint32_t idx = e->heap[0];
		struct slot *s = &e->slots[idx];

		heap_del(e, idx);
		s->state = SLOT_LINGER;
		e->stats.lingered++;
		report(e, s, &res[nres++], true);
	}
	return (int)nres;
}

static uint32_t engine_inflight(const void *handle, struct sched_probe *out,
				uint32_t max)
{
	const struct engine *e = handle;
	uint32_t n = 0;

	/* Lingering attempts were reported: their probes are the
	 * scheduler's now. */
	for (uint32_t i = 0; i < e->nslots && n < max; i++)
		if (e->slots[i].state == SLOT_ACTIVE)
			out[n++] = e->slots[i].probe;
	return n;
}

const struct engine_ops engine_connect_ops = {
	.idle = engine_idle,
	.busy = engine_busy,
	.inflight = engine_inflight,
	.prep = engine_prep,
	.run = engine_run,
	.free = engine_free,
};
