/*
 * output.c - CSV and JSON-lines streams, and the nmap-style text report.
 *
 * The streams are written row by row as results become final, through stdio
 * buffers that are flushed every OUTPUT_FLUSH_ROWS rows: a scan killed half
 * way still leaves whole, parseable rows behind, while a fast scan does not
 * pay a write(2) per result.  Every field that comes from outside the program
 * (service names from /etc/services, reasons) goes through the format's own
 * escaping - RFC 4180 quoting for CSV, RFC 8259 escapes for JSON, with bytes
 * that are not valid UTF-8 replaced by U+FFFD so that every line stays valid
 * JSON - because a hostile services file must not be able to forge columns
 * or objects.  The text report replaces control bytes by '?' for the same
 * reason: it goes to terminals.
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
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "output.h"

/* The closed-port reason for the connect scan the report describes. */
#define REASON_CLOSED "conn-refused"
#define REASON_NORESP "no-response"
#define REASON_UNREACH "host-unreach"

/*
 * One output file.  Every byte goes through w_put so that the first failed
 * write keeps its errno (read at the call site, as stdio's error flag does
 * not say why) and later writes are skipped; callers check w->err once.
 */
struct writer {
	FILE *f; /* NULL if this output was not asked for */
	bool is_stdout;
	unsigned rows; /* since the last flush */
	int err; /* first write error, -errno */
};

struct output {
	struct writer normal;
	struct writer csv;
	struct writer json;
	bool text_stdout;
	bool open_only;
	unsigned states;
	const struct services *svc;
	char *version;
	char *command_line;
};

static void w_put(struct writer *w, const char *s, size_t n)
{
	if (w->err || n == 0)
		return;
	errno = 0;
	if (fwrite(s, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
}

static void w_puts(struct writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void w_putc(struct writer *w, char c)
{
	w_put(w, &c, 1);
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
	w->rows = 0;
	errno = 0;
	if (!w->err && fflush(w->f) != 0)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

/* Flush, and close unless it is stdout; the first error wins. */
static int writer_close(struct writer *w)
{
	int ret;

	if (!w->f)
		return 0;
	ret = w_flush(w);
	if (!w->is_stdout && fclose(w->f) != 0 && ret == 0)
		ret = -errno;
	w->f = NULL;
	return ret;
}

static int writer_open(struct writer *w, const char *path)
{
	if (strcmp(path, "-") == 0) {
		w->f = stdout;
		w->is_stdout = true;
		return 0;
	}
	w->f = fopen(path, "we");
	if (!w->f)
		return -errno;
	w->is_stdout = false;
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

int output_open(struct output **out, const struct output_config *cfg,
		const struct services *svc, struct rs_error *err)
{
	struct output *o;
	int ret;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->text_stdout = cfg->text_stdout;
	o->open_only = cfg->open_only;
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

	if (cfg->normal_path) {
		ret = writer_open(&o->normal, cfg->normal_path);
		if (ret) {
			open_failed(err, cfg->normal_path);
			goto out_free_strings;
		}
	}
	if (cfg->csv_path) {
		ret = writer_open(&o->csv, cfg->csv_path);
		if (ret) {
			open_failed(err, cfg->csv_path);
			goto out_close_normal;
		}
	}
	if (cfg->json_path) {
		ret = writer_open(&o->json, cfg->json_path);
		if (ret) {
			open_failed(err, cfg->json_path);
			goto out_close_csv;
		}
	}

	/* The header goes out now so that even an empty scan is a valid CSV. */
	if (o->csv.f)
		w_puts(&o->csv,
		       "host,port,proto,state,service,reason,rtt_ms\n");
	*out = o;
	return 0;

out_close_csv:
	writer_close(&o->csv);
out_close_normal:
	writer_close(&o->normal);
out_free_strings:
	free(o->command_line);
	free(o->version);
	free(o);
	return ret;
}

/* ---- streams ---- */

static const char *state_word(enum output_state st)
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

static void csv_field(struct writer *w, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		w_puts(w, s);
		return;
	}
	w_putc(w, '"');
	for (; *s; s++) {
		if (*s == '"')
			w_putc(w, '"');
		w_putc(w, *s);
	}
	w_putc(w, '"');
}

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if the bytes there
 * are not one (overlong forms, surrogates and values above U+10FFFF are
 * invalid, RFC 3629).
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static void json_string(struct writer *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	w_putc(w, '"');
	while (*s) {
		unsigned char c = *s;
		size_t n;

		switch (c) {
		case '"':
			w_puts(w, "\\\"");
			break;
		case '\\':
			w_puts(w, "\\\\");
			break;
		case '\b':
			w_puts(w, "\\b");
			break;
		case '\f':
			w_puts(w, "\\f");
			break;
		case '\n':
			w_puts(w, "\\n");
			break;
		case '\r':
			w_puts(w, "\\r");
			break;
		case '\t':
			w_puts(w, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				w_printf(w, "\\u%04x", c);
				break;
			}
			n = utf8_len(s);
			if (n == 0) {
				w_puts(w, "\\ufffd");
				break;
			}
			w_put(w, (const char *)s, n);
			s += n;
			continue;
		}
		s++;
	}
	w_putc(w, '"');
}

static int write_csv(struct output *o, const struct output_result *r,
		     const char *host, const char *service, const char *rtt)
{
	struct writer *w = &o->csv;

	csv_field(w, host);
	w_printf(w, ",%u,%s,%s,", (unsigned)r->port, proto_word(r->proto),
		 state_word(r->state));
	csv_field(w, service);
	w_putc(w, ',');
	csv_field(w, r->reason ? r->reason : "");
	w_putc(w, ',');
	w_puts(w, rtt);
	w_putc(w, '\n');
	if (++o->csv.rows >= OUTPUT_FLUSH_ROWS)
		return w_flush(w);
	return w->err;
}

static int write_json(struct output *o, const struct output_result *r,
		      const char *host, const char *service, const char *rtt)
{
	struct writer *w = &o->json;

	w_puts(w, "{\"host\":");
	json_string(w, host);
	w_printf(w, ",\"port\":%u,\"proto\":\"%s\",\"state\":\"%s\",",
		 (unsigned)r->port, proto_word(r->proto), state_word(r->state));
	w_puts(w, "\"service\":");
	json_string(w, service);
	w_puts(w, ",\"reason\":");
	json_string(w, r->reason ? r->reason : "");
	w_printf(w, ",\"rtt_ms\":%s}\n", rtt[0] ? rtt : "null");
	if (++o->json.rows >= OUTPUT_FLUSH_ROWS)
		return w_flush(w);
	return w->err;
}

int output_result(struct output *o, const struct output_result *r)
{
	char host[RS_ADDR_STRLEN];
	char rtt[32] = "";
	const char *service;
	int ret = 0, ret2 = 0;

	if (!o->csv.f && !o->json.f)
		return 0;
	if (!(o->states & state_bit(r->state)))
		return 0;
	addr_format(r->addr, host, sizeof(host));
	service = services_name(o->svc, r->proto, r->port);
	if (r->rtt_us >= 0)
		format_rtt(rtt, sizeof(rtt), r->rtt_us);
	if (o->csv.f)
		ret = write_csv(o, r, host, service, rtt);
	if (o->json.f)
		ret2 = write_json(o, r, host, service, rtt);
	return ret ? ret : ret2;
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

static void print_clean(struct writer *w, const char *s)
{
	for (; *s; s++)
		w_putc(w, ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s);
}

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

static void print_row(struct writer *w, const struct output *o, uint16_t port,
		      const char *state, int pw, int sw)
{
	char pbuf[16];

	snprintf(pbuf, sizeof(pbuf), "%u/tcp", (unsigned)port);
	w_printf(w, "%-*s %-*s ", pw, pbuf, sw, state);
	print_clean(w, services_name(o->svc, RS_TCP, port));
	w_putc(w, '\n');
}

static void print_table(struct writer *w, const struct output *o,
			const struct output_report *rep, uint64_t base,
			const struct host_summary *h)
{
	const struct portlist *pl = rep->ports;
	uint64_t end = base + pl->count;
	uint16_t last = h->last_open;
	int pw, sw = 5; /* "STATE" */
	uint64_t p = base;

	if (h->list_filtered) {
		sw = 8; /* "filtered" */
		if (h->last_filtered > last)
			last = h->last_filtered;
	}
	pw = port_width(last);
	if (pw < 4)
		pw = 4;
	w_printf(w, "%-*s %-*s SERVICE\n", pw, "PORT", sw, "STATE");
	while (p < end) {
		uint64_t q = store_next_set(rep->store, p, end);
		enum store_state st;

		if (h->list_filtered && rep->complete) {
			for (; p < q; p++)
				print_row(w, o, pl->port[p - base], "filtered",
					  pw, sw);
		}
		if (q == end)
			break;
		st = store_get(rep->store, q);
		if (st == STORE_OPEN)
			print_row(w, o, pl->port[q - base], "open", pw, sw);
		else if (st == STORE_UNREACH && h->list_filtered)
			print_row(w, o, pl->port[q - base], "filtered", pw, sw);
		p = q + 1;
	}
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
static bool print_not_shown(struct writer *w, const struct host_summary *h)
{
	bool first = true;
	bool summarize_filtered = !h->list_filtered;

	if (h->closed == 0 &&
	    (!summarize_filtered || h->noresp + h->unreach == 0))
		return false;
	w_puts(w, "Not shown: ");
	not_shown_part(w, &first, h->closed, "closed", REASON_CLOSED);
	if (summarize_filtered) {
		not_shown_part(w, &first, h->noresp, "filtered", REASON_NORESP);
		not_shown_part(w, &first, h->unreach, "filtered",
			       REASON_UNREACH);
	}
	w_putc(w, '\n');
	return true;
}

static void print_host(struct writer *w, const struct output *o,
		       const struct output_report *rep, uint64_t host,
		       const struct host_summary *h)
{
	char addr_buf[RS_ADDR_STRLEN];
	struct rs_addr addr;
	uint64_t base = host * rep->ports->count;

	targets_get(rep->targets, host, &addr);
	addr_format(&addr, addr_buf, sizeof(addr_buf));
	w_printf(w, "ringscan scan report for %s\nHost is up.\n", addr_buf);
	if (h->open == 0 && !h->list_filtered) {
		/* Interrupted: "scanned" means answered, unknowns excluded. */
		w_printf(w,
			 "All %" PRIu64 " scanned ports on %s are in ignored "
			 "states.\n",
			 h->open + h->closed + h->noresp + h->unreach,
			 addr_buf);
		print_not_shown(w, h);
	} else {
		if (!print_not_shown(w, h))
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

static void write_report(struct writer *w, const struct output *o,
			 const struct output_report *rep, bool with_command)
{
	const struct portlist *pl = rep->ports;
	uint64_t nhosts = targets_count(rep->targets);
	uint64_t total = nhosts * pl->count;
	uint64_t up = 0;
	uint64_t p;
	char when[64];

	assert(store_nprobes(rep->store) >= total);
	format_time(when, sizeof(when), rep->start_time);
	if (with_command && o->command_line) {
		w_puts(w, "# ringscan ");
		print_clean(w, o->version);
		w_printf(w, " scan initiated %s as: ", when);
		print_clean(w, o->command_line);
		w_putc(w, '\n');
	}
	w_puts(w, "Starting ringscan ");
	print_clean(w, o->version);
	w_printf(w, " at %s\n", when);

	p = total ? store_next_set(rep->store, 0, total) : 0;
	while (p < total) {
		uint64_t host = p / pl->count;
		uint64_t base = host * pl->count;
		struct host_summary h;

		summarize_host(rep, base, o->open_only, &h);
		if (h.open + h.closed > 0) {
			up++;
			if (!o->open_only || h.open > 0)
				print_host(w, o, rep, host, &h);
		}
		p = store_next_set(rep->store, base + pl->count, total);
	}

	if (!rep->complete)
		w_puts(w, "Scan interrupted: ports that had not answered are "
			  "unknown, not filtered, and are not reported.\n");
	w_printf(w,
		 "ringscan done: %" PRIu64 " IP address%s (%" PRIu64
		 " host%s up) scanned in %.2f seconds\n",
		 nhosts, nhosts == 1 ? "" : "es", up, up == 1 ? "" : "s",
		 rep->elapsed_s);
}

int output_finish(struct output *o, const struct output_report *rep)
{
	struct writer *ws[] = { &o->normal, &o->csv, &o->json };
	int ret = 0;
	size_t i;

	if (rep && o->normal.f)
		write_report(&o->normal, o, rep, true);
	if (rep && o->text_stdout && !(o->normal.f && o->normal.is_stdout)) {
		struct writer out = { .f = stdout, .is_stdout = true };

		write_report(&out, o, rep, false);
		ret = w_flush(&out);
	}
	for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		int r = ws[i]->f ? w_flush(ws[i]) : 0;

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
	free(o->command_line);
	free(o->version);
	free(o);
	return ret;
}
