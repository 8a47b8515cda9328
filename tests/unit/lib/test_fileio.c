/*
 * test_fileio.c - only regular files are read, never blocking, never past
 * the cap.
 *
 * The refusals are the point: a FIFO with no writer (which blocked open()
 * forever before this module existed), a symlink to one, a character device
 * that never ends (/dev/zero) and a directory.  Every test runs under an
 * alarm, so a regression that blocks fails the test instead of hanging the
 * suite.  The reads are checked at the edges of the cap, both for a regular
 * file (refused from its size before reading) and for a pipe (no size: the
 * cap must stop the read itself), and across buffer growth.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fileio.h"

#define BLOCK_GUARD_S 10 /* a blocked open or read fails the test */

static char dir[] = "/tmp/rs-fileio-XXXXXX";
static char path_buf[256];

static const char *in_dir(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	alarm(BLOCK_GUARD_S);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	return 0;
}

static void test_regular_file(void **state)
{
	static const char text[] = "hello\nworld\n";
	char *buf;
	size_t len;
	int fd, flags;
	struct stat st;

	(void)state;
	write_file(in_dir("f"), text, sizeof(text) - 1);
	assert_int_equal(fileio_read_all(in_dir("f"), 100, &buf, &len), 0);
	assert_int_equal(len, sizeof(text) - 1);
	assert_memory_equal(buf, text, len);
	assert_int_equal(buf[len], '\0');
	free(buf);

	/* The descriptor handed out blocks again, and fstat came along. */
	assert_int_equal(fileio_open(in_dir("f"), &fd, &st), 0);
	flags = fcntl(fd, F_GETFL);
	assert_true(flags >= 0);
	assert_int_equal(flags & O_NONBLOCK, 0);
	assert_int_equal(st.st_size, (off_t)(sizeof(text) - 1));
	close(fd);
	unlink(in_dir("f"));
}

static void test_empty_file(void **state)
{
	char *buf = NULL;
	size_t len = 99;

	(void)state;
	write_file(in_dir("e"), "", 0);
	assert_int_equal(fileio_read_all(in_dir("e"), 0, &buf, &len), 0);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(buf[0], '\0');
	free(buf);
	unlink(in_dir("e"));
}

static void test_cap_regular(void **state)
{
	char data[100], *buf = NULL;
	size_t len;

	(void)state;
	memset(data, 'x', sizeof(data));
	write_file(in_dir("c"), data, sizeof(data));
	assert_int_equal(fileio_read_all(in_dir("c"), 99, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(fileio_read_all(in_dir("c"), 100, &buf, &len), 0);
	assert_int_equal(len, 100);
	free(buf);
	unlink(in_dir("c"));
}

/* A child writes n bytes into a pipe; the parent reads with cap max. */
static int read_pipe(size_t n, size_t max, size_t *got)
{
	int p[2], ret, status;
	char *buf = NULL;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char chunk[4096];

		close(p[0]);
		memset(chunk, 'p', sizeof(chunk));
		while (n) {
			size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
			ssize_t w = write(p[1], chunk, k);

			if (w <= 0)
				_exit(0); /* the reader gave up: fine */
			n -= (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	ret = fileio_read_fd(p[0], max, &buf, got);
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!ret) {
		for (size_t i = 0; i < *got; i++)
			assert_int_equal(buf[i], 'p');
		assert_int_equal(buf[*got], '\0');
	}
	free(buf);
	return ret;
}

static void test_cap_pipe_and_growth(void **state)
{
	size_t got;

	(void)state;
	assert_int_equal(read_pipe(1000, 999, &got), -EFBIG);
	assert_int_equal(read_pipe(1000, 1000, &got), 0);
	assert_int_equal(got, 1000);
	/* Several times the first buffer: it must grow, and stop at the cap
	 * even when the cap is not a power of two. */
	assert_int_equal(read_pipe(1000000, 1000000, &got), 0);
	assert_int_equal(got, 1000000);
	assert_int_equal(read_pipe(1000001, 1000000, &got), -EFBIG);
	assert_int_equal(read_pipe(300000, SIZE_MAX, &got), 0);
	assert_int_equal(got, 300000);
}

static void test_fifo_refused_without_blocking(void **state)
{
	char *buf = NULL, fifo[256];
	size_t len;
	int fd = -1;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s", in_dir("fifo"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fileio_open(in_dir("fifo"), &fd, NULL),
			 -FILEIO_ENOTREG);
	assert_int_equal(fd, -1);
	assert_int_equal(fileio_read_all(in_dir("fifo"), 100, &buf, &len),
			 -FILEIO_ENOTREG);
	assert_null(buf);
	/* Through a symlink too: what is checked is what was opened. */
	assert_int_equal(symlink(fifo, in_dir("link")), 0);
	assert_int_equal(fileio_read_all(in_dir("link"), 100, &buf, &len),
			 -FILEIO_ENOTREG);
	unlink(in_dir("link"));
	unlink(in_dir("fifo"));
	assert_non_null(
		strstr(fileio_strerror(-FILEIO_ENOTREG), "not a regular file"));
}

static void test_devices_and_directories(void **state)
{
	char *buf = NULL;
	size_t len;
	int fd;

	(void)state;
	assert_int_equal(fileio_read_all("/dev/zero", 100, &buf, &len),
			 -FILEIO_ENOTREG);
	assert_int_equal(fileio_read_all("/dev/null", 100, &buf, &len),
			 -FILEIO_ENOTREG);
	assert_int_equal(fileio_read_all(dir, 100, &buf, &len), -EISDIR);
	assert_null(buf);
	assert_int_equal(fileio_read_all(in_dir("absent"), 100, &buf, &len),
			 -ENOENT);
	/* Relative to a directory descriptor, as the --proc-root walk. */
	write_file(in_dir("status"), "Uid:\t0\t0\n", 9);
	{
		int dfd = open(dir, O_RDONLY | O_DIRECTORY);

		assert_true(dfd >= 0);
		assert_int_equal(fileio_open_at(dfd, "status", &fd, NULL), 0);
		close(fd);
		assert_int_equal(mkfifo(in_dir("comm"), 0600), 0);
		assert_int_equal(fileio_open_at(dfd, "comm", &fd, NULL),
				 -FILEIO_ENOTREG);
		close(dfd);
	}
	unlink(in_dir("comm"));
	unlink(in_dir("status"));
}

/*
 * fileio_map: a regular file is mapped (and its fstat kept), an empty one
 * gives no bytes, an inherited pipe named /dev/fd/N is read from the
 * descriptor, a named FIFO is still refused without blocking.
 */
static void test_map(void **state)
{
	static const char text[] = "a,b\n1,2\n";
	char fdpath[32];
	struct fileio_map m;
	int p[2];

	(void)state;
	write_file(in_dir("m"), text, sizeof(text) - 1);
	assert_int_equal(fileio_map(in_dir("m"), 10, &m), 0);
	assert_true(m.mapped);
	assert_true(m.is_file);
	assert_int_equal(m.st.st_size, (off_t)(sizeof(text) - 1));
	assert_int_equal(m.len, sizeof(text) - 1);
	assert_memory_equal(m.buf, text, m.len);
	fileio_unmap(&m);
	assert_null(m.buf);
	fileio_unmap(&m); /* twice is harmless */
	unlink(in_dir("m"));

	write_file(in_dir("z"), "", 0);
	assert_int_equal(fileio_map(in_dir("z"), 10, &m), 0);
	assert_int_equal(m.len, 0);
	assert_false(m.mapped);
	fileio_unmap(&m);
	unlink(in_dir("z"));

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, sizeof(text) - 1),
			 (ssize_t)(sizeof(text) - 1));
	close(p[1]);
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", p[0]);
	assert_int_equal(fileio_map(fdpath, 100, &m), 0);
	assert_false(m.is_file);
	assert_false(m.mapped);
	assert_int_equal(m.len, sizeof(text) - 1);
	assert_memory_equal(m.buf, text, m.len);
	fileio_unmap(&m);
	close(p[0]);

	assert_int_equal(mkfifo(in_dir("q"), 0600), 0);
	assert_int_equal(fileio_map(in_dir("q"), 100, &m), -FILEIO_ENOTREG);
	unlink(in_dir("q"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cap_regular, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cap_pipe_and_growth, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_fifo_refused_without_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices_and_directories,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_map, setup, teardown),
	};
	int ret;

	if (!mkdtemp(dir))
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return ret;
}
