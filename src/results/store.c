/*
 * store.c - 2-bit probe states in a lazily backed mapping.
 *
 * Cells are packed four to a byte, probe p in byte p / 4 at bits
 * 2 * (p % 4).  The array is a private anonymous MAP_NORESERVE mapping, so
 * the kernel commits nothing up front: a 65535-port scan of a /16 maps a
 * gigabyte and costs only the pages of hosts that answered.
 *
 * Even a read of an untouched anonymous page costs a page-table walk and a
 * zero-page mapping, so every access consults the summary first: one bit per
 * STORE_PAGE bytes of cells (16384 probes), set on the first write to that
 * page.  A clear bit means "all NONE" without looking at the cells; that is
 * what lets store_get and store_next_set skip the silent bulk of a scan.  The
 * summary is small (nprobes / 131072 bytes, 32 KiB for 2^32 probes) and is
 * an ordinary calloc.
 *
 * The first final state wins and NONE is never written, so a cell changes
 * at most once and the per-state counters are exact without recounting.
 *
 * The reason table packs each entry in one uint64_t: probe + 1 in the low
 * 56 bits (0 marks an empty slot) and the code in the top 8.  Linear
 * probing, kept at most half full; it starts empty and doubles, so a scan
 * that sees no unusual unreachable allocates nothing for it.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "store.h"

#define STORE_PAGE ((uint64_t)STORE_PAGE_BYTES) /* summary granule */
#define STORE_CELLS_PER_BYTE 4
#define STORE_CELLS_PER_PAGE (STORE_PAGE * STORE_CELLS_PER_BYTE)
#define STORE_CELLS_PER_WORD 32 /* a uint64_t of cells */

struct store {
	uint8_t *cells;
	size_t map_len;
	uint64_t nprobes;
	uint64_t *summary; /* bit per STORE_PAGE of cells */
	size_t npages;
	size_t touched; /* summary bits set */
	uint64_t count[4]; /* per enum store_state; [STORE_NONE] unused */
	uint64_t *rtab; /* reasons: see above */
	uint64_t rcap, rn; /* slots (a power of two, or 0), entries */
};

#define RT_PROBE_BITS 56
#define RT_PROBE_MASK ((1ULL << RT_PROBE_BITS) - 1)
#define RT_MIN_CAP 1024

/* nmap's names; index = code.  Append only: checkpoints store the codes. */
static const char *const reason_names[] = {
	"host-unreach",	  "net-unreach",     "proto-unreach",	 "port-unreach",
	"net-prohibited", "host-prohibited", "admin-prohibited", "dest-unreach",
	"no-route",	  "beyond-scope",    "reject-route",	 "unreach",
};
#define REASON_GENERIC 11u /* "unreach" */
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) ==
		       REASON_GENERIC + 1,
	       "the generic reason is the last");
_Static_assert(REASON_GENERIC < STORE_REASON_MAX, "codes fit the reports");

static bool page_touched(const struct store *s, uint64_t page)
{
	return (s->summary[page / 64] >> (page % 64)) & 1;
}

static unsigned cell_read(const struct store *s, uint64_t probe)
{
	return (s->cells[probe / 4] >> (2 * (probe % 4))) & 3;
}

int store_new(struct store **out, uint64_t nprobes)
{
	struct store *s;
	/* At least ceil(nprobes / 4), and never an empty mapping. */
	uint64_t bytes = nprobes / 4 + 1;

	if (bytes > SIZE_MAX - STORE_PAGE)
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->nprobes = nprobes;
	s->npages = (bytes + STORE_PAGE - 1) / STORE_PAGE;
	s->map_len = s->npages * STORE_PAGE;
	/* Map first: an absurd size fails here, before a huge calloc. */
	s->cells = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->cells == MAP_FAILED)
		goto out_free_store;
	s->summary = calloc((s->npages + 63) / 64, sizeof(*s->summary));
	if (!s->summary)
		goto out_unmap_cells;
	*out = s;
	return 0;

out_unmap_cells:
	munmap(s->cells, s->map_len);
out_free_store:
	free(s);
	return -ENOMEM;
}

uint64_t store_bytes_worst(uint64_t nprobes)
{
	uint64_t pages = (nprobes / 4 + 1 + STORE_PAGE - 1) / STORE_PAGE;

	return pages * STORE_PAGE + (pages + 63) / 64 * sizeof(uint64_t);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	munmap(s->cells, s->map_len);
	free(s->summary);
	free(s->rtab);
	free(s);
}

int store_set(struct store *s, uint64_t probe, enum store_state st)
{
	uint64_t page = probe / STORE_CELLS_PER_PAGE;

	assert(probe < s->nprobes);
	assert((unsigned)st <= STORE_UNREACH);
	if (st == STORE_NONE)
		return 0;
	if (!page_touched(s, page)) {
		s->summary[page / 64] |= 1ULL << (page % 64);
		s->touched++;
	} else if (cell_read(s, probe) != STORE_NONE) {
		return 0;
	}
	s->cells[probe / 4] |= (uint8_t)(st << (2 * (probe % 4)));
	s->count[st]++;
	return 1;
}

enum store_state store_get(const struct store *s, uint64_t probe)
{
	assert(probe < s->nprobes);
	if (!page_touched(s, probe / STORE_CELLS_PER_PAGE))
		return STORE_NONE;
	return (enum store_state)cell_read(s, probe);
}

uint64_t store_count(const struct store *s, enum store_state st)
{
	assert((unsigned)st <= STORE_UNREACH);
	if (st == STORE_NONE)
		return s->nprobes - s->count[STORE_OPEN] -
		       s->count[STORE_CLOSED] - s->count[STORE_UNREACH];
	return s->count[st];
}

/* First set cell in [p, end), all within one touched page; end if none. */
static uint64_t scan_page(const struct store *s, uint64_t p, uint64_t end)
{
	while (p < end) {
		if (p % STORE_CELLS_PER_WORD == 0 &&
		    end - p >= STORE_CELLS_PER_WORD) {
			uint64_t w;

			memcpy(&w, s->cells + p / 4, sizeof(w));
			if (w == 0) {
				p += STORE_CELLS_PER_WORD;
				continue;
			}
		}
		if (p % 4 == 0 && end - p >= 4 && s->cells[p / 4] == 0) {
			p += 4;
			continue;
		}
		if (cell_read(s, p) != STORE_NONE)
			return p;
		p++;
	}
	return end;
}

uint64_t store_next_set(const struct store *s, uint64_t from, uint64_t to)
{
	uint64_t end = to < s->nprobes ? to : s->nprobes;
	uint64_t p = from;

	while (p < end) {
		uint64_t page = p / STORE_CELLS_PER_PAGE;
		uint64_t page_end = (page + 1) * STORE_CELLS_PER_PAGE;
		uint64_t hit;

		if (!page_touched(s, page)) {
			/* Jump to the next touched page of this word, or on. */
			uint64_t rest = s->summary[page / 64] >> (page % 64);

			if (rest == 0)
				page = (page / 64 + 1) * 64;
			else
				page += (unsigned)__builtin_ctzll(rest);
			p = page * STORE_CELLS_PER_PAGE;
			continue;
		}
		if (page_end > end)
			page_end = end;
		hit = scan_page(s, p, page_end);
		if (hit < page_end)
			return hit;
		p = page_end;
	}
	return to;
}

uint64_t store_nprobes(const struct store *s)
{
	return s->nprobes;
}

size_t store_bytes_virtual(const struct store *s)
{
	return (size_t)((s->nprobes + 3) / 4);
}

size_t store_bytes_touched(const struct store *s)
{
	return s->touched * STORE_PAGE;
}

uint64_t store_page_count(const struct store *s)
{
	return s->npages;
}

uint64_t store_next_page(const struct store *s, uint64_t from)
{
	while (from < s->npages) {
		uint64_t w = s->summary[from / 64] >> (from % 64);

		if (w)
			return from + (uint64_t)__builtin_ctzll(w);
		from = (from / 64 + 1) * 64;
	}
	return s->npages;
}

const uint8_t *store_page(const struct store *s, uint64_t page)
{
	assert(page < s->npages);
	return s->cells + page * STORE_PAGE;
}

int store_merge_page(struct store *s, uint64_t page, const uint8_t *cells,
		     uint64_t *conflicts)
{
	uint64_t first = page * STORE_CELLS_PER_PAGE, end;

	if (page >= s->npages)
		return -EINVAL;
	end = first + STORE_CELLS_PER_PAGE;
	if (end > s->nprobes)
		end = s->nprobes;
	for (uint64_t p = first; p < end; p++) {
		uint64_t off = p - first;
		enum store_state in = (enum store_state)(
			(cells[off / 4] >> (2 * (off % 4))) & 3);
		enum store_state have;

		if (in == STORE_NONE)
			continue;
		have = store_get(s, p);
		if (have == STORE_NONE)
			store_set(s, p, in);
		else if (have != in && conflicts)
			(*conflicts)++;
	}
	return 0;
}

unsigned store_reason_code(const char *name)
{
	for (unsigned i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]);
	     i++)
		if (!strcmp(reason_names[i], name))
			return i;
	return REASON_GENERIC;
}

const char *store_reason_name(unsigned code)
{
	return code < sizeof(reason_names) / sizeof(reason_names[0]) ?
		       reason_names[code] :
		       reason_names[REASON_GENERIC];
}

unsigned store_reason_codes(void)
{
	return sizeof(reason_names) / sizeof(reason_names[0]);
}

static uint64_t rt_slot(uint64_t key, uint64_t cap)
{
	/* Fibonacci hashing: probe numbers of one host are consecutive. */
	return (key * 0x9e3779b97f4a7c15ULL) >> 32 & (cap - 1);
}

/* The slot holding key, or the empty slot where it would go. */
static uint64_t rt_find(const uint64_t *tab, uint64_t cap, uint64_t key)
{
	uint64_t i = rt_slot(key, cap);

	while (tab[i] && (tab[i] & RT_PROBE_MASK) != key)
		i = (i + 1) & (cap - 1);
	return i;
}

static int rt_grow(struct store *s)
{
	uint64_t cap = s->rcap ? s->rcap * 2 : RT_MIN_CAP;
	uint64_t *tab;

	if (cap > SIZE_MAX / sizeof(*tab))
		return -ENOMEM;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (uint64_t i = 0; i < s->rcap; i++)
		if (s->rtab[i])
			tab[rt_find(tab, cap, s->rtab[i] & RT_PROBE_MASK)] =
				s->rtab[i];
	free(s->rtab);
	s->rtab = tab;
	s->rcap = cap;
	return 0;
}

int store_set_reason(struct store *s, uint64_t probe, unsigned code)
{
	uint64_t key = probe + 1, i;
	int ret;

	if (code == STORE_REASON_HOST_UNREACH || code >= store_reason_codes() ||
	    key > RT_PROBE_MASK || probe >= s->nprobes ||
	    store_get(s, probe) != STORE_UNREACH)
		return 0;
	if ((s->rn + 1) * 2 > s->rcap && (ret = rt_grow(s)))
		return ret;
	i = rt_find(s->rtab, s->rcap, key);
	if (!s->rtab[i]) {
		s->rtab[i] = key | (uint64_t)code << RT_PROBE_BITS;
		s->rn++;
	}
	return 0;
}

unsigned store_reason(const struct store *s, uint64_t probe)
{
	uint64_t key = probe + 1, e;

	if (!s->rn || key > RT_PROBE_MASK)
		return STORE_REASON_HOST_UNREACH;
	e = s->rtab[rt_find(s->rtab, s->rcap, key)];
	return e ? (unsigned)(e >> RT_PROBE_BITS) : STORE_REASON_HOST_UNREACH;
}

int store_reason_next(const struct store *s, uint64_t *pos, uint64_t *probe,
		      unsigned *code)
{
	for (; *pos < s->rcap; (*pos)++) {
		uint64_t e = s->rtab[*pos];

		if (!e)
			continue;
		(*pos)++;
		*probe = (e & RT_PROBE_MASK) - 1;
		*code = (unsigned)(e >> RT_PROBE_BITS);
		return 1;
	}
	return 0;
}

uint64_t store_reason_count(const struct store *s)
{
	return s->rn;
}
