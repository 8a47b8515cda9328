/*
 * test_localaddr.c - the interface walk against a namespace of known truth.
 *
 * A child process enters a network namespace of its own, where the only
 * interface is lo: down, the walk finds nothing up; brought up, it finds
 * 127.0.0.1 (and ::1 when the kernel has IPv6) up, and nothing else.  A
 * callback's non-zero return stops the walk and comes back.  Without the
 * privilege to make a namespace the test skips.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "localaddr.h"

struct seen {
	unsigned up, down, lo4, lo6, other;
};

static int count(void *ctx, const struct rs_addr *a, bool up)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	struct seen *s = ctx;

	if (!up) {
		s->down++;
		return 0;
	}
	s->up++;
	if (a->family == AF_INET && a->bytes[0] == 127 && a->bytes[3] == 1)
		s->lo4++;
	else if (a->family == AF_INET6 && !memcmp(a->bytes, lo6, 16))
		s->lo6++;
	else
		s->other++;
	return 0;
}

static int stop_at_first(void *ctx, const struct rs_addr *a, bool up)
{
	(void)a;
	(void)up;
	++*(int *)ctx;
	return 42;
}

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/* The child's checks: exit 0 pass, 77 skip, 1..n which check failed. */
static int child(void)
{
	struct seen s;
	int calls = 0;

	if (unshare(CLONE_NEWNET))
		return 77;
	memset(&s, 0, sizeof(s));
	if (localaddr_each(count, &s) || s.up)
		return 1;
	if (lo_up())
		return 2;
	memset(&s, 0, sizeof(s));
	if (localaddr_each(count, &s))
		return 3;
	if (s.lo4 != 1 || s.lo6 > 1 || s.other || s.down)
		return 4;
	if (localaddr_each(stop_at_first, &calls) != 42 || calls != 1)
		return 5;
	return 0;
}

static void test_namespace(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
