/*
 * services.h - port <-> service name, and how often each port is open.
 *
 * Two formats, told apart line by line: /etc/services ("name port/proto
 * aliases...") and nmap's nmap-services ("name port/proto frequency"),
 * whose third field is the fraction of hosts nmap's surveys found with
 * that port open.  That frequency is what nmap's default ports, -F,
 * --top-ports and --port-ratio are chosen by, so services_ranking() gives
 * the ports of a protocol in nmap's order and ports_top() (ports.h) picks
 * from it.  nmap's data is not copied into ringscan (it has its own
 * licence): it is read where nmap installed it, and services_find() falls
 * back to /etc/services, which has no frequencies, when it is not there.
 *
 * Loaded once at start into two flat tables (TCP and UDP, 65536 entries each
 * pointing into one string pool), so lookups on output are O(1).  With
 * services_load() a missing or unreadable file is not an error: the table
 * is empty and every port is "unknown", as nmap prints.  Malformed lines
 * are skipped, as libc does.  Not on any hot path; never prints.
 */
#ifndef RINGSCAN_SERVICES_H
#define RINGSCAN_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

#define SERVICES_DEFAULT_PATH "/etc/services"
/* nmap's database, looked for in nmap's install directories. */
#define SERVICES_NMAP_FILE "nmap-services"
#define SERVICES_NMAP_DIRS "/usr/share/nmap", "/usr/local/share/nmap"

enum rs_proto { RS_TCP = 0, RS_UDP = 1 };

struct services;

/* path NULL means SERVICES_DEFAULT_PATH.  -ENOMEM only. */
int services_load(struct services **out, const char *path);

/*
 * The database a scan uses.  file (--servicedb) given: that file, which
 * must be readable (else its -errno, e.g. -ENOENT, or fileio.h's refusals).
 * Otherwise the first readable of datadir/nmap-services (--datadir, may be
 * NULL), nmap-services in SERVICES_NMAP_DIRS, and SERVICES_DEFAULT_PATH;
 * with none readable the table is empty (no error).  -ENOMEM too.
 */
int services_find(struct services **out, const char *file, const char *datadir);
void services_free(struct services *s);

/* The file the table was read from, or NULL if none was. */
const char *services_source(const struct services *s);

/* Whether the file carried nmap's open frequencies (nmap-services). */
bool services_has_ratios(const struct services *s);

struct services_rank {
	uint16_t port;
	double ratio; /* fraction of hosts seen with the port open, 0..1 */
};

/*
 * The ports of proto that the file names, in nmap's top-ports order:
 * frequency descending, equal frequencies in file order (nmap sorts its
 * list stably).  Each port once (its first line, as for names); port 0
 * never (it is not scanned).  *rank points into s; returns the count, 0
 * for a file without frequencies.
 */
uint32_t services_ranking(const struct services *s, enum rs_proto proto,
			  const struct services_rank **rank);

/* Name for port, or "unknown".  Never NULL.  s may be NULL. */
const char *services_name(const struct services *s, enum rs_proto proto,
			  uint16_t port);

/* Port of a service name or alias (exact, case-sensitive); 0 or -ENOENT. */
int services_port(const struct services *s, enum rs_proto proto,
		  const char *name, uint16_t *port);

/*
 * Call fn for every port whose name or alias matches a shell pattern
 * (fnmatch, e.g. "http*"), in ascending port order.  Returns the number of
 * matches.
 */
unsigned services_match(const struct services *s, enum rs_proto proto,
			const char *pattern,
			void (*fn)(uint16_t port, void *ctx), void *ctx);

#endif
