/*
 * output.c - the output handle: opening every output safely, the CSV and
 * JSON-lines streams (and the SQLite rows, sqlout.c), and the writers
 * every format goes through.
 *
 * The streams are written row by row as results become final, into each
 * writer's own buffer, which goes to the file with write(2) only at the end
 * of a row, every OUTPUT_FLUSH_ROWS rows (or OUTPUT_STREAM_BYTES): a scan
 * killed at any moment leaves whole, parseable rows behind, but for at most
 * one last row cut at a page boundary (w_chunk; stdio's flush-when-full cut
 * them anywhere), while a fast scan does not pay a write(2) per result.
 * Every field that comes from outside the program (service names from
 * /etc/services, reasons) goes through the format's own
 * escaping - RFC 4180 quoting for CSV, RFC 8259 escapes for JSON, with bytes
 * that are not valid UTF-8 replaced by U+FFFD so that every line stays valid
 * JSON - because a hostile services file must not be able to forge columns
 * or objects.  The text report shows control bytes and invalid UTF-8 as '?'
 * for the same reason: it goes to terminals (escape.h, which the CLI's
 * error lines use too).
 *
 * The reports (text, XML, grepable) are written at the end from the state
 * store by report.c into the same writers; outwriter.h is the contract the
 * two files share.  The escaping of outside text is escape.c's.
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

#include "escape.h"
#include "output.h"
#include "outwriter.h"
#include "report.h"
#include "sqlout.h"

const char *output_answer_reason(enum output_state st, enum rs_proto proto,
				 bool syn)
{
	if (st == OUT_OPEN)
		return proto == RS_UDP ? "udp-response" : "syn-ack";
	if (proto == RS_UDP)
		return "port-unreach";
	return syn ? "reset" : "conn-refused";
}

/*
 * How much of buf[off..len) one write(2) should take.  On a SIGKILL the
 * kernel may stop a write to a file between two pages of it, having
 * written the first: a write that stays inside one page of the file is
 * whole or not there at all.  So a stream's write ends at the last row
 * that fits before the file's next page boundary, and a row that straddles
 * one goes alone - the only write that a kill can still cut, at that
 * boundary.  Its window is the write's first page (microseconds, longer
 * when the kernel throttles dirty pages), once per 4 KiB written: rare,
 * not impossible (t_killed has met it), which is why
 * `ringscan merge` drops a cut last line with a warning instead of
 * refusing the file.
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

void outwriter_put(struct writer *w, const char *s, size_t n)
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

void outwriter_puts(struct writer *w, const char *s)
{
	outwriter_put(w, s, strlen(s));
}

void outwriter_putc(struct writer *w, char c)
{
	outwriter_put(w, &c, 1);
}

/* The writers as an escape.h sink: outside text goes through these. */
static void w_sink(void *ctx, const char *s, size_t n)
{
	outwriter_put(ctx, s, n);
}

static void csv_field(struct writer *w, const char *s)
{
	escape_csv(w_sink, w, s);
}

static void json_string(struct writer *w, const char *s)
{
	escape_json(w_sink, w, s);
}

void outwriter_xml(struct writer *w, const char *s)
{
	escape_xml(w_sink, w, s);
}

void outwriter_grep_field(struct writer *w, const char *s)
{
	escape_grep(w_sink, w, s);
}

/* Outside text for a terminal: unsafe bytes as '?'. */
void outwriter_clean(struct writer *w, const char *s)
{
	escape_text(w_sink, w, s);
}

/*
 * For bounded formats only (numbers, addresses, fixed words: the longest is
 * the closing line, whose %.2f of a double stays under 330 bytes); any text
 * from outside goes through outwriter_puts or outwriter_clean instead.
 */
void outwriter_printf(struct writer *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert(n >= 0 && (size_t)n < sizeof(buf));
	outwriter_put(w, buf,
		      (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
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
	o->banners = cfg->banners;
	o->banner_lines = cfg->banner_lines;
	o->version_col = cfg->version_col;
	o->syn = cfg->syn;
	o->udp_closed_filtered = cfg->udp_closed_filtered;
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
		outwriter_puts(
			&o->csv,
			o->banners ?
				"host,port,proto,state,service,reason,rtt_ms,hostname,banner,product,version\n" :
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

const char *output_state_name(enum output_state st, enum rs_proto proto)
{
	switch (st) {
	case OUT_OPEN:
		return "open";
	case OUT_CLOSED:
		return "closed";
	case OUT_FILTERED:
		/* UDP silence may be an open port that ignored the probe */
		return proto == RS_UDP ? "open|filtered" : "filtered";
	case OUT_UNREACH:
		return "filtered";
	}
	return "unknown";
}

const char *output_noresp_name(const struct output *o, enum rs_proto proto)
{
	if (proto != RS_UDP)
		return "filtered";
	return o->udp_closed_filtered ? "closed|filtered" : "open|filtered";
}

/* A stream row's state word: silence as this scan names it. */
static const char *row_state(const struct output *o,
			     const struct output_result *r)
{
	if (r->state == OUT_FILTERED)
		return output_noresp_name(o, r->proto);
	return output_state_name(r->state, r->proto);
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
		     const char *host, const char *service, const char *rtt,
		     const char *banner)
{
	struct writer *w = &o->csv;

	csv_field(w, host);
	outwriter_printf(w, ",%u,%s,%s,", (unsigned)r->port,
			 proto_word(r->proto), row_state(o, r));
	csv_field(w, service);
	outwriter_putc(w, ',');
	csv_field(w, r->reason ? r->reason : "");
	outwriter_putc(w, ',');
	outwriter_puts(w, rtt);
	outwriter_putc(w, ',');
	csv_field(w, r->hostname ? r->hostname : "");
	if (o->banners) {
		const struct banner_rec *b = r->banner;

		outwriter_putc(w, ',');
		csv_field(w, banner);
		outwriter_putc(w, ',');
		csv_field(w, b && b->field[BANNER_PRODUCT] ?
				     b->field[BANNER_PRODUCT] :
				     "");
		outwriter_putc(w, ',');
		csv_field(w, b && b->field[BANNER_VERSION] ?
				     b->field[BANNER_VERSION] :
				     "");
	}
	outwriter_putc(w, '\n');
	return w_row_end(w);
}

static int write_json(struct output *o, const struct output_result *r,
		      const char *host, const char *service, const char *rtt,
		      const char *banner)
{
	struct writer *w = &o->json;

	outwriter_puts(w, "{\"host\":");
	json_string(w, host);
	outwriter_printf(w, ",\"port\":%u,\"proto\":\"%s\",\"state\":\"%s\",",
			 (unsigned)r->port, proto_word(r->proto),
			 row_state(o, r));
	outwriter_puts(w, "\"service\":");
	json_string(w, service);
	outwriter_puts(w, ",\"reason\":");
	json_string(w, r->reason ? r->reason : "");
	outwriter_printf(w, ",\"rtt_ms\":%s", rtt[0] ? rtt : "null");
	if (r->hostname) {
		outwriter_puts(w, ",\"hostname\":");
		json_string(w, r->hostname);
	}
	if (r->banner) {
		outwriter_puts(w, ",\"banner\":");
		json_string(w, banner);
		for (int f = 0; f < BANNER_NFIELDS; f++) {
			const char *v = r->banner->field[f];

			if (!v || !*v)
				continue;
			outwriter_printf(
				w, ",\"%s\":",
				banner_field_name((enum banner_field)f));
			json_string(w, v);
		}
	}
	outwriter_puts(w, "}\n");
	return w_row_end(w);
}

/* The CSV's row, typed: rtt_ms a number or NULL, not text. */
static int write_sql(struct output *o, const struct output_result *r,
		     const char *host, const char *service, const char *banner)
{
	const struct banner_rec *b = r->banner;
	struct sqlout_row row = {
		.host = host,
		.port = r->port,
		.proto = proto_word(r->proto),
		.state = row_state(o, r),
		.service = service,
		.reason = r->reason ? r->reason : "",
		.rtt_us = r->rtt_us,
		.hostname = r->hostname,
		.banner = b ? banner : NULL,
		.product = b ? b->field[BANNER_PRODUCT] : NULL,
		.version = b ? b->field[BANNER_VERSION] : NULL,
	};

	return sqlout_add(o->sql, &row);
}

int output_result(struct output *o, const struct output_result *r)
{
	char host[RS_ADDR_STRLEN];
	char rtt[32] = "";
	/* the banner as nmap shows it (escape.h): ASCII, then each format's
	 * escaping on top */
	char banner[ESCAPE_BANNER_MAX(BANNERSTORE_RAW_MAX)];
	const char *service;
	int ret = 0, ret2 = 0, ret3 = 0;

	if (!o->csv.buf && !o->json.buf && !o->sql)
		return 0;
	if (!(o->states & state_bit(r->state)))
		return 0;
	addr_format(r->addr, host, sizeof(host));
	service = services_name(o->svc, r->proto, r->port);
	banner[0] = '\0';
	if (r->banner) {
		const char *id = r->banner->field[BANNER_SERVICE];

		if (id && *id)
			service = id;
		escape_banner_copy(banner, sizeof(banner), r->banner->raw,
				   r->banner->raw_len);
	}
	if (r->rtt_us >= 0)
		format_rtt(rtt, sizeof(rtt), r->rtt_us);
	if (o->csv.buf)
		ret = write_csv(o, r, host, service, rtt, banner);
	if (o->json.buf)
		ret2 = write_json(o, r, host, service, rtt, banner);
	if (o->sql)
		ret3 = write_sql(o, r, host, service, banner);
	return ret ? ret : ret2 ? ret2 : ret3;
}

int output_tick(struct output *o)
{
	return o->sql ? sqlout_tick(o->sql) : 0;
}

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
	report_starting(&out, o, start_time);
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
		report_text(&o->normal, o, rep, true, true);
	if (rep && o->xml.buf)
		report_xml(&o->xml, o, rep);
	if (rep && o->grep.buf)
		report_grep(&o->grep, o, rep);
	if (rep && text_on_stdout(o)) {
		struct writer out;

		ret = writer_open(&out, "-", false);
		if (!ret) {
			report_text(&out, o, rep, false, !o->started);
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
