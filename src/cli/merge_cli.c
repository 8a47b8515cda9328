/*
 * merge_cli.c - `ringscan merge` (see merge_cli.h and docs/distributed.md).
 *
 * Two kinds of input need two different merges.
 *
 * Checkpoints carry the scan itself: the command line that defined it, its
 * position (how many probes of the shard were issued, which were still
 * pending) and the state store.  Shards of one scan share the fingerprint,
 * the probe count and the shard count, and their probe sets are disjoint
 * slices of one seeded permutation, so merging them is folding the stores
 * page by page (store_merge_page) into one store of the whole space and
 * rebuilding the targets and ports from the first checkpoint's command line
 * (cli_scan_load).  Which probes are final is known exactly - every probe of
 * a finished shard; the issued and not pending ones of an unfinished shard
 * - so the rows and the reports are exactly what one process scanning the
 * same space would have written, and "complete" means every shard finished.
 * Rows come out in (host, port) order when the whole space is final, and in
 * each shard's send order otherwise (the walk that finds the final probes of
 * an unfinished shard is the one the scheduler made: the shard's k-th probe
 * is permute_shard_at(shard, shards, k)).
 *
 * Host names travel with the rows (the CSV's hostname column, the JSON
 * "hostname" key; files older than that column have none).  Each distinct
 * name is kept once (a hash set: rows of a few named hosts repeat the same
 * names millions of times), a row holds its number, and after the merge
 * every row of an address carries the first name any of them had, which
 * is also the name the reports give the host.  Checkpoint merges rebuild
 * the names with the targets, from the command line.
 *
 * CSV and JSON rows carry answers but not the scan: they merge into their
 * union, sorted by (host, port, proto) with the input order as tie-break so
 * that the first input's answer is kept and every other answer for the
 * same probe can be compared with it.  The reports (-oN/-oX/-oG) need a
 * state for every port of every host, which rows have only if the scans
 * wrote every state; so a report is written only when the rows fill their
 * rectangle (every host seen x every port seen), and refused otherwise -
 * a missing row must not quietly become "filtered".
 *
 * Inputs are read whole (mapped when they are regular files), parsed, and
 * let go before any output is opened, so an output may even replace one of
 * its inputs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "fileio.h"
#include "merge_cli.h"
#include "output.h"
#include "permute.h"
#include "resultfile.h"
#include "services.h"
#include "store.h"
#include "targets.h"
#include "version.h"

#define STATES_ALL (OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED | OUTPUT_ST_FILTERED)
/* Distinct reason words kept for CSV/JSON rows; ringscan writes a dozen. */
#define MERGE_MAX_REASONS 1024
/*
 * Standard input and pipes are read into memory, as large as they come:
 * row files of many GiB are normal, and the user chose to send them.
 */
#define MERGE_STREAM_MAX SIZE_MAX

struct merge_opts {
	struct output_config out;
	char oa_paths[OUTPUT_ALL_FILES][OUTPUT_PATH_MAX];
	bool any_output;
	unsigned states;
	bool states_set;
	bool open_only;
	bool trust_checkpoint;
	char **inputs;
	int ninputs;
	char **inputs_alloc;
	char command_line[1024];
};

/* One input file's bytes: mapped, read into memory, or empty. */
struct input {
	const char *path;
	char *buf;
	size_t len;
	bool mapped;
	bool is_file; /* st describes it (not stdin or a pipe) */
	struct stat st;
};

static void __attribute__((noreturn, format(printf, 1, 2)))
merge_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vsay("ringscan merge: ", fmt, ap);
	va_end(ap);
	exit(EXIT_BAD_INPUT);
}

static void merge_usage(FILE *f)
{
	fputs("Usage: ringscan merge [options] [OUT] INPUT...\n"
	      "Merge ringscan results: CSV (-oC) or JSON-lines (-oJ) files, or the\n"
	      "checkpoint files (--checkpoint) of the shards of one scan.\n"
	      "\n"
	      "  OUT                  the output, if it does not exist yet and no -o\n"
	      "                       option is given; its extension says the format:\n"
	      "                       .csv .json .jsonl .xml .gnmap .nmap .txt\n"
	      "  -oN FILE             nmap-style text report\n"
	      "  -oC FILE             CSV rows (the default, on stdout)\n"
	      "  -oJ FILE             JSON lines\n"
	      "  -oX FILE             nmap XML;   -oG FILE  nmap grepable\n"
	      "  -oA BASE             BASE.nmap, BASE.xml, BASE.gnmap and BASE.csv\n"
	      "  --sqlite FILE        the CSV's rows into a SQLite database, as a scan\n"
	      "  --states LIST        states in CSV/JSON/SQLite rows: open,closed,filtered\n"
	      "                       (default: every state for CSV/JSON inputs, the\n"
	      "                       scan's own --states for checkpoints)\n"
	      "  --open               show only open ports in the reports\n"
	      "  --trust-checkpoint   as root, accept checkpoints another user owns\n"
	      "                       or can write (each is a command line)\n"
	      "Reports (-oN/-oX/-oG) need checkpoints, or rows of every state\n"
	      "(scans run with --states open,closed,filtered).  Where inputs disagree\n"
	      "the first one's answer is kept and each disagreement is named.\n"
	      "Exit: 0 merged, 1 bad input, 2 runtime failure.\n",
	      f);
}

/* ---- the command line ---- */

static const char *opt_value(const char *opt, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		merge_fail("%s needs a value; see ringscan merge --help", opt);
	return argv[++*i];
}

static void set_all_outputs(struct merge_opts *o, const char *base)
{
	struct rs_error err;

	if (output_set_all(&o->out, o->oa_paths, base, &err))
		merge_fail("-oA '%s': %s", base, err.reason);
}

/* OUT named by its extension (no -o option given). */
static void set_output_by_name(struct merge_opts *o, const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');

	if (!dot || (slash && dot < slash))
		dot = "";
	if (!strcmp(dot, ".csv"))
		o->out.csv_path = path;
	else if (!strcmp(dot, ".json") || !strcmp(dot, ".jsonl"))
		o->out.json_path = path;
	else if (!strcmp(dot, ".xml"))
		o->out.xml_path = path;
	else if (!strcmp(dot, ".gnmap"))
		o->out.grep_path = path;
	else if (!strcmp(dot, ".nmap") || !strcmp(dot, ".txt"))
		o->out.normal_path = path;
	else
		merge_fail(
			"'%s' does not exist, so it would be the output, but its extension names no format: use .csv, .json, .jsonl, .xml, .gnmap, .nmap or .txt, or an option -oC/-oJ/-oX/-oG/-oN (and check the input names)",
			path);
}

static void record_command_line(struct merge_opts *o, int argc, char **argv)
{
	size_t off = 0;
	int n;

	n = snprintf(o->command_line, sizeof(o->command_line), "ringscan");
	off = n > 0 ? (size_t)n : 0;
	for (int i = 0; i < argc && off + 2 < sizeof(o->command_line); i++) {
		n = snprintf(o->command_line + off,
			     sizeof(o->command_line) - off, " %s", argv[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static void parse_args(struct merge_opts *o, int argc, char **argv)
{
	struct rs_error err;
	bool only_inputs = false;
	struct stat st;
	int i;

	memset(o, 0, sizeof(*o));
	memset(&err, 0, sizeof(err));
	record_command_line(o, argc, argv);
	o->out.version = RINGSCAN_VERSION;
	o->out.command_line = o->command_line;
	o->inputs = o->inputs_alloc =
		calloc((size_t)argc + 1, sizeof(*o->inputs));
	if (!o->inputs) {
		fputs("ringscan merge: out of memory\n", stderr);
		exit(EXIT_RUNTIME);
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_inputs || a[0] != '-' || !a[1]) {
			o->inputs[o->ninputs++] = argv[i];
		} else if (!strcmp(a, "--")) {
			only_inputs = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			merge_usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-oN")) {
			o->out.normal_path = opt_value(a, argc, argv, &i);
			o->any_output = true;
		} else if (!strcmp(a, "-oC")) {
			o->out.csv_path = opt_value(a, argc, argv, &i);
			o->any_output = true;
		} else if (!strcmp(a, "-oJ")) {
			o->out.json_path = opt_value(a, argc, argv, &i);
			o->any_output = true;
		} else if (!strcmp(a, "-oX")) {
			o->out.xml_path = opt_value(a, argc, argv, &i);
			o->any_output = true;
		} else if (!strcmp(a, "-oG")) {
			o->out.grep_path = opt_value(a, argc, argv, &i);
			o->any_output = true;
		} else if (!strcmp(a, "-oA")) {
			set_all_outputs(o, opt_value(a, argc, argv, &i));
			o->any_output = true;
		} else if (!strcmp(a, "--sqlite") ||
			   !strncmp(a, "--sqlite=", 9)) {
			o->out.sqlite_path =
				a[8] ? a + 9 : opt_value(a, argc, argv, &i);
			o->any_output = true;
		} else if (!strcmp(a, "--states") ||
			   !strncmp(a, "--states=", 9)) {
			const char *v = a[8] ? a + 9 :
					       opt_value(a, argc, argv, &i);

			if (output_parse_states(v, &o->states, &err))
				merge_fail("--states '%s': %s", err.token,
					   err.reason);
			o->states_set = true;
		} else if (!strcmp(a, "--open")) {
			o->open_only = true;
		} else if (!strcmp(a, "--trust-checkpoint")) {
			o->trust_checkpoint = true;
		} else {
			merge_fail(
				"unknown option '%s'; see ringscan merge --help",
				a);
		}
	}

	if (!o->any_output && o->ninputs >= 2 && strcmp(o->inputs[0], "-") &&
	    stat(o->inputs[0], &st) && errno == ENOENT) {
		set_output_by_name(o, o->inputs[0]);
		o->inputs++;
		o->ninputs--;
		o->any_output = true;
	}
	if (!o->ninputs)
		merge_fail("no input files; see ringscan merge --help");
	if (!o->any_output)
		o->out.csv_path = "-";
}

/* ---- reading inputs ---- */

/*
 * "/dev/fd/N" naming a pipe this process inherited: what a shell's process
 * substitution, <(zcat x.csv.gz), passes.  It is read from the descriptor
 * itself.  Any other non-regular file - a named FIFO nobody may ever write
 * to, a device - is refused by fileio_open.  -1 if path is not one.
 */
static int inherited_pipe(const char *path)
{
	unsigned long n;
	struct stat st;
	char *end;

	if (strncmp(path, "/dev/fd/", 8) || path[8] < '0' || path[8] > '9')
		return -1;
	errno = 0;
	n = strtoul(path + 8, &end, 10);
	if (errno || *end || n > INT_MAX)
		return -1;
	if (fstat((int)n, &st) || !S_ISFIFO(st.st_mode))
		return -1;
	return (int)n;
}

static int input_load(struct input *in, const char *path)
{
	int fd, ret;

	memset(in, 0, sizeof(*in));
	in->path = path;
	fd = strcmp(path, "-") ? inherited_pipe(path) : STDIN_FILENO;
	if (fd >= 0)
		return fileio_read_fd(fd, MERGE_STREAM_MAX, &in->buf, &in->len);
	ret = fileio_open(path, &fd, &in->st);
	if (ret)
		return ret;
	in->is_file = true;
	if (in->st.st_size > 0) {
		in->buf = mmap(NULL, (size_t)in->st.st_size, PROT_READ,
			       MAP_PRIVATE, fd, 0);
		if (in->buf == MAP_FAILED) {
			in->buf = NULL;
			ret = -errno;
		} else {
			in->len = (size_t)in->st.st_size;
			in->mapped = true;
		}
	}
	close(fd);
	return ret;
}

static void input_release(struct input *in)
{
	if (in->mapped)
		munmap(in->buf, in->len);
	else
		free(in->buf);
	in->buf = NULL;
	in->len = 0;
	in->mapped = false;
}

static void load_or_fail(struct input *in, const char *path)
{
	int ret = input_load(in, path);

	if (ret == -ENOMEM) {
		cli_say("ringscan merge: ", "out of memory reading '%s'", path);
		exit(EXIT_RUNTIME);
	}
	if (ret)
		merge_fail("cannot read '%s': %s", path, fileio_strerror(ret));
}

static bool is_checkpoint(const struct input *in)
{
	return checkpoint_looks_like(in->buf, in->len);
}

/* ---- writing ---- */

/* Same or different answer, as the rows say it (filtered = unreachable). */
static int state_class(enum output_state st)
{
	return st == OUT_UNREACH ? OUT_FILTERED : (int)st;
}

static struct output *open_outputs(struct merge_opts *o,
				   const struct services *svc)
{
	struct output *out = NULL;
	struct rs_error err;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = output_open(&out, &o->out, svc, &err);
	if (ret == -ENOMEM) {
		fputs("ringscan merge: out of memory\n", stderr);
		exit(EXIT_RUNTIME);
	}
	if (ret)
		merge_fail("cannot write output '%s': %s", err.token,
			   ret == -EINVAL ? err.reason : strerror(-ret));
	return out;
}

static bool wants_report(const struct merge_opts *o)
{
	return o->out.normal_path || o->out.xml_path || o->out.grep_path;
}

/* Finish and close; the exit status of the writing. */
static int close_outputs(struct output *out, const struct output_report *rep,
			 int write_err)
{
	int ret = output_finish(out, rep);
	int ret2 = output_close(out);

	if (!ret)
		ret = write_err;
	if (!ret)
		ret = ret2;
	if (ret) {
		fprintf(stderr, "ringscan merge: writing results failed: %s\n",
			strerror(-ret));
		return EXIT_RUNTIME;
	}
	return 0;
}

struct tally {
	uint64_t rows;
	uint64_t open;
	uint64_t closed;
	uint64_t filtered;
	uint64_t disagree;
	uint64_t shown;
};

static void tally_add(struct tally *t, enum output_state st)
{
	t->rows++;
	if (st == OUT_OPEN)
		t->open++;
	else if (st == OUT_CLOSED)
		t->closed++;
	else
		t->filtered++;
}

static void say_disagreement(struct tally *t, const struct rs_addr *a,
			     uint16_t port, const char *proto, const char *kept,
			     const char *other, const char *where)
{
	char host[RS_ADDR_STRLEN];

	t->disagree++;
	if (t->shown >= MERGE_MAX_REPORTED)
		return;
	t->shown++;
	/* where names an input file: shown through escape_text. */
	cli_say("ringscan merge: ",
		"%s %u/%s: %s in %s; keeping %s from the earlier input",
		addr_format(a, host, sizeof(host)), (unsigned)port, proto,
		other, where, kept);
}

static void say_disagreement_total(const struct tally *t)
{
	if (t->disagree > t->shown)
		fprintf(stderr,
			"ringscan merge: ... and %llu more disagreements\n",
			(unsigned long long)(t->disagree - t->shown));
}

/* ---- CSV and JSON rows ---- */

struct mrow {
	struct rs_addr addr;
	uint8_t proto;
	uint8_t state;
	uint16_t port;
	uint16_t reason; /* index into rowset.reasons */
	uint32_t input;
	uint32_t name; /* index into rowset.names; 0: none */
	uint64_t seq; /* input order: the first answer wins */
	int64_t rtt_us;
};

struct rowset {
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

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void names_insert_slot(struct rowset *rs, uint32_t id)
{
	uint32_t i = name_hash(rs->names[id]) & (rs->nslots - 1);

	while (rs->name_slots[i])
		i = (i + 1) & (rs->nslots - 1);
	rs->name_slots[i] = id;
}

/* The number of name (interned), 0 for ""; -ENOMEM. */
static int name_id(struct rowset *rs, const char *name, uint32_t *id)
{
	uint32_t i;

	*id = 0;
	if (!*name)
		return 0;
	if (rs->nslots) {
		i = name_hash(name) & (rs->nslots - 1);
		for (; rs->name_slots[i]; i = (i + 1) & (rs->nslots - 1))
			if (!strcmp(rs->names[rs->name_slots[i]], name)) {
				*id = rs->name_slots[i];
				return 0;
			}
	}
	if (rs->nnames + 1 >= rs->names_cap) {
		uint32_t cap = rs->names_cap ? rs->names_cap * 2 : 64;
		char **nv = reallocarray(rs->names, cap, sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		rs->names = nv;
		rs->names_cap = cap;
		if (!rs->nnames)
			rs->nnames = 1; /* 0 stands for no name */
	}
	if (2 * (rs->nnames + 1) > rs->nslots) {
		uint32_t n = rs->nslots ? rs->nslots * 2 : 128;
		uint32_t *ns = calloc(n, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		free(rs->name_slots);
		rs->name_slots = ns;
		rs->nslots = n;
		for (i = 1; i < rs->nnames; i++)
			names_insert_slot(rs, i);
	}
	rs->names[rs->nnames] = strdup(name);
	if (!rs->names[rs->nnames])
		return -ENOMEM;
	*id = rs->nnames++;
	names_insert_slot(rs, *id);
	return 0;
}

static void names_free(struct rowset *rs)
{
	for (uint32_t i = 1; i < rs->nnames; i++)
		free(rs->names[i]);
	free(rs->names);
	free(rs->name_slots);
}

static const char *row_name(const struct rowset *rs, const struct mrow *m)
{
	return m->name ? rs->names[m->name] : NULL;
}

static int reason_id(struct rowset *rs, const char *reason, uint16_t *id)
{
	for (size_t i = 0; i < rs->nreasons; i++)
		if (!strcmp(rs->reasons[i], reason)) {
			*id = (uint16_t)i;
			return 0;
		}
	if (rs->nreasons == MERGE_MAX_REASONS)
		return -E2BIG;
	memcpy(rs->reasons[rs->nreasons], reason, RESULTFILE_REASON_MAX);
	*id = (uint16_t)rs->nreasons++;
	return 0;
}

static int rowset_add(struct rowset *rs, const struct resultfile_row *r,
		      uint32_t input)
{
	struct mrow *m;
	int ret;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 4096;
		struct mrow *p = reallocarray(rs->rows, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		rs->rows = p;
		rs->cap = cap;
	}
	m = &rs->rows[rs->n];
	if ((ret = reason_id(rs, r->reason, &m->reason)))
		return ret;
	if ((ret = name_id(rs, r->hostname, &m->name)))
		return ret;
	m->addr = r->addr;
	m->proto = (uint8_t)r->proto;
	m->state = (uint8_t)r->state;
	m->port = r->port;
	m->input = input;
	m->seq = rs->n;
	m->rtt_us = r->rtt_us;
	rs->n++;
	return 0;
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

/* Every row of buf[0..len) into rs; 0 or the parser's (or rowset's) error. */
static int parse_rows(struct rowset *rs, const char *buf, size_t len,
		      uint32_t idx, struct resultfile *rf, struct rs_error *err)
{
	struct resultfile_row row;
	int ret;

	memset(err, 0, sizeof(*err));
	ret = resultfile_begin(rf, buf, len, err);
	while (!ret && (ret = resultfile_next(rf, &row, err)) == 1)
		ret = rowset_add(rs, &row, idx);
	return ret;
}

/*
 * A file cut by a kill mid-write ends in part of a row.  ringscan writes
 * whole rows, but a short write(2) under SIGKILL, an older ringscan's
 * stdio, or a full disk can still leave one; thousands of good rows must
 * not be lost to it.  So when a file does not end with a line end and does
 * not parse, it is parsed again without its last line: if that succeeds,
 * the cut line is dropped with a warning (a cut row never parses as JSON,
 * and as CSV only when cut inside its last field: rtt_ms in the files
 * of older versions, which then parses as a shorter number - the answer
 * itself is whole - and hostname now, which would parse as a shorter
 * name: that row keeps its answer and loses its name).
 */
static void load_rows(struct rowset *rs, struct input *in, uint32_t idx)
{
	struct resultfile rf, rf_whole;
	struct rs_error err, err_whole;
	size_t nrows = rs->n, whole = in->len;
	int ret;

	ret = parse_rows(rs, in->buf, in->len, idx, &rf, &err);
	if (!ret && in->len && in->buf[in->len - 1] != '\n' &&
	    rf.format == RESULTFILE_CSV && rf.ncols > 7 && rs->n > nrows)
		rs->rows[rs->n - 1].name = 0;
	if (ret == -EINVAL && in->len && in->buf[in->len - 1] != '\n') {
		while (whole && in->buf[whole - 1] != '\n')
			whole--;
		rs->n = nrows;
		if (!parse_rows(rs, in->buf, whole, idx, &rf_whole,
				&err_whole)) {
			cli_say("ringscan merge: ",
				"warning: '%s' line %lu: the last line is cut short (a scan killed while writing?); ignored",
				in->path, err.line);
			return;
		}
	}
	if (ret == -ENOMEM) {
		fputs("ringscan merge: out of memory\n", stderr);
		exit(EXIT_RUNTIME);
	}
	if (ret == -E2BIG)
		merge_fail(
			"'%s' line %lu: more than %d different reasons; is this a ringscan file?",
			in->path, rf.line, MERGE_MAX_REASONS);
	if (ret)
		merge_fail("'%s' line %lu: %s ('%s')", in->path, err.line,
			   err.reason, err.token);
}

/* Sort, keep the first answer per (host, port, proto), name the others. */
static void rowset_dedup(struct rowset *rs, char **paths, struct tally *t)
{
	size_t w = 0, i, j;

	if (rs->n)
		qsort(rs->rows, rs->n, sizeof(*rs->rows), mrow_cmp);
	for (i = 0; i < rs->n; i = j) {
		const struct mrow *first = &rs->rows[i];

		for (j = i + 1; j < rs->n; j++) {
			const struct mrow *m = &rs->rows[j];
			char where[PATH_MAX + 4];

			if (addr_cmp(&m->addr, &first->addr) ||
			    m->port != first->port || m->proto != first->proto)
				break;
			if (state_class(m->state) == state_class(first->state))
				continue;
			snprintf(where, sizeof(where), "'%s'", paths[m->input]);
			say_disagreement(t, &m->addr, m->port,
					 m->proto == RS_UDP ? "udp" : "tcp",
					 output_state_name(first->state),
					 output_state_name(m->state), where);
		}
		rs->rows[w++] = *first;
	}
	rs->n = w;
	say_disagreement_total(t);
	/* One name per address: the first in (port, input) order. */
	for (i = 0; i < rs->n; i = j) {
		uint32_t name = 0;

		for (j = i; j < rs->n &&
			    !addr_cmp(&rs->rows[j].addr, &rs->rows[i].addr);
		     j++)
			if (!name)
				name = rs->rows[j].name;
		for (size_t k = i; k < j; k++)
			rs->rows[k].name = name;
	}
}

/*
 * A report needs a state for every port of every host.  The rows fill
 * their rectangle when each (host, port) of it has a row: then the
 * rebuilt targets, ports and store are exactly a scan's.
 */
struct rect {
	struct targets *targets;
	struct portlist *ports;
	struct store *store;
};

static void rect_free(struct rect *r)
{
	store_free(r->store);
	targets_free(r->targets);
	free(r->ports);
}

static void rect_build(struct rect *r, const struct rowset *rs)
{
	static const char fix[] =
		"so a report would have to guess the missing ones; write -oC/-oJ instead, or merge rows of scans run with --states open,closed,filtered, or merge the checkpoint files (--checkpoint)";
	uint64_t nhosts = 0, cells;
	struct rs_error err;
	char host[RS_ADDR_STRLEN];
	uint8_t *seen;
	size_t i;

	memset(r, 0, sizeof(*r));
	memset(&err, 0, sizeof(err));
	for (i = 0; i < rs->n; i++)
		if (rs->rows[i].proto != RS_TCP)
			merge_fail(
				"the rows hold %s results, which -oN/-oX/-oG reports cannot carry yet; write -oC/-oJ",
				"udp");
	if (!rs->n)
		merge_fail("the inputs hold no rows, %s", fix);
	seen = calloc(65536, 1);
	r->ports = calloc(1, sizeof(*r->ports));
	if (!seen || !r->ports || targets_new(&r->targets))
		goto out_nomem;
	for (i = 0; i < rs->n; i++) {
		seen[rs->rows[i].port] = 1;
		if (i && !addr_cmp(&rs->rows[i].addr, &rs->rows[i - 1].addr))
			continue;
		nhosts++;
		addr_format(&rs->rows[i].addr, host, sizeof(host));
		if (targets_add(r->targets, host, &err))
			merge_fail("host '%s': %s", host, err.reason);
		if (row_name(rs, &rs->rows[i]) &&
		    targets_add_name(r->targets, &rs->rows[i].addr,
				     row_name(rs, &rs->rows[i])))
			goto out_nomem;
	}
	for (unsigned p = 1; p < 65536; p++)
		if (seen[p])
			r->ports->port[r->ports->count++] = (uint16_t)p;
	free(seen);
	seen = NULL;
	cells = nhosts * r->ports->count;
	if (cells != rs->n)
		merge_fail(
			"the rows cover %llu of the %llu (host, port) pairs of %llu hosts x %u ports, %s",
			(unsigned long long)rs->n, (unsigned long long)cells,
			(unsigned long long)nhosts, r->ports->count, fix);
	if (targets_finalize(r->targets) || store_new(&r->store, cells))
		goto out_nomem;
	for (i = 0; i < rs->n; i++) {
		const struct mrow *m = &rs->rows[i];
		uint64_t h;
		uint32_t pi;
		enum store_state st;

		if (targets_index(r->targets, &m->addr, &h) ||
		    ports_index(r->ports, m->port, &pi)) {
			/* Built from these very rows: a bug if it happens. */
			fputs("ringscan merge: internal error: a row outside its own rectangle\n",
			      stderr);
			exit(EXIT_RUNTIME);
		}
		st = m->state == OUT_OPEN    ? STORE_OPEN :
		     m->state == OUT_CLOSED  ? STORE_CLOSED :
		     m->state == OUT_UNREACH ? STORE_UNREACH :
					       STORE_NONE;
		if (st != STORE_NONE)
			store_set(r->store, h * r->ports->count + pi, st);
	}
	return;
out_nomem:
	free(seen);
	fputs("ringscan merge: out of memory building the report\n", stderr);
	exit(EXIT_RUNTIME);
}

static int merge_rows(struct merge_opts *o, struct input *ins)
{
	struct rowset rs;
	struct tally t;
	struct rect rect;
	struct services *svc = NULL;
	struct output *out;
	struct output_report rep;
	bool report = wants_report(o);
	int write_err = 0, status;

	memset(&rs, 0, sizeof(rs));
	memset(&t, 0, sizeof(t));
	memset(&rect, 0, sizeof(rect));
	rs.reasons = calloc(MERGE_MAX_REASONS, sizeof(*rs.reasons));
	if (!rs.reasons || services_find(&svc, NULL, NULL)) {
		fputs("ringscan merge: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < o->ninputs; i++) {
		load_rows(&rs, &ins[i], (uint32_t)i);
		input_release(&ins[i]);
	}
	rowset_dedup(&rs, o->inputs, &t);
	if (report)
		rect_build(&rect, &rs);

	if (!o->states_set)
		o->states = STATES_ALL;
	o->out.states = o->states;
	o->out.open_only = o->open_only;
	out = open_outputs(o, svc);
	for (size_t i = 0; i < rs.n; i++) {
		const struct mrow *m = &rs.rows[i];
		struct output_result r = {
			.addr = &m->addr,
			.port = m->port,
			.proto = (enum rs_proto)m->proto,
			.state = (enum output_state)m->state,
			.reason = rs.reasons[m->reason],
			.rtt_us = m->rtt_us,
			.hostname = row_name(&rs, m),
		};
		int ret = output_result(out, &r);

		if (ret && !write_err)
			write_err = ret;
		tally_add(&t, r.state);
	}
	rep = (struct output_report){
		.targets = rect.targets,
		.ports = rect.ports,
		.store = rect.store,
		.elapsed_s = 0,
		.complete = true,
		.start_time = time(NULL),
	};
	status = close_outputs(out, report ? &rep : NULL, write_err);
	fprintf(stderr,
		"ringscan merge: %d input%s, %llu rows (%llu open, %llu closed, %llu filtered)",
		o->ninputs, o->ninputs == 1 ? "" : "s",
		(unsigned long long)t.rows, (unsigned long long)t.open,
		(unsigned long long)t.closed, (unsigned long long)t.filtered);
	if (t.disagree)
		fprintf(stderr,
			", %llu disagreement%s (the first input's answer kept)",
			(unsigned long long)t.disagree,
			t.disagree == 1 ? "" : "s");
	fputc('\n', stderr);

	rect_free(&rect);
	services_free(svc);
	free(rs.reasons);
	free(rs.rows);
	names_free(&rs);
	return status;
}

/* ---- checkpoints ---- */

struct ckin {
	const char *path;
	struct checkpoint ck;
	uint64_t *pending; /* sorted probe numbers */
};

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

static void load_checkpoint(struct ckin *c, struct input *in)
{
	struct rs_error err;
	int ret;

	memset(&err, 0, sizeof(err));
	c->path = in->path;
	ret = checkpoint_parse((const uint8_t *)in->buf, in->len, &c->ck, &err);
	if (ret == -EINVAL)
		merge_fail("'%s': %s", in->path,
			   err.reason ? err.reason : "not a valid checkpoint");
	if (ret) {
		cli_say("ringscan merge: ", "'%s': %s", in->path,
			strerror(-ret));
		exit(EXIT_RUNTIME);
	}
	c->pending = calloc(c->ck.npending ? c->ck.npending : 1,
			    sizeof(*c->pending));
	if (!c->pending) {
		fputs("ringscan merge: out of memory\n", stderr);
		exit(EXIT_RUNTIME);
	}
	for (uint32_t i = 0; i < c->ck.npending; i++)
		c->pending[i] = c->ck.pending[i].probe;
	qsort(c->pending, c->ck.npending, sizeof(*c->pending), cmp_u64);
}

static void check_same_scan(const struct ckin *first, const struct ckin *c)
{
	if (c->ck.fingerprint != first->ck.fingerprint ||
	    c->ck.nprobes != first->ck.nprobes ||
	    c->ck.shard_count != first->ck.shard_count)
		merge_fail(
			"'%s' is not a shard of the same scan as '%s' (targets, ports, --seed or the shard count differ)",
			c->path, first->path);
	if (c->ck.shard_index >= c->ck.shard_count)
		merge_fail("'%s': shard %u of %u does not exist", c->path,
			   c->ck.shard_index, c->ck.shard_count);
}

static const char *reason_of(enum store_state st, enum output_state *os)
{
	switch (st) {
	case STORE_OPEN:
		*os = OUT_OPEN;
		return "syn-ack";
	case STORE_CLOSED:
		*os = OUT_CLOSED;
		return "conn-refused";
	case STORE_UNREACH:
		*os = OUT_UNREACH;
		return "unreach";
	case STORE_NONE:
		break;
	}
	*os = OUT_FILTERED;
	return "no-response";
}

/* Fold every store into one; name the probes two checkpoints disagree on. */
static uint64_t fold_stores(struct store *merged, struct ckin *cks, int n,
			    const struct cli_scan *cs, struct tally *t)
{
	uint64_t conflicts = 0, per_page = (uint64_t)STORE_PAGE_BYTES * 4;
	uint32_t nports = cs->ports->count;

	for (int i = 0; i < n; i++) {
		const struct store *s = cks[i].ck.store;
		uint64_t npages = store_page_count(s);
		char where[PATH_MAX + 4];

		snprintf(where, sizeof(where), "'%s'", cks[i].path);
		for (uint64_t pg = store_next_page(s, 0); pg < npages;
		     pg = store_next_page(s, pg + 1)) {
			uint64_t from = pg * per_page;
			uint64_t to = from + per_page < cs->nprobes ?
					      from + per_page :
					      cs->nprobes;

			for (uint64_t p = store_next_set(s, from, to);
			     i && p < to; p = store_next_set(s, p + 1, to)) {
				enum store_state a = store_get(merged, p);
				enum store_state b = store_get(s, p);
				enum output_state oa, ob;
				struct rs_addr addr;

				if (a == STORE_NONE || a == b)
					continue;
				reason_of(a, &oa);
				reason_of(b, &ob);
				targets_get(cs->targets, p / nports, &addr);
				say_disagreement(t, &addr,
						 cs->ports->port[p % nports],
						 "tcp", output_state_name(oa),
						 output_state_name(ob), where);
			}
			if (store_merge_page(merged, pg, store_page(s, pg),
					     &conflicts)) {
				cli_say("ringscan merge: ",
					"'%s': a state page out of range",
					cks[i].path);
				exit(EXIT_RUNTIME);
			}
		}
	}
	say_disagreement_total(t);
	return conflicts;
}

struct emit_ctx {
	struct output *out;
	const struct cli_scan *cs;
	const struct store *merged;
	unsigned states;
	struct tally t;
	int write_err;
};

static void emit_probe(struct emit_ctx *e, uint64_t probe)
{
	uint32_t nports = e->cs->ports->count;
	struct output_result r = { .proto = RS_TCP, .rtt_us = -1 };
	struct rs_addr a;
	int ret;

	r.reason = reason_of(store_get(e->merged, probe), &r.state);
	tally_add(&e->t, r.state);
	targets_get(e->cs->targets, probe / nports, &a);
	r.addr = &a;
	r.hostname = targets_name(e->cs->targets, probe / nports);
	r.port = e->cs->ports->port[probe % nports];
	ret = output_result(e->out, &r);
	if (ret && !e->write_err)
		e->write_err = ret;
}

/* Every probe is final: (host, port) order, untouched pages skipped. */
static void emit_all(struct emit_ctx *e)
{
	uint64_t n = e->cs->nprobes;

	if (e->states & OUTPUT_ST_FILTERED) {
		for (uint64_t p = 0; p < n; p++)
			emit_probe(e, p);
		return;
	}
	for (uint64_t p = store_next_set(e->merged, 0, n); p < n;
	     p = store_next_set(e->merged, p + 1, n))
		emit_probe(e, p);
	/* The rows left out are filtered; count them for the summary. */
	e->t.filtered += n - e->t.rows;
	e->t.rows = n;
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

	if (permute_init_order(&perm, nprobes, e->cs->cli.scan.seed,
			       e->cs->cli.scan.sequential))
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

/* "2/3, 3/3" (1-based, as --shards K/N): shards without a finished run. */
static void list_unfinished(char *buf, size_t len, const bool *done,
			    uint32_t count)
{
	size_t off = 0;
	unsigned listed = 0;

	buf[0] = '\0';
	for (uint32_t s = 0; s < count; s++) {
		int w;

		if (done[s])
			continue;
		if (listed == 8) {
			snprintf(buf + off, len - off, ", ...");
			return;
		}
		w = snprintf(buf + off, len - off, "%s%u/%u",
			     listed ? ", " : "", s + 1, count);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
		listed++;
	}
}

static int merge_checkpoints(struct merge_opts *o, struct input *ins)
{
	struct ckin *cks;
	struct cli_scan cs;
	struct store *merged = NULL;
	struct output *out;
	struct output_report rep;
	struct emit_ctx e;
	struct tally t;
	bool *done, complete = true;
	uint64_t conflicts, elapsed = 0;
	uint32_t count;
	char missing[160];
	int status, n = o->ninputs;

	cks = calloc((size_t)n, sizeof(*cks));
	if (!cks) {
		fputs("ringscan merge: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < n; i++) {
		load_checkpoint(&cks[i], &ins[i]);
		input_release(&ins[i]);
		check_same_scan(&cks[0], &cks[i]);
	}

	/* The scan as its first shard's command line defines it, here. */
	cli_scan_load(&cs, (int)cks[0].ck.argc, cks[0].ck.argv);
	if (cs.fingerprint != cks[0].ck.fingerprint ||
	    cs.nprobes != cks[0].ck.nprobes)
		merge_fail(
			"'%s': its command line no longer defines the same scan here (a host name resolves elsewhere, or an -iL/--excludefile file differs or is missing); merge where the scan ran",
			cks[0].path);

	count = cks[0].ck.shard_count;
	done = calloc(count, sizeof(*done));
	if (!done || store_new(&merged, cs.nprobes)) {
		fputs("ringscan merge: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < n; i++) {
		if (cks[i].ck.complete)
			done[cks[i].ck.shard_index] = true;
		if (cks[i].ck.elapsed_ns > elapsed)
			elapsed = cks[i].ck.elapsed_ns;
	}
	for (uint32_t s = 0; s < count; s++)
		complete &= done[s];
	list_unfinished(missing, sizeof(missing), done, count);

	memset(&t, 0, sizeof(t));
	conflicts = fold_stores(merged, cks, n, &cs, &t);

	o->out.states = o->states_set ? o->states : cs.cli.out.states;
	o->out.open_only = o->open_only || cs.cli.out.open_only;
	o->out.has_seed = true; /* the database's scans row records it */
	o->out.seed = cs.cli.scan.seed;
	out = open_outputs(o, cs.svc);
	memset(&e, 0, sizeof(e));
	e.out = out;
	e.cs = &cs;
	e.merged = merged;
	e.states = o->out.states;
	if (complete)
		emit_all(&e);
	else
		emit_final(&e, cks, n);

	rep = (struct output_report){
		.targets = cs.targets,
		.ports = cs.ports,
		.store = merged,
		.elapsed_s = (double)elapsed / 1e9,
		.complete = complete,
		.interrupted = !complete,
		.start_time = time(NULL),
	};
	status = close_outputs(out, &rep, e.write_err);
	fprintf(stderr,
		"ringscan merge: %d checkpoint%s of a %u-shard scan, %s%s%s: %llu final probes of %llu (%llu open, %llu closed, %llu filtered)",
		n, n == 1 ? "" : "s", count,
		complete ? "complete" : "incomplete (missing or unfinished: ",
		complete ? "" : missing, complete ? "" : ")",
		(unsigned long long)e.t.rows, (unsigned long long)cs.nprobes,
		(unsigned long long)e.t.open, (unsigned long long)e.t.closed,
		(unsigned long long)e.t.filtered);
	if (conflicts)
		fprintf(stderr,
			", %llu disagreement%s (the first input's answer kept)",
			(unsigned long long)conflicts,
			conflicts == 1 ? "" : "s");
	fputc('\n', stderr);
	if (!complete)
		fputs("ringscan merge: the reports say so; finish a shard with ringscan --resume FILE, then merge again\n",
		      stderr);

	store_free(merged);
	free(done);
	cli_scan_free(&cs);
	for (int i = 0; i < n; i++) {
		free(cks[i].pending);
		checkpoint_release(&cks[i].ck);
	}
	free(cks);
	return status;
}

int merge_main(int argc, char **argv)
{
	struct merge_opts o;
	struct input *ins;
	bool ckpt;
	int status;

	parse_args(&o, argc, argv);
	ins = calloc((size_t)o.ninputs, sizeof(*ins));
	if (!ins) {
		fputs("ringscan merge: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	/* Every input is read before any output is opened. */
	for (int i = 0; i < o.ninputs; i++)
		load_or_fail(&ins[i], o.inputs[i]);
	ckpt = is_checkpoint(&ins[0]);
	for (int i = 1; i < o.ninputs; i++)
		if (is_checkpoint(&ins[i]) != ckpt)
			merge_fail(
				"'%s' is %sa checkpoint but '%s' is %s: merge checkpoint files together, or CSV/JSON files together",
				o.inputs[0], ckpt ? "" : "not ", o.inputs[i],
				ckpt ? "not" : "one");
	/* A checkpoint's command line is rebuilt (its -iL files read, its
	 * names resolved) with our privileges: as root, only root's own. */
	for (int i = 0;
	     ckpt && !o.trust_checkpoint && geteuid() == 0 && i < o.ninputs;
	     i++) {
		struct rs_error err;

		if (ins[i].is_file &&
		    checkpoint_check_owner(&ins[i].st, 0, &err))
			merge_fail("'%s': %s", o.inputs[i], err.reason);
	}
	status = ckpt ? merge_checkpoints(&o, ins) : merge_rows(&o, ins);
	free(ins);
	free(o.inputs_alloc);
	return status;
}
