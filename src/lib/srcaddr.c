/*
 * srcaddr.c - the scan's source addresses (see srcaddr.h).
 *
 * The list is parsed by the targets module, token by token, so that a
 * source range reads exactly like a target range and overlaps merge the
 * same way; only the spelling is checked here first, to keep host names
 * (and with them the resolver) out.  After finalize the addresses are
 * copied into one array per family, which is all the engines read.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "srcaddr.h"
#include "targets.h"

struct srcaddr {
	struct targets *t; /* until finalize */
	struct rs_addr *by[2]; /* [0] IPv4, [1] IPv6 */
	uint32_t n[2];
};

int srcaddr_new(struct srcaddr **out)
{
	struct srcaddr *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	ret = targets_new(&s->t);
	if (ret) {
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void srcaddr_free(struct srcaddr *s)
{
	if (!s)
		return;
	targets_free(s->t);
	free(s->by[0]);
	free(s->by[1]);
	free(s);
}

/* An address, range or CIDR, never a name: IPv6 has a colon, IPv4 only
 * digits, dots, dashes and one slash. */
static bool spelled_as_address(const char *tok, size_t len)
{
	if (memchr(tok, ':', len))
		return true;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789.-/", tok[i]))
			return false;
	return len > 0;
}

int srcaddr_add(struct srcaddr *s, const char *list, struct rs_error *err)
{
	char tok[128];
	const char *p = list;
	int ret;

	if (!s->t)
		return -EINVAL;
	if (!*list)
		return rs_error_set(
			err, list, 0,
			"empty list: give an address, range or CIDR");
	for (;;) {
		size_t len = strcspn(p, ",");

		if (!len)
			return rs_error_set(err, list, strlen(list),
					    "empty item in the list");
		if (len >= sizeof(tok))
			return rs_error_set(
				err, p, len,
				"too long for an address, range or CIDR");
		if (!spelled_as_address(p, len))
			return rs_error_set(
				err, p, len,
				"not an address, range or CIDR (host names are not accepted)");
		memcpy(tok, p, len);
		tok[len] = '\0';
		ret = targets_add(s->t, tok, err);
		if (ret)
			return ret;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* Never a source: unspecified, multicast, limited broadcast, and IPv4
 * in IPv6 (an IPv6 socket cannot send from it to an IPv6 target). */
static bool unusable(const struct rs_addr *a)
{
	static const uint8_t zero[16],
		mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return !memcmp(a->bytes, zero, 4) || a->bytes[0] >= 224;
	return !memcmp(a->bytes, zero, 16) || a->bytes[0] == 0xff ||
	       !memcmp(a->bytes, mapped, 12);
}

int srcaddr_finalize(struct srcaddr *s, struct rs_error *err)
{
	char buf[RS_ADDR_STRLEN];
	uint64_t n;
	int ret;

	if (!s->t)
		return -EINVAL;
	ret = targets_finalize(s->t);
	if (ret)
		return ret;
	n = targets_count(s->t);
	if (n > SRCADDR_MAX)
		return -E2BIG;
	for (uint64_t i = 0; i < n; i++) {
		struct rs_addr a;
		int f;

		targets_get(s->t, i, &a);
		if (unusable(&a)) {
			addr_format(&a, buf, sizeof(buf));
			return rs_error_set(
				err, buf, strlen(buf),
				"not a unicast address: no socket can send from it");
		}
		f = a.family == AF_INET6;
		if (!s->by[f]) {
			s->by[f] = calloc(n, sizeof(*s->by[f]));
			if (!s->by[f])
				return -ENOMEM;
		}
		s->by[f][s->n[f]++] = a;
	}
	targets_free(s->t);
	s->t = NULL;
	return 0;
}

uint32_t srcaddr_count(const struct srcaddr *s, int family)
{
	if (family == AF_INET)
		return s->n[0];
	if (family == AF_INET6)
		return s->n[1];
	return s->n[0] + s->n[1];
}

const struct rs_addr *srcaddr_get(const struct srcaddr *s, int family,
				  uint32_t i)
{
	return &s->by[family == AF_INET6][i];
}

int srcaddr_sockaddrs(const struct srcaddr *s, int family,
		      struct sockaddr_storage **out, uint32_t *n)
{
	unsigned f = family == AF_INET6;

	*out = NULL;
	*n = 0;
	if (!s->n[f])
		return 0;
	*out = calloc(s->n[f], sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n[f]; i++)
		addr_to_sockaddr(&s->by[f][i], 0, &(*out)[i]);
	*n = s->n[f];
	return 0;
}

int srcaddr_check_local(const struct srcaddr *s, struct rs_addr *bad)
{
	for (unsigned f = 0; f < 2; f++)
		for (uint32_t i = 0; i < s->n[f]; i++) {
			const struct rs_addr *a = &s->by[f][i];
			struct sockaddr_storage ss;
			socklen_t len = addr_to_sockaddr(a, 0, &ss);
			int fd, ret = 0;

			fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				ret = -errno;
			else if (bind(fd, (struct sockaddr *)&ss, len))
				ret = -errno;
			if (fd >= 0)
				close(fd);
			if (ret) {
				*bad = *a;
				return ret;
			}
		}
	return 0;
}
