/*
 * targets.h - the set of hosts to scan.
 *
 * A target set is built from nmap-style specifications, then frozen: the
 * specs become a sorted list of disjoint address ranges (IPv4 ranges before
 * IPv6), with duplicates and overlaps merged and excluded addresses cut out.
 * After targets_finalize() every host has a dense index 0..count-1 in
 * ascending (family, address) order, and targets_get() maps an index back to
 * its address by binary search over the ranges: O(log ranges), no allocation,
 * so the scan's hot path may call it.
 *
 * Accepted forms (one token each; targets_add_list splits on whitespace and
 * commas are NOT separators for targets, as in nmap):
 *   192.0.2.1  2001:db8::1           single address
 *   192.0.2.0/24  2001:db8::/120     CIDR (host bits ignored, as nmap)
 *   127.0.0.1-127.0.0.40  127.0.0.1-40  ::1-::ff   dash ranges
 *   127.0-1.0.1-9  10.0.0,2.1        nmap octet ranges/lists (IPv4 only)
 *   localhost                        hostnames (getaddrinfo, first address,
 *                                    IPv4 preferred; the name is kept for
 *                                    the reports, see targets_name)
 * Excludes (--exclude) take a comma-separated list of the same forms.
 *
 * Limits: at most TARGETS_MAX_HOSTS hosts after excludes; larger sets fail
 * with -E2BIG.  Parsers never print; bad input fills an rs_error and returns
 * -EINVAL.  Not thread-safe; one owner (the CLI) builds it.
 */
#ifndef RINGSCAN_TARGETS_H
#define RINGSCAN_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "error.h"

#define TARGETS_MAX_HOSTS (1ULL << 32)

/*
 * List files (-iL, --excludefile, stdin too): a line longer than
 * TARGETS_LINE_MAX bytes, or a list longer than TARGETS_FILE_MAX bytes, is
 * refused (-EINVAL, err->line set) instead of being read into memory that
 * grows with it.  Duplicates merge as they are read, so memory follows
 * the distinct ranges, not the lines.
 */
#define TARGETS_LINE_MAX 4096
#define TARGETS_FILE_MAX (1ULL << 30)

/*
 * The scope guard's line: a set of more hosts than a /8 is a scan of a
 * good part of the internet, which the CLI makes the user confirm.
 * 127.0.0.0/8 itself is exactly this size and passes.
 */
#define TARGETS_SCOPE_HOSTS (1ULL << 24)

/*
 * Reserved blocks reached (bit i: targets_reserved_name(i)) by ranges
 * that do not lie inside them, and the first token that did.
 */
struct targets_reach {
	unsigned blocks;
	char token[64];
};

struct targets;

int targets_new(struct targets **out);
void targets_free(struct targets *t);

/*
 * The scope guard, for the CLI: from now on (call it before any add), a
 * target range that reaches a reserved block (0.0.0.0/8, 224.0.0.0/4,
 * 240.0.0.0/4 with 255.255.255.255, ::/8, ff00::/8) without lying inside
 * the reserved blocks is added without those parts, and the blocks are
 * noted in targets_reached().  A range inside them ("224.0.0.1",
 * "::1") was asked for on its own and is kept.  Excludes are not cut.
 */
void targets_guard_reserved(struct targets *t);
const struct targets_reach *targets_reached(const struct targets *t);
/* "224.0.0.0/4" for block i, NULL past the last. */
const char *targets_reserved_name(unsigned i);

/*
 * -4/-6, for the CLI, before any add: targets of only this family
 * (AF_INET or AF_INET6; AF_UNSPEC, the default, any).  Host names resolve
 * to an address of the family; an address or range of the other family
 * is refused naming the option.  Excludes are not restricted (excluding
 * what is not scanned is harmless).
 */
void targets_set_family(struct targets *t, int family);

/* Add one target token. */
int targets_add(struct targets *t, const char *spec, struct rs_error *err);

/*
 * Add every target in a file (-iL): tokens separated by whitespace, '#'
 * starts a comment to end of line; "-" reads stdin.  A bad token fails the
 * whole call with err->line set.  -errno if the file cannot be read
 * (err->token holds the path); -ENODEV if path is not a regular file (a
 * FIFO or device, fileio.h; stdin may be anything).
 */
int targets_add_file(struct targets *t, const char *path, struct rs_error *err);

/* Exclude a comma-separated list (--exclude). */
int targets_exclude(struct targets *t, const char *list, struct rs_error *err);

/* Exclude every target in a file (--excludefile), same format as -iL. */
int targets_exclude_file(struct targets *t, const char *path,
			 struct rs_error *err);

/*
 * Sort, merge duplicates/overlaps, subtract excludes, index.  No add or
 * exclude after this.  -E2BIG if more than TARGETS_MAX_HOSTS remain.
 * An empty result is not an error: targets_count() is then 0.
 */
int targets_finalize(struct targets *t);

/* Number of distinct hosts (after finalize). */
uint64_t targets_count(const struct targets *t);

/* Address of host idx (0 <= idx < count), after finalize.  Hot path. */
void targets_get(const struct targets *t, uint64_t idx, struct rs_addr *out);

/* Index of addr, or -ENOENT if it is not a target.  After finalize. */
int targets_index(const struct targets *t, const struct rs_addr *addr,
		  uint64_t *idx);

/*
 * Host names.  A target given as a name ("localhost", not "localhost/24")
 * keeps it: targets_name(idx) is the name the host was given by, or NULL.
 * When several names (or a name and the address itself) gave one host,
 * the first given wins.  targets_name_others is what else the name
 * resolved to and was not scanned ("::1", space-separated, at most
 * TARGETS_OTHERS_MAX bytes), or NULL.  targets_addr_name does the same
 * lookup by address (NULL if not a target).  O(log names) each, no
 * allocation; after finalize.
 *
 * targets_add_name (before finalize) notes a name for an address without
 * adding it as a target, for `ringscan merge` reading names back from its
 * rows.  -ENOMEM.
 *
 * Reverse-lookup names (-R), after finalize: targets_set_ptr for hosts in
 * strictly ascending index order (-EINVAL otherwise, -ENOMEM);
 * targets_ptr_name returns it or NULL.
 */
#define TARGETS_OTHERS_MAX 256
const char *targets_name(const struct targets *t, uint64_t idx);
const char *targets_name_others(const struct targets *t, uint64_t idx);
const char *targets_addr_name(const struct targets *t,
			      const struct rs_addr *addr);
int targets_add_name(struct targets *t, const struct rs_addr *addr,
		     const char *name);
int targets_set_ptr(struct targets *t, uint64_t idx, const char *name);
const char *targets_ptr_name(const struct targets *t, uint64_t idx);

/*
 * The finalized set as disjoint sorted ranges (for checkpoints, which
 * fingerprint it to refuse a resume whose targets changed).
 */
size_t targets_range_count(const struct targets *t);
void targets_range(const struct targets *t, size_t i, int *family, rs_u128 *lo,
		   rs_u128 *hi);

#endif
