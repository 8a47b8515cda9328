/*
 * error.h - the detail behind an -EINVAL from a parser.
 *
 * Parsers return 0 or -errno like every fallible function here; when the
 * input is at fault they also fill an rs_error so that the CLI can print one
 * line naming the bad token (and the file line, for list files) and what to
 * do.  Modules never print; only the CLI code (main.c, cli.c, audit_cli.c,
 * merge_cli.c) turns this into a message.
 */
#ifndef RINGSCAN_ERROR_H
#define RINGSCAN_ERROR_H

#include <stddef.h>

struct rs_error {
	char token[128]; /* the offending input, truncated */
	unsigned long line; /* 1-based line in a list file, 0 if none */
	const char *reason; /* static text: what is wrong / what to do */
};

/* Record token (truncated to fit) and reason; always returns -EINVAL. */
int rs_error_set(struct rs_error *err, const char *token, size_t len,
		 const char *reason);

#endif
