/*
 * escape.c - outside text, escaped for each format (see escape.h).
 *
 * A character is safe for a terminal when it is printable ASCII (0x20-0x7e)
 * or a well-formed UTF-8 sequence of a code point at or above U+00A0: below
 * that are the C1 controls, which a UTF-8 terminal may still act on.  The
 * rest is replaced one byte at a time, so an invalid sequence of three bytes
 * shows as three '?' and the length of what the user typed stays visible.
 *
 * The JSON and XML writers copy valid UTF-8 sequences whole and replace
 * each byte of an invalid one, so that a process name cut mid-character
 * (comm is truncated to 15 bytes without regard for UTF-8) or a Latin-1
 * service file still gives a document every parser accepts.  CSV has no
 * notion of encoding and keeps the bytes: a spreadsheet reading a Latin-1
 * name should see Latin-1.
 *
 * Runs of bytes that need no escape go to put() in one call, so a sink
 * that costs a call per piece (a buffered writer, stdio) pays per run, not
 * per byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

void escape_put_file(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, ctx);
}

static void put_str(escape_put_fn *put, void *ctx, const char *s)
{
	put(ctx, s, strlen(s));
}

size_t escape_utf8_len(const unsigned char *s)
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

/* Length of the terminal-safe character at s, 0 if the byte is unsafe. */
static size_t safe_char(const unsigned char *s)
{
	size_t n;

	if (*s >= 0x20 && *s < 0x7f)
		return 1;
	if (*s < 0x80)
		return 0; /* C0 control, DEL, or the NUL */
	n = escape_utf8_len(s);
	/* U+0080-U+009F: 0xc2 0x80-0x9f. */
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return n;
}

size_t escape_text_span(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t off = 0, n;

	while ((n = safe_char(s + off)))
		off += n;
	return off;
}

char *escape_text_copy(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t off = 0, n;

	while (*s) {
		n = safe_char(s);
		if (off + (n ? n : 1) >= size)
			break;
		if (n) {
			memcpy(dst + off, s, n);
			s += n;
			off += n;
		} else {
			dst[off++] = '?';
			s++;
		}
	}
	dst[off] = '\0';
	return dst;
}

char *escape_token_copy(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src && n + 1 < size; src++) {
		unsigned char ch = (unsigned char)*src;

		dst[n++] = (ch <= ' ' || ch >= 0x7f) ? '_' : (char)ch;
	}
	if (!n && size > 1)
		dst[n++] = '-';
	dst[n] = '\0';
	return dst;
}

void escape_text(escape_put_fn *put, void *ctx, const char *s)
{
	while (*s) {
		size_t n = escape_text_span(s);

		if (n)
			put(ctx, s, n);
		s += n;
		if (*s) {
			put(ctx, "?", 1);
			s++;
		}
	}
}

void escape_csv(escape_put_fn *put, void *ctx, const char *s)
{
	const char *q;

	if (!s[strcspn(s, ",\"\r\n")]) {
		put(ctx, s, strlen(s));
		return;
	}
	put(ctx, "\"", 1);
	while ((q = strchr(s, '"'))) {
		put(ctx, s, (size_t)(q - s) + 1);
		put(ctx, "\"", 1); /* the quote, doubled */
		s = q + 1;
	}
	put(ctx, s, strlen(s));
	put(ctx, "\"", 1);
}

void escape_json(escape_put_fn *put, void *ctx, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run = s;
	char u[8];

	put(ctx, "\"", 1);
	while (*s) {
		unsigned char c = *s;
		const char *rep;
		size_t n;

		switch (c) {
		case '"':
			rep = "\\\"";
			break;
		case '\\':
			rep = "\\\\";
			break;
		case '\b':
			rep = "\\b";
			break;
		case '\f':
			rep = "\\f";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\t':
			rep = "\\t";
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(u, sizeof(u), "\\u%04x", c);
				rep = u;
				break;
			}
			n = escape_utf8_len(s);
			if (n) {
				s += n; /* part of the run */
				continue;
			}
			rep = "\\ufffd";
			break;
		}
		put(ctx, (const char *)run, (size_t)(s - run));
		put_str(put, ctx, rep);
		run = ++s;
	}
	put(ctx, (const char *)run, (size_t)(s - run));
	put(ctx, "\"", 1);
}

void escape_xml(escape_put_fn *put, void *ctx, const char *str)
{
	static const char fffd[] = "\xef\xbf\xbd";
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run = s;
	unsigned char prev = 0;

	while (*s) {
		unsigned char c = *s;
		const char *rep;
		size_t n;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\t':
			rep = "&#9;";
			break;
		case '\n':
			rep = "&#10;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		case '-':
			if (prev != '-') {
				prev = c;
				s++;
				continue;
			}
			rep = "&#45;";
			break;
		case 0x7f:
			rep = "&#127;";
			break;
		default:
			if (c < 0x20) {
				rep = fffd;
				break;
			}
			n = escape_utf8_len(s);
			if (n == 0) {
				rep = fffd; /* this byte only */
				break;
			}
			/* U+FFFE and U+FFFF: one character, not XML's. */
			if (n == 3 && s[0] == 0xef && s[1] == 0xbf &&
			    s[2] >= 0xbe) {
				put(ctx, (const char *)run, (size_t)(s - run));
				put_str(put, ctx, fffd);
				prev = c;
				s += n;
				run = s;
				continue;
			}
			prev = c;
			s += n;
			continue;
		}
		put(ctx, (const char *)run, (size_t)(s - run));
		put_str(put, ctx, rep);
		prev = c;
		run = ++s;
	}
	put(ctx, (const char *)run, (size_t)(s - run));
}

void escape_grep(escape_put_fn *put, void *ctx, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *rep;

		if (c < 0x20 || c == 0x7f)
			rep = "?";
		else if (c == '/' || c == ',')
			rep = "|";
		else
			continue;
		put(ctx, run, (size_t)(s - run));
		put(ctx, rep, 1);
		run = s + 1;
	}
	put(ctx, run, (size_t)(s - run));
}

size_t escape_banner_copy(char *dst, size_t size, const void *buf, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *src = buf;
	size_t o = 0;

	/* What ends a greeting (CRLF, padding) says nothing: leave it. */
	while (n && (src[n - 1] == ' ' || src[n - 1] == '\0' ||
		     (src[n - 1] >= '\t' && src[n - 1] <= '\r')))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= size)
				break;
			dst[o++] = (char)c;
			continue;
		}
		if (o + 4 >= size)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	dst[o] = '\0';
	return o;
}
