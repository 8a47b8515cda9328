/*
 * services.h - port <-> service name, from /etc/services.
 *
 * Loaded once at start into two flat tables (TCP and UDP, 65536 entries each
 * pointing into one string pool), so lookups on output are O(1).  A missing
 * or unreadable file is not an error: the table is empty and every port is
 * "unknown", as nmap prints.  Malformed lines are skipped, as libc does.
 */
#ifndef RINGSCAN_SERVICES_H
#define RINGSCAN_SERVICES_H

#include <stdint.h>

#define SERVICES_DEFAULT_PATH "/etc/services"

enum rs_proto { RS_TCP = 0, RS_UDP = 1 };

struct services;

/* path NULL means SERVICES_DEFAULT_PATH.  -ENOMEM only. */
int services_load(struct services **out, const char *path);
void services_free(struct services *s);

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
