/*
 * bannerstore.c - banners by probe number in a chunked arena (see
 * bannerstore.h).
 *
 * A record is laid out as: u32 raw length, the raw bytes, then each field
 * as its bytes and a NUL, in enum order, so get() hands out pointers into
 * the arena without copying.  A record never spans two chunks: when the
 * current chunk cannot take it a new one is started (the tail is wasted,
 * at most one record's worth in a megabyte).  The index is linear probing
 * over (probe + 1, record) pairs, 0 meaning empty, kept at most half full;
 * nothing is ever removed, so no tombstones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bannerstore.h"
#include "mix.h"

struct bs_slot {
	uint64_t key; /* probe + 1; 0 = empty */
	const uint8_t *rec;
};

struct bannerstore {
	uint8_t **chunks;
	size_t nchunks, chunks_cap;
	size_t used; /* bytes used in the last chunk */
	size_t bytes, max_bytes; /* of records, all chunks */
	struct bs_slot *index;
	size_t index_mask; /* capacity - 1 (a power of two) */
	uint64_t count, dropped;
};

static const char *const field_names[BANNER_NFIELDS] = {
	[BANNER_SERVICE] = "service_name",
	[BANNER_PRODUCT] = "product",
	[BANNER_VERSION] = "version",
	[BANNER_EXTRAINFO] = "extrainfo",
	[BANNER_HOSTNAME] = "service_hostname",
	[BANNER_OSTYPE] = "ostype",
	[BANNER_TLS_VERSION] = "tls_version",
	[BANNER_TLS_ALPN] = "tls_alpn",
	[BANNER_CERT_CN] = "cert_cn",
	[BANNER_CERT_SANS] = "cert_sans",
	[BANNER_CERT_ISSUER] = "cert_issuer",
	[BANNER_CERT_EXPIRY] = "cert_expiry",
};

const char *banner_field_name(enum banner_field f)
{
	return (unsigned)f < BANNER_NFIELDS ? field_names[f] : "";
}

bool banner_rec_identified(const struct banner_rec *r)
{
	for (int f = 0; f < BANNER_NFIELDS; f++)
		if (r->field[f] && r->field[f][0])
			return true;
	return false;
}

#define BS_INDEX_FIRST 1024

int bannerstore_new(struct bannerstore **out, size_t max_bytes)
{
	struct bannerstore *bs = calloc(1, sizeof(*bs));

	if (!bs)
		return -ENOMEM;
	bs->max_bytes = max_bytes ? max_bytes : BANNERSTORE_DEFAULT_MAX;
	bs->index = calloc(BS_INDEX_FIRST, sizeof(*bs->index));
	if (!bs->index) {
		free(bs);
		return -ENOMEM;
	}
	bs->index_mask = BS_INDEX_FIRST - 1;
	bs->used = BANNERSTORE_CHUNK; /* the first put starts a chunk */
	*out = bs;
	return 0;
}

void bannerstore_free(struct bannerstore *bs)
{
	if (!bs)
		return;
	for (size_t i = 0; i < bs->nchunks; i++)
		free(bs->chunks[i]);
	free(bs->chunks);
	free(bs->index);
	free(bs);
}

static size_t slot_of(const struct bannerstore *bs, uint64_t key)
{
	size_t i = (size_t)mix64(key) & bs->index_mask;

	while (bs->index[i].key && bs->index[i].key != key)
		i = (i + 1) & bs->index_mask;
	return i;
}

static int index_grow(struct bannerstore *bs)
{
	size_t cap = (bs->index_mask + 1) * 2;
	struct bs_slot *old = bs->index, *nw = calloc(cap, sizeof(*nw));
	size_t old_cap = bs->index_mask + 1;

	if (!nw)
		return -ENOMEM;
	bs->index = nw;
	bs->index_mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			bs->index[slot_of(bs, old[i].key)] = old[i];
	free(old);
	return 0;
}

/* Room for n bytes of record in the arena, or NULL. */
static uint8_t *arena_take(struct bannerstore *bs, size_t n)
{
	uint8_t *p;

	if (bs->used + n > BANNERSTORE_CHUNK) {
		if (bs->nchunks == bs->chunks_cap) {
			size_t cap = bs->chunks_cap ? 2 * bs->chunks_cap : 16;
			uint8_t **c = realloc(bs->chunks, cap * sizeof(*c));

			if (!c)
				return NULL;
			bs->chunks = c;
			bs->chunks_cap = cap;
		}
		p = malloc(BANNERSTORE_CHUNK);
		if (!p)
			return NULL;
		bs->chunks[bs->nchunks++] = p;
		bs->used = 0;
	}
	p = bs->chunks[bs->nchunks - 1] + bs->used;
	bs->used += n;
	return p;
}

static size_t field_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > BANNERSTORE_FIELD_MAX ? BANNERSTORE_FIELD_MAX : n;
}

int bannerstore_put(struct bannerstore *bs, uint64_t probe,
		    const struct banner_rec *r)
{
	uint64_t key = probe + 1;
	uint32_t raw_len = r->raw_len > BANNERSTORE_RAW_MAX ?
				   BANNERSTORE_RAW_MAX :
				   r->raw_len;
	size_t i = slot_of(bs, key), need = 4 + raw_len;
	uint8_t *p;

	if (bs->index[i].key)
		return -EEXIST;
	for (int f = 0; f < BANNER_NFIELDS; f++)
		need += field_len(r->field[f]) + 1;
	if (bs->bytes + need > bs->max_bytes) {
		bs->dropped++;
		return -ENOSPC;
	}
	if (2 * (bs->count + 1) > bs->index_mask + 1) {
		if (index_grow(bs)) {
			bs->dropped++;
			return -ENOMEM;
		}
		i = slot_of(bs, key);
	}
	p = arena_take(bs, need);
	if (!p) {
		bs->dropped++;
		return -ENOMEM;
	}
	bs->index[i] = (struct bs_slot){ .key = key, .rec = p };
	bs->bytes += need;
	bs->count++;
	memcpy(p, &raw_len, 4);
	p += 4;
	if (raw_len)
		memcpy(p, r->raw, raw_len);
	p += raw_len;
	for (int f = 0; f < BANNER_NFIELDS; f++) {
		size_t n = field_len(r->field[f]);

		if (n)
			memcpy(p, r->field[f], n);
		p[n] = '\0';
		p += n + 1;
	}
	return 0;
}

bool bannerstore_get(const struct bannerstore *bs, uint64_t probe,
		     struct banner_rec *r)
{
	size_t i = slot_of(bs, probe + 1);
	const uint8_t *p = bs->index[i].rec;

	if (!bs->index[i].key)
		return false;
	memcpy(&r->raw_len, p, 4);
	r->raw = p + 4;
	p += 4 + r->raw_len;
	for (int f = 0; f < BANNER_NFIELDS; f++) {
		r->field[f] = (const char *)p;
		p += strlen((const char *)p) + 1;
	}
	return true;
}

uint64_t bannerstore_count(const struct bannerstore *bs)
{
	return bs->count;
}

uint64_t bannerstore_dropped(const struct bannerstore *bs)
{
	return bs->dropped;
}
