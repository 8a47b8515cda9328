/*
 * services.c - /etc/services in two flat tables.
 *
 * The file is read whole into one buffer that becomes the string pool: each
 * line is cut into fields in place by writing NULs, so every name and alias
 * is a pointer into that buffer and loading costs one allocation for the
 * text, one for the name list and one for the struct.  The struct holds a
 * pointer per (protocol, port) for the O(1) lookups that output does per
 * open port; names and aliases are also kept in file order in a flat list
 * for the rare lookups by name (-p ssh, -p 'http*'), which are linear: a
 * few hundred strcmp calls once at start.
 *
 * As with getservbyport(), the first line naming a port wins its slot;
 * later lines for the same port still contribute their names and aliases to
 * lookups by name.  Lines that do not parse (no "port/proto" field, a port
 * above 65535, a protocol other than tcp/udp) are skipped, as libc does.
 * The file is trusted no further than that: any line length, any name
 * length, NUL bytes and a missing final newline are all handled.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "services.h"

/* Refuse a runaway file (no names, as if unreadable); the real one is
 * tens of KiB. */
#define SERVICES_MAX_FILE (16u << 20)

#define FIELD_SEP " \t\r\v\f"

struct svc_entry {
	const char *name;
	uint16_t port;
	uint8_t proto;
};

struct services {
	const char *name[2][65536];
	struct svc_entry *ent; /* names and aliases in file order */
	size_t nent;
	size_t cap;
	char *pool;
};

/* Next whitespace-separated field of a NUL-terminated line, cut in place. */
static char *next_field(char **p)
{
	char *s = *p + strspn(*p, FIELD_SEP), *e;

	if (!*s) {
		*p = s;
		return NULL;
	}
	e = s + strcspn(s, FIELD_SEP);
	if (*e)
		*e++ = '\0';
	*p = e;
	return s;
}

static int add_entry(struct services *s, const char *name, uint16_t port,
		     enum rs_proto proto)
{
	struct svc_entry *ne;

	if (s->nent == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 512;

		ne = realloc(s->ent, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		s->ent = ne;
		s->cap = cap;
	}
	s->ent[s->nent++] = (struct svc_entry){ .name = name,
						.port = port,
						.proto = (uint8_t)proto };
	return 0;
}

/* "22/tcp" -> port and protocol; false for anything else. */
static bool parse_port_proto(char *field, uint16_t *port, enum rs_proto *proto)
{
	char *slash = strchr(field, '/'), *p;
	unsigned v = 0;

	if (!slash || slash == field || slash - field > 5)
		return false;
	for (p = field; p < slash; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 65535)
		return false;
	if (!strcmp(slash + 1, "tcp"))
		*proto = RS_TCP;
	else if (!strcmp(slash + 1, "udp"))
		*proto = RS_UDP;
	else
		return false;
	*port = (uint16_t)v;
	return true;
}

/* One line, NUL-terminated, comment not yet removed. */
static int parse_line(struct services *s, char *line)
{
	char *p = line, *name, *pp, *alias;
	enum rs_proto proto;
	uint16_t port;
	int ret;

	line[strcspn(line, "#")] = '\0';
	name = next_field(&p);
	pp = next_field(&p);
	if (!name || !pp || !parse_port_proto(pp, &port, &proto))
		return 0;
	if (!s->name[proto][port])
		s->name[proto][port] = name;
	ret = add_entry(s, name, port, proto);
	while (!ret && (alias = next_field(&p)))
		ret = add_entry(s, alias, port, proto);
	return ret;
}

int services_load(struct services **out, const char *path)
{
	struct services *s;
	size_t len, off = 0;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* An unreadable (or absurd) file only costs the names: no error. */
	ret = fileio_read_all(path ? path : SERVICES_DEFAULT_PATH,
			      SERVICES_MAX_FILE, &s->pool, &len);
	if (ret == -ENOMEM)
		goto out_free_s;
	if (ret)
		len = 0;
	while (off < len) {
		char *line = s->pool + off;
		char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		line[n] = '\0';
		off += n + 1;
		ret = parse_line(s, line);
		if (ret)
			goto out_free_s;
	}
	*out = s;
	return 0;

out_free_s:
	services_free(s);
	return ret;
}

void services_free(struct services *s)
{
	if (!s)
		return;
	free(s->ent);
	free(s->pool);
	free(s);
}

const char *services_name(const struct services *s, enum rs_proto proto,
			  uint16_t port)
{
	const char *n;

	if (!s || (proto != RS_TCP && proto != RS_UDP))
		return "unknown";
	n = s->name[proto][port];
	return n ? n : "unknown";
}

int services_port(const struct services *s, enum rs_proto proto,
		  const char *name, uint16_t *port)
{
	size_t i;

	if (!s || !name)
		return -ENOENT;
	for (i = 0; i < s->nent; i++) {
		if (s->ent[i].proto == proto && !strcmp(s->ent[i].name, name)) {
			*port = s->ent[i].port;
			return 0;
		}
	}
	return -ENOENT;
}

unsigned services_match(const struct services *s, enum rs_proto proto,
			const char *pattern,
			void (*fn)(uint16_t port, void *ctx), void *ctx)
{
	uint64_t hit[65536 / 64];
	unsigned count = 0, port;
	size_t i;

	if (!s || !pattern)
		return 0;
	memset(hit, 0, sizeof(hit));
	for (i = 0; i < s->nent; i++) {
		const struct svc_entry *e = &s->ent[i];

		if (e->proto == proto && !fnmatch(pattern, e->name, 0))
			hit[e->port / 64] |= 1ULL << (e->port % 64);
	}
	for (port = 0; port < 65536; port++) {
		if (!(hit[port / 64] & (1ULL << (port % 64))))
			continue;
		count++;
		if (fn)
			fn((uint16_t)port, ctx);
	}
	return count;
}
