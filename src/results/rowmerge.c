/*
 * rowmerge.c - the union of CSV and JSON rows (see rowmerge.h).
 *
 * Rows are parsed into one array of small fixed records, sorted by (host,
 * port, proto) with the input order as tie-break, so that the first
 * input's answer is kept and every other answer for the same probe can be
 * compared with it.  Reasons and host names are stored once and referred
 * to by number: a merge of millions of rows holds a dozen reason words and,
 * typically, a few names repeated millions of times.  Names go in a hash
 * set (FNV-1a, open addressing, at most half full); reasons in a short
 * list searched linearly, since there are so few.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "resultfile.h"
#include "rowmerge.h"

struct mrow {
	struct rs_addr addr;
	uint8_t proto;
	uint8_t state;
	uint16_t port;
	uint16_t reason; /* index into reasons */
	uint32_t input;
	uint32_t name; /* index into names; 0: none */
	uint64_t seq; /* input order: the first answer wins */
	int64_t rtt_us;
};

struct rowmerge {
	struct mrow *rows;
	size_t n, cap;
	char (*reasons)[RESULTFILE_REASON_MAX];
	size_t nreasons;
	/* distinct host names: names[0] is unused (no name) */
	char **names;
	uint32_t nnames, names_cap;
	uint32_t *name_slots; /* open addressing over names, 0 = empty */
	uint32_t nslots; /* a power of two, at least twice nnames */
};

#define STR_(x) #x
#define STR(x) STR_(x)

int rowmerge_new(struct rowmerge **out)
{
	struct rowmerge *rm = calloc(1, sizeof(*rm));

	*out = NULL;
	if (!rm)
		return -ENOMEM;
	rm->reasons = calloc(ROWMERGE_MAX_REASONS, sizeof(*rm->reasons));
	if (!rm->reasons) {
		free(rm);
		return -ENOMEM;
	}
	*out = rm;
	return 0;
}

void rowmerge_free(struct rowmerge *rm)
{
	if (!rm)
		return;
	for (uint32_t i = 1; i < rm->nnames; i++)
		free(rm->names[i]);
	free(rm->names);
	free(rm->name_slots);
	free(rm->reasons);
	free(rm->rows);
	free(rm);
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void names_insert_slot(struct rowmerge *rm, uint32_t id)
{
	uint32_t i = name_hash(rm->names[id]) & (rm->nslots - 1);

	while (rm->name_slots[i])
		i = (i + 1) & (rm->nslots - 1);
	rm->name_slots[i] = id;
}

/* The number of name (interned), 0 for ""; -ENOMEM. */
static int name_id(struct rowmerge *rm, const char *name, uint32_t *id)
{
	uint32_t i;

	*id = 0;
	if (!*name)
		return 0;
	if (rm->nslots) {
		i = name_hash(name) & (rm->nslots - 1);
		for (; rm->name_slots[i]; i = (i + 1) & (rm->nslots - 1))
			if (!strcmp(rm->names[rm->name_slots[i]], name)) {
				*id = rm->name_slots[i];
				return 0;
			}
	}
	if (rm->nnames + 1 >= rm->names_cap) {
		uint32_t cap = rm->names_cap ? rm->names_cap * 2 : 64;
		char **nv = reallocarray(rm->names, cap, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		rm->names = nv;
		rm->names_cap = cap;
		if (!rm->nnames)
			rm->nnames = 1; /* 0 stands for no name */
	}
	if (2 * (rm->nnames + 1) > rm->nslots) {
		uint32_t n = rm->nslots ? rm->nslots * 2 : 128;
		uint32_t *ns = calloc(n, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		free(rm->name_slots);
		rm->name_slots = ns;
		rm->nslots = n;
		for (i = 1; i < rm->nnames; i++)
			names_insert_slot(rm, i);
	}
	rm->names[rm->nnames] = strdup(name);
	if (!rm->names[rm->nnames])
		return -ENOMEM;
	*id = rm->nnames++;
	names_insert_slot(rm, *id);
	return 0;
}

static int reason_id(struct rowmerge *rm, const char *reason, uint16_t *id)
{
	for (size_t i = 0; i < rm->nreasons; i++)
		if (!strcmp(rm->reasons[i], reason)) {
			*id = (uint16_t)i;
			return 0;
		}
	if (rm->nreasons == ROWMERGE_MAX_REASONS)
		return -E2BIG;
	memcpy(rm->reasons[rm->nreasons], reason, RESULTFILE_REASON_MAX);
	*id = (uint16_t)rm->nreasons++;
	return 0;
}

static int rowmerge_add(struct rowmerge *rm, const struct resultfile_row *r,
			uint32_t input)
{
	struct mrow *m;
	int ret;

	if (rm->n == rm->cap) {
		size_t cap = rm->cap ? rm->cap * 2 : 4096;
		struct mrow *p = reallocarray(rm->rows, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		rm->rows = p;
		rm->cap = cap;
	}
	m = &rm->rows[rm->n];
	if ((ret = reason_id(rm, r->reason, &m->reason)))
		return ret;
	if ((ret = name_id(rm, r->hostname, &m->name)))
		return ret;
	m->addr = r->addr;
	m->proto = (uint8_t)r->proto;
	m->state = (uint8_t)r->state;
	m->port = r->port;
	m->input = input;
	m->seq = rm->n;
	m->rtt_us = r->rtt_us;
	rm->n++;
	return 0;
}

/* Every row of buf[0..len) into rm; 0 or the parser's (or rowmerge's) error. */
static int parse_rows(struct rowmerge *rm, const char *buf, size_t len,
		      uint32_t input, struct resultfile *rf,
		      struct rs_error *err)
{
	struct resultfile_row row;
	int ret;

	memset(err, 0, sizeof(*err));
	ret = resultfile_begin(rf, buf, len, err);
	while (!ret && (ret = resultfile_next(rf, &row, err)) == 1)
		ret = rowmerge_add(rm, &row, input);
	return ret;
}

/*
 * A file cut by a kill mid-write ends in part of a row.  ringscan writes
 * whole rows, but a short write(2) under SIGKILL, an older ringscan's
 * stdio, or a full disk can still leave one; thousands of good rows must
 * not be lost to it.  So when a file does not end with a line end and does
 * not parse, it is parsed again without its last line: if that succeeds,
 * the cut line is dropped (a cut row never parses as JSON, and as CSV only
 * when cut inside its last field: rtt_ms in the files of older versions,
 * which then parses as a shorter number - the answer itself is whole - and
 * hostname now, which would parse as a shorter name: that row keeps its
 * answer and loses its name).
 */
int rowmerge_load(struct rowmerge *rm, const char *buf, size_t len,
		  uint32_t input, unsigned long *cut_line, struct rs_error *err)
{
	struct resultfile rf, rf_whole;
	struct rs_error err_whole;
	size_t nrows = rm->n, whole = len;
	int ret;

	*cut_line = 0;
	ret = parse_rows(rm, buf, len, input, &rf, err);
	if (!ret && len && buf[len - 1] != '\n' &&
	    rf.format == RESULTFILE_CSV && rf.ncols > 7 && rm->n > nrows)
		rm->rows[rm->n - 1].name = 0;
	if (ret == -EINVAL && len && buf[len - 1] != '\n') {
		while (whole && buf[whole - 1] != '\n')
			whole--;
		rm->n = nrows;
		if (!parse_rows(rm, buf, whole, input, &rf_whole, &err_whole)) {
			*cut_line = err->line;
			memset(err, 0, sizeof(*err));
			return 0;
		}
	}
	if (ret == -E2BIG) {
		memset(err, 0, sizeof(*err));
		err->line = rf.line;
		err->reason = "more than " STR(
			ROWMERGE_MAX_REASONS) " different reasons; is this a ringscan file?";
	}
	if (ret)
		rm->n = nrows;
	return ret;
}

/* Same or different answer, as the rows say it (filtered = unreachable). */
static int state_class(enum output_state st)
{
	return st == OUT_UNREACH ? OUT_FILTERED : (int)st;
}

static int mrow_cmp(const void *pa, const void *pb)
{
	const struct mrow *a = pa, *b = pb;
	int c = addr_cmp(&a->addr, &b->addr);

	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void rowmerge_dedup(struct rowmerge *rm, struct merge_tally *t)
{
	size_t w = 0, i, j;

	if (rm->n)
		qsort(rm->rows, rm->n, sizeof(*rm->rows), mrow_cmp);
	for (i = 0; i < rm->n; i = j) {
		const struct mrow *first = &rm->rows[i];

		for (j = i + 1; j < rm->n; j++) {
			const struct mrow *m = &rm->rows[j];
			struct merge_disagreement d;

			if (addr_cmp(&m->addr, &first->addr) ||
			    m->port != first->port || m->proto != first->proto)
				break;
			if (state_class(m->state) == state_class(first->state))
				continue;
			d = (struct merge_disagreement){
				.addr = m->addr,
				.port = m->port,
				.proto = (enum rs_proto)m->proto,
				.kept = (enum output_state)first->state,
				.other = (enum output_state)m->state,
				.input = m->input,
			};
			mergetally_disagree(t, &d);
		}
		rm->rows[w++] = *first;
	}
	rm->n = w;
	/* One name per address: the first in (port, input) order. */
	for (i = 0; i < rm->n; i = j) {
		uint32_t name = 0;

		for (j = i; j < rm->n &&
			    !addr_cmp(&rm->rows[j].addr, &rm->rows[i].addr);
		     j++)
			if (!name)
				name = rm->rows[j].name;
		for (size_t k = i; k < j; k++)
			rm->rows[k].name = name;
	}
}

size_t rowmerge_count(const struct rowmerge *rm)
{
	return rm->n;
}

void rowmerge_row(const struct rowmerge *rm, size_t i, struct output_result *r)
{
	const struct mrow *m = &rm->rows[i];

	*r = (struct output_result){
		.addr = &m->addr,
		.port = m->port,
		.proto = (enum rs_proto)m->proto,
		.state = (enum output_state)m->state,
		.reason = rm->reasons[m->reason],
		.rtt_us = m->rtt_us,
		.hostname = m->name ? rm->names[m->name] : NULL,
	};
}
