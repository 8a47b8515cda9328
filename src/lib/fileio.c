/*
 * fileio.c - open only regular files, read them whole under a cap (see
 * fileio.h).
 *
 * The open is O_NONBLOCK because that is the only way to open a FIFO
 * without waiting for a writer; the descriptor is then checked with fstat,
 * not the path with stat before the open, so what is checked is what will
 * be read (a path can be swapped between a stat and an open).  O_NOCTTY
 * keeps a terminal named by mistake from becoming ours before it is
 * refused.  Once the file is known to be regular, O_NONBLOCK is cleared:
 * it means nothing to a regular file today, but the reads after it assume
 * ordinary blocking semantics and should not depend on that.
 *
 * The read loop trusts st_size only as a first guess at the buffer size:
 * /proc files say 0 and a file may grow or shrink while it is read, so the
 * loop reads to end of file and checks the cap on what it actually got.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

/* First buffer when the size is unknown (a pipe, a /proc file). */
#define FILEIO_FIRST_CHUNK 65536

int fileio_open_at(int dirfd, const char *name, int *fd, struct stat *st)
{
	struct stat tmp;
	int f, flags, ret;

	if (!st)
		st = &tmp;
	f = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	if (fstat(f, st)) {
		ret = -errno;
		goto out_close;
	}
	if (S_ISDIR(st->st_mode)) {
		ret = -EISDIR;
		goto out_close;
	}
	if (!S_ISREG(st->st_mode)) {
		ret = -FILEIO_ENOTREG;
		goto out_close;
	}
	flags = fcntl(f, F_GETFL);
	if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK)) {
		ret = -errno;
		goto out_close;
	}
	*fd = f;
	return 0;

out_close:
	close(f);
	return ret;
}

int fileio_open(const char *path, int *fd, struct stat *st)
{
	return fileio_open_at(AT_FDCWD, path, fd, st);
}

int fileio_read_fd(int fd, size_t max_bytes, char **buf, size_t *len)
{
	struct stat st;
	size_t cap = FILEIO_FIRST_CHUNK, n = 0;
	char *b, *nb;
	int ret;

	/* Room for one byte more than the cap: reading it proves the file
	 * too big.  Halved so that cap * 2 + 1 cannot overflow. */
	if (max_bytes > SIZE_MAX / 4)
		max_bytes = SIZE_MAX / 4;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((unsigned long long)st.st_size > max_bytes)
			return -EFBIG;
		cap = (size_t)st.st_size + 1;
	}
	if (max_bytes < cap - 1)
		cap = max_bytes + 1;
	b = malloc(cap + 1);
	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			size_t ncap;

			if (n > max_bytes) {
				ret = -EFBIG;
				goto out_free;
			}
			ncap = cap <= (max_bytes + 1) / 2 ? cap * 2 :
							    max_bytes + 1;
			nb = realloc(b, ncap + 1);
			if (!nb) {
				ret = -ENOMEM;
				goto out_free;
			}
			b = nb;
			cap = ncap;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			goto out_free;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max_bytes) {
		ret = -EFBIG;
		goto out_free;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;

out_free:
	free(b);
	return ret;
}

int fileio_read_all(const char *path, size_t max_bytes, char **buf, size_t *len)
{
	int fd, ret;

	ret = fileio_open(path, &fd, NULL);
	if (ret)
		return ret;
	ret = fileio_read_fd(fd, max_bytes, buf, len);
	close(fd);
	return ret;
}

const char *fileio_strerror(int err)
{
	switch (-err) {
	case FILEIO_ENOTREG:
		return "not a regular file (a FIFO, device or socket); give a file";
	case EISDIR:
		return "is a directory; give a file";
	case EFBIG:
		return "file too large";
	default:
		return strerror(-err);
	}
}
