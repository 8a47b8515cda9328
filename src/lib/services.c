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
 *
 * nmap-services puts a frequency where /etc/services puts the first alias.
 * nmap's own reader decides by the field's shape - "0.123" (a decimal
 * below one) or "N/D" (a fraction) is a frequency, anything else is no
 * frequency (0) - and so does this one; a field that is neither is an
 * alias.  A fraction nmap would refuse to start with (D = 0, N > D) counts
 * as frequency 0 here: the file is not ours to reject, only to read
 * faithfully where it is well-formed.  The ranking keeps, per protocol,
 * every port's first line in file order, then sorts it by frequency with
 * file order breaking ties, which is what nmap's stable list sort gives.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
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

/* A port's first line, for the ranking: seq is its place in the file. */
struct svc_ranked {
	struct services_rank r;
	uint32_t seq;
};

struct services {
	const char *name[2][65536];
	struct svc_entry *ent; /* names and aliases in file order */
	size_t nent;
	size_t cap;
	char *pool;
	char *source; /* the path read, or NULL */
	bool has_ratios;
	struct svc_ranked *ranked[2]; /* file order, then sorted */
	uint32_t nranked[2];
	uint32_t ranked_cap[2];
	struct services_rank *rank[2]; /* the sorted ports, for callers */
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

/* Digits only, at least one, no sign; the value saturates at LONG_MAX. */
static bool parse_digits(const char *s, size_t len, long *out)
{
	long v = 0;
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v > (LONG_MAX - 9) / 10 ? LONG_MAX : v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * nmap's frequency field: "0.xxx" (strtod, as nmap reads it, so equal
 * text gives equal values and the same ties) or "N/D".  false: not a
 * frequency but an alias.
 */
static bool parse_ratio(const char *f, double *ratio)
{
	const char *slash = strchr(f, '/');
	long n, d;

	if (!strncmp(f, "0.", 2)) {
		*ratio = strtod(f, NULL);
		return true;
	}
	if (!slash || !parse_digits(f, (size_t)(slash - f), &n) ||
	    !parse_digits(slash + 1, strlen(slash + 1), &d))
		return false;
	*ratio = d > 0 && n <= d ? (double)n / (double)d : 0;
	return true;
}

static int add_ranked(struct services *s, enum rs_proto proto, uint16_t port,
		      double ratio)
{
	struct svc_ranked *nr;
	uint32_t n = s->nranked[proto];

	if (n == s->ranked_cap[proto]) {
		uint32_t cap = n ? n * 2 : 1024;

		nr = realloc(s->ranked[proto], cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		s->ranked[proto] = nr;
		s->ranked_cap[proto] = cap;
	}
	s->ranked[proto][n] = (struct svc_ranked){
		.r = { .port = port, .ratio = ratio },
		.seq = n,
	};
	s->nranked[proto] = n + 1;
	return 0;
}

/* One line, NUL-terminated, comment not yet removed. */
static int parse_line(struct services *s, char *line)
{
	char *p = line, *name, *pp, *alias;
	enum rs_proto proto;
	double ratio = 0;
	uint16_t port;
	int ret = 0;

	line[strcspn(line, "#")] = '\0';
	name = next_field(&p);
	pp = next_field(&p);
	if (!name || !pp || !parse_port_proto(pp, &port, &proto))
		return 0;
	alias = next_field(&p);
	if (alias && parse_ratio(alias, &ratio)) {
		s->has_ratios = true;
		alias = next_field(&p);
	}
	if (!s->name[proto][port]) {
		s->name[proto][port] = name;
		if (port)
			ret = add_ranked(s, proto, port, ratio);
	}
	if (!ret)
		ret = add_entry(s, name, port, proto);
	for (; !ret && alias; alias = next_field(&p))
		ret = add_entry(s, alias, port, proto);
	return ret;
}

static int rank_cmp(const void *a, const void *b)
{
	const struct svc_ranked *x = a, *y = b;

	if (x->r.ratio != y->r.ratio)
		return x->r.ratio > y->r.ratio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort each protocol's ports and lay out the callers' view of them. */
static int build_ranking(struct services *s)
{
	for (int proto = 0; proto < 2; proto++) {
		uint32_t i, n = s->nranked[proto];

		if (!n)
			continue;
		qsort(s->ranked[proto], n, sizeof(*s->ranked[proto]), rank_cmp);
		s->rank[proto] = malloc(n * sizeof(*s->rank[proto]));
		if (!s->rank[proto])
			return -ENOMEM;
		for (i = 0; i < n; i++)
			s->rank[proto][i] = s->ranked[proto][i].r;
		free(s->ranked[proto]);
		s->ranked[proto] = NULL;
	}
	return 0;
}

/* Parse the text already in s->pool, read from path. */
static int parse_pool(struct services *s, const char *path, size_t len)
{
	size_t off = 0;
	int ret;

	s->source = strdup(path);
	if (!s->source)
		return -ENOMEM;
	while (off < len) {
		char *line = s->pool + off;
		char *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		line[n] = '\0';
		off += n + 1;
		ret = parse_line(s, line);
		if (ret)
			return ret;
	}
	if (!s->has_ratios)
		s->nranked[RS_TCP] = s->nranked[RS_UDP] = 0;
	return build_ranking(s);
}

/*
 * Read path into a new table: 0, or fileio's -errno with *out NULL (an
 * unreadable file), or -ENOMEM.
 */
static int load_file(struct services **out, const char *path)
{
	struct services *s;
	size_t len;
	int ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = fileio_read_all(path, SERVICES_MAX_FILE, &s->pool, &len);
	if (!ret)
		ret = parse_pool(s, path, len);
	if (ret) {
		services_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

static int load_empty(struct services **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

int services_load(struct services **out, const char *path)
{
	int ret = load_file(out, path ? path : SERVICES_DEFAULT_PATH);

	/* An unreadable (or absurd) file only costs the names: no error. */
	if (ret && ret != -ENOMEM)
		ret = load_empty(out);
	return ret;
}

int services_find(struct services **out, const char *file, const char *datadir)
{
	static const char *const dirs[] = { SERVICES_NMAP_DIRS };
	char path[PATH_MAX];
	size_t i;
	int ret;

	if (file)
		return load_file(out, file);
	if (datadir && snprintf(path, sizeof(path), "%s/%s", datadir,
				SERVICES_NMAP_FILE) < (int)sizeof(path)) {
		ret = load_file(out, path);
		if (!ret || ret == -ENOMEM)
			return ret;
	}
	/* Not there, or not a file we can read: the next place. */
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i],
			 SERVICES_NMAP_FILE);
		ret = load_file(out, path);
		if (!ret || ret == -ENOMEM)
			return ret;
	}
	return services_load(out, SERVICES_DEFAULT_PATH);
}

void services_free(struct services *s)
{
	if (!s)
		return;
	free(s->ent);
	free(s->pool);
	free(s->source);
	for (int proto = 0; proto < 2; proto++) {
		free(s->ranked[proto]);
		free(s->rank[proto]);
	}
	free(s);
}

const char *services_source(const struct services *s)
{
	return s ? s->source : NULL;
}

bool services_has_ratios(const struct services *s)
{
	return s && s->has_ratios;
}

uint32_t services_ranking(const struct services *s, enum rs_proto proto,
			  const struct services_rank **rank)
{
	*rank = NULL;
	if (!s || (proto != RS_TCP && proto != RS_UDP) || !s->rank[proto])
		return 0;
	*rank = s->rank[proto];
	return s->nranked[proto];
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
