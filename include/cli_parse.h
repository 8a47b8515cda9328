/*
 * cli_parse.h - the CLI's one-line messages and the option values that
 * every entry point (scan, audit, merge) parses the same way.
 *
 * CLI code: these print to stderr and the parsers exit with status 1
 * (EXIT_BAD_INPUT, cli.h) on bad input, naming the option and the value.
 * Only src/cli/ may call them.  cli.h includes this header, so its callers
 * need not name it.
 */
#ifndef RINGSCAN_CLI_PARSE_H
#define RINGSCAN_CLI_PARSE_H

#include <stdarg.h>
#include <stdint.h>

/* Longest error line shown whole; longer ones end in "...". */
#define CLI_LINE_MAX 2048

/*
 * One line on stderr: prefix, then fmt; control bytes and invalid UTF-8
 * (from quoted input) become '?' (escape.h).  For every message that
 * quotes input, in every entry point (scan, merge, audit).
 */
void cli_vsay(const char *prefix, const char *fmt, va_list ap);
void __attribute__((format(printf, 2, 3)))
cli_say(const char *prefix, const char *fmt, ...);

/* cli_say("ringscan: ", ...), then exit(EXIT_BAD_INPUT). */
void __attribute__((noreturn, format(printf, 1, 2)))
cli_fail(const char *fmt, ...);

/*
 * Helpers for subcommands' own options, with the same messages:
 * cli_parse_uint exits 1 unless s is a whole number in [min, max];
 * cli_long_value returns the value of "--name=V" or "--name V" (advancing
 * *i), NULL if arg is not that option; cli_short_value the next argument.
 */
uint64_t cli_parse_uint(const char *opt, const char *s, uint64_t min,
			uint64_t max);
/*
 * A time as nmap writes it: a number with ms, s, m or h (or us); a bare
 * number is in unit_ns.  Exits 1 unless it is at most max_ns.
 */
uint64_t cli_parse_time(const char *opt, const char *s, uint64_t unit_ns,
			uint64_t max_ns);
const char *cli_long_value(const char *arg, const char *name, int argc,
			   char **argv, int *i);
const char *cli_short_value(const char *opt, int argc, char **argv, int *i);

/*
 * The scan options that `ringscan audit` shares with the scan, parsed with
 * the same limits and messages (exit 1 on bad input): --timeout (a bare
 * number is milliseconds, nmap's units work too; above 0) in ns,
 * --retries, --concurrency, --rate (and its spellings: opt names it).
 */
uint64_t cli_parse_timeout(const char *s);
uint32_t cli_parse_retries(const char *opt, const char *s);
uint32_t cli_parse_concurrency(const char *s);
uint64_t cli_parse_rate(const char *opt, const char *s);

#endif
