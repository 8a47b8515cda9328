/*
 * cli_parse.c - one line on stderr, and the option values every command
 * line shares (see cli_parse.h).
 *
 * Kept apart from cli.c's argument loop because the scan, `ringscan audit`
 * and `ringscan merge` all use them, with the same limits and the same
 * words, and because they are the whole of what quoting input to a
 * terminal means here: every message goes through cli_vsay.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_parse.h"
#include "escape.h"

/*
 * The whole line is formatted first and then shown through escape_text, so
 * whatever it quotes - a target, a file's line, a path, an option value -
 * reaches the terminal without its control bytes or invalid UTF-8.  The
 * messages themselves are plain ASCII and pass unchanged.
 */
void cli_vsay(const char *prefix, const char *fmt, va_list ap)
{
	char line[CLI_LINE_MAX];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	fputs(prefix, stderr);
	if (n >= 0)
		escape_text(escape_put_file, stderr, line);
	if (n >= (int)sizeof(line))
		fputs("...", stderr);
	fputc('\n', stderr);
}

void cli_say(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vsay(prefix, fmt, ap);
	va_end(ap);
}

void cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vsay("ringscan: ", fmt, ap);
	va_end(ap);
	exit(EXIT_BAD_INPUT);
}

uint64_t cli_parse_uint(const char *opt, const char *s, uint64_t min,
			uint64_t max)
{
	unsigned long long v;
	char *end;

	if (!*s || *s < '0' || *s > '9')
		cli_fail("%s '%s': expected a whole number from %llu to %llu",
			 opt, s, (unsigned long long)min,
			 (unsigned long long)max);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		cli_fail("%s '%s': expected a whole number from %llu to %llu",
			 opt, s, (unsigned long long)min,
			 (unsigned long long)max);
	return v;
}

uint64_t cli_parse_time(const char *opt, const char *s, uint64_t unit_ns,
			uint64_t max_ns)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {
		{ "ms", 1000000ULL },	 { "s", 1000000000ULL },
		{ "m", 60000000000ULL }, { "h", 3600000000000ULL },
		{ "us", 1000ULL },
	};
	uint64_t mult = unit_ns;
	double v;
	char *end;

	if (*s < '0' || *s > '9')
		goto out_bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		goto out_bad;
	if (*end) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].suffix))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			goto out_bad;
		mult = units[i].ns;
	}
	if (v * (double)mult > (double)max_ns)
		cli_fail("%s '%s': at most %llu ms", opt, s,
			 (unsigned long long)(max_ns / 1000000ULL));
	return (uint64_t)(v * (double)mult);

out_bad:
	cli_fail("%s '%s': expected a time such as 500ms, 2s, 1m or 1h", opt,
		 s);
}

/* "--name=value" or "--name value"; returns the value or NULL. */
const char *cli_long_value(const char *arg, const char *name, int argc,
			   char **argv, int *i)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n))
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n])
		return NULL;
	if (*i + 1 >= argc)
		cli_fail("%s needs a value; see ringscan --help", name);
	return argv[++*i];
}

uint64_t cli_parse_timeout(const char *s)
{
	/* A bare number is milliseconds here, as it always was; nmap's
	 * spellings with a unit work too. */
	uint64_t ns =
		cli_parse_time("--timeout", s, 1000000ULL, CLI_MAX_TIME_NS);

	if (!ns)
		cli_fail("--timeout '%s': must be above 0", s);
	return ns;
}

uint32_t cli_parse_retries(const char *opt, const char *s)
{
	return (uint32_t)cli_parse_uint(opt, s, 0, CLI_MAX_RETRIES);
}

uint32_t cli_parse_concurrency(const char *s)
{
	return (uint32_t)cli_parse_uint("--concurrency", s, 1,
					CLI_MAX_CONCURRENCY);
}

uint64_t cli_parse_rate(const char *opt, const char *s)
{
	return cli_parse_uint(opt, s, 0, CLI_MAX_RATE);
}

const char *cli_short_value(const char *opt, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		cli_fail("%s needs a value; see ringscan --help", opt);
	return argv[++*i];
}
