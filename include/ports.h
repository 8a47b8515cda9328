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
 * refused (a connect to port 0 is not a probe).  The default set when -p is
 * absent is ports_default(): 1-1024 plus a built-in list of common service
 * ports above 1024 (documented in the README).
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

/* Index of port in pl (binary search), or -ENOENT. */
int ports_index(const struct portlist *pl, uint16_t port, uint32_t *idx);

#endif
