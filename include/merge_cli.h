/*
 * merge_cli.h - `ringscan merge`: fold the results of several runs into one.
 *
 *   ringscan merge [-oN FILE] [-oC FILE] [-oJ FILE] [-oX FILE] [-oG FILE]
 *                  [-oA BASE] [--states LIST] [--open] [OUT] INPUT...
 *
 * Inputs are ringscan CSV (-oC) files, JSON-lines (-oJ) files, or
 * checkpoint files (--checkpoint), told apart by their content; one merge
 * takes either checkpoints or CSV/JSON files, not both.  Checkpoints of the
 * shards of one scan merge into that whole scan, reports included; CSV and
 * JSON rows merge into their union, deduplicated by (host, port, proto),
 * with the first input's answer kept where two disagree (each disagreement
 * is named on stderr).  The rules, the exit statuses and the examples are
 * in docs/distributed.md.
 *
 * This is CLI code like cli.c: it prints to stderr and returns an exit
 * status (0 done, 1 bad input, 2 runtime failure); it calls
 * cli_scan_load, which exits 1 on bad input.  The merges themselves are
 * rowmerge.h (with rowreport.h) and ckmerge.h, which never print.  main() dispatches to it when
 * argv[1] is "merge", passing argv + 1 (argv[0] is then "merge").
 */
#ifndef RINGSCAN_MERGE_CLI_H
#define RINGSCAN_MERGE_CLI_H

int merge_main(int argc, char **argv);

#endif
