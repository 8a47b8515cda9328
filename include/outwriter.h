/*
 * outwriter.h - what output.c and report.c share: the output handle and
 * its writers.  Internal to results/ (callers use output.h).
 *
 * output.c owns the handle: it opens, streams rows, finishes and closes.
 * report.c writes the end-of-scan documents (text, XML, grepable) into the
 * same writers, so it needs their layout and the few primitives every byte
 * goes through: the buffered put with its first-error rule, and the
 * escaping of outside text for each format (escape.h underneath).  Not on
 * the hot path except outwriter_put, which the streams call per field.
 */
#ifndef RINGSCAN_OUTWRITER_H
#define RINGSCAN_OUTWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "services.h"

struct sqlout;

#define REASON_NORESP "no-response"

/*
 * One output file, written with write(2) from the writer's own buffer
 * (buf is NULL when the output was not asked for).  Every byte goes
 * through outwriter_put, so the first failed write keeps its errno and later
 * writes are skipped; callers check w->err once.  A stream (CSV, JSON
 * lines) reaches the file in whole rows only: it is written out at the end
 * of a row (output.c's w_row_end) and never in the middle of one - its buffer grows
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
	bool udp_closed_filtered; /* --defeat-icmp-ratelimit (output.h) */
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
	bool banners; /* --banners/-sV: banner fields and columns */
	bool banner_lines; /* --banners: text "|_banner:" lines */
	bool version_col; /* -sV: text VERSION column */
	unsigned states;
	const struct services *svc;
	char *version;
	char *command_line;
};

/* The state word of a silent port: "filtered" (TCP), "open|filtered"
 * (UDP), or "closed|filtered" (UDP with --defeat-icmp-ratelimit). */
const char *output_noresp_name(const struct output *o, enum rs_proto proto);

/* Buffer bytes for w (no-op once w->err is set or w is not open). */
void outwriter_put(struct writer *w, const char *s, size_t n);
void outwriter_puts(struct writer *w, const char *s);
void outwriter_putc(struct writer *w, char c);
/*
 * For bounded formats only (numbers, addresses, fixed words, under 512
 * bytes); any text from outside goes through outwriter_puts or
 * outwriter_clean instead.
 */
void __attribute__((format(printf, 2, 3)))
outwriter_printf(struct writer *w, const char *fmt, ...);
/* Outside text, escaped for XML, for a grepable field, or for a
 * terminal (control bytes and invalid UTF-8 become '?'). */
void outwriter_xml(struct writer *w, const char *s);
void outwriter_grep_field(struct writer *w, const char *s);
void outwriter_clean(struct writer *w, const char *s);

#endif
