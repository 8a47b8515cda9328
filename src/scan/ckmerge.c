/*
 * ckmerge.c - the shards of one scan, folded from their checkpoints (see
 * ckmerge.h and docs/distributed.md).
 *
 * Stores fold page by page (store_merge_page), first final state winning,
 * so the first checkpoint's answer is kept where two disagree and the
 * disagreements are found by comparing only the touched pages.  Which
 * probes are final is known exactly: every probe of a finished shard, and
 * the issued and not pending ones of an unfinished shard.  Rows come out
 * in (host, port) order when the whole space is final, and in each
 * shard's send order otherwise: the walk that finds the final probes of an
 * unfinished shard is the one the scheduler made (the shard's k-th probe
 * is permute_shard_at(shard, shards, k)), with each checkpoint's pending
 * probes sorted once so that "not pending" is a binary search.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "ckmerge.h"
#include "permute.h"

struct ckin {
	const char *path;
	struct checkpoint ck;
	uint64_t *pending; /* sorted probe numbers */
};

struct ckmerge {
	struct ckin *cks;
	int n, cap;
	const struct ckmerge_scan *scan; /* from ckmerge_fold on */
	struct store *merged;
	uint64_t conflicts;
	bool *done; /* per shard: a finished checkpoint of it was given */
};

int ckmerge_new(struct ckmerge **out, int n)
{
	struct ckmerge *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->cks = calloc(n > 0 ? (size_t)n : 1, sizeof(*m->cks));
	if (!m->cks) {
		free(m);
		return -ENOMEM;
	}
	m->cap = n;
	*out = m;
	return 0;
}

void ckmerge_free(struct ckmerge *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++) {
		free(m->cks[i].pending);
		checkpoint_release(&m->cks[i].ck);
	}
	/* A refused checkpoint is kept past n for ckmerge_shard. */
	if (m->n < m->cap) {
		free(m->cks[m->n].pending);
		checkpoint_release(&m->cks[m->n].ck);
	}
	store_free(m->merged);
	free(m->done);
	free(m->cks);
	free(m);
}

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

static int check_same_scan(const struct ckin *first, const struct ckin *c)
{
	if (c->ck.fingerprint != first->ck.fingerprint ||
	    c->ck.nprobes != first->ck.nprobes ||
	    c->ck.shard_count != first->ck.shard_count)
		return -EXDEV;
	if (c->ck.shard_index >= c->ck.shard_count)
		return -ERANGE;
	return 0;
}

int ckmerge_add(struct ckmerge *m, const char *path, const void *buf,
		size_t len, struct rs_error *err)
{
	struct ckin *c;
	int ret;

	memset(err, 0, sizeof(*err));
	if (m->n >= m->cap)
		return -ENOSPC;
	c = &m->cks[m->n];
	free(c->pending);
	checkpoint_release(&c->ck);
	memset(c, 0, sizeof(*c));
	c->path = path;
	ret = checkpoint_parse(buf, len, &c->ck, err);
	if (ret == -EINVAL && !err->reason)
		err->reason = "not a valid checkpoint";
	if (ret)
		return ret;
	c->pending = calloc(c->ck.npending ? c->ck.npending : 1,
			    sizeof(*c->pending));
	if (!c->pending)
		return -ENOMEM;
	for (uint32_t i = 0; i < c->ck.npending; i++)
		c->pending[i] = c->ck.pending[i].probe;
	qsort(c->pending, c->ck.npending, sizeof(*c->pending), cmp_u64);
	ret = check_same_scan(&m->cks[0], c);
	if (ret)
		return ret;
	m->n++;
	return 0;
}

void ckmerge_argv(const struct ckmerge *m, int *argc, char ***argv)
{
	*argc = (int)m->cks[0].ck.argc;
	*argv = m->cks[0].ck.argv;
}

void ckmerge_shard(const struct ckmerge *m, int i, uint32_t *index,
		   uint32_t *count)
{
	*index = m->cks[i].ck.shard_index;
	*count = m->cks[i].ck.shard_count;
}

static const char *reason_of(enum store_state st, enum rs_proto proto,
			     enum output_state *os)
{
	switch (st) {
	case STORE_OPEN:
		*os = OUT_OPEN;
		return output_answer_reason(OUT_OPEN, proto, false);
	case STORE_CLOSED:
		*os = OUT_CLOSED;
		return output_answer_reason(OUT_CLOSED, proto, false);
	case STORE_UNREACH:
		*os = OUT_UNREACH;
		return "unreach";
	case STORE_NONE:
		break;
	}
	*os = OUT_FILTERED;
	return "no-response";
}

/* Record in t the probes of page pg of checkpoint i that differ from the
 * merge so far. */
static void note_disagreements(const struct ckmerge *m, int i, uint64_t pg,
			       struct merge_tally *t)
{
	const struct ckmerge_scan *cs = m->scan;
	const struct store *s = m->cks[i].ck.store;
	uint64_t per_page = (uint64_t)STORE_PAGE_BYTES * 4;
	uint64_t from = pg * per_page;
	uint64_t to = from + per_page < cs->nprobes ? from + per_page :
						      cs->nprobes;
	uint32_t nports = cs->ports->count;

	for (uint64_t p = store_next_set(s, from, to); p < to;
	     p = store_next_set(s, p + 1, to)) {
		enum store_state a = store_get(m->merged, p);
		enum store_state b = store_get(s, p);
		struct merge_disagreement d = {
			.port = cs->ports->port[p % nports],
			.proto = ports_proto(cs->ports, (uint32_t)(p % nports)),
			.input = (uint32_t)i,
		};

		if (a == STORE_NONE || a == b)
			continue;
		reason_of(a, d.proto, &d.kept);
		reason_of(b, d.proto, &d.other);
		targets_get(cs->targets, p / nports, &d.addr);
		mergetally_disagree(t, &d);
	}
}

int ckmerge_fold(struct ckmerge *m, const struct ckmerge_scan *scan,
		 struct merge_tally *t, struct rs_error *err)
{
	uint32_t count = m->cks[0].ck.shard_count;
	unsigned code;

	memset(err, 0, sizeof(*err));
	if (scan->fingerprint != m->cks[0].ck.fingerprint ||
	    scan->nprobes != m->cks[0].ck.nprobes)
		return rs_error_set(
			err, m->cks[0].path, strlen(m->cks[0].path),
			"its command line no longer defines the same scan here (a host name resolves elsewhere, or an -iL/--excludefile file differs or is missing); merge where the scan ran");
	m->scan = scan;
	m->done = calloc(count, sizeof(*m->done));
	if (!m->done || store_new(&m->merged, scan->nprobes))
		return -ENOMEM;
	for (int i = 0; i < m->n; i++)
		if (m->cks[i].ck.complete)
			m->done[m->cks[i].ck.shard_index] = true;

	for (int i = 0; i < m->n; i++) {
		const struct store *s = m->cks[i].ck.store;
		uint64_t npages = store_page_count(s);

		for (uint64_t pg = store_next_page(s, 0); pg < npages;
		     pg = store_next_page(s, pg + 1)) {
			if (i)
				note_disagreements(m, i, pg, t);
			if (store_merge_page(m->merged, pg, store_page(s, pg),
					     &m->conflicts)) {
				rs_error_set(err, m->cks[i].path,
					     strlen(m->cks[i].path),
					     "a state page out of range");
				return -ERANGE;
			}
		}
		/* After the pages: a reason sticks only to an unreachable
		 * cell.  -ENOMEM leaves the cell its default reason. */
		for (uint64_t pos = 0, probe;
		     store_reason_next(s, &pos, &probe, &code);)
			(void)store_set_reason(m->merged, probe, code);
	}
	return 0;
}

struct emit_ctx {
	struct output *out;
	const struct ckmerge_scan *cs;
	const struct store *merged;
	struct merge_tally *t;
	int *write_err;
};

static void emit_probe(struct emit_ctx *e, uint64_t probe)
{
	uint32_t nports = e->cs->ports->count;
	struct output_result r = {
		.proto = ports_proto(e->cs->ports, (uint32_t)(probe % nports)),
		.rtt_us = -1,
	};
	struct rs_addr a;
	int ret;

	r.reason = reason_of(store_get(e->merged, probe), r.proto, &r.state);
	if (r.state == OUT_UNREACH)
		r.reason = store_reason_name(store_reason(e->merged, probe));
	mergetally_add(e->t, r.state);
	targets_get(e->cs->targets, probe / nports, &a);
	r.addr = &a;
	r.hostname = targets_name(e->cs->targets, probe / nports);
	r.port = e->cs->ports->port[probe % nports];
	ret = output_result(e->out, &r);
	if (ret && !*e->write_err)
		*e->write_err = ret;
}

/* Every probe is final: (host, port) order, untouched pages skipped. */
static void emit_all(struct emit_ctx *e, unsigned states)
{
	uint64_t n = e->cs->nprobes;

	if (states & OUTPUT_ST_FILTERED) {
		for (uint64_t p = 0; p < n; p++)
			emit_probe(e, p);
		return;
	}
	for (uint64_t p = store_next_set(e->merged, 0, n); p < n;
	     p = store_next_set(e->merged, p + 1, n))
		emit_probe(e, p);
	/* The rows left out are filtered; count them for the summary. */
	e->t->filtered += n - e->t->rows;
	e->t->rows = n;
}

static bool final_in(const struct ckin *c, uint64_t k, uint64_t probe)
{
	return k < c->ck.issued && !bsearch(&probe, c->pending, c->ck.npending,
					    sizeof(*c->pending), cmp_u64);
}

/*
 * Some shard is unfinished: walk each shard in its send order; a probe is
 * final if any checkpoint of its shard issued it and holds it not pending.
 */
static int emit_final(struct emit_ctx *e, const struct ckin *cks, int n)
{
	uint64_t nprobes = e->cs->nprobes;
	uint32_t count = cks[0].ck.shard_count;
	struct permute perm;

	if (permute_init_order(&perm, nprobes, e->cs->seed, e->cs->sequential))
		return -EINVAL;
	for (uint32_t s = 0; s < count && s < nprobes; s++) {
		uint64_t size = (nprobes - s + count - 1) / count;
		uint64_t most = 0;

		for (int i = 0; i < n; i++)
			if (cks[i].ck.shard_index == s &&
			    cks[i].ck.issued > most)
				most = cks[i].ck.issued;
		if (most > size)
			most = size;
		for (uint64_t k = 0; k < most; k++) {
			uint64_t probe = permute_shard_at(&perm, s, count, k);

			for (int i = 0; i < n; i++) {
				if (cks[i].ck.shard_index == s &&
				    final_in(&cks[i], k, probe)) {
					emit_probe(e, probe);
					break;
				}
			}
		}
	}
	return 0;
}

int ckmerge_emit(struct ckmerge *m, struct output *out, unsigned states,
		 struct merge_tally *t, int *write_err)
{
	struct emit_ctx e = {
		.out = out,
		.cs = m->scan,
		.merged = m->merged,
		.t = t,
		.write_err = write_err,
	};

	if (ckmerge_complete(m)) {
		emit_all(&e, states);
		return 0;
	}
	return emit_final(&e, m->cks, m->n);
}

const struct store *ckmerge_store(const struct ckmerge *m)
{
	return m->merged;
}

uint64_t ckmerge_conflicts(const struct ckmerge *m)
{
	return m->conflicts;
}

uint32_t ckmerge_shard_count(const struct ckmerge *m)
{
	return m->cks[0].ck.shard_count;
}

bool ckmerge_shard_done(const struct ckmerge *m, uint32_t s)
{
	return m->done && s < ckmerge_shard_count(m) && m->done[s];
}

bool ckmerge_complete(const struct ckmerge *m)
{
	for (uint32_t s = 0; s < ckmerge_shard_count(m); s++)
		if (!ckmerge_shard_done(m, s))
			return false;
	return true;
}

uint64_t ckmerge_elapsed_ns(const struct ckmerge *m)
{
	uint64_t elapsed = 0;

	for (int i = 0; i < m->n; i++)
		if (m->cks[i].ck.elapsed_ns > elapsed)
			elapsed = m->cks[i].ck.elapsed_ns;
	return elapsed;
}
