/*
 * report.c - the nmap-style text, XML and grepable reports (see report.h;
 * the formats are described in output.h).
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
 * Banners (--banners, -sV) come from the banner store by probe number:
 * the text report's VERSION column (-sV: "product version (extrainfo)",
 * empty when nothing was identified, as nmap leaves it) and nmap's banner
 * script line "|_banner: ..." under the port (with --banners, and under
 * -sV for a banner nothing identified); XML <service> with method="probed"
 * when identified and <script id="banner" output="..."/>; the grepable
 * version field.  A banner is always shown through escape_banner_copy
 * (printable ASCII, \xNN for the rest) and then the format's own escaping.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "output.h"
#include "outwriter.h"
#include "report.h"

/* What one host's cells add up to, and what its table will need. */
struct host_summary {
	uint64_t open;
	uint64_t closed;
	uint64_t noresp; /* NONE cells, counted only for a complete scan */
	uint64_t unreach;
	/* the same by protocol (enum rs_proto): a NONE cell is "filtered"
	 * for TCP and "open|filtered" for UDP, as in nmap */
	uint64_t open_p[2], closed_p[2], noresp_p[2], unreach_p[2];
	/* unreachables by reason code (store.h) */
	uint64_t unreach_r[2][STORE_REASON_MAX];
	uint16_t last_open; /* highest port in each class, for widths */
	uint16_t last_filtered;
	bool list_filtered; /* filtered ports go in the table */
};

static void summarize_host(const struct output_report *rep, uint64_t base,
			   bool open_only, struct host_summary *h)
{
	const struct portlist *pl = rep->ports;
	uint64_t end = base + pl->count;
	uint64_t udp_from = end - pl->nudp; /* the host's first UDP cell */
	uint64_t p = base;
	unsigned pr;

	memset(h, 0, sizeof(*h));
	while (p < end) {
		uint64_t q = store_next_set(rep->store, p, end);

		if (q > p && rep->complete) {
			uint64_t udp = q <= udp_from ? 0 :
				       p >= udp_from ? q - p :
						       q - udp_from;

			h->noresp += q - p;
			h->noresp_p[RS_UDP] += udp;
			h->noresp_p[RS_TCP] += q - p - udp;
			h->last_filtered = pl->port[q - 1 - base];
		}
		if (q == end)
			break;
		pr = ports_proto(pl, (uint32_t)(q - base));
		switch (store_get(rep->store, q)) {
		case STORE_OPEN:
			h->open++;
			h->open_p[pr]++;
			h->last_open = pl->port[q - base];
			break;
		case STORE_CLOSED:
			h->closed++;
			h->closed_p[pr]++;
			break;
		case STORE_UNREACH:
			h->unreach++;
			h->unreach_p[pr]++;
			h->unreach_r[pr][store_reason(rep->store, q)]++;
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
	int rw; /* REASON column width, with -sV */
};

/* probe's banner, if the scan read one and the store kept it. */
static bool banner_of(const struct output_report *rep, uint64_t probe,
		      struct banner_rec *r)
{
	return rep->banners && bannerstore_get(rep->banners, probe, r);
}

/* nmap's version text: "product version (extrainfo)", parts that exist. */
static void version_text(const struct banner_rec *r, char *buf, size_t len)
{
	const char *p = r->field[BANNER_PRODUCT], *v = r->field[BANNER_VERSION],
		   *x = r->field[BANNER_EXTRAINFO];
	size_t n = 0;

	buf[0] = '\0';
	if (p && *p)
		n += (size_t)snprintf(buf + n, len - n, "%s", p);
	if (v && *v && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "",
				      v);
	if (x && *x && n < len)
		snprintf(buf + n, len - n, "%s(%s)", n ? " " : "", x);
}

#define VERSION_TEXT_MAX (3 * (BANNERSTORE_FIELD_MAX + 3))

/* The identified service name, else the services file's. */
static const char *service_of(const struct output *o, uint16_t port,
			      enum rs_proto proto, const struct banner_rec *r)
{
	if (r && r->field[BANNER_SERVICE] && r->field[BANNER_SERVICE][0])
		return r->field[BANNER_SERVICE];
	return services_name(o->svc, proto, port);
}

static const char *proto_word(enum rs_proto proto)
{
	return proto == RS_UDP ? "udp" : "tcp";
}

/* nmap's names: silence is "filtered" for TCP, "open|filtered" for UDP
 * ("closed|filtered" with --defeat-icmp-ratelimit). */
static const char *noresp_state(const struct output *o, enum rs_proto proto)
{
	return output_noresp_name(o, proto);
}

static const char *open_reason(enum rs_proto proto)
{
	return output_answer_reason(OUT_OPEN, proto, false);
}

static const char *closed_reason(const struct output *o, enum rs_proto proto)
{
	return output_answer_reason(OUT_CLOSED, proto, o->syn);
}

static bool has_field(const struct banner_rec *r, enum banner_field f)
{
	return r->field[f] && r->field[f][0];
}

/*
 * A TLS port's certificate as nmap's ssl-cert script writes it: subject,
 * alternative names, issuer, expiry, one per line.  Text: each line
 * starts "| " (the script's name on the first), the last "|_".  XML: the
 * script's output attribute, lines joined by a newline reference.
 */
static void ssl_cert_lines(struct writer *w, const struct banner_rec *br,
			   bool xml)
{
	static const struct {
		enum banner_field f;
		const char *label;
	} lines[] = {
		{ BANNER_CERT_CN, "Subject: commonName=" },
		{ BANNER_CERT_SANS, "Subject Alternative Name: " },
		{ BANNER_CERT_ISSUER, "Issuer: " },
		{ BANNER_CERT_EXPIRY, "Not valid after:  " },
	};
	int last = -1, n = 0;

	for (int i = 0; i < (int)(sizeof(lines) / sizeof(lines[0])); i++)
		if (has_field(br, lines[i].f))
			last = i;
	if (last < 0)
		return;
	outwriter_puts(w, xml ? "<script id=\"ssl-cert\" output=\"" : "");
	for (int i = 0; i <= last; i++) {
		if (!has_field(br, lines[i].f))
			continue;
		if (xml) {
			outwriter_puts(w, n ? "&#xa;" : "");
			outwriter_puts(w, lines[i].label);
			outwriter_xml(w, br->field[lines[i].f]);
		} else {
			outwriter_puts(w, i == last ? "|_" : "| ");
			outwriter_puts(w, n ? "" : "ssl-cert: ");
			outwriter_puts(w, lines[i].label);
			outwriter_clean(w, br->field[lines[i].f]);
			outwriter_putc(w, '\n');
		}
		n++;
	}
	outwriter_puts(w, xml ? "\"/>" : "");
}

static void print_row(struct writer *w, const struct output *o,
		      const struct output_report *rep, uint64_t probe,
		      uint16_t port, enum rs_proto proto, const char *state,
		      const char *reason, struct table_cols *c)
{
	struct banner_rec br;
	bool has_banner = o->banners && banner_of(rep, probe, &br);
	const char *name = service_of(o, port, proto, has_banner ? &br : NULL);
	char pbuf[16], vbuf[VERSION_TEXT_MAX];
	bool ident = has_banner && banner_rec_identified(&br);

	if (!w) {
		if ((int)strlen(name) > c->vw)
			c->vw = (int)strlen(name);
		if ((int)strlen(reason) > c->rw)
			c->rw = (int)strlen(reason);
		return;
	}
	snprintf(pbuf, sizeof(pbuf), "%u/%s", (unsigned)port,
		 proto_word(proto));
	outwriter_printf(w, "%-*s %-*s ", c->pw, pbuf, c->sw, state);
	outwriter_clean(w, name);
	if (o->reason)
		outwriter_printf(w, "%*s %s", c->vw - (int)strlen(name), "",
				 reason);
	if (o->version_col && has_banner) {
		version_text(&br, vbuf, sizeof(vbuf));
		if (vbuf[0]) {
			if (o->reason)
				outwriter_printf(w, "%*s ",
						 c->rw - (int)strlen(reason),
						 "");
			else
				outwriter_printf(w, "%*s ",
						 c->vw - (int)strlen(name), "");
			outwriter_clean(w, vbuf);
		}
	}
	outwriter_putc(w, '\n');
	if (has_banner && br.raw_len && (o->banner_lines || !ident)) {
		char esc[ESCAPE_BANNER_MAX(BANNERSTORE_RAW_MAX)];

		if (escape_banner_copy(esc, sizeof(esc), br.raw, br.raw_len)) {
			outwriter_puts(w, "|_banner: ");
			outwriter_clean(w, esc);
			outwriter_putc(w, '\n');
		}
	}
	if (has_banner)
		ssl_cert_lines(w, &br, false);
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

		enum rs_proto pr;

		if (h->list_filtered && rep->complete) {
			for (; p < q; p++) {
				pr = ports_proto(pl, (uint32_t)(p - base));
				print_row(w, o, rep, p, pl->port[p - base], pr,
					  noresp_state(o, pr), REASON_NORESP,
					  c);
			}
		}
		if (q == end)
			break;
		st = store_get(rep->store, q);
		pr = ports_proto(pl, (uint32_t)(q - base));
		if (st == STORE_OPEN)
			print_row(w, o, rep, q, pl->port[q - base], pr, "open",
				  open_reason(pr), c);
		else if (st == STORE_UNREACH && h->list_filtered)
			print_row(
				w, o, rep, q, pl->port[q - base], pr,
				"filtered",
				store_reason_name(store_reason(rep->store, q)),
				c);
		p = q + 1;
	}
}

static void print_table(struct writer *w, const struct output *o,
			const struct output_report *rep, uint64_t base,
			const struct host_summary *h)
{
	/* "STATE", "SERVICE", "REASON" */
	struct table_cols c = { .sw = 5, .vw = 7, .rw = 6 };
	uint16_t last = h->last_open;

	if (h->list_filtered) {
		c.sw = h->noresp_p[RS_UDP] ? 13 : 8; /* "open|filtered" */
		if (h->last_filtered > last)
			last = h->last_filtered;
	}
	c.pw = port_width(last);
	if (c.pw < 4)
		c.pw = 4;
	if (o->reason || o->version_col)
		table_rows(NULL, o, rep, base, h, &c);
	outwriter_printf(w, "%-*s %-*s SERVICE", c.pw, "PORT", c.sw, "STATE");
	if (o->reason)
		outwriter_printf(w, "%*s REASON", c.vw - 7, "");
	if (o->version_col)
		outwriter_printf(w, "%*s VERSION",
				 o->reason ? c.rw - 6 : c.vw - 7, "");
	outwriter_putc(w, '\n');
	table_rows(w, o, rep, base, h, &c);
}

static void not_shown_part(struct writer *w, bool *first, uint64_t n,
			   const char *state, enum rs_proto proto,
			   const char *reason)
{
	if (n == 0)
		return;
	outwriter_printf(w, "%s%" PRIu64 " %s %s port%s (%s)",
			 *first ? "" : ", ", n, state, proto_word(proto),
			 n == 1 ? "" : "s", reason);
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
	outwriter_puts(w, "Not shown: ");
	for (unsigned pr = RS_TCP; pr <= RS_UDP; pr++) {
		not_shown_part(w, &first, h->closed_p[pr], "closed", pr,
			       closed_reason(o, pr));
		if (!summarize_filtered)
			continue;
		not_shown_part(w, &first, h->noresp_p[pr], noresp_state(o, pr),
			       pr, REASON_NORESP);
		for (unsigned r = 0; r < STORE_REASON_MAX; r++)
			not_shown_part(w, &first, h->unreach_r[pr][r],
				       "filtered", pr, store_reason_name(r));
	}
	outwriter_putc(w, '\n');
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

/* The kind of answer that showed the host up, as nmap names it. */
static const char *host_reason(const struct output *o,
			       const struct host_summary *h)
{
	if (h->open_p[RS_TCP] || h->open_p[RS_UDP])
		return open_reason(h->open_p[RS_TCP] ? RS_TCP : RS_UDP);
	return closed_reason(o, h->closed_p[RS_TCP] ? RS_TCP : RS_UDP);
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
	outwriter_puts(w, "ringscan scan report for ");
	if (name) {
		outwriter_clean(w, name);
		outwriter_printf(w, " (%s)\n", addr_buf);
	} else {
		outwriter_printf(w, "%s\n", addr_buf);
	}
	if (o->reason)
		outwriter_printf(w, "Host is up, received %s.\n",
				 host_reason(o, h));
	else
		outwriter_puts(w, "Host is up.\n");
	if (others) {
		outwriter_puts(w, "Other addresses for ");
		outwriter_clean(w, name);
		outwriter_puts(w, " (not scanned): ");
		outwriter_clean(w, others);
		outwriter_putc(w, '\n');
	}
	if (ptr && name != ptr && strcmp(ptr, name)) {
		outwriter_printf(w, "rDNS record for %s: ", addr_buf);
		outwriter_clean(w, ptr);
		outwriter_putc(w, '\n');
	}
	if (h->open == 0 && !h->list_filtered) {
		/* Interrupted: "scanned" means answered, unknowns excluded. */
		outwriter_printf(w,
				 "All %" PRIu64
				 " scanned ports on %s are in ignored "
				 "states.\n",
				 h->open + h->closed + h->noresp + h->unreach,
				 addr_buf);
		print_not_shown(w, o, h);
	} else {
		if (!print_not_shown(w, o, h))
			outwriter_putc(w, '\n');
		print_table(w, o, rep, base, h);
	}
	outwriter_putc(w, '\n');
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
		outwriter_printf(
			w,
			"%sScan interrupted: ports that had not answered are "
			"unknown, not filtered, and are not reported.\n",
			prefix);
	else if (rep->shard_count > 1)
		outwriter_printf(
			w,
			"%sThis is shard %u of %u: ports of the other shards "
			"were not probed here and are not reported; merge "
			"every shard with 'ringscan merge'.\n",
			prefix, rep->shard_index + 1, rep->shard_count);
}

void report_starting(struct writer *w, const struct output *o,
		     time_t start_time)
{
	char when[64];

	format_time(when, sizeof(when), start_time);
	outwriter_puts(w, "Starting ringscan ");
	outwriter_clean(w, o->version);
	outwriter_printf(w, " at %s\n", when);
}

void report_text(struct writer *w, const struct output *o,
		 const struct output_report *rep, bool with_command,
		 bool with_starting)
{
	uint64_t nhosts = targets_count(rep->targets);
	uint64_t up;
	char when[64];

	format_time(when, sizeof(when), rep->start_time);
	if (with_command && o->command_line) {
		outwriter_puts(w, "# ringscan ");
		outwriter_clean(w, o->version);
		outwriter_printf(w, " scan initiated %s as: ", when);
		outwriter_clean(w, o->command_line);
		outwriter_putc(w, '\n');
	}
	if (with_starting)
		report_starting(w, o, rep->start_time);

	up = report_hosts(w, o, rep, print_host);

	report_partial_note(w, rep, "");
	outwriter_printf(w,
			 "ringscan done: %" PRIu64 " IP address%s (%" PRIu64
			 " host%s up) scanned in %.2f seconds\n",
			 nhosts, nhosts == 1 ? "" : "es", up,
			 up == 1 ? "" : "s", rep->elapsed_s);
}

/* ---- per-port walks, shared by the XML and grepable reports ---- */

/* A port's class as the reports see it. */
enum cell {
	CELL_OPEN,
	CELL_CLOSED,
	CELL_NORESP, /* NONE cell of a complete scan */
	CELL_UNREACH, /* + the reason's code (store.h): one class each */
};

typedef void cell_fn(void *ctx, uint64_t probe, uint16_t port,
		     enum rs_proto proto, enum cell c);

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

		enum rs_proto pr;

		if (rep->complete) {
			for (; p < q; p++)
				fn(ctx, p, pl->port[p - base],
				   ports_proto(pl, (uint32_t)(p - base)),
				   CELL_NORESP);
		}
		if (q == end)
			break;
		pr = ports_proto(pl, (uint32_t)(q - base));
		switch (store_get(rep->store, q)) {
		case STORE_OPEN:
			fn(ctx, q, pl->port[q - base], pr, CELL_OPEN);
			break;
		case STORE_CLOSED:
			fn(ctx, q, pl->port[q - base], pr, CELL_CLOSED);
			break;
		case STORE_UNREACH:
			fn(ctx, q, pl->port[q - base], pr,
			   (enum cell)(CELL_UNREACH +
				       store_reason(rep->store, q)));
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
		outwriter_printf(r->w, "%u", (unsigned)r->lo);
	else
		outwriter_printf(r->w, "%u-%u", (unsigned)r->lo,
				 (unsigned)r->hi);
}

static void ranges_add(struct port_ranges *r, uint16_t port)
{
	if (r->any && port == r->hi + 1) {
		r->hi = port;
		return;
	}
	if (r->any) {
		ranges_flush(r);
		outwriter_putc(r->w, ',');
	}
	r->any = true;
	r->lo = r->hi = port;
}

struct class_ranges {
	struct port_ranges r;
	enum cell want;
	enum rs_proto proto;
};

static void class_ranges_cell(void *ctx, uint64_t probe, uint16_t port,
			      enum rs_proto proto, enum cell c)
{
	(void)probe;
	struct class_ranges *cr = ctx;

	if (c == cr->want && proto == cr->proto)
		ranges_add(&cr->r, port);
}

static void write_class_ranges(struct writer *w,
			       const struct output_report *rep, uint64_t base,
			       enum rs_proto proto, enum cell want)
{
	struct class_ranges cr = { .r = { .w = w },
				   .want = want,
				   .proto = proto };

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

/* An identified field as an XML attribute (nothing when empty). */
static void xml_attr(struct writer *w, const char *name, const char *v)
{
	if (!v || !*v)
		return;
	outwriter_printf(w, " %s=\"", name);
	outwriter_xml(w, v);
	outwriter_putc(w, '"');
}

/*
 * nmap's <service>: "table" and conf 3 for a name from the services file,
 * "probed" and conf 10 once the banner identified something; then the
 * banner script's element, as nmap's banner.nse writes it.
 */
static void xml_service(struct writer *w, const struct output *o,
			const struct banner_rec *br, uint16_t port,
			enum rs_proto proto)
{
	bool ident = br && banner_rec_identified(br);

	outwriter_puts(w, "<service name=\"");
	outwriter_xml(w, service_of(o, port, proto, br));
	outwriter_putc(w, '"');
	if (ident) {
		xml_attr(w, "product", br->field[BANNER_PRODUCT]);
		xml_attr(w, "version", br->field[BANNER_VERSION]);
		xml_attr(w, "extrainfo", br->field[BANNER_EXTRAINFO]);
		xml_attr(w, "hostname", br->field[BANNER_HOSTNAME]);
		xml_attr(w, "ostype", br->field[BANNER_OSTYPE]);
		if (br->field[BANNER_TLS_VERSION] &&
		    br->field[BANNER_TLS_VERSION][0])
			outwriter_puts(w, " tunnel=\"ssl\"");
	}
	outwriter_puts(w, ident ? " method=\"probed\" conf=\"10\"/>" :
				  " method=\"table\" conf=\"3\"/>");
	if (br && br->raw_len) {
		char esc[ESCAPE_BANNER_MAX(BANNERSTORE_RAW_MAX)];

		if (escape_banner_copy(esc, sizeof(esc), br->raw,
				       br->raw_len)) {
			outwriter_puts(w, "<script id=\"banner\" output=\"");
			outwriter_xml(w, esc);
			outwriter_puts(w, "\"/>");
		}
	}
	if (br)
		ssl_cert_lines(w, br, true);
}

struct xml_ports_ctx {
	struct writer *w;
	const struct output *o;
	const struct output_report *rep;
	bool list_filtered;
};

static void xml_port_cell(void *ctx, uint64_t probe, uint16_t port,
			  enum rs_proto proto, enum cell c)
{
	struct banner_rec br;
	struct xml_ports_ctx *x = ctx;
	const char *state = "filtered", *reason;

	switch (c) {
	case CELL_OPEN:
		state = "open";
		reason = open_reason(proto);
		break;
	case CELL_NORESP:
		state = noresp_state(x->o, proto);
		reason = REASON_NORESP;
		break;
	case CELL_CLOSED:
		return;
	default: /* CELL_UNREACH + its reason's code */
		reason = store_reason_name((unsigned)(c - CELL_UNREACH));
		break;
	}
	if (c != CELL_OPEN && !x->list_filtered)
		return;
	outwriter_printf(
		x->w,
		"<port protocol=\"%s\" portid=\"%u\"><state state=\"%s\" "
		"reason=\"%s\" reason_ttl=\"0\"/>",
		proto_word(proto), (unsigned)port, state, reason);
	xml_service(x->w, x->o,
		    c == CELL_OPEN && x->o->banners &&
				    banner_of(x->rep, probe, &br) ?
			    &br :
			    NULL,
		    port, proto);
	outwriter_puts(x->w, "</port>\n");
}

static void xml_extrareasons(struct writer *w, const struct output_report *rep,
			     uint64_t base, enum rs_proto proto, enum cell c,
			     const char *reason, uint64_t count)
{
	if (count == 0)
		return;
	outwriter_printf(w,
			 "<extrareasons reason=\"%s\" count=\"%" PRIu64
			 "\" proto=\"%s\" ports=\"",
			 reason, count, proto_word(proto));
	write_class_ranges(w, rep, base, proto, c);
	outwriter_puts(w, "\"/>\n");
}

/* nmap's <hostname>: the name given (type user) or looked up (PTR). */
static void xml_hostname(struct writer *w, const char *name, const char *type)
{
	if (!name)
		return;
	outwriter_puts(w, "<hostname name=\"");
	outwriter_xml(w, name);
	outwriter_printf(w, "\" type=\"%s\"/>\n", type);
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
	struct xml_ports_ctx x = {
		.w = w, .o = o, .rep = rep, .list_filtered = h->list_filtered
	};
	uint64_t base = host * rep->ports->count;
	char addr_buf[RS_ADDR_STRLEN];
	struct rs_addr addr;

	targets_get(rep->targets, host, &addr);
	addr_format(&addr, addr_buf, sizeof(addr_buf));
	outwriter_printf(w,
			 "<host starttime=\"%lld\" endtime=\"%lld\"><status "
			 "state=\"up\" reason=\"%s\" reason_ttl=\"0\"/>\n",
			 (long long)rep->start_time, (long long)end_time(rep),
			 host_reason(o, h));
	outwriter_printf(w, "<address addr=\"%s\" addrtype=\"%s\"/>\n",
			 addr_buf, addr.family == AF_INET6 ? "ipv6" : "ipv4");
	outwriter_puts(w, "<hostnames>\n");
	xml_hostname(w, targets_name(rep->targets, host), "user");
	xml_hostname(w, targets_ptr_name(rep->targets, host), "PTR");
	outwriter_puts(w, "</hostnames>\n<ports>");
	if (h->closed) {
		outwriter_printf(w,
				 "<extraports state=\"closed\" count=\"%" PRIu64
				 "\">\n",
				 h->closed);
		for (unsigned pr = RS_TCP; pr <= RS_UDP; pr++)
			xml_extrareasons(w, rep, base, pr, CELL_CLOSED,
					 closed_reason(o, pr), h->closed_p[pr]);
		outwriter_puts(w, "</extraports>\n");
	}
	/* UDP silence is its own state, open|filtered (or closed|filtered):
	 * its own element. */
	if (!h->list_filtered &&
	    h->noresp_p[RS_TCP] + h->unreach_p[RS_TCP] + h->unreach_p[RS_UDP]) {
		outwriter_printf(
			w,
			"<extraports state=\"filtered\" count=\"%" PRIu64
			"\">\n",
			h->noresp_p[RS_TCP] + h->unreach);
		xml_extrareasons(w, rep, base, RS_TCP, CELL_NORESP,
				 REASON_NORESP, h->noresp_p[RS_TCP]);
		for (unsigned pr = RS_TCP; pr <= RS_UDP; pr++)
			for (unsigned r = 0; r < STORE_REASON_MAX; r++)
				xml_extrareasons(w, rep, base, pr,
						 (enum cell)(CELL_UNREACH + r),
						 store_reason_name(r),
						 h->unreach_r[pr][r]);
		outwriter_puts(w, "</extraports>\n");
	}
	if (!h->list_filtered && h->noresp_p[RS_UDP]) {
		outwriter_printf(w,
				 "<extraports state=\"%s\" count=\"%" PRIu64
				 "\">\n",
				 noresp_state(o, RS_UDP), h->noresp_p[RS_UDP]);
		xml_extrareasons(w, rep, base, RS_UDP, CELL_NORESP,
				 REASON_NORESP, h->noresp_p[RS_UDP]);
		outwriter_puts(w, "</extraports>\n");
	}
	walk_host(rep, base, xml_port_cell, &x);
	outwriter_puts(w, "</ports>\n</host>\n");
}

void report_xml(struct writer *w, const struct output *o,
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
	outwriter_puts(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<!DOCTYPE nmaprun>\n<!-- ringscan ");
	outwriter_xml(w, o->version);
	outwriter_printf(w, " scan initiated %s as: ", start);
	outwriter_xml(w, o->command_line ? o->command_line : "ringscan");
	outwriter_puts(w, " -->\n<nmaprun scanner=\"nmap\" args=\"");
	outwriter_xml(w, o->command_line ? o->command_line : "ringscan");
	outwriter_printf(w, "\" start=\"%lld\" startstr=\"%s\" version=\"",
			 (long long)rep->start_time, start);
	outwriter_xml(w, o->version);
	outwriter_puts(w, "\" xmloutputversion=\"1.05\">\n");
	/* One scaninfo per protocol scanned, as nmap writes for -sS -sU. */
	for (unsigned pr = RS_TCP; pr <= RS_UDP; pr++) {
		uint32_t from = pr == RS_UDP ? pl->count - pl->nudp : 0;
		uint32_t to = pr == RS_UDP ? pl->count : pl->count - pl->nudp;

		if (from == to)
			continue;
		all = (struct port_ranges){ .w = w };
		outwriter_printf(w,
				 "<scaninfo type=\"%s\" protocol=\"%s\" "
				 "numservices=\"%u\" services=\"",
				 pr == RS_UDP ? "udp" :
				 o->syn	      ? "syn" :
						"connect",
				 proto_word(pr), (unsigned)(to - from));
		for (i = from; i < to; i++)
			ranges_add(&all, pl->port[i]);
		ranges_flush(&all);
		outwriter_puts(w, "\"/>\n");
	}
	outwriter_puts(w, "<verbose level=\"0\"/>\n<debugging level=\"0\"/>\n");

	up = report_hosts(w, o, rep, xml_host);

	/* One %.2f per call: w_printf's buffer is sized for one. */
	outwriter_printf(w,
			 "<runstats><finished time=\"%lld\" timestr=\"%s\" "
			 "summary=\"ringscan done at %s; %" PRIu64
			 " IP address%s (%" PRIu64 " host%s up) scanned in ",
			 (long long)end_time(rep), end, end, nhosts,
			 nhosts == 1 ? "" : "es", up, up == 1 ? "" : "s");
	outwriter_printf(w, "%.2f seconds\" elapsed=\"", rep->elapsed_s);
	outwriter_printf(w, "%.2f\" exit=\"%s\"%s/>", rep->elapsed_s,
			 rep->interrupted ? "error" : "success",
			 rep->interrupted ? " errormsg=\"interrupted\"" : "");
	outwriter_printf(w,
			 "<hosts up=\"%" PRIu64 "\" down=\"%" PRIu64
			 "\" total=\"%" PRIu64
			 "\"/>\n</runstats>\n</nmaprun>\n",
			 up, nhosts - up, nhosts);
}

/* ---- grepable report ---- */

struct grep_ports_ctx {
	struct writer *w;
	const struct output *o;
	const struct output_report *rep;
	bool list_filtered;
	bool first;
};

static void grep_port_cell(void *ctx, uint64_t probe, uint16_t port,
			   enum rs_proto proto, enum cell c)
{
	struct grep_ports_ctx *g = ctx;
	struct banner_rec br;
	bool has_banner = c == CELL_OPEN && g->o->banners &&
			  banner_of(g->rep, probe, &br);
	char vbuf[VERSION_TEXT_MAX];

	if (c == CELL_CLOSED || (c != CELL_OPEN && !g->list_filtered))
		return;
	outwriter_printf(g->w, "%s%u/%s/%s//", g->first ? "" : ", ",
			 (unsigned)port,
			 c == CELL_OPEN	  ? "open" :
			 c == CELL_NORESP ? noresp_state(g->o, proto) :
					    "filtered",
			 proto_word(proto));
	outwriter_grep_field(g->w, service_of(g->o, port, proto,
					      has_banner ? &br : NULL));
	/* nmap's seventh field: the version text (-sV) */
	outwriter_puts(g->w, "//");
	if (has_banner) {
		version_text(&br, vbuf, sizeof(vbuf));
		outwriter_grep_field(g->w, vbuf);
	}
	outwriter_puts(g->w, "/");
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
	struct grep_ports_ctx g = { .w = w,
				    .o = o,
				    .rep = rep,
				    .list_filtered = h->list_filtered,
				    .first = true };
	uint64_t filtered = h->list_filtered ? 0 : h->noresp + h->unreach;
	char addr_buf[RS_ADDR_STRLEN];
	struct rs_addr addr;

	const char *name = report_name(rep, host);

	targets_get(rep->targets, host, &addr);
	addr_format(&addr, addr_buf, sizeof(addr_buf));
	for (int line = 0; line < 2; line++) {
		outwriter_printf(w, "Host: %s (", addr_buf);
		if (name)
			outwriter_grep_field(w, name);
		outwriter_puts(w, line ? ")\tPorts: " : ")\tStatus: Up\n");
	}
	walk_host(rep, host * rep->ports->count, grep_port_cell, &g);
	if (h->closed && !filtered)
		outwriter_printf(w, "\tIgnored State: closed (%" PRIu64 ")",
				 h->closed);
	else if (filtered && !h->closed)
		outwriter_printf(w, "\tIgnored State: filtered (%" PRIu64 ")",
				 filtered);
	outwriter_putc(w, '\n');
}

void report_grep(struct writer *w, const struct output *o,
		 const struct output_report *rep)
{
	uint64_t nhosts = targets_count(rep->targets);
	char when[64];
	uint64_t up;

	format_ctime(when, sizeof(when), rep->start_time);
	outwriter_puts(w, "# ringscan ");
	outwriter_clean(w, o->version);
	outwriter_printf(w, " scan initiated %s as: ", when);
	outwriter_clean(w, o->command_line ? o->command_line : "ringscan");
	outwriter_putc(w, '\n');

	up = report_hosts(w, o, rep, grep_host);

	report_partial_note(w, rep, "# ");
	format_ctime(when, sizeof(when), end_time(rep));
	outwriter_printf(w,
			 "# ringscan done at %s -- %" PRIu64
			 " IP address%s (%" PRIu64
			 " host%s up) scanned in %.2f seconds\n",
			 when, nhosts, nhosts == 1 ? "" : "es", up,
			 up == 1 ? "" : "s", rep->elapsed_s);
}

/* The text copy goes to stdout: no format given as "-" holds it already. */