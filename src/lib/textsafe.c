/*
 * textsafe.c - which bytes of outside text may reach a terminal.
 *
 * A character is safe when it is printable ASCII (0x20-0x7e) or a
 * well-formed UTF-8 sequence of a code point at or above U+00A0: below that
 * are the C1 controls, which a UTF-8 terminal may still act on.  The rest is
 * replaced one byte at a time, so an invalid sequence of three bytes shows
 * as three '?' and the length of what the user typed stays visible.  The
 * test is the same one the JSON writer uses to decide what needs \ufffd
 * (textsafe_utf8_len), so the two can never disagree about what UTF-8 is.
 */
#include <stdint.h>
#include <string.h>

#include "textsafe.h"

size_t textsafe_utf8_len(const unsigned char *s)
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

/* Length of the safe character at s, 0 if the byte there is unsafe. */
static size_t safe_char(const unsigned char *s)
{
	size_t n;

	if (*s >= 0x20 && *s < 0x7f)
		return 1;
	if (*s < 0x80)
		return 0; /* C0 control, DEL, or the NUL */
	n = textsafe_utf8_len(s);
	/* U+0080-U+009F: 0xc2 0x80-0x9f. */
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return n;
}

size_t textsafe_span(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t off = 0, n;

	while ((n = safe_char(s + off)))
		off += n;
	return off;
}

char *textsafe_copy(char *dst, size_t size, const char *src)
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
