/*
 * proctable.h - the socket table as /proc/net/{tcp,tcp6,udp,udp6} print it.
 *
 * The second, independent reading of the kernel's socket table that the
 * audit compares with netlink (sockdiag.h): procfs formats each socket with
 * seq_printf, a different kernel path from inet_diag, and it is the one
 * netstat and many rootkit-hunting scripts read - so also the one a rootkit
 * that hooks tcp4_seq_show hides from.
 *
 * proctable_parse() is a pure parser: it reads one file's text from a
 * buffer that need not be NUL-terminated and never reads past len, does not
 * allocate, and calls fn once per socket line.  The format, per line after
 * the header ("  sl  local_address rem_address   st ..."):
 *
 *   SL: LOCAL:LPORT REMOTE:RPORT ST TXQ:RXQ TR:WHEN RETR UID TIMEOUT INODE ...
 *
 * with addresses in hexadecimal as the kernel's in-memory 32-bit words
 * (%08X of a __be32, so host byte order of the network bytes; IPv6 is four
 * such words), ports and state in hex, uid, timeout and inode in decimal.
 * Fields after the inode differ between tcp and udp and are skipped, but a
 * line must have all ten leading fields and nothing non-printable.  A bad
 * line fails the parse with -EINVAL and an rs_error naming the line number
 * and the offending field; a file must start with the header line.  Lines
 * longer than PROCTABLE_LINE_MAX are refused.
 *
 * proctable_read() reads the four files under a proc root (normally
 * "/proc"; the CLI's --proc-root for a captured copy) into a sock_list.
 * Not on any hot path.  Never prints.
 */
#ifndef RINGSCAN_PROCTABLE_H
#define RINGSCAN_PROCTABLE_H

#include <stddef.h>

#include "error.h"
#include "sockdiag.h"

#define PROCTABLE_LINE_MAX 1024
#define PROCTABLE_FILE_MAX (256u << 20) /* refuse larger files: -EFBIG */

/*
 * Parse one file's text.  proto is RS_TCP or RS_UDP, family AF_INET or
 * AF_INET6 (which file it is).  fn returning non-zero stops the parse and
 * that value is returned.  0, -EINVAL (err filled) or fn's value.
 */
int proctable_parse(const char *buf, size_t len, int proto, int family,
		    int (*fn)(void *ctx, const struct sock_entry *e), void *ctx,
		    struct rs_error *err);

/*
 * Read DIR/net/tcp, tcp6, udp and udp6 (DIR = proc_root) and append every
 * socket to out.  A file that does not exist is not an error: its SOCK_T_*
 * bit is set in *missing (a kernel without IPv6 has no tcp6).  -EINVAL when
 * a file does not parse (err filled; *bad_table names the file's SOCK_T_*
 * bit), -EFBIG, -ENODEV for a file that is not a regular file (a FIFO in a
 * captured copy would hang the read; fileio.h), -ENOMEM, or the -errno of
 * open/read.  bad_table and missing may be NULL.
 */
int proctable_read(const char *proc_root, struct sock_list *out,
		   unsigned *missing, unsigned *bad_table,
		   struct rs_error *err);

/* "net/tcp", "net/tcp6", "net/udp", "net/udp6" for a SOCK_T_* bit. */
const char *proctable_file(unsigned table);

#endif
