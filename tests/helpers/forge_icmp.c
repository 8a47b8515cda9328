/*
 * forge_icmp - sends forged ICMP destination unreachable errors, for
 * t_syn_icmp.
 *
 *   forge_icmp SRC DST TPORT_LO-TPORT_HI SPORT_LO-SPORT_HI SECONDS
 *
 * From SRC (an address of this namespace, the target) to DST (the
 * scanner), for every target port TPORT and scanner source port SPORT,
 * sends ICMP (IPv4: type 3 code 13, administratively prohibited) or ICMPv6
 * (type 1 code 1) errors that quote a SYN from DST:SPORT to SRC:TPORT -
 * exactly what a firewall in front of the target would send - but with
 * sequence numbers that are not the scanner's: random ones, 0 and 1.  A
 * burst goes out every 2 ms for SECONDS seconds; the number of errors sent
 * is printed at the end.  A scanner that checks the quoted sequence
 * against its SYN cookie must ignore every one of them.
 *
 * Raw IPPROTO_ICMP / IPPROTO_ICMPV6 socket bound to SRC: the kernel writes
 * the outer IP header (and, for ICMPv6, the checksum); this program writes
 * the ICMP header and the quote.  The quote is the IP header and the first
 * 8 bytes of TCP, as RFC 792 asks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUOTE_TCP 8

static int parse_range(const char *s, unsigned *lo, unsigned *hi)
{
	char c;

	if (sscanf(s, "%u-%u%c", lo, hi, &c) != 2 || *lo > *hi || *hi > 65535)
		return -1;
	return 0;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/*
 * The error into m (at least 8 + 40 + 8 bytes); returns its length.  The
 * quoted SYN goes from scanner:sport to target:tport.
 */
static size_t build(uint8_t *m, int v6, const uint8_t *target,
		    const uint8_t *scanner, unsigned tport, unsigned sport,
		    uint32_t seq)
{
	uint8_t *q = m + 8, *th;
	size_t len;

	memset(m, 0, 8 + 40 + QUOTE_TCP);
	if (v6) {
		m[0] = 1; /* destination unreachable */
		m[1] = 1; /* administratively prohibited */
		q[0] = 0x60;
		put16(q + 4, 24); /* our SYN: 24 bytes of TCP */
		q[6] = IPPROTO_TCP;
		q[7] = 64;
		memcpy(q + 8, scanner, 16);
		memcpy(q + 24, target, 16);
		th = q + 40;
	} else {
		m[0] = 3;
		m[1] = 13;
		q[0] = 0x45;
		put16(q + 2, 20 + 24);
		put16(q + 6, 0x4000); /* DF */
		q[8] = 64;
		q[9] = IPPROTO_TCP;
		memcpy(q + 12, scanner, 4);
		memcpy(q + 16, target, 4);
		put16(q + 10, csum(q, 20));
		th = q + 20;
	}
	put16(th, sport);
	put16(th + 2, tport);
	put32(th + 4, seq);
	len = (size_t)(th + QUOTE_TCP - m);
	if (!v6) /* the kernel sums ICMPv6 (RFC 3542); ICMP is ours */
		put16(m + 2, csum(m, len));
	return len;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage src = { 0 }, dst = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&src;
	struct sockaddr_in *d4 = (struct sockaddr_in *)&dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&src;
	struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&dst;
	const uint8_t *target, *scanner;
	unsigned tlo, thi, slo, shi, secs;
	unsigned long long sent = 0;
	struct timespec start, now, gap = { 0, 2000000 };
	socklen_t salen;
	int v6, fd;

	if (argc != 6) {
		fprintf(stderr,
			"usage: forge_icmp SRC DST TPORTS SPORTS SECONDS\n");
		return 2;
	}
	v6 = strchr(argv[1], ':') != NULL;
	if (v6) {
		s6->sin6_family = d6->sin6_family = AF_INET6;
		salen = sizeof(*s6);
		target = s6->sin6_addr.s6_addr;
		scanner = d6->sin6_addr.s6_addr;
	} else {
		s4->sin_family = d4->sin_family = AF_INET;
		salen = sizeof(*s4);
		target = (const uint8_t *)&s4->sin_addr;
		scanner = (const uint8_t *)&d4->sin_addr;
	}
	if (inet_pton(src.ss_family, argv[1],
		      v6 ? (void *)&s6->sin6_addr : (void *)&s4->sin_addr) !=
		    1 ||
	    inet_pton(dst.ss_family, argv[2],
		      v6 ? (void *)&d6->sin6_addr : (void *)&d4->sin_addr) !=
		    1 ||
	    parse_range(argv[3], &tlo, &thi) ||
	    parse_range(argv[4], &slo, &shi) ||
	    sscanf(argv[5], "%u", &secs) != 1) {
		fprintf(stderr,
			"usage: forge_icmp SRC DST TPORTS SPORTS SECONDS (SRC and DST of one family)\n");
		return 2;
	}
	fd = socket(src.ss_family, SOCK_RAW,
		    v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, salen)) {
		perror("forge_icmp: socket");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (uint32_t round = 0;; round++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)secs)
			break;
		for (unsigned tp = tlo; tp <= thi; tp++) {
			for (unsigned sp = slo; sp <= shi; sp++) {
				uint8_t m[8 + 40 + QUOTE_TCP];
				uint32_t r, seq;
				size_t len;

				if (getrandom(&r, sizeof(r), 0) != sizeof(r))
					return 1;
				seq = round % 5 == 0 ? 0 :
				      round % 5 == 1 ? 1 :
						       r;
				len = build(m, v6, target, scanner, tp, sp,
					    seq);
				if (sendto(fd, m, len, 0,
					   (struct sockaddr *)&dst,
					   salen) == (ssize_t)len)
					sent++;
			}
		}
		nanosleep(&gap, NULL);
	}
	printf("sent %llu\n", sent);
	close(fd);
	return 0;
}
