/*
 * error.c - filling the detail behind a parser's -EINVAL.
 *
 * The token may come straight from user input of any length, or from the
 * middle of a larger buffer (a list item, a file line) where it is not
 * NUL-terminated, so the copy is bounded by both the caller's length and the
 * first NUL, and a token that does not fit ends in "..." so the user sees
 * that it was cut rather than a silently shortened word.  The line is reset:
 * only the file readers know it and they set it after the fact.
 */
#include <errno.h>
#include <string.h>

#include "error.h"

int rs_error_set(struct rs_error *err, const char *token, size_t len,
		 const char *reason)
{
	static const char ellipsis[] = "...";
	size_t room = sizeof(err->token) - 1;
	size_t n;

	if (!err)
		return -EINVAL;
	n = token ? strnlen(token, len) : 0;
	if (n > room) {
		n = room - (sizeof(ellipsis) - 1);
		memcpy(err->token, token, n);
		memcpy(err->token + n, ellipsis, sizeof(ellipsis));
	} else {
		if (n)
			memcpy(err->token, token, n);
		err->token[n] = '\0';
	}
	err->line = 0;
	err->reason = reason;
	return -EINVAL;
}
