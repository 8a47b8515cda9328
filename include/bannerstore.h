/*
 * bannerstore.h - the banners a scan captured (--banners), and what was
 * identified from them, keyed by probe number (host * nports + port).
 *
 * The state store (store.h) keeps two bits a probe; a banner is up to a
 * few hundred bytes and exists only for open ports, so it lives here: an
 * arena of BANNERSTORE_CHUNK-byte chunks that records are appended to
 * (one allocation per chunk, never per banner) and an open-addressing
 * index that doubles when half full.  Records are never moved or freed
 * before the store is, so what bannerstore_get returns stays valid.
 *
 * Bounded: at most max_bytes of records (the CLI's BANNERSTORE_DEFAULT_MAX
 * unless told otherwise).  A banner that does not fit is not kept and is
 * counted (bannerstore_dropped), and the CLI says how many; the streaming
 * outputs (CSV, JSON, SQLite) get every banner as it comes whatever this
 * store holds, only the reports written at the end (text, XML) lack the
 * dropped ones.
 *
 * The identification fields (service, product, version, ...) are plain
 * strings filled by the scan from bannerid_identify and the TLS
 * handshake; a field nobody filled reads as "".  Single-threaded; put is called once
 * per open port, after its exchange, not per probe.
 */
#ifndef RINGSCAN_BANNERSTORE_H
#define RINGSCAN_BANNERSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BANNERSTORE_CHUNK (1u << 20)
#define BANNERSTORE_DEFAULT_MAX (256u << 20)
/* Longest raw banner and field kept (longer ones are cut).  The field
 * bound is the longest field filled (struct tlsinfo's sans, 511 bytes),
 * so the reports show what the streaming outputs got. */
#define BANNERSTORE_RAW_MAX 4096u
#define BANNERSTORE_FIELD_MAX 511u

enum banner_field {
	BANNER_SERVICE, /* nmap's service name, when identified */
	BANNER_PRODUCT,
	BANNER_VERSION,
	BANNER_EXTRAINFO,
	BANNER_HOSTNAME, /* the name a greeting gives itself */
	BANNER_OSTYPE,
	BANNER_TLS_VERSION, /* "TLSv1.3" */
	BANNER_TLS_ALPN, /* "h2" */
	BANNER_CERT_CN, /* the certificate's subject CN */
	BANNER_CERT_SANS, /* its subject alternative names, comma separated */
	BANNER_CERT_ISSUER,
	BANNER_CERT_EXPIRY, /* notAfter, ISO 8601 */
	BANNER_NFIELDS
};

/* One port's banner: raw bytes as received, and the identified fields. */
struct banner_rec {
	const uint8_t *raw;
	uint32_t raw_len;
	const char *field[BANNER_NFIELDS]; /* NULL or "" when unknown */
};

/* The JSON/SQL name of a field: "product", "tls_version", ... */
const char *banner_field_name(enum banner_field f);

/* True when the record identifies something (any field set). */
bool banner_rec_identified(const struct banner_rec *r);

struct bannerstore;

/* max_bytes: bound on all records together (0 = the default); -ENOMEM. */
int bannerstore_new(struct bannerstore **out, size_t max_bytes);
void bannerstore_free(struct bannerstore *bs);

/*
 * Copy r as probe's banner.  -EEXIST if probe has one already (the first
 * is kept), -ENOSPC when the store is full or -ENOMEM: not kept, and
 * counted as dropped.
 */
int bannerstore_put(struct bannerstore *bs, uint64_t probe,
		    const struct banner_rec *r);

/* probe's banner into r (pointers into the store); false if none. */
bool bannerstore_get(const struct bannerstore *bs, uint64_t probe,
		     struct banner_rec *r);

uint64_t bannerstore_count(const struct bannerstore *bs);
uint64_t bannerstore_dropped(const struct bannerstore *bs);

#endif
