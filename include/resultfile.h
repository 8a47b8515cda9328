/*
 * resultfile.h - reading back the rows ringscan wrote: CSV (-oC) and JSON
 * lines (-oJ).
 *
 * `ringscan merge` folds the results of several runs (shards, or one scan
 * repeated) into one.  This module is its pure parser: it reads a file
 * already held in memory, row by row, into (address, port, protocol,
 * state, reason, rtt) and allocates nothing.  It accepts exactly what
 * output.c writes, plus what spreadsheet round trips and hand edits
 * commonly add (CRLF line ends, a UTF-8 byte order mark, blank lines, JSON
 * keys in any order, extra JSON keys), and refuses anything else with the
 * line number and the offending field, so a truncated download or the
 * wrong file is named instead of merged.
 *
 *   CSV: the header line "host,port,proto,state,service,reason,rtt_ms",
 *        then one record of seven fields per line, RFC 4180 quoting
 *        (a quoted field may hold commas, doubled quotes and line breaks);
 *        or, as ringscan writes it now, the header with ",hostname"
 *        appended and eight fields per line.  Files of either kind read.
 *   JSON lines: one object per line, {"host":"192.0.2.1","port":80,
 *        "proto":"tcp","state":"open","service":"http","reason":"syn-ack",
 *        "rtt_ms":0.042,"hostname":"localhost"} with rtt_ms a number or
 *        null, hostname a string, null or absent; strings per
 *        RFC 8259 (escapes, surrogate pairs); "service" and unknown keys
 *        are checked for syntax and ignored, nested values are refused.
 *   Either: an empty (or blank) file is a valid file with no rows - a scan
 *        that found nothing writes an empty -oJ file.
 *
 * The service column is not returned: it is derived from the port when the
 * rows are written again.  "filtered" rows come back as OUT_FILTERED when
 * their reason is "no-response" (or empty) and as OUT_UNREACH otherwise,
 * the inverse of output.c, so that a row read and written again is the
 * same row.  rtt_ms has at most three decimals (output.c writes integer
 * microseconds as milliseconds); an empty field or null is "unknown" (-1).
 *
 * The input is a byte buffer and a length; no NUL terminator is needed or
 * read: the parser never looks at buf[len] or beyond.  Not thread-safe per
 * parser; any number of parsers may run at once.  Not on the hot path.
 */
#ifndef RINGSCAN_RESULTFILE_H
#define RINGSCAN_RESULTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "error.h"
#include "output.h"
#include "services.h"

/* Longest reason kept, NUL included ("conn-refused" is 13). */
#define RESULTFILE_REASON_MAX 32
/* Longest field accepted (the service column included). */
#define RESULTFILE_FIELD_MAX 256

enum resultfile_format {
	RESULTFILE_CSV,
	RESULTFILE_JSON,
};

struct resultfile_row {
	struct rs_addr addr;
	uint16_t port;
	enum rs_proto proto;
	enum output_state state;
	char reason[RESULTFILE_REASON_MAX];
	int64_t rtt_us; /* -1 if unknown */
	char hostname[RESULTFILE_FIELD_MAX]; /* "" if none */
};

/*
 * The same two syntaxes for another table (the audit's -oC/-oJ, read back
 * as a --baseline): a schema names its columns - the CSV header's, in
 * order, which are also the JSON keys - and turns each field into the
 * caller's row.  JSON keys not in the schema are checked for syntax and
 * ignored, as are those of columns whose types is 0.
 */
#define RESULTFILE_STRING 1u
#define RESULTFILE_NUMBER 2u
#define RESULTFILE_NULL 4u

struct resultfile_column {
	const char *name;
	unsigned types; /* JSON: RESULTFILE_* allowed; 0: not kept */
	bool required; /* JSON: a row without it is refused */
	const char *type_error; /* JSON: a non-string column of another type */
	const char *missing; /* JSON: a required column absent */
};

struct resultfile_schema {
	const char *csv_header; /* the exact first line of a CSV file */
	const struct resultfile_column *cols;
	unsigned ncols; /* at most 32 */
	const char *neither; /* the file is neither CSV nor JSON lines */
	const char *too_few; /* a CSV row with fewer fields */
	const char *too_many; /* ... with more */
	/*
	 * Optional last columns (ncols_opt of them, 0 = none): a CSV whose
	 * header goes on with csv_header_opt has them in every row, one
	 * without has none (files of older versions); too_few_opt and
	 * too_many_opt name the longer row's count.
	 */
	const char *csv_header_opt;
	unsigned ncols_opt;
	const char *too_few_opt;
	const char *too_many_opt;
	/*
	 * A second group (ncols_opt2, the last of cols) that may follow the
	 * first: the --banners columns.  Read for their syntax, and their
	 * counts named by too_few_opt2/too_many_opt2.
	 */
	const char *csv_header_opt2;
	unsigned ncols_opt2;
	const char *too_few_opt2;
	const char *too_many_opt2;
	/*
	 * One decoded field (s NUL-terminated, n bytes; NULL for JSON
	 * null) into the row at ctx: NULL, or the reason it is refused
	 * (the error then names the field).
	 */
	const char *(*set)(void *ctx, unsigned col, const char *s, size_t n);
	void (*row_begin)(void *ctx); /* may be NULL */
	void (*row_end)(void *ctx); /* a whole row was read; may be NULL */
};

/* A parser: a cursor into the caller's buffer, a plain value. */
struct resultfile {
	const struct resultfile_schema *schema;
	const char *buf;
	size_t len;
	size_t pos;
	unsigned long line; /* 1-based line of the cursor */
	enum resultfile_format format;
	unsigned ncols; /* CSV: 7, or 8 with hostname */
};

/*
 * Start parsing buf[0..len): detect the format ('{' first, after an
 * optional byte order mark and whitespace, is JSON; otherwise the CSV
 * header must come first) and step past the CSV header.  0, or -EINVAL
 * with err (err->line 1) when it is neither format.
 */
int resultfile_begin(struct resultfile *rf, const void *buf, size_t len,
		     struct rs_error *err);

/*
 * The next row: 1 and *row filled, 0 at the end of the input, or -EINVAL
 * with err->line the line at fault, err->token the field (or text) and
 * err->reason what is wrong.  After an error the parser must not be used
 * again.
 */
int resultfile_next(struct resultfile *rf, struct resultfile_row *row,
		    struct rs_error *err);

/*
 * resultfile_begin and resultfile_next for another schema: ctx is the
 * caller's row, handed to the schema's callbacks; same returns.
 */
int resultfile_begin_schema(struct resultfile *rf,
			    const struct resultfile_schema *schema,
			    const void *buf, size_t len, struct rs_error *err);
int resultfile_record(struct resultfile *rf, void *ctx, struct rs_error *err);

#endif
