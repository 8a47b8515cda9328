/*
 * ports.h - the list of ports to scan, parsed from nmap's -p syntax.
 *
 *   22,80,443        list
 *   8000-8100        range;  -1024 means 1-1024, 60000- means 60000-65535
 *   -  (from -p-)    1-65535
 *   http, ssh        service names from /etc/services; "http*" patterns
 *   T:22,80          "T:" selects TCP (accepted and ignored: -sT is TCP);
 *                    "U:" and "S:" are refused until UDP/SCTP scans exist
 * The result is sorted ascending with duplicates removed.  Port 0 is
 * refused (a connect to port 0 is not a probe).
 *
 * Ports chosen by how often they are found open are nmap's: ports_top()
 * takes them from the ranking of nmap-services (services.h), for the
 * default scan (top 1000), -F (top 100), --top-ports N and --port-ratio R,
 * within a -p list when one is given, as nmap does.  Without nmap's
 * database the default set is ports_default(): 1-1024 plus a built-in
 * list of common service ports above 1024 (documented in the README), and
 * -F is ports_named(), every port the services file names (nmap's rule
 * for a file without frequencies).
 *
 * A portlist is a plain value (128 KiB), filled once by the CLI and read
 * only afterwards; port_at() is O(1) for the hot path.
 */
#ifndef RINGSCAN_PORTS_H
#define RINGSCAN_PORTS_H

#include <stdint.h>

#include "error.h"
#include "services.h"

struct portlist {
	uint32_t count;
	uint16_t port[65536];
};

/* svc may be NULL (then names are refused). */
int ports_parse(const char *spec, const struct services *svc,
		struct portlist *pl, struct rs_error *err);

void ports_default(struct portlist *pl);

/*
 * From svc's ranking for proto (nmap's order), the first `top` ports (0:
 * no limit) whose frequency is at least min_ratio, skipping ports not in
 * within (NULL: any port); pl is sorted.  -ENOENT if svc has no
 * frequencies.
 */
int ports_top(const struct services *svc, enum rs_proto proto, uint32_t top,
	      double min_ratio, const struct portlist *within,
	      struct portlist *pl);

/* Every port of proto that svc names (port 0 aside), sorted. */
void ports_named(const struct services *svc, enum rs_proto proto,
		 struct portlist *pl);

/* Remove from pl every port in ex (--exclude-ports); pl stays sorted. */
void ports_remove(struct portlist *pl, const struct portlist *ex);

/* Index of port in pl (binary search), or -ENOENT. */
int ports_index(const struct portlist *pl, uint16_t port, uint32_t *idx);

#endif
