/*
 * report.h - the end-of-scan reports: nmap-style text (-oN and the copy on
 * standard output), XML (-oX) and grepable (-oG).
 *
 * Called only by output.c (output_start, output_finish), which owns the
 * writers (outwriter.h); everyone else goes through output.h, where the
 * formats are described.  Each function writes one whole document into w
 * from the state store in rep; write errors stay in w->err for the caller
 * to collect.  Not on the hot path: once per scan.
 */
#ifndef RINGSCAN_REPORT_H
#define RINGSCAN_REPORT_H

#include <stdbool.h>
#include <time.h>

#include "output.h"
#include "outwriter.h"

/* The text report's "Starting ringscan V at DATE" line. */
void report_starting(struct writer *w, const struct output *o,
		     time_t start_time);
/*
 * The text report; with_command false leaves out the command-line
 * comment (the stdout copy), with_starting false the "Starting" line
 * (already written by output_start).
 */
void report_text(struct writer *w, const struct output *o,
		 const struct output_report *rep, bool with_command,
		 bool with_starting);
void report_xml(struct writer *w, const struct output *o,
		const struct output_report *rep);
void report_grep(struct writer *w, const struct output *o,
		 const struct output_report *rep);

#endif
