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
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/*
 * "/dev/fd/N" naming a pipe this process inherited: it is read from the
 * descriptor itself.  Any other non-regular file - a named FIFO nobody may
 * ever write to, a device - is refused by fileio_open.  -1 if path is not
 * one.
 */
static int inherited_pipe(const char *path)
{
	unsigned long n;
	struct stat st;
	char *end;

	if (strncmp(path, "/dev/fd/", 8) || path[8] < '0' || path[8] > '9')
		return -1;
	errno = 0;
	n = strtoul(path + 8, &end, 10);
	if (errno || *end || n > INT_MAX)
		return -1;
	if (fstat((int)n, &st) || !S_ISFIFO(st.st_mode))
		return -1;
	return (int)n;
}

int fileio_map(const char *path, size_t max_stream, struct fileio_map *m)
{
	int fd, ret;

	memset(m, 0, sizeof(*m));
	fd = strcmp(path, "-") ? inherited_pipe(path) : STDIN_FILENO;
	if (fd >= 0)
		return fileio_read_fd(fd, max_stream, &m->buf, &m->len);
	ret = fileio_open(path, &fd, &m->st);
	if (ret)
		return ret;
	m->is_file = true;
	if (m->st.st_size > 0) {
		m->buf = mmap(NULL, (size_t)m->st.st_size, PROT_READ,
			      MAP_PRIVATE, fd, 0);
		if (m->buf == MAP_FAILED) {
			m->buf = NULL;
			ret = -errno;
		} else {
			m->len = (size_t)m->st.st_size;
			m->mapped = true;
		}
	}
	close(fd);
	return ret;
}

void fileio_unmap(struct fileio_map *m)
{
	if (m->mapped)
		munmap(m->buf, m->len);
	else
		free(m->buf);
	m->buf = NULL;
	m->len = 0;
	m->mapped = false;
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
