/*
 * fuzz_pkt.c - libFuzzer harness for the SYN engine's reply parser
 * (pkt.h): Ethernet frames as they arrive from the network.
 *
 * pkt_parse runs on every received frame of a -sS scan, in the hot path,
 * on bytes anyone on the link can send.  libFuzzer's buffer is exactly
 * size bytes on the heap, so ASan sees any read past the frame.  A parse
 * that succeeds must report a family the engine can use.
 */
#include <stdlib.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_reply r;

	if (!pkt_parse(data, size, &r) && r.family != AF_INET &&
	    r.family != AF_INET6)
		abort();
	return 0;
}
