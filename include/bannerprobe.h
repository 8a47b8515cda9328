/*
 * bannerprobe.h - what the connect engine says to a server that does not
 * speak first (--banners), and which ports it says it to at once.
 *
 * A deliberately small stand-in with the shape of the identification
 * module's contract (bannerid.h: a port kind and an HTTP HEAD request
 * builder), so that the engine calls two functions and the real module
 * can take their place without touching the exchange.  Pure, no
 * allocation; the engine calls it once per open port.
 */
#ifndef RINGSCAN_BANNERPROBE_H
#define RINGSCAN_BANNERPROBE_H

#include <stddef.h>
#include <stdint.h>

enum bannerprobe_kind {
	BANNERPROBE_SPEAKS_FIRST, /* wait for the greeting (SSH, SMTP, ...) */
	BANNERPROBE_HTTP, /* send the HEAD request at once */
	BANNERPROBE_TLS, /* TLS (no TLS here yet: treated as speaks-first) */
};

/* The kind of server usually found on a TCP port (a short table). */
enum bannerprobe_kind bannerprobe_kind(uint16_t port);

/*
 * "HEAD / HTTP/1.0\r\nHost: HOST[:PORT]\r\n\r\n" into buf (cap bytes, NUL
 * terminated); host is an address as text, an IPv6 one is put in brackets
 * and the port left out when it is 80.  HTTP/1.0 so that the server closes
 * after its answer.  Returns the request's length, or -ENOSPC when it does
 * not fit (buf then holds "").
 */
int bannerprobe_http(const char *host, uint16_t port, char *buf, size_t cap);

#endif
