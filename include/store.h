/*
 * store.h - the state of every (host, port) probe, 2 bits each.
 *
 * One flat array of 2-bit cells indexed by probe number (host * nports +
 * port_index).  It lives in an anonymous MAP_NORESERVE mapping: the kernel
 * backs a 4 KiB page (16384 probes) only once a non-zero state is written
 * there, and STORE_NONE is zero and is never written.  A host that never
 * answers - the bulk of most subnet scans - therefore costs no memory at all;
 * a host that answers costs nports/4 bytes at most (16 KiB for 1-65535).  A
 * one-bit-per-page summary lets iteration skip untouched regions without
 * faulting them in.  Counters per state are kept as cells change.
 *
 * A probe with no answer is never stored: once the scan is complete, NONE
 * reads as "filtered (no response)".  The scanner knows which probes are
 * complete (the permutation cursor and the retry queue), so the store needs
 * no "done" bit - which also makes a checkpoint just the cells plus a cursor.
 *
 * An ICMP unreachable comes with a reason (admin-prohibited, port-unreach,
 * net-unreach, ...) that the 2 bits cannot hold.  A side table keeps it, as
 * a small code, for the UNREACH cells whose reason is not the common one
 * (host-unreach, code 0, which is what a cell without an entry reads as):
 * an open-addressing hash of 8-byte entries, so a router's host-unreach for
 * a whole dead subnet costs nothing, and a firewall that rejects every port
 * of a host with admin-prohibited costs 16 bytes per port.  Reports,
 * checkpoints and merges read the reasons back from it, so a resumed or
 * merged scan names the same reason as the scan that saw the answer.
 *
 * store_set is on the hot path: no allocation (page faults aside), no
 * syscalls.  store_set_reason allocates only when its table doubles, which
 * happens a logarithmic number of times in the number of non-default
 * unreachables.  Single-threaded.
 */
#ifndef RINGSCAN_STORE_H
#define RINGSCAN_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_state {
	STORE_NONE = 0, /* no answer (yet) */
	STORE_OPEN = 1,
	STORE_CLOSED = 2,
	STORE_UNREACH = 3, /* ICMP unreachable: filtered, with a reason */
};

struct store;

/*
 * nprobes = hosts * ports.  -ENOMEM if the mapping cannot be made (the CLI
 * reports the space as too large).
 */
int store_new(struct store **out, uint64_t nprobes);
void store_free(struct store *s);

/*
 * Set a probe's state.  A probe already OPEN/CLOSED/UNREACH keeps its first
 * final state (duplicate or late answers are counted once): returns 1 if the
 * cell changed, 0 if it already held a final state.
 */
int store_set(struct store *s, uint64_t probe, enum store_state st);

enum store_state store_get(const struct store *s, uint64_t probe);

/*
 * Reasons of UNREACH cells.  Codes are indices into one fixed table of
 * nmap's reason names; STORE_REASON_HOST_UNREACH (0) is the default.
 * store_reason_code maps a name to its code (an unknown name to the code
 * of the generic "unreach"); store_reason_name the other way (an unknown
 * code to "unreach").
 */
#define STORE_REASON_HOST_UNREACH 0u
#define STORE_REASON_MAX 16 /* every code is below this */
unsigned store_reason_code(const char *name);
const char *store_reason_name(unsigned code);
/* How many codes there are: every code is below this. */
unsigned store_reason_codes(void);

/*
 * Record the reason of an UNREACH cell (a cell in another state, or code
 * 0, records nothing; a cell that has a reason recorded keeps it, as cells
 * keep their first state).  -ENOMEM if the table could not grow: the cell
 * keeps its state and reads as the default reason.
 */
int store_set_reason(struct store *s, uint64_t probe, unsigned code);
unsigned store_reason(const struct store *s, uint64_t probe);

/*
 * Every recorded reason, in no particular order: start with *pos = 0;
 * returns 1 and fills probe and code while there is one, then 0.
 */
int store_reason_next(const struct store *s, uint64_t *pos, uint64_t *probe,
		      unsigned *code);
uint64_t store_reason_count(const struct store *s);

/* How many cells hold st (st != STORE_NONE). */
uint64_t store_count(const struct store *s, enum store_state st);

/*
 * First probe >= from (and < to) whose state is not NONE, skipping untouched
 * pages; returns to if there is none.  For output iteration.
 */
uint64_t store_next_set(const struct store *s, uint64_t from, uint64_t to);

uint64_t store_nprobes(const struct store *s);

/*
 * Checkpoints and merges work page by page (STORE_PAGE_BYTES of cells,
 * STORE_PAGE_BYTES * 4 probes each).  store_next_page gives the first page
 * >= from that holds any state (store_page_count() if none); store_page
 * its cells.  store_merge_page folds a page of cells in, first final
 * state winning; cells final on both sides with different states are
 * counted in *conflicts (may be NULL).  -EINVAL for a page out of range.
 */
#define STORE_PAGE_BYTES 4096
uint64_t store_page_count(const struct store *s);
uint64_t store_next_page(const struct store *s, uint64_t from);
const uint8_t *store_page(const struct store *s, uint64_t page);
int store_merge_page(struct store *s, uint64_t page, const uint8_t *cells,
		     uint64_t *conflicts);

/*
 * The most memory a store of nprobes can come to: every page of cells
 * touched (every probe answered - loopback does), plus the summary.  The
 * CLI refuses a scan whose worst case exceeds the memory available.
 */
uint64_t store_bytes_worst(uint64_t nprobes);

/* Bytes of cells, and the backing bytes actually touched (pages * 4096). */
size_t store_bytes_virtual(const struct store *s);
size_t store_bytes_touched(const struct store *s);

#endif
