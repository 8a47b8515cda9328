/*
 * guard.h - guarded copies of parser inputs for the unit tests.
 *
 * The picohttpparser trick: a parser under test is handed a copy of its
 * input whose last byte is the last readable byte before a PROT_NONE page,
 * so reading even one byte past the end is a SIGSEGV, with or without ASan
 * (ASan does not see past the end of an mmap'd buffer).  Inputs that must
 * be NUL-terminated get the NUL appended inside the readable area, so it is
 * the NUL that touches the guard and a walk past it faults.  The copy's own
 * pages are made read-only too, so a parser that writes to its input faults
 * as well.
 *
 * Every copy gets its own mapping (freed by guard_free): a test can hold
 * several at once, and no state is shared between tests.  A hot loop may
 * instead guard_recopy each input into one mapping.  guard_faults
 * forks to prove that a given address really faults, so one test per mode
 * can show the guard is not a no-op.
 *
 * Header-only and test-only: failures are cmocka assertions.
 */
#ifndef RINGSCAN_TESTS_GUARD_H
#define RINGSCAN_TESTS_GUARD_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

struct guarded {
	uint8_t *base;
	size_t maplen;
};

/*
 * Replace g's copy by n bytes of src (and a NUL, with nul), placed the same
 * way in the same mapping: for loops that would otherwise pay for a fresh
 * mapping per input.  The new copy must fit the mapping's readable area.
 */
static inline const void *guard_recopy(struct guarded *g, const void *src,
				       size_t n, bool nul)
{
	size_t data = g->maplen - (size_t)sysconf(_SC_PAGESIZE);
	size_t len = n + (nul ? 1 : 0);
	uint8_t *p;

	assert_true(len <= data);
	assert_int_equal(mprotect(g->base, data, PROT_READ | PROT_WRITE), 0);
	p = g->base + data - len;
	if (n)
		memcpy(p, src, n);
	if (nul)
		p[n] = '\0';
	assert_int_equal(mprotect(g->base, data, PROT_READ), 0);
	return p;
}

/*
 * Copy n bytes of src so that the copy's last byte sits right before a
 * PROT_NONE page; with nul, a NUL is appended after them (so the NUL is the
 * last readable byte).  The copy is read-only.  Returns the copy; for an
 * empty copy without a NUL that is the first byte of the guard page itself.
 */
static inline const void *guard_copy(struct guarded *g, const void *src,
				     size_t n, bool nul)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (n + (nul ? 1 : 0) + pg - 1) / pg * pg;

	if (!data)
		data = pg;
	g->maplen = data + pg;
	g->base = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->base != MAP_FAILED);
	assert_int_equal(mprotect(g->base + data, pg, PROT_NONE), 0);
	return guard_recopy(g, src, n, nul);
}

static inline void guard_free(struct guarded *g)
{
	munmap(g->base, g->maplen);
}

static inline void guard_segv_exit(int sig)
{
	(void)sig;
	_exit(42);
}

/* Whether reading the byte at p faults; tried in a child, so it survives. */
static inline bool guard_faults(const void *p)
{
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = guard_segv_exit;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		(void)*(const volatile uint8_t *)p;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_true(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 42);
	return WEXITSTATUS(status) == 42;
}

#endif /* RINGSCAN_TESTS_GUARD_H */
