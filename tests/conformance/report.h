/*
 * How dal-conformance prints a run: one line per case as it finishes, in
 * TAP (for harnesses: prove, automake's tap driver) or as a table for
 * people. main.c decides what runs; this file only formats.
 */
#ifndef DAL_CONFORMANCE_REPORT_H
#define DAL_CONFORMANCE_REPORT_H

#include <stdio.h>

enum report_format { REPORT_TABLE, REPORT_TAP };

enum case_result { RESULT_PASS, RESULT_FAIL, RESULT_NA };

struct report {
	enum report_format format;
	FILE *out;
	int name_width;            /* widest case name, for the table */
	int planned, number;       /* cases to report, cases reported */
	int passed, failed, not_applicable;
};

/* Start the report of `planned` cases: the header lines (already formatted
 * by main.c: the plugin, its capabilities, the run's conditions), then the
 * TAP plan or the table's column titles. */
void report_begin(struct report *r, const char *const *header, int planned);

/* One case. detail: for a failure the location and message, for a case
 * that does not apply the reason; NULL for a pass. seconds < 0: not run. */
void report_case(struct report *r, const char *name, enum case_result result,
                 double seconds, const char *detail);

/* The closing summary line (a TAP comment in TAP). */
void report_end(struct report *r);

#endif /* DAL_CONFORMANCE_REPORT_H */
