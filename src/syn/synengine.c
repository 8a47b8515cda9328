/*
 * synengine.c - the SYN scan engine (see synengine.h for the contract).
 *
 * Records.  A probe lives in one of nslots slots from synengine_prep until
 * its result is handed out:
 *
 *   FREE -prep-> NEIGH (next hop unresolved; deadline = resolution limit)
 *             -> QUEUED (frame to build at the next run)
 *             -> DONE (answered from a linger record, or a local error)
 *   NEIGH -resolved-> QUEUED;  NEIGH -failed/deadline-> DONE (unreach)
 *   QUEUED -built-> SENT (deadline = sent + timeout)
 *   SENT -reply-> DONE;  SENT -deadline-> DONE (timeout) + linger record
 *   DONE -synengine_run hands it out-> FREE
 *
 * From prep until completion the slot's key (family, address, port) is in
 * the index: an open-addressing table with linear probing, load <= 1/2,
 * deleted by backward shift (no tombstones), holding slot ids below nslots
 * and linger ids above.  A timeout turns the slot's entry into a linger
 * record's entry in place (same key); linger records are recycled in FIFO
 * order, so the index never holds more than 2 * nslots keys.
 *
 * Deadlines are an indexed binary min-heap of slots (NEIGH and SENT ones),
 * so expiry is O(log n) and a completed slot leaves the heap at once.
 * Queued SYNs wait in a FIFO of (slot, generation); an entry whose slot
 * was completed meanwhile (a late answer to an earlier attempt) is skipped.
 * RSTs for SYN-ACKs wait in their own small FIFO.
 *
 * Next hops come from nexthop.c, which owns the route and neighbour caches;
 * the engine keeps the slots waiting for one (S_NEIGH) and decides when to
 * look again: when notifications arrived, and on a slow poll of the kernel
 * that covers lost ones.
 *
 * The link (AF_XDP or AF_PACKET) is the pair (ops, handle) of link.h: the
 * engine never asks which one it drives, except to say so in info.
 *
 * Why this file is over 900 lines.  What had a concern and a state of its
 * own went into modules of their own: next hops (nexthop.c), the links
 * (afxdp.c, pktsock.c behind link.h), frames (pkt.c), cookies (cookie.c).
 * What is left is one state machine over one slot table: the index, the
 * deadline heap, the TX queue, the done ring and the linger FIFO all hold
 * slot ids, and each transition above (slot_done, slot_queue,
 * slot_timeout) updates several of them at once to keep the invariants
 * stated here.  Cut into modules, each would need struct slot's layout in
 * a shared header, or an indirect call per step of the hot path; the
 * setup code could move out only by the same exposure.
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "afxdp.h"
#include "clock.h"
#include "cookie.h"
#include "icmpreason.h"
#include "link.h"
#include "mix.h"
#include "nexthop.h"
#include "pkt.h"
#include "pktsock.h"
#include "privsep.h"
#include "synengine.h"

#define ID_NONE UINT32_MAX
#define TX_BACKLOG_WAIT_NS 1000000ULL /* recheck a full TX ring this often */

enum slot_state { S_FREE, S_NEIGH, S_QUEUED, S_SENT, S_DONE };
enum linger_state { L_EMPTY, L_WAIT, L_ANSWERED };

/* Compared with memcmp: no implicit padding, unused address bytes zero. */
struct rkey {
	uint8_t addr[16];
	uint16_t port;
	uint8_t family;
	uint8_t pad;
};

struct slot {
	struct rkey key;
	struct sched_probe probe;
	uint64_t timeout_ns;
	uint64_t sent_ns;
	uint64_t deadline_ns;
	uint64_t rtt_ns;
	uint32_t heap_pos; /* ID_NONE when not in the heap */
	uint32_t gen;
	int32_t err;
	uint16_t sport;
	uint8_t state;
	uint8_t outcome;
	bool late; /* completed by an earlier attempt's answer */
	bool withdrawn; /* and before it was sent */
	/* the attempt before, when its linger record gave way to this one */
	uint16_t prev_sport;
	uint64_t prev_sent_ns; /* 0: none */
	uint64_t ans_sent_ns; /* when the attempt answered was sent, 0: ? */
	const char *reason; /* ENGINE_UNREACH from ICMP: nmap's word */
	uint8_t mac[6];
	uint8_t nexthop[16];
};

struct late_rec {
	struct rkey key;
	struct sched_probe probe; /* the attempt's (for early results) */
	uint64_t sent_ns; /* the attempt's */
	uint64_t rtt_ns; /* L_ANSWERED: its answer's */
	uint16_t sport; /* the attempt's */
	uint8_t state;
	uint8_t outcome;
	const char *reason; /* as in struct slot */
};

struct rst_req {
	uint8_t daddr[16];
	uint8_t mac[6];
	uint8_t family;
	uint16_t sport, dport;
	uint32_t seq;
};

struct txq_ent {
	uint32_t idx, gen;
};

struct synengine {
	const struct link_ops *ops;
	void *link;
	struct neigh *nl;
	struct privsep *keeper; /* NULL unless cfg->privsep and needed */
	int ifindex;
	bool noarp; /* loopback or NOARP link: no next-hop MAC */
	bool loopback;
	uint8_t src_mac[6];
	bool has_src4, has_src6;
	struct rs_addr src4, src6;
	uint16_t port_lo, port_hi;
	struct cookie_key key;
	struct pkt_template syn4, syn6, rst4, rst6;

	uint32_t nslots;
	struct slot *slots;
	uint32_t *free_stack;
	uint32_t nfree;
	struct late_rec *linger; /* nslots records, recycled FIFO */
	uint32_t linger_next;
	/* linger records answered, to report early (ring of nslots) */
	uint32_t *early;
	uint32_t early_head, early_n;
	uint32_t *ht;
	uint32_t ht_mask;
	uint32_t *heap;
	uint32_t nheap;
	uint32_t *done; /* ring of nslots */
	uint32_t done_head, done_n;
	struct txq_ent *txq; /* ring of nslots */
	uint32_t txq_head, txq_n;
	/* SYNs built since the last flush, in frame order: stamped by it */
	uint32_t *unsent;
	uint32_t nunsent;
	struct rst_req *rstq; /* ring of SYNENGINE_RST_QUEUE */
	uint32_t rst_head, rst_n;
	struct nexthop *nh;
	uint32_t nwait; /* slots in S_NEIGH */
	bool neigh_dirty; /* notifications arrived: re-check waiters */
	uint64_t next_neigh_poll;
	uint32_t pass;

	struct pollfd pfd[XDP_SCAN_MAX_QUEUES + 1];
	uint32_t npfd;
	struct pkt_frame rxf[LINK_RX_BATCH];
	struct synengine_stats stats;
};

/* ---- keys and the index ---- */

static size_t alen(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

static uint32_t rkey_hash(const struct rkey *k)
{
	uint64_t a, b;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	return (uint32_t)mix64(a ^
			       mix64(b ^ ((uint64_t)k->port << 8 | k->family)));
}

static void rkey_set(struct rkey *k, uint8_t family, const uint8_t *addr,
		     uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	memcpy(k->addr, addr, alen(family));
	k->port = port;
}

static const struct rkey *id_key(const struct synengine *e, uint32_t id)
{
	return id < e->nslots ? &e->slots[id].key :
				&e->linger[id - e->nslots].key;
}

/* Bucket holding key, or ID_NONE. */
static uint32_t ht_bucket(const struct synengine *e, const struct rkey *k)
{
	uint32_t i = rkey_hash(k) & e->ht_mask;

	for (;; i = (i + 1) & e->ht_mask) {
		if (e->ht[i] == ID_NONE)
			return ID_NONE;
		if (!memcmp(id_key(e, e->ht[i]), k, sizeof(*k)))
			return i;
	}
}

static uint32_t ht_find(const struct synengine *e, const struct rkey *k)
{
	uint32_t b = ht_bucket(e, k);

	return b == ID_NONE ? ID_NONE : e->ht[b];
}

static void ht_insert(struct synengine *e, const struct rkey *k, uint32_t id)
{
	uint32_t i = rkey_hash(k) & e->ht_mask;

	while (e->ht[i] != ID_NONE)
		i = (i + 1) & e->ht_mask;
	e->ht[i] = id;
}

static void ht_remove(struct synengine *e, const struct rkey *k)
{
	uint32_t i = ht_bucket(e, k), j, home;

	if (i == ID_NONE)
		return;
	/* Backward shift: pull later entries of the cluster into the hole
	 * unless their home bucket lies cyclically in (i, j]. */
	for (j = i;;) {
		j = (j + 1) & e->ht_mask;
		if (e->ht[j] == ID_NONE)
			break;
		home = rkey_hash(id_key(e, e->ht[j])) & e->ht_mask;
		if (i <= j ? (home <= i || home > j) :
			     (home <= i && home > j)) {
			e->ht[i] = e->ht[j];
			i = j;
		}
	}
	e->ht[i] = ID_NONE;
}

/* ---- the deadline heap ---- */

static bool heap_less(const struct synengine *e, uint32_t a, uint32_t b)
{
	return e->slots[e->heap[a]].deadline_ns <
	       e->slots[e->heap[b]].deadline_ns;
}

static void heap_swap(struct synengine *e, uint32_t a, uint32_t b)
{
	uint32_t t = e->heap[a];

	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->slots[e->heap[a]].heap_pos = a;
	e->slots[e->heap[b]].heap_pos = b;
}

static void heap_up(struct synengine *e, uint32_t i)
{
	while (i && heap_less(e, i, (i - 1) / 2)) {
		heap_swap(e, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct synengine *e, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < e->nheap && heap_less(e, l, m))
			m = l;
		if (r < e->nheap && heap_less(e, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(e, i, m);
		i = m;
	}
}

static void heap_push(struct synengine *e, uint32_t idx)
{
	e->heap[e->nheap] = idx;
	e->slots[idx].heap_pos = e->nheap;
	heap_up(e, e->nheap++);
}

static void heap_remove(struct synengine *e, uint32_t idx)
{
	uint32_t i = e->slots[idx].heap_pos;

	if (i == ID_NONE)
		return;
	e->slots[idx].heap_pos = ID_NONE;
	if (i != --e->nheap) {
		e->heap[i] = e->heap[e->nheap];
		e->slots[e->heap[i]].heap_pos = i;
		heap_down(e, i);
		heap_up(e, i);
	}
}

/* ---- slot completion ---- */

/* The slot is no longer in the index or the heap: hand it out. */
static void slot_done(struct synengine *e, uint32_t idx, enum engine_outcome oc,
		      int err, uint64_t rtt_ns)
{
	struct slot *s = &e->slots[idx];

	if (s->state == S_NEIGH)
		e->nwait--;
	heap_remove(e, idx);
	s->state = S_DONE;
	s->outcome = (uint8_t)oc;
	s->err = err;
	s->rtt_ns = rtt_ns;
	e->done[(e->done_head + e->done_n++) % e->nslots] = idx;
}

/* Completion of a slot that is in the index: leave it. */
static void slot_finish(struct synengine *e, uint32_t idx,
			enum engine_outcome oc, int err, uint64_t rtt_ns)
{
	ht_remove(e, &e->slots[idx].key);
	slot_done(e, idx, oc, err, rtt_ns);
}

/* Timeout: the index entry becomes a linger record with the same key. */
static void slot_timeout(struct synengine *e, uint32_t idx)
{
	struct slot *s = &e->slots[idx];
	uint32_t lid = e->linger_next, b;
	struct late_rec *l = &e->linger[lid];

	e->linger_next = (e->linger_next + 1) % e->nslots;
	if (l->state != L_EMPTY)
		ht_remove(e, &l->key); /* recycle the oldest */
	l->key = s->key;
	l->probe = s->probe;
	l->sent_ns = s->sent_ns;
	l->sport = s->sport;
	l->state = L_WAIT;
	b = ht_bucket(e, &s->key);
	if (b != ID_NONE)
		e->ht[b] = e->nslots + lid;
	slot_done(e, idx, ENGINE_TIMEOUT, -ETIMEDOUT, 0);
}

/*
 * Squeeze out entries whose slot completed while queued (a late answer to
 * an earlier attempt).  Every QUEUED slot has exactly one live entry, so
 * afterwards there is room for the slot about to be queued.
 */
static void txq_compact(struct synengine *e)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->txq_n; i++) {
		struct txq_ent t = e->txq[(e->txq_head + i) % e->nslots];
		const struct slot *s = &e->slots[t.idx];

		if (s->gen == t.gen && s->state == S_QUEUED)
			e->txq[(e->txq_head + n++) % e->nslots] = t;
	}
	e->txq_n = n;
}

static void slot_queue(struct synengine *e, uint32_t idx)
{
	struct slot *s = &e->slots[idx];

	if (e->txq_n == e->nslots)
		txq_compact(e);
	if (s->state == S_NEIGH)
		e->nwait--;
	heap_remove(e, idx);
	s->state = S_QUEUED;
	e->txq[(e->txq_head + e->txq_n++) % e->nslots] =
		(struct txq_ent){ idx, s->gen };
}

/* ---- next hops ---- */

/* Move waiting slots whose next hop is now known out of S_NEIGH. */
static void wake_waiters(struct synengine *e, bool poll_kernel, uint64_t now)
{
	if (poll_kernel)
		nexthop_new_pass(e->nh);
	for (uint32_t i = 0; i < e->nslots && e->nwait; i++) {
		struct slot *s = &e->slots[i];

		if (s->state != S_NEIGH)
			continue;
		switch (nexthop_recheck(e->nh, s->key.family, s->nexthop,
					s->mac, poll_kernel, now)) {
		case NEXTHOP_VALID:
			slot_queue(e, i);
			break;
		case NEXTHOP_FAILED:
			e->stats.neigh_failed++;
			slot_finish(e, i, ENGINE_UNREACH, -EHOSTUNREACH, 0);
			break;
		case NEXTHOP_PENDING:
			break;
		}
	}
}

/* ---- setup ---- */

static int pick_source(struct synengine *e, const struct synengine_config *cfg,
		       int family, const struct rs_addr *given,
		       struct rs_addr *out)
{
	struct neigh_route r;

	if (e->loopback && family == AF_INET)
		return -EADDRNOTAVAIL; /* see below */
	if (given)
		return given->family == family ? (*out = *given, 0) : -EINVAL;
	if (cfg->hint && cfg->hint->family == family &&
	    !neigh_route_get(e->nl, cfg->hint, e->ifindex, &r) &&
	    r.has_prefsrc) {
		*out = r.prefsrc;
		return 0;
	}
	if (!neigh_link_addr(e->nl, e->ifindex, family, out))
		return 0;
	if (!e->loopback)
		return -EADDRNOTAVAIL;
	/* lo's addresses have host scope: take ::1.  No IPv4 on lo: the
	 * kernel drops injected frames from a local IPv4 source as martians
	 * (unless accept_local/route_localnet), so they would all time out. */
	if (family != AF_INET6)
		return -EADDRNOTAVAIL;
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	out->bytes[15] = 1;
	return 0;
}

static int tables_alloc(struct synengine *e, uint32_t n)
{
	uint64_t cap = 1;

	while (cap < 4ULL * n)
		cap <<= 1;
	if (cap > UINT32_MAX)
		return -EINVAL;
	e->nslots = n;
	e->slots = calloc(n, sizeof(*e->slots));
	e->free_stack = calloc(n, sizeof(*e->free_stack));
	e->linger = calloc(n, sizeof(*e->linger));
	e->ht = malloc(cap * sizeof(*e->ht));
	e->heap = calloc(n, sizeof(*e->heap));
	e->done = calloc(n, sizeof(*e->done));
	e->early = calloc(n, sizeof(*e->early));
	e->txq = calloc(n, sizeof(*e->txq));
	e->unsent = calloc(n, sizeof(*e->unsent));
	e->rstq = calloc(SYNENGINE_RST_QUEUE, sizeof(*e->rstq));
	if (!e->slots || !e->free_stack || !e->linger || !e->ht || !e->heap ||
	    !e->done || !e->early || !e->txq || !e->unsent || !e->rstq)
		return -ENOMEM;
	memset(e->ht, 0xff, cap * sizeof(*e->ht));
	e->ht_mask = (uint32_t)(cap - 1);
	for (uint32_t i = 0; i < n; i++) {
		e->free_stack[i] = n - 1 - i;
		e->slots[i].heap_pos = ID_NONE;
	}
	e->nfree = n;
	return 0;
}

static void tables_free(struct synengine *e)
{
	free(e->slots);
	free(e->free_stack);
	free(e->linger);
	free(e->ht);
	free(e->heap);
	free(e->done);
	free(e->early);
	free(e->txq);
	free(e->unsent);
	free(e->rstq);
}

static int link_open(struct synengine *e, const struct synengine_config *cfg,
		     const char *ifname, struct synengine_info *info)
{
	struct pktsock_config pc = {
		.ifindex = e->ifindex,
		.has_src4 = e->has_src4,
		.has_src6 = e->has_src6,
		.src4 = e->src4,
		.src6 = e->src6,
		.port_lo = e->port_lo,
		.port_hi = e->port_hi,
	};
	struct afxdp_config xc = {
		.ifindex = e->ifindex,
		.ifname = ifname,
		.mode = cfg->xdp_mode,
		.has_src4 = e->has_src4,
		.has_src6 = e->has_src6,
		.src4 = e->src4,
		.src6 = e->src6,
		.port_lo = e->port_lo,
		.port_hi = e->port_hi,
	};
	struct afxdp *x;
	struct pktsock *p;
	int ret;

	info->xdp_err = 0;
	if (cfg->kind != SYNENGINE_PACKET) {
		/* AF_XDP on lo is not worth its traps: AF_PACKET does it. */
		ret = e->loopback ? -EOPNOTSUPP :
				    afxdp_new(&x, &xc, &info->xdp);
		if (!ret) {
			e->ops = &afxdp_link_ops;
			e->link = x;
			info->kind = SYNENGINE_XDP;
			info->name = "xdp";
			return 0;
		}
		if (cfg->kind == SYNENGINE_XDP)
			return ret;
		info->xdp_err = ret;
	}
	ret = pktsock_new(&p, &pc);
	if (ret)
		return ret;
	e->ops = &pktsock_link_ops;
	e->link = p;
	info->kind = SYNENGINE_PACKET;
	info->name = "packet";
	return 0;
}

/* Runs in the privsep keeper once the scanner is done (or dead). */
static void keeper_cleanup(void *ctx)
{
	struct synengine *e = ctx;

	if (e->ops->detach)
		e->ops->detach(e->link);
}

int synengine_new(struct synengine **out, const struct synengine_config *cfg,
		  struct synengine_info *info)
{
	struct synengine_info dummy;
	struct neigh_link link;
	struct neigh_route r;
	struct synengine *e;
	uint8_t ttl = cfg->ttl ? cfg->ttl : SYNENGINE_TTL;
	int fds[XDP_SCAN_MAX_QUEUES];
	int ret;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (!cfg->slots || (!cfg->ifname && !cfg->hint))
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->port_lo = cfg->sport_lo;
	e->port_hi = cfg->sport_hi;
	if (!e->port_lo && !e->port_hi) {
		e->port_lo = SYNENGINE_SPORT_LO;
		e->port_hi = SYNENGINE_SPORT_HI;
	}
	ret = -EINVAL;
	if (!e->port_lo || e->port_lo > e->port_hi)
		goto out_free;
	ret = tables_alloc(e, cfg->slots);
	if (ret)
		goto out_free_tables;
	ret = neigh_new(&e->nl, true);
	if (ret)
		goto out_free_tables;

	if (cfg->ifname) {
		ret = neigh_link_get(e->nl, 0, cfg->ifname, &link);
	} else {
		ret = neigh_route_get(e->nl, cfg->hint, 0, &r);
		if (!ret)
			ret = neigh_link_get(e->nl, r.ifindex, NULL, &link);
	}
	if (ret)
		goto out_free_neigh;
	e->ifindex = link.ifindex;
	e->loopback = link.type == ARPHRD_LOOPBACK ||
		      (link.flags & IFF_LOOPBACK);
	e->noarp = e->loopback || (link.flags & IFF_NOARP);
	if (link.type != ARPHRD_ETHER && !e->loopback) {
		ret = -EOPNOTSUPP;
		goto out_free_neigh;
	}
	if (link.has_mac)
		memcpy(e->src_mac, link.mac, 6);
	e->has_src4 = !pick_source(e, cfg, AF_INET, cfg->src4, &e->src4);
	e->has_src6 = !pick_source(e, cfg, AF_INET6, cfg->src6, &e->src6);
	ret = -EADDRNOTAVAIL;
	if (!e->has_src4 && !e->has_src6)
		goto out_free_neigh;
	if (e->loopback && cfg->hint && cfg->hint->family == AF_INET) {
		ret = -EOPNOTSUPP; /* IPv4 over lo: see pick_source */
		goto out_free_neigh;
	}
	ret = cookie_key_random(&e->key);
	if (ret)
		goto out_free_neigh;
	pkt_template_init(&e->syn4, PKT_SYN, AF_INET, e->src_mac, e->src4.bytes,
			  ttl);
	pkt_template_init(&e->rst4, PKT_RST, AF_INET, e->src_mac, e->src4.bytes,
			  ttl);
	pkt_template_init(&e->syn6, PKT_SYN, AF_INET6, e->src_mac,
			  e->src6.bytes, ttl);
	pkt_template_init(&e->rst6, PKT_RST, AF_INET6, e->src_mac,
			  e->src6.bytes, ttl);

	ret = nexthop_new(&e->nh,
			  &(struct nexthop_config){ .nl = e->nl,
						    .ifindex = e->ifindex,
						    .loopback = e->loopback,
						    .noarp = e->noarp });
	if (ret)
		goto out_free_neigh;
	ret = link_open(e, cfg, link.name, info);
	if (ret)
		goto out_free_nexthop;

	e->npfd = e->ops->fds(e->link, fds, XDP_SCAN_MAX_QUEUES);
	for (uint32_t i = 0; i < e->npfd; i++)
		e->pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	e->pfd[e->npfd++] = (struct pollfd){ .fd = neigh_event_fd(e->nl),
					     .events = POLLIN };

	/*
	 * Last, so that the keeper's copy of e is complete.  Needed only
	 * where something privileged is left to do: next hops to solicit
	 * (not on loopback or NOARP links), a program to detach (XDP).
	 */
	if (cfg->privsep && (!e->noarp || e->ops->detach)) {
		ret = privsep_start(&e->keeper, e->ifindex, keeper_cleanup, e);
		if (ret)
			goto out_free_link;
		nexthop_set_keeper(e->nh, e->keeper);
	}

	info->slots = e->nslots;
	memcpy(info->ifname, link.name, sizeof(info->ifname));
	info->ifindex = e->ifindex;
	info->has_src4 = e->has_src4;
	info->has_src6 = e->has_src6;
	info->src4 = e->src4;
	info->src6 = e->src6;
	info->sport_lo = e->port_lo;
	info->sport_hi = e->port_hi;
	info->keeper = e->keeper != NULL;
	*out = e;
	return 0;

out_free_link:
	e->ops->free(e->link);
out_free_nexthop:
	nexthop_free(e->nh);
out_free_neigh:
	neigh_free(e->nl);
out_free_tables:
	tables_free(e);
out_free:
	free(e);
	return ret;
}

static void synengine_free(void *handle)
{
	struct synengine *e = handle;

	if (!e)
		return;
	if (e->keeper) {
		/* The keeper detaches (we no longer can), then we close. */
		if (e->ops->disown)
			e->ops->disown(e->link);
		privsep_stop(e->keeper);
	}
	e->ops->free(e->link);
	nexthop_free(e->nh);
	neigh_free(e->nl);
	tables_free(e);
	free(e);
}

static uint32_t synengine_idle(const void *handle)
{
	const struct synengine *e = handle;

	return e->nfree;
}

static uint32_t synengine_busy(const void *handle)
{
	const struct synengine *e = handle;

	return e->nslots - e->nfree;
}

static uint32_t synengine_inflight(const void *handle, struct sched_probe *out,
				   uint32_t max)
{
	const struct synengine *e = handle;
	uint32_t n = 0;

	for (uint32_t i = 0; i < e->nslots && n < max; i++)
		if (e->slots[i].state != S_FREE)
			out[n++] = e->slots[i].probe;
	return n;
}

/* ---- prep ---- */

static int sockaddr_key(const struct sockaddr *sa, socklen_t salen,
			struct rkey *k)
{
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;

	if (sa->sa_family == AF_INET && salen >= sizeof(*in4)) {
		in4 = (const struct sockaddr_in *)sa;
		rkey_set(k, AF_INET, (const uint8_t *)&in4->sin_addr,
			 ntohs(in4->sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6 && salen >= sizeof(*in6)) {
		in6 = (const struct sockaddr_in6 *)sa;
		rkey_set(k, AF_INET6, in6->sin6_addr.s6_addr,
			 ntohs(in6->sin6_port));
		return 0;
	}
	return -EINVAL;
}

static enum engine_outcome outcome_of_route_err(int err)
{
	switch (-err) {
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EACCES:
	case EPERM:
		return ENGINE_UNREACH;
	default:
		return ENGINE_ERROR;
	}
}

static int synengine_prep(void *handle, const struct sched_probe *p,
			  const struct sockaddr *sa, socklen_t salen,
			  uint64_t timeout_ns, uint64_t linger_ns)
{
	struct synengine *e = handle;
	uint64_t now = clock_now_ns(), since = 0;
	struct rkey k;
	struct slot *s;
	uint32_t id, idx;
	int err;

	(void)linger_ns; /* late answers are kept by linger records */
	if (sockaddr_key(sa, salen, &k))
		return -EINVAL;
	if (!e->nfree)
		return -EBUSY;
	id = ht_find(e, &k);
	if (id != ID_NONE && id < e->nslots)
		return -EBUSY; /* the same target is in flight */

	idx = e->free_stack[--e->nfree];
	s = &e->slots[idx];
	s->gen++;
	s->key = k;
	s->probe = *p;
	s->timeout_ns = timeout_ns;
	s->heap_pos = ID_NONE;
	s->rtt_ns = 0;
	s->err = 0;
	s->late = false;
	s->withdrawn = false;
	s->prev_sent_ns = 0;
	s->ans_sent_ns = 0;
	s->reason = NULL;
	s->state = S_QUEUED; /* until decided below; not yet anywhere */

	if (id != ID_NONE) {
		/* A linger record of an earlier attempt of this probe. */
		struct late_rec *l = &e->linger[id - e->nslots];
		uint8_t oc = l->state == L_ANSWERED ? l->outcome : 0;
		bool answered = l->state == L_ANSWERED;

		ht_remove(e, &k);
		l->state = L_EMPTY;
		s->prev_sport = l->sport;
		s->prev_sent_ns = l->sent_ns;
		if (answered) {
			e->stats.late_delivered++;
			s->late = true;
			s->withdrawn = true;
			s->reason = l->reason;
			s->ans_sent_ns = l->sent_ns;
			slot_done(e, idx, (enum engine_outcome)oc, 0,
				  l->rtt_ns);
			return 0;
		}
	}
	if (!(k.family == AF_INET ? e->has_src4 : e->has_src6)) {
		slot_done(e, idx, ENGINE_ERROR, -EADDRNOTAVAIL, 0);
		return 0;
	}
	err = nexthop_route(e->nh, k.family, k.addr, s->nexthop);
	if (err) {
		slot_done(e, idx, outcome_of_route_err(err), err, 0);
		return 0;
	}
	switch (nexthop_lookup(e->nh, k.family, s->nexthop, s->mac, &since,
			       now)) {
	case NEXTHOP_VALID:
		ht_insert(e, &k, idx);
		slot_queue(e, idx);
		return 0;
	case NEXTHOP_PENDING:
		ht_insert(e, &k, idx);
		s->state = S_NEIGH;
		s->deadline_ns = since + NEXTHOP_WAIT_NS;
		e->nwait++;
		heap_push(e, idx);
		return 0;
	default:
		e->stats.neigh_failed++;
		slot_done(e, idx, ENGINE_UNREACH, -EHOSTUNREACH, 0);
		return 0;
	}
}

/* ---- run ---- */

static uint16_t pick_sport(const struct synengine *e,
			   const struct sched_probe *p)
{
	uint32_t n = (uint32_t)e->port_hi - e->port_lo + 1;

	/* Spread probes over the range; a retry leaves from another port. */
	return (uint16_t)(e->port_lo + (mix64(p->probe) + p->attempt) % n);
}

static const struct rs_addr *src_of(const struct synengine *e, uint8_t family)
{
	return family == AF_INET ? &e->src4 : &e->src6;
}

/* Drop queue entries whose slot completed meanwhile; false if empty. */
static bool txq_head_valid(struct synengine *e)
{
	while (e->txq_n) {
		struct txq_ent t = e->txq[e->txq_head];
		const struct slot *s = &e->slots[t.idx];

		if (s->gen == t.gen && s->state == S_QUEUED)
			return true;
		e->txq_head = (e->txq_head + 1) % e->nslots;
		e->txq_n--;
	}
	return false;
}

static uint32_t build_rst(struct synengine *e, uint8_t *buf)
{
	const struct rst_req *r = &e->rstq[e->rst_head];

	e->rst_head = (e->rst_head + 1) % SYNENGINE_RST_QUEUE;
	e->rst_n--;
	e->stats.tx_rst++;
	return pkt_build(r->family == AF_INET ? &e->rst4 : &e->rst6, buf,
			 r->mac, r->daddr, r->sport, r->dport, r->seq, 0);
}

static uint32_t build_syn(struct synengine *e, uint8_t *buf, uint64_t now)
{
	struct txq_ent t = e->txq[e->txq_head];
	struct slot *s = &e->slots[t.idx];
	uint32_t seq;

	e->txq_head = (e->txq_head + 1) % e->nslots;
	e->txq_n--;
	s->sport = pick_sport(e, &s->probe);
	seq = cookie_tcp(&e->key, s->key.family,
			 src_of(e, s->key.family)->bytes, s->key.addr, s->sport,
			 s->key.port);
	s->state = S_SENT;
	s->sent_ns = now; /* until the flush that sends it says better */
	e->unsent[e->nunsent++] = t.idx;
	s->deadline_ns = now + s->timeout_ns;
	heap_push(e, t.idx);
	e->stats.tx_syn++;
	return pkt_build(s->key.family == AF_INET ? &e->syn4 : &e->syn6, buf,
			 s->mac, s->key.addr, s->sport, s->key.port, seq, 0);
}

/*
 * Hand the link's batch to the kernel.  The SYNs in it leave during the
 * call (sendmmsg, or the AF_XDP kick that copies them out): each is
 * stamped at its start, the earliest it can have left, so an RTT is
 * measured from the flush that sent the SYN, not from the start of the
 * pump, and is never shorter than the wire's (the answer's time is the
 * kernel's receive time or later).
 */
static int tx_flush_stamped(struct synengine *e)
{
	uint64_t t0 = clock_now_ns();
	int ret;

	ret = e->ops->tx_flush(e->link);
	for (uint32_t j = 0; j < e->nunsent; j++)
		e->slots[e->unsent[j]].sent_ns = t0;
	e->nunsent = 0;
	return ret;
}

/*
 * Build queued RSTs (first: they are cheap and stop retransmissions) and
 * SYNs into the link's TX frames, flushing whenever the link's batch is
 * full, then once at the end.  A frame is taken only when there is
 * something to put in it: a taken frame must be committed.
 */
static int tx_pump(struct synengine *e, uint64_t now)
{
	uint8_t *buf;
	int ret;

	while (e->rst_n || txq_head_valid(e)) {
		buf = e->ops->tx_frame(e->link);
		if (!buf) {
			ret = tx_flush_stamped(e);
			if (ret < 0)
				return ret;
			buf = e->ops->tx_frame(e->link);
			if (!buf)
				break; /* ring full: the rest next time */
		}
		e->ops->tx_commit(e->link, e->rst_n ? build_rst(e, buf) :
						      build_syn(e, buf, now));
	}
	ret = tx_flush_stamped(e);
	return ret < 0 ? ret : 0;
}

static void rst_queue(struct synengine *e, const struct pkt_reply *r)
{
	struct rst_req *q;

	if (e->rst_n == SYNENGINE_RST_QUEUE) {
		e->stats.rst_dropped++;
		return;
	}
	q = &e->rstq[(e->rst_head + e->rst_n++) % SYNENGINE_RST_QUEUE];
	q->family = r->family;
	memcpy(q->daddr, r->saddr, 16);
	memcpy(q->mac, r->src_mac, 6);
	q->sport = r->dport;
	q->dport = r->sport;
	q->seq = r->ack;
}

/*
 * A SYN-ACK or RST: to our address and ports, acknowledging the cookie of
 * the SYN it answers (ack - 1).  false if it is not one of ours (counted).
 */
static bool rx_tcp(struct synengine *e, const struct pkt_reply *r,
		   enum engine_outcome *oc)
{
	const struct rs_addr *src = src_of(e, r->family);

	if (!(r->family == AF_INET ? e->has_src4 : e->has_src6) ||
	    memcmp(r->daddr, src->bytes, alen(r->family)) ||
	    r->dport < e->port_lo || r->dport > e->port_hi ||
	    !(r->flags & PKT_TCP_ACK)) {
		e->stats.rx_foreign++;
		return false;
	}
	if (r->flags & PKT_TCP_RST)
		*oc = ENGINE_CLOSED;
	else if (r->flags & PKT_TCP_SYN)
		*oc = ENGINE_OPEN;
	else {
		e->stats.rx_foreign++;
		return false;
	}
	if (r->ack - 1 != cookie_tcp(&e->key, r->family, r->daddr, r->saddr,
				     r->dport, r->sport)) {
		e->stats.rx_bad_cookie++;
		return false;
	}
	return true;
}

/*
 * An ICMP(v6) destination unreachable: sent to our address, quoting a SYN
 * from our address and ports (flags, if quoted, a bare SYN) whose sequence
 * number is that SYN's cookie - the check a SYN-ACK gets on ack - 1, so an
 * error can only be believed by someone who saw our SYN.  The target and
 * port are the quoted destination, whoever sent the error (the target or a
 * router: nmap says filtered either way).
 */
static bool rx_icmp(struct synengine *e, const struct pkt_reply *r,
		    const char **reason)
{
	const struct rs_addr *src = src_of(e, r->family);
	size_t n = alen(r->family);

	*reason = icmp_unreach_reason(r->family, r->icmp_code);
	if (!(r->family == AF_INET ? e->has_src4 : e->has_src6) ||
	    memcmp(r->icmp_to, src->bytes, n) ||
	    memcmp(r->saddr, src->bytes, n) || r->sport < e->port_lo ||
	    r->sport > e->port_hi || (r->flags && r->flags != PKT_TCP_SYN) ||
	    !*reason) {
		e->stats.rx_foreign++;
		return false;
	}
	if (r->seq != cookie_tcp(&e->key, r->family, r->saddr, r->daddr,
				 r->sport, r->dport)) {
		e->stats.rx_icmp_forged++;
		return false;
	}
	e->stats.rx_icmp++;
	return true;
}

static void rx_frame(struct synengine *e, const struct pkt_frame *f)
{
	enum engine_outcome oc = ENGINE_UNREACH;
	const char *reason = NULL;
	struct pkt_reply r;
	struct rkey k;
	uint16_t sport;
	uint32_t id;
	int ret;

	e->stats.rx_frames++;
	ret = pkt_parse(f->data, f->len, &r);
	if (ret) {
		if (ret == -EPROTONOSUPPORT || ret == -EOPNOTSUPP)
			e->stats.rx_foreign++;
		else
			e->stats.rx_malformed++;
		return;
	}
	/* The target's side of the probe, and our source port. */
	if (r.kind == PKT_REPLY_ICMP) {
		if (!rx_icmp(e, &r, &reason))
			return;
		rkey_set(&k, r.family, r.daddr, r.dport);
		sport = r.sport;
	} else {
		if (!rx_tcp(e, &r, &oc))
			return;
		if (oc == ENGINE_OPEN)
			rst_queue(e, &r);
		rkey_set(&k, r.family, r.saddr, r.sport);
		sport = r.dport;
	}

	id = ht_find(e, &k);
	if (id == ID_NONE) {
		e->stats.rx_unmatched++;
	} else if (id >= e->nslots) {
		struct late_rec *l = &e->linger[id - e->nslots];

		if (l->state == L_WAIT) {
			l->state = L_ANSWERED;
			/* 1 ns at least: 0 means no sample */
			l->rtt_ns = f->rx_ns > l->sent_ns ?
					    f->rx_ns - l->sent_ns :
					    1;
			l->outcome = (uint8_t)oc;
			l->reason = reason;
			e->stats.rx_late++;
			if (e->early_n < e->nslots)
				e->early[(e->early_head + e->early_n++) %
					 e->nslots] = id - e->nslots;
		} else {
			e->stats.rx_unmatched++;
		}
	} else {
		struct slot *s = &e->slots[id];
		/*
		 * An answer to an earlier attempt (its linger record gave way
		 * to this one) makes this attempt a spurious retry - or a
		 * withdrawn one if it is not sent yet - and is timed from
		 * that attempt's SYN when it is the one before (older ones
		 * give no sample); 1 ns at least (0 means none).
		 */
		uint64_t rtt = 0, from = 0;

		if (s->state == S_SENT && sport == s->sport) {
			from = s->sent_ns;
		} else if (s->probe.attempt > 0) {
			s->late = true;
			s->withdrawn = s->state != S_SENT;
			if (s->prev_sent_ns && sport == s->prev_sport)
				from = s->prev_sent_ns;
		}
		if (from)
			rtt = f->rx_ns > from ? f->rx_ns - from : 1;
		s->ans_sent_ns = from;

		e->stats.rx_answers++;
		s->reason = reason;
		slot_finish(e, id, oc, oc == ENGINE_UNREACH ? -EHOSTUNREACH : 0,
			    rtt);
	}
}

static void expire(struct synengine *e, uint64_t now)
{
	while (e->nheap && e->slots[e->heap[0]].deadline_ns <= now) {
		uint32_t idx = e->heap[0];
		struct slot *s = &e->slots[idx];
		uint64_t since;

		if (s->state == S_SENT) {
			slot_timeout(e, idx);
			continue;
		}
		/* S_NEIGH: one last look before giving up on the next hop. */
		switch (nexthop_lookup(e->nh, s->key.family, s->nexthop, s->mac,
				       &since, now)) {
		case NEXTHOP_VALID:
			slot_queue(e, idx);
			break;
		case NEXTHOP_PENDING: /* asked again (cache entry was evicted) */
			heap_remove(e, idx);
			s->deadline_ns = since + NEXTHOP_WAIT_NS;
			heap_push(e, idx);
			break;
		default:
			e->stats.neigh_failed++;
			slot_finish(e, idx, ENGINE_UNREACH, -EHOSTUNREACH, 0);
			break;
		}
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int wait_io(struct synengine *e, uint64_t wait_ns, uint64_t now)
{
	struct timespec ts;
	int ret;

	if (e->done_n)
		wait_ns = 0;
	if (e->nheap) {
		uint64_t d = e->slots[e->heap[0]].deadline_ns;

		wait_ns = min_u64(wait_ns, d > now ? d - now : 0);
	}
	if (e->nwait)
		wait_ns = min_u64(wait_ns, e->next_neigh_poll > now ?
						   e->next_neigh_poll - now :
						   0);
	if (e->txq_n || e->rst_n)
		wait_ns = min_u64(wait_ns, TX_BACKLOG_WAIT_NS);
	ts.tv_sec = (time_t)(wait_ns / 1000000000ULL);
	ts.tv_nsec = (long)(wait_ns % 1000000000ULL);
	ret = ppoll(e->pfd, e->npfd, &ts, NULL);
	if (ret < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static int synengine_run(void *handle, uint64_t wait_ns,
			 struct engine_result *res, uint32_t max)
{
	struct synengine *e = handle;
	uint64_t now = clock_now_ns();
	uint32_t nres = 0, budget = SYNENGINE_RX_BUDGET;
	int ret, n;

	ret = tx_pump(e, now);
	if (ret)
		return ret;
	ret = wait_io(e, wait_ns, now);
	if (ret)
		return ret;
	now = clock_now_ns();
	while (budget) {
		n = e->ops->rx(e->link, e->rxf,
			       budget < LINK_RX_BATCH ? budget : LINK_RX_BATCH);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			rx_frame(e, &e->rxf[i]);
		e->ops->rx_release(e->link);
		if (n < LINK_RX_BATCH)
			break;
		budget -= (uint32_t)n;
	}
	ret = nexthop_events(e->nh, now);
	if (ret == -ENOBUFS) /* notifications lost: ask the kernel */
		e->next_neigh_poll = now;
	else if (ret > 0)
		e->neigh_dirty = true;
	if (e->nwait && (e->neigh_dirty || now >= e->next_neigh_poll)) {
		bool poll_kernel = now >= e->next_neigh_poll;

		wake_waiters(e, poll_kernel, now);
		if (poll_kernel)
			e->next_neigh_poll = now + SYNENGINE_NEIGH_POLL_NS;
	}
	e->neigh_dirty = false;
	expire(e, now);
	if (e->rst_n || e->txq_n) {
		ret = tx_pump(e, now);
		if (ret)
			return ret;
	}

	while (e->done_n && nres < max) {
		uint32_t idx = e->done[e->done_head];
		struct slot *s = &e->slots[idx];
		struct engine_result *r = &res[nres++];

		e->done_head = (e->done_head + 1) % e->nslots;
		e->done_n--;
		r->probe = s->probe;
		r->outcome = (enum engine_outcome)s->outcome;
		r->err = s->err;
		r->rtt_ns = s->rtt_ns;
		r->sent_ns = s->ans_sent_ns;
		r->delay_ns = 0;
		r->late = s->late;
		r->withdrawn = s->withdrawn;
		r->early = false;
		r->reason = s->reason;
		r->banner_follows = false;
		r->slot = 0;
		r->banner = NULL;
		r->banner_len = 0;
		s->state = S_FREE;
		e->free_stack[e->nfree++] = idx;
	}
	/*
	 * Late answers to attempts with none out after them, as they come
	 * (engine_result.early).  A record recycled or taken by the next
	 * attempt's prep since is skipped; one recycled and answered again
	 * reports its new probe, and twice - the scheduler takes the first.
	 */
	while (e->early_n && nres < max) {
		struct late_rec *l = &e->linger[e->early[e->early_head]];

		e->early_head = (e->early_head + 1) % e->nslots;
		e->early_n--;
		if (l->state != L_ANSWERED)
			continue;
		res[nres++] = (struct engine_result){
			.probe = l->probe,
			.outcome = (enum engine_outcome)l->outcome,
			.err = l->outcome == ENGINE_UNREACH ? -EHOSTUNREACH : 0,
			.reason = l->reason,
			.rtt_ns = l->rtt_ns,
			.sent_ns = l->sent_ns,
			.late = true,
			.early = true,
		};
	}
	return (int)nres;
}

void synengine_get_stats(const struct synengine *e, struct synengine_stats *st)
{
	struct nexthop_stats nh;

	*st = e->stats;
	nexthop_get_stats(e->nh, &nh);
	st->neigh_lookups = nh.lookups;
	st->neigh_solicits = nh.solicits;
	st->neigh_timeouts = nh.timeouts;
	e->ops->drops(e->link, &st->kernel_drops, &st->tx_refused);
}

const struct engine_ops synengine_ops = {
	.idle = synengine_idle,
	.busy = synengine_busy,
	.inflight = synengine_inflight,
	.prep = synengine_prep,
	.run = synengine_run,
	.free = synengine_free,
};
