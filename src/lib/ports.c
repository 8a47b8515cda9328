/*
 * ports.c - nmap's -p syntax to sorted lists of TCP and UDP ports.
 *
 * Every item, whatever its form, only sets bits in a 65536-bit map on the
 * stack; the list is read out of the map at the end, which sorts and
 * deduplicates for free and bounds the work by the size of the port space
 * rather than by the input ("1-65535,1-65535,..." costs the same as once).
 * The spec is walked item by item with explicit lengths and never copied
 * whole, so arbitrarily long input is fine; only a service name is copied
 * (bounded) to hand a C string to services.c.
 *
 * Refusals are deliberate: port 0 is not a probe, an empty item (",,") is a
 * typo that nmap would silently skip, and "S:" (or "U:" where the caller
 * takes no UDP list) would otherwise scan TCP where the user asked for
 * SCTP or UDP.  Each names the item and why.
 *
 * nmap's prefixes switch the protocol for the items that follow; items
 * before any prefix go to every protocol the caller names as "bare" (the
 * scan types given).  Each protocol has its own map, and a service name is
 * looked up in that protocol's table.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ports.h"

/* Longer than any name in /etc/services by far; longer is a typo. */
#define PORT_NAME_MAX 64

/*
 * Common TCP services above 1024 scanned by default along with 1-1024:
 * the ones most often exposed by mistake or asked about in audits.
 * Keep sorted; the README lists them.
 */
static const uint16_t default_extra[] = {
	1080, /* SOCKS proxy */
	1194, /* OpenVPN */
	1433, /* Microsoft SQL Server */
	1521, /* Oracle listener */
	1723, /* PPTP */
	1883, /* MQTT */
	2049, /* NFS */
	2181, /* ZooKeeper */
	2375, /* Docker API, plain */
	2376, /* Docker API, TLS */
	2379, /* etcd client */
	3000, /* development web servers, Grafana */
	3128, /* Squid proxy */
	3306, /* MySQL / MariaDB */
	3389, /* RDP */
	5000, /* development web servers, registries */
	5060, /* SIP */
	5432, /* PostgreSQL */
	5601, /* Kibana */
	5672, /* AMQP (RabbitMQ) */
	5900, /* VNC */
	5984, /* CouchDB */
	5985, /* WinRM, HTTP */
	5986, /* WinRM, HTTPS */
	6000, /* X11 */
	6379, /* Redis */
	6443, /* Kubernetes API */
	7001, /* WebLogic */
	8000, /* alternate HTTP */
	8008, /* alternate HTTP */
	8009, /* AJP (Tomcat) */
	8080, /* HTTP proxy / alternate HTTP */
	8081, /* alternate HTTP */
	8443, /* alternate HTTPS */
	8888, /* alternate HTTP, notebooks */
	9000, /* PHP-FPM, various admin UIs */
	9090, /* Prometheus, admin UIs */
	9092, /* Kafka */
	9200, /* Elasticsearch HTTP */
	9300, /* Elasticsearch transport */
	9418, /* git daemon */
	10000, /* Webmin */
	11211, /* memcached */
	15672, /* RabbitMQ management */
	27017, /* MongoDB */
};

/*
 * The UDP ports scanned by -sU without nmap's frequencies: the services
 * most often found listening (nmap's top UDP ports and the udppayload
 * table agree on these).  Keep sorted; the README lists them.
 */
static const uint16_t default_udp[] = {
	7, /* echo */
	53, /* DNS */
	67, /* DHCP server */
	68, /* DHCP client */
	69, /* TFTP */
	111, /* portmapper */
	123, /* NTP */
	135, /* MS RPC */
	137, /* NetBIOS name */
	138, /* NetBIOS datagram */
	139, /* NetBIOS session */
	161, /* SNMP */
	162, /* SNMP trap */
	389, /* CLDAP */
	443, /* QUIC */
	445, /* SMB */
	500, /* IKE */
	514, /* syslog */
	520, /* RIP */
	623, /* IPMI */
	631, /* IPP */
	1194, /* OpenVPN */
	1434, /* MS-SQL browser */
	1701, /* L2TP */
	1812, /* RADIUS */
	1813, /* RADIUS accounting */
	1900, /* SSDP */
	2049, /* NFS */
	3478, /* STUN */
	4500, /* IKE NAT traversal */
	5060, /* SIP */
	5353, /* mDNS */
	5355, /* LLMNR */
	11211, /* memcached */
	51820, /* WireGuard */
};

struct portmap {
	uint64_t bit[65536 / 64];
};

/* What parse_item fills: one map per protocol (udp NULL: refused). */
struct parse_maps {
	struct portmap *map[2]; /* by enum rs_proto */
	unsigned cur; /* PORTS_F_* the items go to now */
	unsigned seen; /* PORTS_F_* that received items */
};

static void map_set(struct portmap *m, unsigned lo, unsigned hi)
{
	unsigned p;

	for (p = lo; p <= hi; p++)
		m->bit[p / 64] |= 1ULL << (p % 64);
}

static void map_to_list(const struct portmap *m, struct portlist *pl)
{
	unsigned p;

	pl->count = 0;
	pl->nudp = 0;
	for (p = 1; p < 65536; p++)
		if (m->bit[p / 64] & (1ULL << (p % 64)))
			pl->port[pl->count++] = (uint16_t)p;
}

/*
 * Decimal port from s[0..len); returns a reason on failure.  Digits past
 * the sixth are consumed without accumulating so nothing overflows.
 */
static const char *parse_num(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (v <= 65535)
			v = v * 10 + (unsigned)(s[i] - '0');
	if (v > 65535)
		return "port out of range (1-65535)";
	if (v == 0)
		return "port 0 cannot be scanned (ports start at 1)";
	*out = v;
	return NULL;
}

/* An item of digits and at most one dash. */
static int parse_range(const char *s, size_t len, struct portmap *m,
		       struct rs_error *err)
{
	const char *dash = memchr(s, '-', len), *why;
	unsigned lo, hi;

	if (!dash) {
		why = parse_num(s, len, &lo);
		if (why)
			return rs_error_set(err, s, len, why);
		map_set(m, lo, lo);
		return 0;
	}
	if (memchr(dash + 1, '-', len - (size_t)(dash - s) - 1))
		return rs_error_set(err, s, len, "invalid port range");
	lo = 1;
	hi = 65535;
	if (dash > s) {
		why = parse_num(s, (size_t)(dash - s), &lo);
		if (why)
			return rs_error_set(err, s, len, why);
	}
	if (dash + 1 < s + len) {
		why = parse_num(dash + 1, len - (size_t)(dash - s) - 1, &hi);
		if (why)
			return rs_error_set(err, s, len, why);
	}
	if (lo > hi)
		return rs_error_set(err, s, len,
				    "port range is reversed (start > end)");
	map_set(m, lo, hi);
	return 0;
}

struct match_ctx {
	struct portmap *m;
	unsigned added;
};

static void match_port(uint16_t port, void *ctx)
{
	struct match_ctx *mc = ctx;

	/* A services file may list port 0; it is never scanned. */
	if (!port)
		return;
	map_set(mc->m, port, port);
	mc->added++;
}

static int parse_name(const char *s, size_t len, const struct services *svc,
		      enum rs_proto proto, struct portmap *m,
		      struct rs_error *err)
{
	char name[PORT_NAME_MAX + 1];
	uint16_t port;

	if (!svc)
		return rs_error_set(err, s, len,
				    "service names need a services table; "
				    "use port numbers");
	if (len > PORT_NAME_MAX)
		return rs_error_set(err, s, len, "service name too long");
	memcpy(name, s, len);
	name[len] = '\0';
	if (strpbrk(name, "*?[")) {
		struct match_ctx mc = { .m = m, .added = 0 };

		services_match(svc, proto, name, match_port, &mc);
		if (!mc.added)
			return rs_error_set(err, s, len,
					    proto == RS_UDP ?
						    "no UDP service name "
						    "matches the pattern" :
						    "no TCP service name "
						    "matches the pattern");
		return 0;
	}
	if (services_port(svc, proto, name, &port) || !port)
		return rs_error_set(err, s, len,
				    proto == RS_UDP ?
					    "unknown UDP service name" :
					    "unknown TCP service name");
	map_set(m, port, port);
	return 0;
}

/* A "X:" prefix at s: switch pm->cur and skip it; -EINVAL if refused. */
static int parse_prefix(const char **s, size_t *len, struct parse_maps *pm,
			struct rs_error *err)
{
	const char *p = *s;

	if (*len < 2 || p[1] != ':')
		return 0;
	switch (p[0]) {
	case 'T':
		pm->cur = PORTS_F_TCP;
		break;
	case 'U':
		if (!pm->map[RS_UDP])
			return rs_error_set(err, p, *len,
					    "UDP ports are not accepted here "
					    "(use T: or no prefix)");
		pm->cur = PORTS_F_UDP;
		break;
	case 'S':
		return rs_error_set(err, p, *len,
				    "SCTP scans are not supported (use T:, "
				    "U: or no prefix)");
	default:
		return 0;
	}
	*s += 2;
	*len -= 2;
	return 0;
}

static int parse_item(const char *s, size_t len, const struct services *svc,
		      struct parse_maps *pm, struct rs_error *err)
{
	const char *item = s;
	size_t item_len = len, i;
	bool numeric = true;
	int ret = parse_prefix(&s, &len, pm, err);

	if (ret)
		return ret;
	if (!len)
		return rs_error_set(err, item, item_len,
				    item[0] == 'U' ?
					    "empty port list after U:" :
					    "empty port list after T:");
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			return rs_error_set(err, s, len,
					    "unexpected whitespace in port "
					    "list");
		if ((c < '0' || c > '9') && c != '-')
			numeric = false;
	}
	for (unsigned proto = RS_TCP; proto <= RS_UDP; proto++) {
		if (!(pm->cur & (1u << proto)))
			continue;
		pm->seen |= 1u << proto;
		if (numeric)
			ret = parse_range(s, len, pm->map[proto], err);
		else
			ret = parse_name(s, len, svc, (enum rs_proto)proto,
					 pm->map[proto], err);
		if (ret)
			return ret;
	}
	return 0;
}

int ports_parse_protos(const char *spec, const struct services *svc,
		       unsigned bare, struct portlist *tcp,
		       struct portlist *udp, unsigned *seen,
		       struct rs_error *err)
{
	struct portmap m[2];
	struct parse_maps pm = {
		.map = { &m[RS_TCP], udp ? &m[RS_UDP] : NULL },
		.cur = udp ? bare : PORTS_F_TCP,
	};
	const char *p = spec;

	tcp->count = 0;
	tcp->nudp = 0;
	if (udp) {
		udp->count = 0;
		udp->nudp = 0;
	}
	if (seen)
		*seen = 0;
	if (!spec || !*spec)
		return rs_error_set(err, "", 0, "empty port list");
	memset(m, 0, sizeof(m));
	for (;;) {
		const char *end = strchrnul(p, ',');
		int ret;

		if (end == p)
			return rs_error_set(err, spec, strlen(spec),
					    "empty item in port list");
		ret = parse_item(p, (size_t)(end - p), svc, &pm, err);
		if (ret)
			return ret;
		if (!*end)
			break;
		p = end + 1;
	}
	map_to_list(&m[RS_TCP], tcp);
	if (udp)
		map_to_list(&m[RS_UDP], udp);
	if (seen)
		*seen = pm.seen;
	return 0;
}

int ports_parse(const char *spec, const struct services *svc,
		struct portlist *pl, struct rs_error *err)
{
	return ports_parse_protos(spec, svc, PORTS_F_TCP, pl, NULL, NULL, err);
}

void ports_default(struct portlist *pl)
{
	struct portmap m;
	size_t i;

	memset(&m, 0, sizeof(m));
	map_set(&m, 1, 1024);
	for (i = 0; i < sizeof(default_extra) / sizeof(default_extra[0]); i++)
		map_set(&m, default_extra[i], default_extra[i]);
	map_to_list(&m, pl);
}

void ports_default_udp(struct portlist *pl)
{
	size_t i;

	pl->nudp = 0;
	pl->count = 0;
	for (i = 0; i < sizeof(default_udp) / sizeof(default_udp[0]); i++)
		pl->port[pl->count++] = default_udp[i];
}

int ports_join(struct portlist *pl, const struct portlist *tcp,
	       const struct portlist *udp)
{
	if (tcp->nudp || udp->nudp)
		return -EINVAL;
	memmove(pl->port, tcp->port, tcp->count * sizeof(pl->port[0]));
	memcpy(pl->port + tcp->count, udp->port,
	       udp->count * sizeof(pl->port[0]));
	pl->count = tcp->count + udp->count;
	pl->nudp = udp->count;
	return 0;
}

int ports_index_proto(const struct portlist *pl, enum rs_proto proto,
		      uint16_t port, uint32_t *idx)
{
	uint32_t ntcp = pl->count - pl->nudp;
	uint32_t lo = proto == RS_UDP ? ntcp : 0;
	uint32_t hi = proto == RS_UDP ? pl->count : ntcp;
	uint32_t end = hi;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (pl->port[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == end || pl->port[lo] != port)
		return -ENOENT;
	*idx = lo;
	return 0;
}

int ports_top(const struct services *svc, enum rs_proto proto, uint32_t top,
	      double min_ratio, const struct portlist *within,
	      struct portlist *pl)
{
	const struct services_rank *rank;
	uint32_t n = services_ranking(svc, proto, &rank), i, idx;
	struct portmap m;

	pl->count = 0;
	if (!services_has_ratios(svc))
		return -ENOENT;
	memset(&m, 0, sizeof(m));
	/* The ranking is sorted: the first port below the ratio ends it. */
	for (i = 0; i < n && (!top || pl->count < top); i++) {
		if (rank[i].ratio < min_ratio)
			break;
		if (within && ports_index(within, rank[i].port, &idx))
			continue;
		map_set(&m, rank[i].port, rank[i].port);
		pl->count++;
	}
	map_to_list(&m, pl);
	return 0;
}

static void named_port(uint16_t port, void *ctx)
{
	struct match_ctx *mc = ctx;

	if (port)
		map_set(mc->m, port, port);
}

void ports_named(const struct services *svc, enum rs_proto proto,
		 struct portlist *pl)
{
	struct portmap m;
	struct match_ctx mc = { .m = &m, .added = 0 };

	memset(&m, 0, sizeof(m));
	services_match(svc, proto, "*", named_port, &mc);
	map_to_list(&m, pl);
}

void ports_remove(struct portlist *pl, const struct portlist *ex)
{
	uint32_t i, n = 0, idx;

	for (i = 0; i < pl->count; i++)
		if (ports_index(ex, pl->port[i], &idx))
			pl->port[n++] = pl->port[i];
	pl->count = n;
}

int ports_index(const struct portlist *pl, uint16_t port, uint32_t *idx)
{
	return ports_index_proto(pl, RS_TCP, port, idx);
}
