/*
 * The output of dal-conformance: TAP version 13 or a readable table, one
 * line per case written (and flushed) as soon as the case has finished, so
 * that a slow or hanging case is visible while it runs.
 *
 * TAP: a case that does not apply is "ok N - name # SKIP not applicable:
 * <reason>" (TAP's own word for a test that was not run for a reason), a
 * failure is "not ok" followed by a YAML block with the message. Nothing
 * else goes to the report's stream except '#' comment lines.
 */
#include <string.h>

#include "report.h"

void report_begin(struct report *r, const char *const *header, int planned)
{
	r->planned = planned;
	r->number = r->passed = r->failed = r->not_applicable = 0;
	if (r->format == REPORT_TAP) {
		fputs("TAP version 13\n", r->out);
		for (; *header; header++)
			fprintf(r->out, "# %s\n", *header);
		fprintf(r->out, "1..%d\n", planned);
	} else {
		for (; *header; header++)
			fprintf(r->out, "%s\n", *header);
		fprintf(r->out, "\n%-6s  %-*s  %7s  %s\n", "result", r->name_width, "case", "time",
		        "detail");
	}
	fflush(r->out);
}

/* Write text as one YAML block scalar line: a message may hold newlines. */
static void tap_yaml_text(FILE *out, const char *key, const char *text)
{
	fprintf(out, "  %s: |\n    ", key);
	for (; *text; text++) {
		fputc(*text, out);
		if (*text == '\n' && text[1])
			fputs("    ", out);
	}
	fputc('\n', out);
}

void report_case(struct report *r, const char *name, enum case_result result,
                 double seconds, const char *detail)
{
	static const char *const words[] = {"pass", "FAIL", "n/a"};

	r->number++;
	if (result == RESULT_PASS)
		r->passed++;
	else if (result == RESULT_FAIL)
		r->failed++;
	else
		r->not_applicable++;

	if (r->format == REPORT_TAP) {
		if (result == RESULT_NA) {
			fprintf(r->out, "ok %d - %s # SKIP not applicable: %s\n", r->number, name,
			        detail);
		} else if (result == RESULT_PASS) {
			fprintf(r->out, "ok %d - %s\n", r->number, name);
		} else {
			fprintf(r->out, "not ok %d - %s\n  ---\n", r->number, name);
			tap_yaml_text(r->out, "message", detail ? detail : "failed");
			fprintf(r->out, "  seconds: %.3f\n  ...\n", seconds);
		}
	} else {
		char t[16] = "";

		if (seconds >= 0)
			snprintf(t, sizeof t, "%.2fs", seconds);
		fprintf(r->out, "%-6s  %-*s  %7s%s%s\n", words[result], r->name_width, name, t,
		        detail ? "  " : "", detail ? detail : "");
	}
	fflush(r->out);
}

void report_end(struct report *r)
{
	fprintf(r->out, "%s%d passed, %d failed, %d not applicable (%d cases)\n",
	        r->format == REPORT_TAP ? "# " : "\n", r->passed, r->failed, r->not_applicable,
	        r->number);
	fflush(r->out);
}
