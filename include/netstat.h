/*
 * netstat.h - socket listings captured on another machine: netstat and ss
 * output, for the remote audit (`ringscan audit --netstat FILE TARGET`).
 *
 * A compromised host's own tools cannot be trusted, so the audit can run
 * from a second machine: the operator captures the server's listing, and
 * ringscan compares it with a scan of the server.  Accepted captures (the
 * numeric forms; with or without -p, -e, -W; IPv4 and IPv6):
 *
 *   netstat -tlnp / -tulnp / -tln     "Proto Recv-Q Send-Q Local Address
 *                                     Foreign Address State PID/Program name"
 *   ss -tlnp / -tulnp / -ltn / -H    "[Netid] State Recv-Q Send-Q Local
 *                                     Address:Port Peer Address:Port Process"
 *
 * Header lines, blank lines and netstat's "(Not all processes could be
 * identified ...)" note are skipped.  Every other line must be a socket row
 * of one of the two layouts; anything else - a UNIX-socket section, service
 * names where numbers belong (a capture without -n), a truncated row - fails
 * the parse with -EINVAL and an rs_error naming the line number and the bad
 * field, so a garbled capture is never half-read.  Without a Netid column
 * ss rows are TCP unless their state is UNCONN (UDP).  ss's "*" address
 * (a dual-stack [::] socket) is read as [::] with v6only = 0.  netstat's
 * program is the first word of its PID/Program column (cut at "/" and ":";
 * netstat truncates it), ss's the first name in users:((...)).
 *
 * netstat_parse() is a pure parser: the buffer need not be NUL-terminated,
 * nothing is read past len, nothing is allocated; fn is called per row.
 * netstat_read_file() reads a file (or "-" for stdin) and parses it.
 */
#ifndef RINGSCAN_NETSTAT_H
#define RINGSCAN_NETSTAT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "sockdiag.h"

#define NETSTAT_LINE_MAX 4096
#define NETSTAT_FILE_MAX (64u << 20)
#define NETSTAT_PROGRAM_LEN 32

enum netstat_layout {
	NETSTAT_LAYOUT_NETSTAT, /* net-tools netstat */
	NETSTAT_LAYOUT_SS, /* iproute2 ss */
};

struct netstat_entry {
	struct sock_entry s; /* proto, addresses, ports, state; inode and
				uid when the capture has them (-e), else 0 and
				UINT32_MAX */
	int32_t pid; /* -1 when the capture does not say */
	char program[NETSTAT_PROGRAM_LEN]; /* "" when it does not say */
	uint8_t layout; /* enum netstat_layout */
	unsigned long line; /* 1-based line in the capture */
};

/*
 * Parse a whole capture.  fn returning non-zero stops the parse and that
 * value is returned.  0, -EINVAL (err filled, err->line set) or fn's value.
 * A capture with no socket row at all is valid (a host that listens on
 * nothing) only if it has a header; empty input is -EINVAL.
 */
int netstat_parse(const char *buf, size_t len,
		  int (*fn)(void *ctx, const struct netstat_entry *e),
		  void *ctx, struct rs_error *err);

/*
 * Read path ("-" = stdin) and parse it.  -errno if it cannot be read
 * (err->token holds the path): -EFBIG over NETSTAT_FILE_MAX, -ENODEV if
 * path is not a regular file (fileio.h: a capture from a FIFO would hang);
 * or as netstat_parse.
 */
int netstat_read_file(const char *path,
		      int (*fn)(void *ctx, const struct netstat_entry *e),
		      void *ctx, struct rs_error *err);

#endif
