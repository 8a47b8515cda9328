/*
 * textsafe.h - text from outside, made safe to show on a terminal.
 *
 * The one place that decides which bytes of untrusted text (a target, a
 * port spec, a line of an -iL file or a netstat capture, a service name)
 * may reach a terminal as they are: printable ASCII and well-formed UTF-8
 * other than the C1 controls.  Everything else - C0 controls such as ESC,
 * DEL, C1 controls (U+0080-U+009F, which some terminals obey as CSI), and
 * bytes that are not valid UTF-8 - is shown as '?'.  The text report and
 * every error line the CLI prints go through it, so a hostile file cannot
 * move the cursor, clear the screen or retitle the auditor's terminal.
 *
 * Pure functions, no allocation; any caller, any thread.
 */
#ifndef RINGSCAN_TEXTSAFE_H
#define RINGSCAN_TEXTSAFE_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if the bytes there
 * are not one (RFC 3629: no overlong forms, surrogates or values above
 * U+10FFFF).  Stops at a NUL, which is never part of a longer sequence.
 */
size_t textsafe_utf8_len(const unsigned char *s);

/* Bytes at s, up to the first NUL or unsafe byte, safe to show as they are. */
size_t textsafe_span(const char *s);

/*
 * src into dst (size > 0 bytes, NUL-terminated), every unsafe byte as '?';
 * cut at a character boundary if it does not fit.  Returns dst.
 */
char *textsafe_copy(char *dst, size_t size, const char *src);

#endif
