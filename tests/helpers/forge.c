/*
 * forge - sends forged TCP replies, for t_syn_forged.
 *
 *   forge SRC DST SPORT_LO-SPORT_HI DPORT_LO-DPORT_HI SECONDS
 *
 * From SRC (an address of this namespace) to DST, for every source port
 * SPORT (the target ports the scanner probes) and destination port DPORT
 * (the scanner's source ports), sends SYN-ACK and RST-ACK segments that
 * look like answers to a SYN scan but acknowledge the wrong sequence
 * numbers: random ones, 0 and 1.  A burst goes out every 2 ms for SECONDS
 * seconds; the number of segments sent is printed at the end.  A scanner
 * that validates acknowledgments must ignore every one of them: ports
 * whose real SYNs are dropped must still come out filtered.
 *
 * Raw IPPROTO_TCP socket bound to SRC: the kernel writes the IP header,
 * this program the TCP header and its checksum (pseudo-header included).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int parse_range(const char *s, unsigned *lo, unsigned *hi)
{
	char c;

	if (sscanf(s, "%u-%u%c", lo, hi, &c) != 2 || *lo > *hi || *hi > 65535)
		return -1;
	return 0;
}

static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
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

int main(int argc, char **argv)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned slo, shi, dlo, dhi, secs;
	unsigned long long sent = 0;
	struct timespec start, now, gap = { 0, 2000000 };
	uint32_t pseudo;
	int fd;

	if (argc != 6 || inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1 ||
	    parse_range(argv[3], &slo, &shi) ||
	    parse_range(argv[4], &dlo, &dhi) ||
	    sscanf(argv[5], "%u", &secs) != 1) {
		fprintf(stderr, "usage: forge SRC DST SPORTS DPORTS SECONDS\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src))) {
		perror("forge: socket");
		return 1;
	}
	pseudo = 0;
	{
		uint8_t ph[12];

		memcpy(ph, &src.sin_addr, 4);
		memcpy(ph + 4, &dst.sin_addr, 4);
		ph[8] = 0;
		ph[9] = IPPROTO_TCP;
		put16(ph + 10, 20);
		for (int i = 0; i < 12; i += 2)
			pseudo += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (uint32_t round = 0;; round++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)secs)
			break;
		for (unsigned sp = slo; sp <= shi; sp++) {
			for (unsigned dp = dlo; dp <= dhi; dp++) {
				uint8_t th[20] = { 0 };
				uint32_t r[2];
				uint32_t ack;

				if (getrandom(r, sizeof(r), 0) != sizeof(r))
					return 1;
				ack = round % 5 == 0 ? 0 :
				      round % 5 == 1 ? 1 :
						       r[0];
				put16(th, sp);
				put16(th + 2, dp);
				put32(th + 4, r[1]);
				put32(th + 8, ack);
				th[12] = 5 << 4;
				/* Alternately RST|ACK and SYN|ACK. */
				th[13] = round & 1 ? 0x14 : 0x12;
				put16(th + 14, 65535);
				put16(th + 16, csum(th, sizeof(th), pseudo));
				if (sendto(fd, th, sizeof(th), 0,
					   (struct sockaddr *)&dst,
					   sizeof(dst)) == sizeof(th))
					sent++;
			}
		}
		nanosleep(&gap, NULL);
	}
	printf("sent %llu\n", sent);
	close(fd);
	return 0;
}
