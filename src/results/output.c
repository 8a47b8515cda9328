/*
 * output.c - CSV and JSON-lines streams; nmap-style text, XML and grepable
 * reports.
 *
 * The streams are written row by row as results become final, into each
 * writer's own buffer, which goes to the file with write(2) only at the end
 * of a row, every OUTPUT_FLUSH_ROWS rows (or OUTPUT_STREAM_BYTES): a scan
 * killed at any moment leaves only whole, parseable rows behind (stdio's
 * flush-when-full cut them anywhere), while a fast scan does not pay a
 * write(2) per result.  Every field that comes from outside the program
 * (service names from /etc/services, reasons) goes through the format's own
 * escaping - RFC 4180 quoting for CSV, RFC 8259 escapes for JSON, with bytes
 * that are not valid UTF-8 replaced by U+FFFD so that every line stays valid
 * JSON - because a hostile services file must not be able to forge columns
 * or objects.  The text report shows control bytes and invalid UTF-8 as '?'
 * for the same reason: it goes to terminals (escape.h, which the CLI's
 * error lines use too).
 *
 * The text report is built at the end from the state store, never from the
 * stream, so it costs nothing during the scan.  The store numbers probes
 * host * nports + port_index, and targets and ports are both sorted, so
 * walking probe numbers upwards visits hosts by ascending address and ports
 * ascending: no sorting is needed.  Hosts that never answered are skipped
 * with store_next_set, which jumps over untouched pages, so a /16 with two
 * live hosts costs two hosts' worth of work plus a scan of the page summary.
 * Within a host the gaps between set cells are the NONE cells: "filtered
 * (no-response)" once the scan is complete, "unknown" if it was interrupted,
 * in which case they are neither counted nor listed and the report says so.
 *
 * Closed ports are always summarized on the "Not shown" line; filtered ports
 * are listed when there are at most OUTPUT_MAX_LISTED of them on a host, like
 * nmap's ignored-states rule, so a firewalled host does not print 65535
 * lines.  A host counts as up when it answered at all (open or closed): an
 * ICMP unreachable usually comes from a router, not from the host.
 *
 * The XML (-oX) and grepable (-oG) reports walk the store the same way and
 * apply the same rules, so the three reports never disagree on a host or a
 * port.  They are written at the end even though nmap streams grepable
 * lines: a host's "Ports:" line needs all of its ports, and the CLI calls
 * output_finish on SIGINT too, so only a SIGKILL loses them.  Both follow
 * nmap 7.93's bytes (element order, one <port> per line, ctime dates, "Ports:
 * " with nothing after it for an all-ignored host) because scripts grep
 * them.  The XML has to validate against nmap.dtd, which admits no scanner
 * but "nmap": the root says so, and ringscan names itself in the comment,
 * args and version instead.  Where nmap prints a port list (extrareasons'
 * ports="1-79,81-65535") the list is emitted run by run while walking the
 * store, so a host's 65535 ports cost no buffer.
 *
 * Why one file of some 1,300 lines: the five formats share the writer
 * (its whole-row and page-bounded write rules), the per-host walk of the
 * store and the nmap rules for what is listed and what summarized; split
 * by format, each part would need that state through an internal header,
 * and the rules that keep the three reports agreeing would no longer sit
 * side by side.  The escaping of outside text is escape.c's.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "escape.h"
#include "sqlout.h"

/* The closed-port reason for the connect scan the report describes. */
/* What a closed port answered: a refused connect, or a RST to our SYN. */
static const char *closed_reason(const struct output *o);
#define REASON_NORESP "no-response"
#define REASON_UNREACH "host-unreach"

/*
 * One output file, written with write(2) from the writer's own buffer
 * (buf is NULL when the output was not asked for).  Every byte goes
 * through w_put, so the first failed write keeps its errno and later
 * writes are skipped; callers check w->err once.  A stream (CSV, JSON
 * lines) reaches the file in whole rows only: it is written out at the end
 * of a row (w_row_end) and never in the middle of one - its buffer grows
 * instead - because a kill -9 or the OOM killer can stop the scan at any
 * moment and what is on disk then must parse.  stdio cannot promise that:
 * it flushes whenever its buffer fills, mid-row.  A report (text, XML,
 * grepable) is one document written at the end, flushed whenever its
 * buffer fills.
 */
struct writer {
	int fd;
	bool is_stdout;
	bool stream; /* write out whole rows only */
	char *buf; /* NULL if this output was not asked for */
	bool created; /* output_open made the file (removed if it fails) */
	size_t len;
	size_t cap;
	unsigned rows; /* since the last flush */
	uint64_t pos; /* file offset of the next write (streams) */
	int err; /* first write error, -errno */
};

#define OUTPUT_PAGE 4096 /* the page size writes are kept within */

struct output {
	bool syn; /* -sS: reasons and scan type as nmap -sS reports them */
	struct writer normal;
	struct writer csv;
	struct writer json;
	struct writer xml;
	struct writer grep;
	struct sqlout *sql; /* --sqlite, or NULL */
	bool text_stdout;
	bool started; /* output_start wrote the stdout copy's first line */
	bool open_only;
	bool reason; /* --reason */
	unsigned states;
	const struct services *svc;
	char *version;
	char *command_line;
};

static const char *closed_reason(const struct output *o)
{
	return o->syn ? "reset" : "conn-refused";
}

/*
 * How much of buf[off..len) one write(2) should take.  On a SIGKILL the
 * kernel may stop a write to a file between two pages of it, having
 * written the first: a write that stays inside one page of the file is
 * whole or not there at all.  So a stream's write ends at the last row
 * that fits before the file's next page boundary, and a row that straddles
 * one goes alone - the only write that a kill can still cut, and then only
 * in its nanoseconds between the two pages.
 */
static size_t w_chunk(const struct writer *w, size_t off)
{
	size_t left = w->len - off, room;
	const char *nl;

	if (!w->stream || w->is_stdout)
		return left;
	room = OUTPUT_PAGE - (size_t)(w->pos % OUTPUT_PAGE);
	if (left <= room)
		return left;
	nl = memrchr(w->buf + off, '\n', room);
	if (nl)
		return (size_t)(nl - (w->buf + off)) + 1;
	nl = memchr(w->buf + off, '\n', left);
	return nl ? (size_t)(nl - (w->buf + off)) + 1 : left;
}

/* Everything buffered, to the file; the buffer is empty after. */
static void w_write_out(struct writer *w)
{
	size_t off = 0;

	while (!w->err && off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w_chunk(w, off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			w->err = -errno;
		else if (n == 0)
			w->err = -EIO;
		else {
			off += (size_t)n;
			w->pos += (uint64_t)n;
		}
	}
	w->len = 0;
	w->rows = 0;
}

static void w_put(struct writer *w, const char *s, size_t n)
{
	if (w->err || n == 0)
		return;
	if (n > w->cap - w->len && !w->stream)
		w_write_out(w);
	if (!w->err && n > w->cap - w->len) {
		/* A row (or one piece of a report) longer than the room
		 * left: grow, rather than write part of a row. */
		size_t cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
		char *nb = realloc(w->buf, cap);

		if (!nb) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	if (w->err)
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void w_puts(struct writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void w_putc(struct writer *w, char c)
{
	w_put(w, &c, 1);
}

/* The writers as an escape.h sink: outside text goes through these. */
static void w_sink(void *ctx, const char *s, size_t n)
{
	w_put(ctx, s, n);
}

static void csv_field(struct writer *w, const char *s)
{
	escape_csv(w_sink, w, s);
}

static void json_string(struct writer *w, const char *s)
{
	escape_json(w_sink, w, s);
}

static void xml_escape(struct writer *w, const char *s)
{
	escape_xml(w_sink, w, s);
}

static void grep_field(struct writer *w, const char *s)
{
	escape_grep(w_sink, w, s);
}

/* Outside text for a terminal: unsafe bytes as '?'. */
static void print_clean(struct writer *w, const char *s)
{
	escape_text(w_sink, w, s);
}

/*
 * For bounded formats only (numbers, addresses, fixed words: the longest is
 * the closing line, whose %.2f of a double stays under 330 bytes); any text
 * from outside goes through w_puts or print_clean instead.
 */
__attribute__((format(printf, 2, 3))) static void w_printf(struct writer *w,
							   const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert(n >= 0 && (size_t)n < sizeof(buf));
	w_put(w, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int w_flush(struct writer *w)
{
	w_write_out(w);
	return w->err;
}

/*
 * A stream's row is complete: the only place its buffer is written out,
 * once enough rows or bytes have gathered to make the write(2) worth it.
 */
static int w_row_end(struct writer *w)
{
	if (++w->rows >= OUTPUT_FLUSH_ROWS || w->len >= OUTPUT_STREAM_BYTES)
		return w_flush(w);
	return w->err;
}

/* Flush, and close unless it is stdout; the first error wins. */
static int writer_close(struct writer *w)
{
	int ret;

	if (!w->buf)
		return 0;
	ret = w_flush(w);
	if (!w->is_stdout && close(w->fd) != 0 && ret == 0)
		ret = -errno;
	free(w->buf);
	w->buf = NULL;
	w->fd = -1;
	return ret;
}

static int writer_open(struct writer *w, const char *path, bool stream)
{
	w->buf = malloc(OUTPUT_BUF_BYTES);
	if (!w->buf)
		return -ENOMEM;
	w->cap = OUTPUT_BUF_BYTES;
	w->len = 0;
	w->rows = 0;
	w->pos = 0; /* files are truncated before the first write */
	w->err = 0;
	w->stream = stream;
	if (strcmp(path, "-") == 0) {
		/* Anything stdio still holds for stdout goes first. */
		fflush(stdout);
		w->fd = STDOUT_FILENO;
		w->is_stdout = true;
		return 0;
	}
	/*
	 * Not truncated yet: output_open truncates only once every output
	 * has opened and none names another's file.  O_EXCL first, to know
	 * whether the file is ours to remove if that fails.
	 */
	w->is_stdout = false;
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	w->created = w->fd >= 0;
	if (w->fd < 0 && errno == EEXIST)
		w->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (w->fd < 0) {
		int ret = -errno;

		free(w->buf);
		w->buf = NULL;
		return ret;
	}
	return 0;
}

int output_set_all(struct output_config *cfg, char (*paths)[OUTPUT_PATH_MAX],
		   const char *base, struct rs_error *err)
{
	static const char *const ext[OUTPUT_ALL_FILES] = { ".nmap", ".xml",
							   ".gnmap", ".csv" };

	/* "" or "dir/" would make hidden files named only ".xml"... */
	if (!*base || base[strlen(base) - 1] == '/')
		return rs_error_set(
			err, base, strlen(base),
			"needs a base name for the files, e.g. -oA scan");
	for (int k = 0; k < OUTPUT_ALL_FILES; k++)
		if (snprintf(paths[k], OUTPUT_PATH_MAX, "%s%s", base, ext[k]) >=
		    OUTPUT_PATH_MAX)
			return rs_error_set(err, base, strlen(base),
					    "name too long");
	cfg->normal_path = paths[0];
	cfg->xml_path = paths[1];
	cfg->grep_path = paths[2];
	cfg->csv_path = paths[3];
	return 0;
}

int output_parse_states(const char *list, unsigned *mask, struct rs_error *err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "open", OUTPUT_ST_OPEN },
		{ "closed", OUTPUT_ST_CLOSED },
		{ "filtered", OUTPUT_ST_FILTERED },
	};
	unsigned m = 0;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		size_t i;

		if (len == 0)
			return rs_error_set(err, list, strlen(list),
					    "empty state in list (expected "
					    "open,closed,filtered)");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == len &&
			    strncasecmp(p, names[i].name, len) == 0)
				break;
		}
		if (i == sizeof(names) / sizeof(names[0]))
			return rs_error_set(err, p, len,
					    "unknown state (expected open, "
					    "closed or filtered)");
		m |= names[i].bit;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*mask = m;
	return 0;
}

static void open_failed(struct rs_error *err, const char *path)
{
	if (err)
		rs_error_set(err, path, strlen(path),
			     "cannot open output file");
}

/* One output of output_open: its writer, path, and kind. */
struct output_slot {
	struct writer *w;
	const char *path;
	bool stream;
};

/*
 * Would two outputs, or an output and the checkpoint, write one file?  Two
 * formats would then interleave in it, or the checkpoint's rename would
 * replace the rows.  Judged on the open descriptors (device and inode),
 * so every spelling of a path - ./x, a symlink, a hard link, a name that
 * did not exist before this call - counts as the file it is.  Devices and
 * FIFOs may be shared (-oC /dev/null -oJ /dev/null); "-" may not, and
 * neither may a file that is also standard output when the text report
 * goes there.
 */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return S_ISREG(a->st_mode) && S_ISREG(b->st_mode) &&
	       a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int check_distinct(const struct output_slot *slots, size_t n,
			  const struct output_config *cfg, struct rs_error *err)
{
	struct stat st[8], ck, out;
	bool have_ck, have_out;

	assert(n <= sizeof(st) / sizeof(st[0]));
	for (size_t i = 0; i < n; i++)
		if (slots[i].w->buf && fstat(slots[i].w->fd, &st[i]))
			return -errno;
	/* lstat: the rename replaces a symlink, not what it points to. */
	have_ck = cfg->checkpoint_path && !lstat(cfg->checkpoint_path, &ck);
	/* The text report goes to stdout: ringscan -oC x > x. */
	have_out = cfg->text_stdout && !fstat(STDOUT_FILENO, &out);
	for (size_t i = 0; i < n; i++) {
		if (!slots[i].w->buf)
			continue;
		if (have_ck && same_file(&st[i], &ck))
			return rs_error_set(
				err, slots[i].path, strlen(slots[i].path),
				"is also the --checkpoint file, which would replace it; give them different names");
		if (have_out && !slots[i].w->is_stdout &&
		    same_file(&st[i], &out))
			return rs_error_set(
				err, slots[i].path, strlen(slots[i].path),
				"is also standard output, where the text report goes; redirect it elsewhere");
		for (size_t j = 0; j < i; j++) {
			if (!slots[j].w->buf)
				continue;
			if ((slots[i].w->is_stdout && slots[j].w->is_stdout) ||
			    same_file(&st[i], &st[j]))
				return rs_error_set(
					err, slots[i].path,
					strlen(slots[i].path),
					"names the same file as another output; two formats would mix in it");
		}
	}
	return 0;
}

/*
 * check_distinct for the database, which SQLite opens itself: judged by
 * its name, which exists now that sqlout_open opened it.
 */
static int check_db_distinct(const struct output_slot *slots, size_t n,
			     const struct output_config *cfg,
			     struct rs_error *err)
{
	const char *p = cfg->sqlite_path;
	struct stat db, st;

	if (stat(p, &db))
		return -errno;
	if (cfg->checkpoint_path && !lstat(cfg->checkpoint_path, &st) &&
	    same_file(&db, &st))
		return rs_error_set(
			err, p, strlen(p),
			"is also the --checkpoint file, which would replace it; give them different names");
	if (cfg->text_stdout && !fstat(STDOUT_FILENO, &st) &&
	    same_file(&db, &st))
		return rs_error_set(
			err, p, strlen(p),
			"is also standard output, where the text report goes; redirect it elsewhere");
	for (size_t i = 0; i < n; i++)
		if (slots[i].w->buf && !fstat(slots[i].w->fd, &st) &&
		    same_file(&db, &st))
			return rs_error_set(
				err, p, strlen(p),
				"names the same file as another output; two formats would mix in it");
	return 0;
}

/* What the database's scans row says about this scan. */
static int open_sqlite(struct output *o, const struct output_config *cfg,
		       struct rs_error *err)
{
	char seed[24];
	struct sqlout_scan scan = {
		.command_line = cfg->command_line,
		.version = cfg->version,
		.seed = cfg->has_seed ? seed : NULL,
		.resume_key = cfg->resume_key,
		.resume = cfg->resume,
	};
	int ret;

	snprintf(seed, sizeof(seed), "%" PRIu64, cfg->seed);
	ret = sqlout_open(&o->sql, cfg->sqlite_path, &scan, err);
	if (ret && ret != -EINVAL)
		open_failed(err, cfg->sqlite_path);
	return ret;
}

/* Truncate the regular files among the outputs (not standard output). */
static int truncate_all(const struct output_slot *slots, size_t n,
			struct rs_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct writer *w = slots[i].w;
		struct stat st;

		if (!w->buf || w->is_stdout)
			continue;
		if (fstat(w->fd, &st) ||
		    (S_ISREG(st.st_mode) && ftruncate(w->fd, 0))) {
			int ret = -errno;

			open_failed(err, slots[i].path);
			return ret;
		}
	}
	return 0;
}

int output_open(struct output **out, const struct output_config *cfg,
		const struct services *svc, struct rs_error *err)
{
	struct output_slot slots[5];
	struct output *o;
	size_t i, n = sizeof(slots) / sizeof(slots[0]);
	int ret;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->text_stdout = cfg->text_stdout;
	o->open_only = cfg->open_only;
	o->reason = cfg->reason;
	o->syn = cfg->syn;
	o->states = cfg->states;
	o->svc = svc;
	o->version = strdup(cfg->version ? cfg->version : "");
	if (!o->version) {
		ret = -ENOMEM;
		goto out_free_strings;
	}
	if (cfg->command_line) {
		o->command_line = strdup(cfg->command_line);
		if (!o->command_line) {
			ret = -ENOMEM;
			goto out_free_strings;
		}
	}

	/*
	 * Open every output before truncating any: a bad path or a collision
	 * must cost nothing, not the previous results in the outputs that
	 * did open.
	 */
	slots[0] = (struct output_slot){ &o->normal, cfg->normal_path, false };
	slots[1] = (struct output_slot){ &o->csv, cfg->csv_path, true };
	slots[2] = (struct output_slot){ &o->json, cfg->json_path, true };
	slots[3] = (struct output_slot){ &o->xml, cfg->xml_path, false };
	slots[4] = (struct output_slot){ &o->grep, cfg->grep_path, false };
	for (i = 0; i < n; i++) {
		if (!slots[i].path)
			continue;
		ret = writer_open(slots[i].w, slots[i].path, slots[i].stream);
		if (ret) {
			open_failed(err, slots[i].path);
			goto out_discard_writers;
		}
	}
	if (cfg->sqlite_path) {
		ret = open_sqlite(o, cfg, err);
		if (ret)
			goto out_discard_writers;
	}
	ret = check_distinct(slots, n, cfg, err);
	if (!ret && o->sql) {
		ret = check_db_distinct(slots, n, cfg, err);
		if (!ret)
			ret = sqlout_commit(o->sql);
		if (ret && ret != -EINVAL)
			open_failed(err, cfg->sqlite_path);
	}
	if (ret)
		goto out_discard_writers;
	ret = truncate_all(slots, n, err);
	if (ret)
		goto out_discard_writers;

	/* The header goes out now so that even an empty scan is a valid CSV. */
	if (o->csv.buf) {
		w_puts(&o->csv,
		       "host,port,proto,state,service,reason,rtt_ms,hostname\n");
		w_flush(&o->csv);
	}
	*out = o;
	return 0;

out_discard_writers:
	sqlout_discard(o->sql);
	for (i = 0; i < n; i++) {
		if (slots[i].w->buf && slots[i].w->created)
			unlink(slots[i].path);
		writer_close(slots[i].w);
	}
out_free_strings:
	free(o->command_line);
	free(o->version);
	free(o);
	return ret;
}

/* ---- streams ---- */

const char *output_state_name(enum output_state st)
{
	switch (st) {
	case OUT_OPEN:
		return "open";
	case OUT_CLOSED:
		return "closed";
	case OUT_FILTERED:
	case OUT_UNREACH:
		return "filtered";
	}
	return "unknown";
}

static unsigned state_bit(enum output_state st)
{
	switch (st) {
	case OUT_OPEN:
		return OUTPUT_ST_OPEN;
	case OUT_CLOSED:
		return OUTPUT_ST_CLOSED;
	case OUT_FILTERED:
	case OUT_UNREACH:
		return OUTPUT_ST_FILTERED;
	}
	return 0;
}

static const char *proto_word(enum rs_proto p)
{
	return p == RS_UDP ? "udp" : "tcp";
}

/*
 * Milliseconds with three decimals, from integer microseconds, so that the
 * text is exact (no binary floating point rounding): 42 us -> "0.042".
 */
static void format_rtt(char *buf, size_t len, int64_t rtt_us)
{
	snprintf(buf, len, "%" PRId64 ".%03" PRId64, rtt_us / 1000,
		 rtt_us % 1000);
}

static int write_csv(struct output *o, const struct output_result *r,
		     const char *host, const char *service, const char *rtt)
{
	struct writer *w = &o->csv;

	csv_field(w, host);
	w_printf(w, ",%u,%s,%s,", (unsigned)r->port, proto_word(r->proto),
		 output_state_name(r->state));
	csv_field(w, service);
	w_putc(w, ',');
	csv_field(w, r->reason ? r->reason : "");
	w_putc(w, ',');
	w_puts(w, rtt);
	w_putc(w, ',');
	csv_field(w, r->hostname ? r->hostname : "");
	w_putc(w, '\n');
	return w_row_end(w);
}

static int write_json(struct output *o, const struct output_result *r,
		      const char *host, const char *service, const char *rtt)
{
	struct writer *w = &o->json;

	w_puts(w, "{\"host\":");
	json_string(w, host);
	w_printf(w, ",\"port\":%u,\"proto\":\"%s\",\"state\":\"%s\",",
		 (unsigned)r->port, proto_word(r->proto),
		 output_state_name(r->state));
	w_puts(w, "\"service\":");
	json_string(w, service);
	w_puts(w, ",\"reason\":");
	json_string(w, r->reason ? r->reason : "");
	w_printf(w, ",\"rtt_ms\":%s", rtt[0] ? rtt : "null");
	if (r->hostname) {
		w_puts(w, ",\"hostname\":");
		json_string(w, r->hostname);
	}
	w_puts(w, "}\n");
	return w_row_end(w);
}

/* The CSV's row, typed: rtt_ms a number or NULL, not text. */
static int write_sql(struct output *o, const struct output_result *r,
		     const char *host, const char *service)
{
	struct sqlout_row row = {
		.host = host,
		.port = r->port,
		.proto = proto_word(r->proto),
		.state = output_state_name(r->state),
		.service = service,
		.reason = r->reason ? r->reason : "",
		.rtt_us = r->rtt_us,
		.hostname = r->hostname,
	};

	return sqlout_add(o->sql, &row);
}

int output_result(struct output *o, const struct output_result *r)
{
	char host[RS_ADDR_STRLEN];
	char rtt[32] = "";
	const char *service;
	int ret = 0, ret2 = 0, ret3 = 0;

	if (!o->csv.buf && !o->json.buf && !o->sql)
		return 0;
	if (!(o->states & state_bit(r->state)))
		return 0;
	addr_format(r->addr, host, sizeof(host));
	service = services_name(o->svc, r->proto, r->port);
	if (r->rtt_us >= 0)
		format_rtt(rtt, sizeof(rtt), r->rtt_us);
	if (o->csv.buf)
		ret = write_csv(o, r, host, service, rtt);
	if (o->json.buf)
		ret2 = write_json(o, r, host, service, rtt);
	if (o->sql)
		ret3 = write_sql(o, r, host, service);
	return ret ? ret : ret2 ? ret2 : ret3;
}

int output_tick(struct output *o)
{
	return o->sql ? sqlout_tick(o->sql) : 0;
}

/* ---- text report ---- */

/* What one host's cells add up to, and what its table will need. */
struct host_summary {
	uint64_t open;
	uint64_t closed;
	uint64_t noresp; /* NONE cells, counted only for a complete scan */
	uint64_t unreach;
	uint16_t last_open; /* highest port in each class, for widths */
	uint16_t last_filtered;
	bool list_filtered; /* filtered ports go in the table */
};

static void summarize_host(const struct output_report *rep, uint64_t base,
			   bool open_only, struct host_summary *h)
{
	const struct portlist *pl = rep->ports;
	uint64_t end = base + pl->count;
	uint64_t p = base;

	memset(h, 0, sizeof(*h));
	while (p < end) {
		uint64_t q = store_next_set(rep->store, p, end);

		if (q > p && rep->complete) {
			h->noresp += q - p;
			h->last_filtered = pl->port[q - 1 - base];
		}
		if (q == end)
			break;
		switch (store_get(rep->store, q)) {
		case STORE_OPEN:
			h->open++;
			h->last_open = pl->port[q - base];
			break;
		case STORE_CLOSED:
			h->closed++;
			break;
		case STORE_UNREACH:
			h->unreach++;
			h->last_filtered = pl->port[q - base];
			break;
		case STORE_NONE:
			assert(!"store_next_set returned a NONE cell");
			break;
		}
		p = q + 1;
	}
	h->list_filtered = !open_only && h->noresp + h->unreach > 0 &&
			   h->noresp + h->unreach <= OUTPUT_MAX_LISTED;
}

static int port_width(uint16_t port)
{
	char buf[16];

	return snprintf(buf, sizeof(buf), "%u/tcp", (unsigned)port);
}

/*
 * The table's column widths.  With --reason the SERVICE column is as wide
 * as its longest name, as nmap pads it, so REASON lines up; a first pass
 * over the rows (w NULL) measures it.
 */
struct table_cols {
	int pw, sw, vw;
};

static void print_row(struct writer *w, const struct output *o, uint16_t port,
		      const char *state, const char *reason,
		      struct table_cols *c)
{
	const char *name = services_name(o->svc, RS_TCP, port);
	char pbuf[16];

	if (!w) {
		if ((int)strlen(name) > c->vw)
			c->vw = (int)strlen(name);
		return;
	}
	snprintf(pbuf, sizeof(pbuf), "%u/tcp", (unsigned)port);
	w_printf(w, "%-*s %-*s ", c->pw, pbuf, c->sw, state);
	print_clean(w, name);
	if (o->reason)
		w_printf(w, "%*s %s", c->vw - (int)strlen(name), "", reason);
	w_putc(w, '\n');
}

static void table_rows(struct writer *w, const struct output *o,
		       const struct output_report *rep, uint64_t base,
		       const struct host_summary *h, struct table_cols *c)
{
	const struct portlist *pl = rep->ports;
	uint64_t end = base + pl->count;
	uint64_t p = base;

	while (p < end) {
		uint64_t q = store_next_set(rep->store, p, end);
		enum store_state st;

		if (h->list_filtered && rep->complete) {
			for (; p < q; p++)
				print_row(w, o, pl->port[p - base], "filtered",
					  REASON_NORESP, c);
		}
		if (q == end)
			break;
		st = store_get(rep->store, q);
		if (st == STORE_OPEN)
			print_row(w, o, pl->port[q - base], "open", "syn-ack",
				  c);
		else if (st == STORE_UNREACH && h->list_filtered)
			print_row(w, o, pl->port[q - base], "filtered",
				  REASON_UNREACH, c);
		p = q + 1;
	}
}

static void print_table(struct writer *w, const struct output *o,
			const struct output_report *rep, uint64_t base,
			const struct host_summary *h)
{
	struct table_cols c = { .sw = 5, .vw = 7 }; /* "STATE", "SERVICE" */
	uint16_t last = h->last_open;

	if (h->list_filtered) {
		c.sw = 8; /* "filtered" */
		if (h->last_filtered > last)
			last = h->last_filtered;
	}
	c.pw = port_width(last);
	if (c.pw < 4)
		c.pw = 4;
	if (o->reason)
		table_rows(NULL, o, rep, base, h, &c);
	w_printf(w, "%-*s %-*s SERVICE", c.pw, "PORT", c.sw, "STATE");
	if (o->reason)
		w_printf(w, "%*s REASON", c.vw - 7, "");
	w_putc(w, '\n');
	table_rows(w, o, rep, base, h, &c);
}

static void not_shown_part(struct writer *w, bool *first, uint64_t n,
			   const char *state, const char *reason)
{
	if (n == 0)
		return;
	w_printf(w, "%s%" PRIu64 " %s tcp port%s (%s)", *first ? "" : ", ", n,
		 state, n == 1 ? "" : "s", reason);
	*first = false;
}

/* Returns whether a "Not shown" line was printed. */
static bool print_not_shown(struct writer *w, const struct output *o,
			    const struct host_summary *h)
{
	bool first = true;
	bool summarize_filtered = !h->list_filtered;

	if (h->closed == 0 &&
	    (!summarize_filtered || h->noresp + h->unreach == 0))
		return false;
	w_puts(w, "Not shown: ");
	not_shown_part(w, &first, h->closed, "closed", closed_reason(o));
	if (summarize_filtered) {
		not_shown_part(w, &first, h->noresp, "filtered", REASON_NORESP);
		not_shown_part(w, &first, h->unreach, "filtered",
			       REASON_UNREACH);
	}
	w_putc(w, '\n');
	return true;
}

/*
 * The one name a host is shown by: the name it was given as a target,
 * else its reverse-lookup name (-R), else none.
 */
static const char *report_name(const struct output_report *rep, uint64_t host)
{
	const char *name = targets_name(rep->targets, host);

	return name ? name : targets_ptr_name(rep->targets, host);
}

static void print_host(struct writer *w, const struct output *o,
		       const struct output_report *rep, uint64_t host,
		       const struct host_summary *h)
{
	char addr_buf[RS_ADDR_STRLEN];
	struct rs_addr addr;
	uint64_t base = host * rep->ports->count;

	const char *name = report_name(rep, host);
	const char *ptr = targets_ptr_name(rep->targets, host);
	const char *others = targets_name_others(rep->targets, host);

	targets_get(rep->targets, host, &addr);
	addr_format(&addr, addr_buf, sizeof(addr_buf));
	w_puts(w, "ringscan scan report for ");
	if (name) {
		print_clean(w, name);
		w_printf(w, " (%s)\n", addr_buf);
	} else {
		w_printf(w, "%s\n", addr_buf);
	}
	if (o->reason)
		w_printf(w, "Host is up, received %s.\n",
			 h->open ? "syn-ack" : closed_reason(o));
	else
		w_puts(w, "Host is up.\n");
	if (others) {
		w_puts(w, "Other addresses for ");
		print_clean(w, name);
		w_puts(w, " (not scanned): ");
		print_clean(w, others);
		w_putc(w, '\n');
	}
	if (ptr && name != ptr && strcmp(ptr, name)) {
		w_printf(w, "rDNS record for %s: ", addr_buf);
		print_clean(w, ptr);
		w_putc(w, '\n');
	}
	if (h->open == 0 && !h->list_filtered) {
		/* Interrupted: "scanned" means answered, unknowns excluded. */
		w_printf(w,
			 "All %" PRIu64 " scanned ports on %s are in ignored "
			 "states.\n",
			 h->open + h->closed + h->noresp + h->unreach,
			 addr_buf);
		print_not_shown(w, o, h);
	} else {
		if (!print_not_shown(w, o, h))
			w_putc(w, '\n');
		print_table(w, o, rep, base, h);
	}
	w_putc(w, '\n');
}

static void format_time(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "?");
}

/* What a report does with one host that answered. */
typedef void host_fn(struct writer *w, const struct output *o,
		     const struct output_report *rep, uint64_t host,
		     const struct host_summary *h);

/*
 * Hand every host that answered, in order, to fn (with --open, only those
 * with an open port); return how many answered, i.e. the hosts up.
 */
static uint64_t report_hosts(struct writer *w, const struct output *o,
			     const struct output_report *rep, host_fn *fn)
{
	const struct portlist *pl = rep->ports;
	uint64_t total = targets_count(rep->targets) * pl->count;
	uint64_t up = 0;
	uint64_t p;

	assert(store_nprobes(rep->store) >= total);
	p = total ? store_next_set(rep->store, 0, total) : 0;
	while (p < total) {
		uint64_t host = p / pl->count;
		uint64_t base = host * pl->count;
		struct host_summary h;

		summarize_host(rep, base, o->open_only, &h);
		if (h.open + h.closed > 0) {
			up++;
			if (!o->open_only || h.open > 0)
				fn(w, o, rep, host, &h);
		}
		p = store_next_set(rep->store, base + pl->count, total);
	}
	return up;
}

/*
 * Why some ports are not reported: the scan was stopped early, or this is
 * one shard of several (the other shards' ports were never probed here).
 */
static void report_partial_note(struct writer *w,
				const struct output_report *rep,
				const char *prefix)
{
	if (rep->interrupted)
		w_printf(w,
			 "%sScan interrupted: ports that had not answered are "
			 "unknown, not filtered, and are not reported.\n",
			 prefix);
	else if (rep->shard_count > 1)
		w_printf(w,
			 "%sThis is shard %u of %u: ports of the other shards "
			 "were not probed here and are not reported; merge "
			 "every shard with 'ringscan merge'.\n",
			 prefix, rep->shard_index + 1, rep->shard_count);
}

static void write_starting(struct writer *w, const struct output *o,
			   time_t start_time)
{
	char when[64];

	format_time(when, sizeof(when), start_time);
	w_puts(w, "Starting ringscan ");
	print_clean(w, o->version);
	w_printf(w, " at %s\n", when);
}

static void write_report(struct writer *w, const struct output *o,
			 const struct output_report *rep, bool with_command,
			 bool with_starting)
{
	uint64_t nhosts = targets_count(rep->targets);
	uint64_t up;
	char when[64];

	format_time(when, sizeof(when), rep->start_time);
	if (with_command && o->command_line) {
		w_puts(w, "# ringscan ");
		print_clean(w, o->version);
		w_printf(w, " scan initiated %s as: ", when);
		print_clean(w, o->command_line);
		w_putc(w, '\n');
	}
	if (with_starting)
		write_starting(w, o, rep->start_time);

	up = report_hosts(w, o, rep, print_host);

	report_partial_note(w, rep, "");
	w_printf(w,
		 "ringscan done: %" PRIu64 " IP address%s (%" PRIu64
		 " host%s up) scanned in %.2f seconds\n",
		 nhosts, nhosts == 1 ? "" : "es", up, up == 1 ? "" : "s",
		 rep->elapsed_s);
}

/* ---- per-port walks, shared by the XML and grepable reports ---- */

/* A port's class as the reports see it. */
enum cell {
	CELL_OPEN,
	CELL_CLOSED,
	CELL_NORESP, /* NONE cell of a complete scan */
	CELL_UNREACH,
};

typedef void cell_fn(void *ctx, uint16_t port, enum cell c);

/*
 * Call fn for every port of the host at probe base, ascending.  NONE cells
 * are "no response" only once the scan is complete; before that they are
 * unknown and skipped, as in the text report.
 */
static void walk_host(const struct output_report *rep, uint64_t base,
		      cell_fn *fn, void *ctx)
{
	const struct portlist *pl = rep->ports;
	uint64_t end = base + pl->count;
	uint64_t p = base;

	while (p < end) {
		uint64_t q = store_next_set(rep->store, p, end);

		if (rep->complete) {
			for (; p < q; p++)
				fn(ctx, pl->port[p - base], CELL_NORESP);
		}
		if (q == end)
			break;
		switch (store_get(rep->store, q)) {
		case STORE_OPEN:
			fn(ctx, pl->port[q - base], CELL_OPEN);
			break;
		case STORE_CLOSED:
			fn(ctx, pl->port[q - base], CELL_CLOSED);
			break;
		case STORE_UNREACH:
			fn(ctx, pl->port[q - base], CELL_UNREACH);
			break;
		case STORE_NONE:
			assert(!"store_next_set returned a NONE cell");
			break;
		}
		p = q + 1;
	}
}

/*
 * nmap's compact port list, "1-100,8099": ascending ports are fed in one at
 * a time and a run is printed when it breaks, so no list is ever built.
 */
struct port_ranges {
	struct writer *w;
	bool any;
	uint16_t lo, hi;
};

static void ranges_flush(struct port_ranges *r)
{
	if (!r->any)
		return;
	if (r->lo == r->hi)
		w_printf(r->w, "%u", (unsigned)r->lo);
	else
		w_printf(r->w, "%u-%u", (unsigned)r->lo, (unsigned)r->hi);
}

static void ranges_add(struct port_ranges *r, uint16_t port)
{
	if (r->any && port == r->hi + 1) {
		r->hi = port;
		return;
	}
	if (r->any) {
		ranges_flush(r);
		w_putc(r->w, ',');
	}
	r->any = true;
	r->lo = r->hi = port;
}

struct class_ranges {
	struct port_ranges r;
	enum cell want;
};

static void class_ranges_cell(void *ctx, uint16_t port, enum cell c)
{
	struct class_ranges *cr = ctx;

	if (c == cr->want)
		ranges_add(&cr->r, port);
}

static void write_class_ranges(struct writer *w,
			       const struct output_report *rep, uint64_t base,
			       enum cell want)
{
	struct class_ranges cr = { .r = { .w = w }, .want = want };

	walk_host(rep, base, class_ranges_cell, &cr);
	ranges_flush(&cr.r);
}

/* ctime(3)'s layout, as nmap's XML and grepable headers use it. */
static void format_ctime(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(buf, len, "?");
}

/* Whole seconds at the end of the scan, for nmap's integer times. */
static time_t end_time(const struct output_report *rep)
{
	if (!(rep->elapsed_s > 0) || rep->elapsed_s > 1e12)
		return rep->start_time;
	return rep->start_time + (time_t)(rep->elapsed_s + 0.5);
}

/* ---- XML report ---- */

static void xml_service(struct writer *w, const struct output *o, uint16_t port)
{
	w_puts(w, "<service name=\"");
	xml_escape(w, services_name(o->svc, RS_TCP, port));
	w_puts(w, "\" method=\"table\" conf=\"3\"/>");
}

struct xml_ports_ctx {
	struct writer *w;
	const struct output *o;
	bool list_filtered;
};

static void xml_port_cell(void *ctx, uint16_t port, enum cell c)
{
	struct xml_ports_ctx *x = ctx;
	const char *state = "filtered", *reason;

	switch (c) {
	case CELL_OPEN:
		state = "open";
		reason = "syn-ack";
		break;
	case CELL_NORESP:
		reason = REASON_NORESP;
		break;
	case CELL_UNREACH:
		reason = REASON_UNREACH;
		break;
	case CELL_CLOSED:
	default:
		return;
	}
	if (c != CELL_OPEN && !x->list_filtered)
		return;
	w_printf(x->w,
		 "<port protocol=\"tcp\" portid=\"%u\"><state state=\"%s\" "
		 "reason=\"%s\" reason_ttl=\"0\"/>",
		 (unsigned)port, state, reason);
	xml_service(x->w, x->o, port);
	w_puts(x->w, "</port>\n");
}

static void xml_extrareasons(struct writer *w, const struct output_report *rep,
			     uint64_t base, enum cell c, const char *reason,
			     uint64_t count)
{
	if (count == 0)
		return;
	w_printf(w,
		 "<extrareasons reason=\"%s\" count=\"%" PRIu64
		 "\" proto=\"tcp\" ports=\"",
		 reason, count);
	write_class_ranges(w, rep, base, c);
	w_puts(w, "\"/>\n");
}

/* nmap's <hostname>: the name given (type user) or looked up (PTR). */
static void xml_hostname(struct writer *w, const char *name, const char *type)
{
	if (!name)
		return;
	w_puts(w, "<hostname name=\"");
	xml_escape(w, name);
	w_printf(w, "\" type=\"%s\"/>\n", type);
}

/*
 * One <host>, in nmap's element order and line layout (status on the host
 * line, each port on one line), which line-oriented tools rely on.  The
 * host's times are the scan's: no per-host times are kept, and the scan's
 * bounds are true of every host in it.  Its status reason is the kind of
 * answer that showed it up, as nmap's TCP connect ping reports it.
 */
static void xml_host(struct writer *w, const struct output *o,
		     const struct output_report *rep, uint64_t host,
		     const struct host_summary *h)
{
	struct xml_ports_ctx x = { .w = w,
				   .o = o,
				   .list_filtered = h->list_filtered };
	uint64_t base = host * rep->ports->count;
	char addr_buf[RS_ADDR_STRLEN];
	struct rs_addr addr;

	targets_get(rep->targets, host, &addr);
	addr_format(&addr, addr_buf, sizeof(addr_buf));
	w_printf(w,
		 "<host starttime=\"%lld\" endtime=\"%lld\"><status "
		 "state=\"up\" reason=\"%s\" reason_ttl=\"0\"/>\n",
		 (long long)rep->start_time, (long long)end_time(rep),
		 h->open ? "syn-ack" : closed_reason(o));
	w_printf(w, "<address addr=\"%s\" addrtype=\"%s\"/>\n", addr_buf,
		 addr.family == AF_INET6 ? "ipv6" : "ipv4");
	w_puts(w, "<hostnames>\n");
	xml_hostname(w, targets_name(rep->targets, host), "user");
	xml_hostname(w, targets_ptr_name(rep->targets, host), "PTR");
	w_puts(w, "</hostnames>\n<ports>");
	if (h->closed) {
		w_printf(w,
			 "<extraports state=\"closed\" count=\"%" PRIu64
			 "\">\n",
			 h->closed);
		xml_extrareasons(w, rep, base, CELL_CLOSED, closed_reason(o),
				 h->closed);
		w_puts(w, "</extraports>\n");
	}
	if (!h->list_filtered && h->noresp + h->unreach > 0) {
		w_printf(w,
			 "<extraports state=\"filtered\" count=\"%" PRIu64
			 "\">\n",
			 h->noresp + h->unreach);
		xml_extrareasons(w, rep, base, CELL_NORESP, REASON_NORESP,
				 h->noresp);
		xml_extrareasons(w, rep, base, CELL_UNREACH, REASON_UNREACH,
				 h->unreach);
		w_puts(w, "</extraports>\n");
	}
	walk_host(rep, base, xml_port_cell, &x);
	w_puts(w, "</ports>\n</host>\n");
}

static void write_xml(struct writer *w, const struct output *o,
		      const struct output_report *rep)
{
	const struct portlist *pl = rep->ports;
	uint64_t nhosts = targets_count(rep->targets);
	struct port_ranges all = { .w = w };
	char start[64], end[64];
	uint64_t up;
	uint32_t i;

	format_ctime(start, sizeof(start), rep->start_time);
	format_ctime(end, sizeof(end), end_time(rep));
	w_puts(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<!DOCTYPE nmaprun>\n<!-- ringscan ");
	xml_escape(w, o->version);
	w_printf(w, " scan initiated %s as: ", start);
	xml_escape(w, o->command_line ? o->command_line : "ringscan");
	w_puts(w, " -->\n<nmaprun scanner=\"nmap\" args=\"");
	xml_escape(w, o->command_line ? o->command_line : "ringscan");
	w_printf(w, "\" start=\"%lld\" startstr=\"%s\" version=\"",
		 (long long)rep->start_time, start);
	xml_escape(w, o->version);
	w_printf(w,
		 "\" xmloutputversion=\"1.05\">\n"
		 "<scaninfo type=\"%s\" protocol=\"tcp\" "
		 "numservices=\"%u\" services=\"",
		 o->syn ? "syn" : "connect", (unsigned)pl->count);
	for (i = 0; i < pl->count; i++)
		ranges_add(&all, pl->port[i]);
	ranges_flush(&all);
	w_puts(w, "\"/>\n<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n");

	up = report_hosts(w, o, rep, xml_host);

	/* One %.2f per call: w_printf's buffer is sized for one. */
	w_printf(w,
		 "<runstats><finished time=\"%lld\" timestr=\"%s\" "
		 "summary=\"ringscan done at %s; %" PRIu64
		 " IP address%s (%" PRIu64 " host%s up) scanned in ",
		 (long long)end_time(rep), end, end, nhosts,
		 nhosts == 1 ? "" : "es", up, up == 1 ? "" : "s");
	w_printf(w, "%.2f seconds\" elapsed=\"", rep->elapsed_s);
	w_printf(w, "%.2f\" exit=\"%s\"%s/>", rep->elapsed_s,
		 rep->interrupted ? "error" : "success",
		 rep->interrupted ? " errormsg=\"interrupted\"" : "");
	w_printf(w,
		 "<hosts up=\"%" PRIu64 "\" down=\"%" PRIu64
		 "\" total=\"%" PRIu64 "\"/>\n</runstats>\n</nmaprun>\n",
		 up, nhosts - up, nhosts);
}

/* ---- grepable report ---- */

struct grep_ports_ctx {
	struct writer *w;
	const struct output *o;
	bool list_filtered;
	bool first;
};

static void grep_port_cell(void *ctx, uint16_t port, enum cell c)
{
	struct grep_ports_ctx *g = ctx;

	if (c == CELL_CLOSED || (c != CELL_OPEN && !g->list_filtered))
		return;
	w_printf(g->w, "%s%u/%s/tcp//", g->first ? "" : ", ", (unsigned)port,
		 c == CELL_OPEN ? "open" : "filtered");
	grep_field(g->w, services_name(g->o->svc, RS_TCP, port));
	w_puts(g->w, "///");
	g->first = false;
}

/*
 * nmap 7.93's two lines per host.  "Ignored State" can name only one
 * state, so nmap leaves it out when both closed and filtered ports were
 * summarized; so does this.
 */
static void grep_host(struct writer *w, const struct output *o,
		      const struct output_report *rep, uint64_t host,
		      const struct host_summary *h)
{
	struct grep_ports_ctx g = {
		.w = w, .o = o, .list_filtered = h->list_filtered, .first = true
	};
	uint64_t filtered = h->list_filtered ? 0 : h->noresp + h->unreach;
	char addr_buf[RS_ADDR_STRLEN];
	struct rs_addr addr;

	const char *name = report_name(rep, host);

	targets_get(rep->targets, host, &addr);
	addr_format(&addr, addr_buf, sizeof(addr_buf));
	for (int line = 0; line < 2; line++) {
		w_printf(w, "Host: %s (", addr_buf);
		if (name)
			grep_field(w, name);
		w_puts(w, line ? ")\tPorts: " : ")\tStatus: Up\n");
	}
	walk_host(rep, host * rep->ports->count, grep_port_cell, &g);
	if (h->closed && !filtered)
		w_printf(w, "\tIgnored State: closed (%" PRIu64 ")", h->closed);
	else if (filtered && !h->closed)
		w_printf(w, "\tIgnored State: filtered (%" PRIu64 ")",
			 filtered);
	w_putc(w, '\n');
}

static void write_grep(struct writer *w, const struct output *o,
		       const struct output_report *rep)
{
	uint64_t nhosts = targets_count(rep->targets);
	char when[64];
	uint64_t up;

	format_ctime(when, sizeof(when), rep->start_time);
	w_puts(w, "# ringscan ");
	print_clean(w, o->version);
	w_printf(w, " scan initiated %s as: ", when);
	print_clean(w, o->command_line ? o->command_line : "ringscan");
	w_putc(w, '\n');

	up = report_hosts(w, o, rep, grep_host);

	report_partial_note(w, rep, "# ");
	format_ctime(when, sizeof(when), end_time(rep));
	w_printf(w,
		 "# ringscan done at %s -- %" PRIu64 " IP address%s (%" PRIu64
		 " host%s up) scanned in %.2f seconds\n",
		 when, nhosts, nhosts == 1 ? "" : "es", up, up == 1 ? "" : "s",
		 rep->elapsed_s);
}

/* The text copy goes to stdout: no format given as "-" holds it already. */
static bool text_on_stdout(const struct output *o)
{
	const struct writer *ws[] = { &o->normal, &o->csv, &o->json, &o->xml,
				      &o->grep };

	if (!o->text_stdout)
		return false;
	/* A format already on stdout must not get the text mixed in. */
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++)
		if (ws[i]->buf && ws[i]->is_stdout)
			return false;
	return true;
}

int output_start(struct output *o, time_t start_time)
{
	struct writer out;
	int ret;

	if (!text_on_stdout(o))
		return 0;
	ret = writer_open(&out, "-", false);
	if (ret)
		return ret;
	write_starting(&out, o, start_time);
	ret = writer_close(&out);
	o->started = true;
	return ret;
}

int output_finish(struct output *o, const struct output_report *rep)
{
	struct writer *ws[] = { &o->normal, &o->csv, &o->json, &o->xml,
				&o->grep };
	int ret = 0;
	size_t i;

	if (rep && o->normal.buf)
		write_report(&o->normal, o, rep, true, true);
	if (rep && o->xml.buf)
		write_xml(&o->xml, o, rep);
	if (rep && o->grep.buf)
		write_grep(&o->grep, o, rep);
	if (rep && text_on_stdout(o)) {
		struct writer out;

		ret = writer_open(&out, "-", false);
		if (!ret) {
			write_report(&out, o, rep, false, !o->started);
			ret = writer_close(&out);
		}
	}
	for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		int r = ws[i]->buf ? w_flush(ws[i]) : 0;

		if (r && !ret)
			ret = r;
	}
	if (o->sql) {
		int r = sqlout_finish(o->sql, rep && rep->interrupted);

		if (r && !ret)
			ret = r;
	}
	return ret;
}

int output_close(struct output *o)
{
	int ret, r;

	if (!o)
		return 0;
	ret = writer_close(&o->normal);
	r = writer_close(&o->csv);
	if (r && !ret)
		ret = r;
	r = writer_close(&o->json);
	if (r && !ret)
		ret = r;
	r = writer_close(&o->xml);
	if (r && !ret)
		ret = r;
	r = writer_close(&o->grep);
	if (r && !ret)
		ret = r;
	r = sqlout_close(o->sql);
	if (r && !ret)
		ret = r;
	free(o->command_line);
	free(o->version);
	free(o);
	return ret;
}
