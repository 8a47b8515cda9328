/*
 * fileio.h - opening and reading the files ringscan is given.
 *
 * Every file ringscan reads comes from its user or from another machine: a
 * checkpoint for --resume, -iL and --excludefile lists, merge inputs, an
 * audit's --netstat capture, --proc-root tables, a --baseline.  Any of them
 * may name something that is not a file: a FIFO blocks open() until a
 * writer comes (forever, if none does), a terminal waits for a keyboard,
 * /dev/zero never ends.  So every such open goes through this module: it
 * opens with O_NONBLOCK (an open that cannot block), looks at what it got
 * with fstat, refuses anything but a regular file, and only then clears
 * O_NONBLOCK for ordinary reads.  Reading a whole file is the one loop here
 * too, with a size cap the caller names, so no parser's input can grow
 * without bound.
 *
 * The refusal of a non-regular file is -ENODEV (-EISDIR for a directory):
 * Linux has no EFTYPE, -EINVAL already means "malformed input" to every
 * parser's caller, and fileio_strerror() gives the one-line reason the CLI
 * prints.  A file over its cap is -EFBIG, refused before it is read when
 * fstat already says so.  Standard input ("-" on the command lines that
 * accept it) is the caller's choice of stream and is read with
 * fileio_read_fd() without the regular-file check.
 *
 * Not on any hot path.  Never prints.
 */
#ifndef RINGSCAN_FILEIO_H
#define RINGSCAN_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The errno of a refused non-regular file (FIFO, device, socket). */
#define FILEIO_ENOTREG ENODEV

/*
 * Open dirfd/name (AT_FDCWD for a plain path) read-only, close-on-exec and
 * without blocking: 0 with *fd a (blocking again) descriptor of a regular
 * file and *st its fstat, or -EISDIR, -FILEIO_ENOTREG, or open's -errno.
 * st may be NULL.
 */
int fileio_open_at(int dirfd, const char *name, int *fd, struct stat *st);
int fileio_open(const char *path, int *fd, struct stat *st);

/*
 * Read fd to its end into a new buffer: 0 with *buf (malloc'd, never NULL,
 * NUL-terminated at buf[len]) and *len, -EFBIG once more than max_bytes
 * would be needed, -ENOMEM, or read's -errno.  Nothing is returned on
 * failure.  EINTR is retried.
 */
int fileio_read_fd(int fd, size_t max_bytes, char **buf, size_t *len);

/* fileio_open + fileio_read_fd + close. */
int fileio_read_all(const char *path, size_t max_bytes, char **buf,
		    size_t *len);

/*
 * A whole input in memory, for readers that want all of it at once
 * (`ringscan merge`): a regular file is mapped (row files of many GiB are
 * normal), "-" (standard input) and "/dev/fd/N" naming an inherited pipe
 * - what a shell's process substitution, <(zcat x.csv.gz), passes - are
 * read into memory under max_stream bytes.  Any other path goes through
 * fileio_open: a named FIFO or a device is refused.
 */
struct fileio_map {
	char *buf; /* len bytes; NULL when len is 0 */
	size_t len;
	bool mapped;
	bool is_file; /* st is the regular file's fstat (not stdin or a pipe) */
	struct stat st;
};

/* 0 with *m filled; fileio_open's or fileio_read_fd's -errno, or mmap's. */
int fileio_map(const char *path, size_t max_stream, struct fileio_map *m);
/* Let the bytes go (m->st stays); a zeroed or released m is a no-op. */
void fileio_unmap(struct fileio_map *m);

/*
 * The reason to print for one of this module's -errno values: the refusal
 * of a non-regular file and -EFBIG get words of their own, anything else
 * strerror's.
 */
const char *fileio_strerror(int err);

#endif
