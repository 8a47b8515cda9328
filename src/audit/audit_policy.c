/*
 * audit_policy.c - parse and apply --allow (see audit_policy.h).
 *
 * Items are parsed by hand, field by field, so that the error names the
 * item at fault and says which part of PORT[-PORT][/tcp|/udp][/PROGRAM] is
 * wrong.  A program is the last field, so a pattern may not hold '/' (no
 * process name does).  Matching is a linear walk: policies are a handful of
 * items and are consulted once per reported port.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "audit_policy.h"
#include "services.h"

static int policy_item(struct audit_policy *p, const char *s, size_t len,
		       struct rs_error *err)
{
	struct audit_allow a = { .protos = 3 };
	const char *end = s + len, *q = s;
	unsigned long lo = 0, hi;

	while (q < end && *q >= '0' && *q <= '9' && lo <= 65535)
		lo = lo * 10 + (unsigned long)(*q++ - '0');
	if (q == s || lo == 0 || lo > 65535)
		return rs_error_set(
			err, s, len,
			"expected a port 1-65535, e.g. 22, 8000-8100, 53/udp or 22/sshd");
	hi = lo;
	if (q < end && *q == '-') {
		const char *h = ++q;

		hi = 0;
		while (q < end && *q >= '0' && *q <= '9' && hi <= 65535)
			hi = hi * 10 + (unsigned long)(*q++ - '0');
		if (q == h || hi > 65535 || hi < lo)
			return rs_error_set(
				err, s, len,
				"bad port range: expected LOW-HIGH within 1-65535");
	}
	a.lo = (uint16_t)lo;
	a.hi = (uint16_t)hi;
	while (q < end) {
		const char *f;
		size_t flen;

		if (*q != '/')
			return rs_error_set(
				err, s, len,
				"expected '/tcp', '/udp' or '/PROGRAM' after the port");
		f = ++q;
		while (q < end && *q != '/')
			q++;
		flen = (size_t)(q - f);
		if (flen == 3 && !memcmp(f, "tcp", 3) && !a.program[0]) {
			a.protos = 1u << RS_TCP;
		} else if (flen == 3 && !memcmp(f, "udp", 3) && !a.program[0]) {
			a.protos = 1u << RS_UDP;
		} else if (flen && flen < sizeof(a.program) && !a.program[0] &&
			   q == end) {
			memcpy(a.program, f, flen);
			a.program[flen] = '\0';
		} else {
			return rs_error_set(
				err, s, len,
				flen >= sizeof(a.program) ?
					"program name too long (at most 31 characters)" :
					"expected PORT[-PORT][/tcp|/udp][/PROGRAM]");
		}
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct audit_allow *v = reallocarray(p->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = a;
	return 0;
}

int audit_policy_add(struct audit_policy *p, const char *spec,
		     struct rs_error *err)
{
	const char *s = spec;
	int ret;

	if (!strcmp(spec, "none")) {
		p->active = true;
		return 0;
	}
	if (!*spec)
		return rs_error_set(err, spec, 0,
				    "empty --allow: give ports, or 'none'");
	while (*s) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);

		if (!len)
			return rs_error_set(err, spec, strlen(spec),
					    "empty item in the list");
		ret = policy_item(p, s, len, err);
		if (ret)
			return ret;
		s += len;
		if (*s == ',' && !*++s)
			return rs_error_set(err, spec, strlen(spec),
					    "empty item in the list");
	}
	p->active = true;
	return 0;
}

bool audit_policy_allows(const struct audit_policy *p, unsigned proto,
			 uint16_t port, const char *program)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct audit_allow *a = &p->v[i];

		if (!(a->protos & (1u << proto)) || port < a->lo ||
		    port > a->hi)
			continue;
		if (!a->program[0] ||
		    (program && fnmatch(a->program, program, 0) == 0))
			return true;
	}
	return false;
}

void audit_policy_free(struct audit_policy *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}
