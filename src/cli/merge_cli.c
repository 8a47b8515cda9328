/*
 * merge_cli.c - `ringscan merge` (see merge_cli.h and docs/distributed.md).
 *
 * Two kinds of input need two different merges, and each has its module:
 * checkpoints of the shards of one scan fold into that whole scan
 * (ckmerge.h: exact, reports included); CSV and JSON rows merge into their
 * union (rowmerge.h), and make a report only when they fill their
 * rectangle (rowreport.h).  This file holds what is the command's own:
 * the arguments, the order of the steps, and every message - the modules
 * return -errno and an rs_error, and the words are chosen here.
 *
 * Inputs are read whole (mapped when they are regular files, fileio_map),
 * parsed, and let go before any output is opened, so an output may even
 * replace one of its inputs.  Checkpoint merges rebuild the scan - and its
 * host names - from the first checkpoint's command line (cli_scan_load).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "ckmerge.h"
#include "cli.h"
#include "fileio.h"
#include "merge_cli.h"
#include "mergetally.h"
#include "output.h"
#include "rowmerge.h"
#include "rowreport.h"
#include "services.h"
#include "version.h"

#define STATES_ALL (OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED | OUTPUT_ST_FILTERED)
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

static void load_or_fail(struct fileio_map *in, const char *path)
{
	int ret = fileio_map(path, MERGE_STREAM_MAX, in);

	if (ret == -ENOMEM) {
		cli_say("ringscan merge: ", "out of memory reading '%s'", path);
		exit(EXIT_RUNTIME);
	}
	if (ret)
		merge_fail("cannot read '%s': %s", path, fileio_strerror(ret));
}

static bool is_checkpoint(const struct fileio_map *in)
{
	return checkpoint_looks_like(in->buf, in->len);
}

/* ---- writing ---- */

static void __attribute__((noreturn)) out_of_memory(void)
{
	fputs("ringscan merge: out of memory\n", stderr);
	exit(EXIT_RUNTIME);
}

static struct output *open_outputs(struct merge_opts *o,
				   const struct services *svc)
{
	struct output *out = NULL;
	struct rs_error err;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = output_open(&out, &o->out, svc, &err);
	if (ret == -ENOMEM)
		out_of_memory();
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

/* The disagreements a merge kept, one line each, then how many more. */
static void say_disagreements(const struct merge_tally *t, char **paths)
{
	for (uint64_t i = 0; i < t->shown; i++) {
		const struct merge_disagreement *d = &t->named[i];
		char host[RS_ADDR_STRLEN];

		/* The path is shown through escape_text. */
		cli_say("ringscan merge: ",
			"%s %u/%s: %s in '%s'; keeping %s from the earlier input",
			addr_format(&d->addr, host, sizeof(host)),
			(unsigned)d->port, d->proto == RS_UDP ? "udp" : "tcp",
			output_state_name(d->other, d->proto), paths[d->input],
			output_state_name(d->kept, d->proto));
	}
	if (t->disagree > t->shown)
		fprintf(stderr,
			"ringscan merge: ... and %llu more disagreements\n",
			(unsigned long long)(t->disagree - t->shown));
}

/* ---- CSV and JSON rows ---- */

static void load_rows(struct rowmerge *rm, struct fileio_map *in,
		      const char *path, uint32_t idx)
{
	struct rs_error err;
	unsigned long cut;
	int ret = rowmerge_load(rm, in->buf, in->len, idx, &cut, &err);

	if (!ret && cut)
		cli_say("ringscan merge: ",
			"warning: '%s' line %lu: the last line is cut short (a scan killed while writing?); ignored",
			path, cut);
	if (ret == -ENOMEM)
		out_of_memory();
	if (ret == -E2BIG)
		merge_fail("'%s' line %lu: %s", path, err.line, err.reason);
	if (ret)
		merge_fail("'%s' line %lu: %s ('%s')", path, err.line,
			   err.reason, err.token);
}

static void build_report(struct rowreport *rr, const struct rowmerge *rm)
{
	struct rowreport_shape shape;
	struct rs_error err;
	int ret = rowreport_build(rr, rm, &shape, &err);

	switch (ret) {
	case 0:
		return;
	case -ENOMEM:
		fputs("ringscan merge: out of memory building the report\n",
		      stderr);
		exit(EXIT_RUNTIME);
	case -EFAULT:
		fputs("ringscan merge: internal error: a row outside its own rectangle\n",
		      stderr);
		exit(EXIT_RUNTIME);
	case -ERANGE:
		merge_fail(
			"the rows cover %llu of the %llu (host, port) pairs of %llu hosts x %u ports, %s",
			(unsigned long long)shape.rows,
			(unsigned long long)shape.cells,
			(unsigned long long)shape.hosts, shape.ports,
			err.reason);
	default:
		if (err.token[0])
			merge_fail("host '%s': %s", err.token,
				   err.reason ? err.reason : strerror(-ret));
		merge_fail("%s", err.reason ? err.reason : strerror(-ret));
	}
}

static int merge_rows(struct merge_opts *o, struct fileio_map *ins)
{
	struct rowmerge *rm = NULL;
	struct merge_tally t;
	struct rowreport rr;
	struct services *svc = NULL;
	struct output *out;
	struct output_report rep;
	bool report = wants_report(o);
	int write_err = 0, status;
	size_t n;

	memset(&t, 0, sizeof(t));
	memset(&rr, 0, sizeof(rr));
	if (rowmerge_new(&rm) || services_find(&svc, NULL, NULL)) {
		fputs("ringscan merge: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < o->ninputs; i++) {
		load_rows(rm, &ins[i], o->inputs[i], (uint32_t)i);
		fileio_unmap(&ins[i]);
	}
	rowmerge_dedup(rm, &t);
	say_disagreements(&t, o->inputs);
	if (report)
		build_report(&rr, rm);

	if (!o->states_set)
		o->states = STATES_ALL;
	o->out.states = o->states;
	o->out.open_only = o->open_only;
	out = open_outputs(o, svc);
	n = rowmerge_count(rm);
	for (size_t i = 0; i < n; i++) {
		struct output_result r;
		int ret;

		rowmerge_row(rm, i, &r);
		ret = output_result(out, &r);
		if (ret && !write_err)
			write_err = ret;
		mergetally_add(&t, r.state);
	}
	rep = (struct output_report){
		.targets = rr.targets,
		.ports = rr.ports,
		.store = rr.store,
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

	rowreport_free(&rr);
	services_free(svc);
	rowmerge_free(rm);
	return status;
}

/* ---- checkpoints ---- */

static void add_checkpoint(struct ckmerge *m, struct merge_opts *o, int i,
			   const struct fileio_map *in)
{
	struct rs_error err;
	uint32_t index, count;
	int ret = ckmerge_add(m, o->inputs[i], in->buf, in->len, &err);

	switch (ret) {
	case 0:
		return;
	case -EINVAL:
		merge_fail("'%s': %s", o->inputs[i], err.reason);
	case -ENOMEM:
		out_of_memory();
	case -EXDEV:
		merge_fail(
			"'%s' is not a shard of the same scan as '%s' (targets, ports, --seed or the shard count differ)",
			o->inputs[i], o->inputs[0]);
	case -ERANGE:
		ckmerge_shard(m, i, &index, &count);
		merge_fail("'%s': shard %u of %u does not exist", o->inputs[i],
			   index, count);
	default:
		cli_say("ringscan merge: ", "'%s': %s", o->inputs[i],
			strerror(-ret));
		exit(EXIT_RUNTIME);
	}
}

/* "2/3, 3/3" (1-based, as --shards K/N): shards without a finished run. */
static void list_unfinished(char *buf, size_t len, const struct ckmerge *m)
{
	uint32_t count = ckmerge_shard_count(m);
	size_t off = 0;
	unsigned listed = 0;

	buf[0] = '\0';
	for (uint32_t s = 0; s < count; s++) {
		int w;

		if (ckmerge_shard_done(m, s))
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

static int merge_checkpoints(struct merge_opts *o, struct fileio_map *ins)
{
	struct ckmerge *m;
	struct ckmerge_scan scan;
	struct cli_scan cs;
	struct output *out;
	struct output_report rep;
	struct merge_tally t, e;
	struct rs_error err;
	bool complete;
	uint64_t conflicts;
	uint32_t count;
	char missing[160];
	int status, n = o->ninputs, write_err = 0, ret, argc;
	char **argv;

	if (ckmerge_new(&m, n)) {
		fputs("ringscan merge: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < n; i++) {
		add_checkpoint(m, o, i, &ins[i]);
		fileio_unmap(&ins[i]);
	}

	/* The scan as its first shard's command line defines it, here. */
	ckmerge_argv(m, &argc, &argv);
	cli_scan_load(&cs, argc, argv);
	scan = (struct ckmerge_scan){
		.targets = cs.targets,
		.ports = cs.ports,
		.nprobes = cs.nprobes,
		.fingerprint = cs.fingerprint,
		.seed = cs.cli.scan.seed,
		.sequential = cs.cli.scan.sequential,
	};
	memset(&t, 0, sizeof(t));
	ret = ckmerge_fold(m, &scan, &t, &err);
	say_disagreements(&t, o->inputs);
	if (ret == -EINVAL)
		merge_fail("'%s': %s", o->inputs[0], err.reason);
	if (ret == -ENOMEM)
		out_of_memory();
	if (ret) {
		cli_say("ringscan merge: ", "'%s': %s", err.token, err.reason);
		exit(EXIT_RUNTIME);
	}
	count = ckmerge_shard_count(m);
	complete = ckmerge_complete(m);
	conflicts = ckmerge_conflicts(m);
	list_unfinished(missing, sizeof(missing), m);

	o->out.states = o->states_set ? o->states : cs.cli.out.states;
	o->out.open_only = o->open_only || cs.cli.out.open_only;
	o->out.has_seed = true; /* the database's scans row records it */
	/* --defeat-icmp-ratelimit: silence is closed|filtered (output.h) */
	o->out.udp_closed_filtered = cs.cli.out.udp_closed_filtered;
	o->out.seed = cs.cli.scan.seed;
	out = open_outputs(o, cs.svc);
	memset(&e, 0, sizeof(e));
	ret = ckmerge_emit(m, out, o->out.states, &e, &write_err);
	if (ret && !write_err)
		write_err = ret;

	rep = (struct output_report){
		.targets = cs.targets,
		.ports = cs.ports,
		.store = ckmerge_store(m),
		.elapsed_s = (double)ckmerge_elapsed_ns(m) / 1e9,
		.complete = complete,
		.interrupted = !complete,
		.start_time = time(NULL),
	};
	status = close_outputs(out, &rep, write_err);
	fprintf(stderr,
		"ringscan merge: %d checkpoint%s of a %u-shard scan, %s%s%s: %llu final probes of %llu (%llu open, %llu closed, %llu filtered)",
		n, n == 1 ? "" : "s", count,
		complete ? "complete" : "incomplete (missing or unfinished: ",
		complete ? "" : missing, complete ? "" : ")",
		(unsigned long long)e.rows, (unsigned long long)cs.nprobes,
		(unsigned long long)e.open, (unsigned long long)e.closed,
		(unsigned long long)e.filtered);
	if (conflicts)
		fprintf(stderr,
			", %llu disagreement%s (the first input's answer kept)",
			(unsigned long long)conflicts,
			conflicts == 1 ? "" : "s");
	fputc('\n', stderr);
	if (!complete)
		fputs("ringscan merge: the reports say so; finish a shard with ringscan --resume FILE, then merge again\n",
		      stderr);

	ckmerge_free(m);
	cli_scan_free(&cs);
	return status;
}

int merge_main(int argc, char **argv)
{
	struct merge_opts o;
	struct fileio_map *ins;
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
