/*
 * fuzz_tlscert.c - libFuzzer harness for the TLS probe's certificate
 * fields (tlsprobe_cert_info): a DER certificate as a server sends it.
 *
 * In a scan the certificate comes from whoever answers on a TLS port;
 * OpenSSL decodes it, and tlsprobe.c copies its subject CN, issuer, SANs
 * and validity into fixed fields - the copy is ours, and that is what
 * this exercises.  Whatever the input, every field must end in a NUL
 * inside its array and hold no other NUL before it than the end (an
 * embedded NUL must have become '?'), and a refused input leaves the
 * struct empty.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tlsprobe.h"

#define FIELD_OK(f) (memchr((f), '\0', sizeof(f)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsinfo ti;
	int ret = tlsprobe_cert_info(data, size, &ti);

	if (!FIELD_OK(ti.version) || !FIELD_OK(ti.alpn) ||
	    !FIELD_OK(ti.cipher) || !FIELD_OK(ti.subject_cn) ||
	    !FIELD_OK(ti.issuer) || !FIELD_OK(ti.sans) ||
	    !FIELD_OK(ti.not_before) || !FIELD_OK(ti.not_after))
		abort();
	if (ret == 0 && !ti.has_cert)
		abort();
	if (ret != 0 && (ti.has_cert || ti.subject_cn[0] || ti.sans[0]))
		abort();
	return 0;
}
