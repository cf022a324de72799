/*
 * Private to the copy layer: the state of one dal_copy_run(), shared by
 * copy.c (the tables, the copy state, verification) and copy_rows.c (the
 * rows of one table).
 */
#ifndef DAL_COPY_RUN_H
#define DAL_COPY_RUN_H

#include "copy_int.h"

struct copy_run {
	dal_repo *from, *to;
	dal_conn *src, *dst;
	unsigned batch;               /* rows per transaction */
	unsigned n_tables;
	dal_copy_progress_fn progress;
	void *userdata;
	/* The table being copied: */
	int64_t rows_total;           /* source count at its start, -1 unknown */
	int64_t rows_done;            /* rows committed before this run */
	const char *resume_key;       /* last committed key, or NULL: from the start */
	int64_t rows_run;             /* set by copy_rows(): rows this run committed */
	int resume_flag;              /* dal_copy_options.resume */
};

/* Report an event of a table's copy (not DAL_COPY_VERIFY) to the callback. */
void copy_report(struct copy_run *run, dal_copy_event ev, const char *table,
                 unsigned index, int64_t done, int64_t run_rows, uint64_t start_ns);

/* In the target's open transaction: set the table's row of dal_copy_state.
 * key may be NULL (no key, or the table is done). */
int copy_state_update(struct copy_run *run, const char *table, const char *key,
                      int64_t rows, int done, dal_error *err);

/* copy_rows.c: encode the primary key of st's current row (docs/copy.md,
 * "State"). */
void copy_key_encode(struct strbuf *b, dal_stmt *st, const struct copy_table *t);

#endif
