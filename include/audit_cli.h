/*
 * audit_cli.h - `ringscan audit`: cross-check a scan against the socket
 * table (see docs/audit.md).
 *
 *   ringscan audit [--allow SPEC] [--baseline FILE] [--proc-root DIR]
 *                  [--udp|--no-udp] [-oN|-oC|-oJ FILE] [-v]
 *   ringscan audit --netstat FILE [options] TARGET...
 *
 * The first form audits this machine's network namespace: it reads the
 * socket table through netlink and /proc, bind()-tests every TCP and UDP
 * port of both families, connect-scans every local address on every TCP
 * port, maps listeners to their processes, and prints one verdict per port
 * (audit.h).  The second audits a server from outside against a netstat/ss
 * capture taken on it.
 *
 * Like main.c this is CLI code: it parses its own flags, prints, and
 * returns the process exit status - 0 nothing hidden or unexpected, 3
 * findings, 1 bad input, 2 runtime failure, 128+N when stopped by signal
 * N (the EXIT_* of cli.h).  main() hands over argv from "audit" on (argv[0] == "audit").
 */
#ifndef RINGSCAN_AUDIT_CLI_H
#define RINGSCAN_AUDIT_CLI_H

int audit_main(int argc, char **argv);

#endif
