/*
 * escape.h - outside text made safe for each place ringscan writes it.
 *
 * Every string ringscan did not make itself - a target, a line of an -iL
 * file or a capture, a service name from /etc/services, a process name
 * from /proc, a path - is written through this module, whatever the output:
 *
 *   text   a terminal or a text report: printable ASCII and well-formed
 *          UTF-8 other than the C1 controls pass; everything else - C0
 *          controls such as ESC, DEL, C1 controls (U+0080-U+009F, which
 *          some terminals obey as CSI), bytes that are not valid UTF-8 -
 *          is shown as '?', one per byte, so a hostile file cannot move the
 *          cursor, clear the screen or retitle the auditor's terminal.
 *   token  one blank-separated column of a table (the audit's text
 *          report): anything but printable, non-blank ASCII becomes '_',
 *          and an empty string '-', so the columns always split the same.
 *   CSV    RFC 4180: a field holding a comma, quote, CR or LF is quoted,
 *          its quotes doubled; bytes pass unchanged.
 *   JSON   RFC 8259 string, quotes included: '"', '\\' and the C0 controls
 *          escaped (\b \f \n \r \t by name, the rest and DEL as \u00XX);
 *          each byte that is not part of valid UTF-8 becomes \ufffd, so
 *          every line stays valid JSON whatever the input.
 *   XML    attribute or comment text: the five markup characters as
 *          entities, tab/LF/CR as character references (a literal one in
 *          an attribute would be normalized to a space), every '-' after a
 *          '-' as "&#45;" (nmap's way to keep "--" out of a comment); other
 *          C0 controls, U+FFFE/U+FFFF and invalid UTF-8 become U+FFFD.
 *   grep   a field of an nmap grepable port entry: '/' and ',' (which
 *          split the entries) become '|', control bytes '?'.
 *   banner bytes a server sent (--banners), as nmap's banner script shows
 *          them: printable ASCII passes, every other byte - controls, NUL,
 *          DEL, anything >= 0x80 whether valid UTF-8 or not - and the
 *          backslash itself become "\xNN" (two upper-case hex digits), and
 *          trailing CR, LF, blanks and NULs are left out.  The result is
 *          printable ASCII only, at most 4 bytes per byte in, and then goes
 *          through the writer of its format like any other string, so a
 *          banner can neither drive a terminal nor break a row or a
 *          document.
 *
 * The UTF-8 test is one function (escape_utf8_len), so no two formats can
 * disagree about what valid UTF-8 is.  The writers emit through a callback
 * (escape_put_fn) so that the same code serves output.c's buffered
 * writers, the audit's stdio files and the tests' buffers.
 *
 * Pure functions, no allocation; any caller, any thread.  Not on the hot
 * path (rows are written at most once per final result).
 */
#ifndef RINGSCAN_ESCAPE_H
#define RINGSCAN_ESCAPE_H

#include <stddef.h>

/* Where escaped bytes go: n bytes at s (not NUL-terminated). */
typedef void escape_put_fn(void *ctx, const char *s, size_t n);

/* An escape_put_fn for a stdio stream: ctx is the FILE *. */
void escape_put_file(void *ctx, const char *s, size_t n);

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if the bytes there
 * are not one (RFC 3629: no overlong forms, surrogates or values above
 * U+10FFFF).  Stops at a NUL, which is never part of a longer sequence.
 */
size_t escape_utf8_len(const unsigned char *s);

/* Bytes at s, up to the first NUL or byte unsafe for a terminal. */
size_t escape_text_span(const char *s);

/*
 * src into dst (size > 0 bytes, NUL-terminated), every byte unsafe for a
 * terminal as '?'; cut at a character boundary if it does not fit.
 * Returns dst.
 */
char *escape_text_copy(char *dst, size_t size, const char *src);

/*
 * src into dst (size > 0 bytes) as one table column: every byte that is
 * not printable, non-blank ASCII as '_', "" as "-".  Returns dst.
 */
char *escape_token_copy(char *dst, size_t size, const char *src);

/*
 * n bytes at buf (any bytes, NULs too) as a banner (see the top) into
 * dst (size > 0, NUL-terminated): trailing white space and NULs dropped
 * (what ends a greeting says nothing), printable ASCII but the backslash
 * as is, every other byte as "\xNN" (upper-case hex), so the form reads
 * back to the exact bytes; stops at a whole escape that does not fit.
 * Returns the length written.  ESCAPE_BANNER_MAX(n) is enough for n
 * bytes.
 */
#define ESCAPE_BANNER_MAX(n) (4 * (n) + 1)
size_t escape_banner_copy(char *dst, size_t size, const void *buf, size_t n);

/* s in each format, through put(ctx, ...).  See the top of this file. */
void escape_text(escape_put_fn *put, void *ctx, const char *s);
void escape_csv(escape_put_fn *put, void *ctx, const char *s);
void escape_json(escape_put_fn *put, void *ctx, const char *s);
void escape_xml(escape_put_fn *put, void *ctx, const char *s);
void escape_grep(escape_put_fn *put, void *ctx, const char *s);

#endif
