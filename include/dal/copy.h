/*
 * libdal cross-backend copy: move the tables of one repository into another
 * (SQLite to PostgreSQL, MariaDB to SQLite, any backend to any backend),
 * resumably, and prove the result with a per-table checksum.
 *
 * A layer on the public API of <dal/dal.h>: it reads the source's catalog,
 * creates missing target tables with mapped column types (docs/copy.md has
 * the mapping table), copies rows in batched transactions with multi-row
 * INSERTs whose values are bound parameters, records its progress in a
 * table of the target (dal_copy_state) in the same transaction as each
 * batch, and verifies every table at the end: row count and a content
 * checksum computed the same way on both sides.
 *
 * Thread rules: the repositories are shared objects; a copy acquires one
 * connection from each for its duration. The callbacks run on the calling
 * thread.
 */
#ifndef DAL_COPY_H
#define DAL_COPY_H

#include <stddef.h>
#include <stdint.h>

#include <dal/dal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a progress report is about. */
typedef enum dal_copy_event {
	DAL_COPY_TABLE_START = 0, /* a table's copy begins (rows_done: resumed from) */
	DAL_COPY_ROWS = 1,        /* a batch was committed */
	DAL_COPY_TABLE_DONE = 2,  /* the table's last batch was committed */
	DAL_COPY_TABLE_SKIP = 3,  /* the table was copied completely before */
	DAL_COPY_VERIFY = 4       /* the table was verified: see the verify members */
} dal_copy_event;

/*
 * One progress report. Strings are valid during the callback only.
 * rows_total is the source's row count taken when the table starts (-1 when
 * not known); rows_done counts the rows in the target so far, those of an
 * earlier, interrupted run included; rows_run only those of this run;
 * elapsed_ns is the time since this table started in this run.
 */
typedef struct dal_copy_progress {
	dal_copy_event event;
	const char *table;
	unsigned table_index;      /* 0-based */
	unsigned n_tables;
	int64_t rows_total;
	int64_t rows_done;
	int64_t rows_run;
	uint64_t elapsed_ns;
	/* DAL_COPY_VERIFY only. */
	int64_t source_rows, target_rows;
	uint64_t source_sum, target_sum;
	int match;                 /* 1: counts and checksums are equal */
} dal_copy_progress;

/* A progress callback; it must not use the copy's repositories' connections. */
typedef void (*dal_copy_progress_fn)(const dal_copy_progress *p, void *userdata);

/*
 * Options of dal_copy_run(). Zero-initialise, then set what you need; the
 * zero value of every member is the default.
 */
typedef struct dal_copy_options {
	/* Tables to copy, NULL-terminated; NULL: every table of the source
	 * (views and the source's own dal_copy_state excluded). */
	const char *const *tables;
	/* Rows per transaction on the target (and per progress report); 0:
	 * DAL_COPY_DEFAULT_BATCH. */
	unsigned batch_rows;
	/* Nonzero: continue a copy whose earlier run was interrupted. Without
	 * it such a table is refused (DAL_EMISUSE, naming it), so that a copy is
	 * never resumed by accident. */
	int resume;
	/* Nonzero: skip the verification at the end. */
	int no_verify;
	/* Non-NULL: first back up the source to this file with
	 * dal_repo_backup() (a backend without online backup refuses:
	 * DAL_EUNSUPPORTED), and copy only if that worked. */
	const char *backup_path;
	dal_copy_progress_fn progress; /* may be NULL */
	void *userdata;
} dal_copy_options;

/* The batch_rows of 0: rows per transaction by default. */
#define DAL_COPY_DEFAULT_BATCH 10000u
/* The largest batch_rows accepted. */
#define DAL_COPY_MAX_BATCH 1000000u
/* The table in the target where a copy records its progress. */
#define DAL_COPY_STATE_TABLE "dal_copy_state"

/* What a copy did. */
typedef struct dal_copy_result {
	unsigned tables;          /* tables considered */
	unsigned tables_copied;   /* copied (or finished) in this run */
	unsigned tables_skipped;  /* found complete from an earlier run */
	unsigned tables_created;  /* created in the target by this run */
	unsigned mismatches;      /* tables whose verification failed */
	int64_t rows_copied;      /* rows inserted by this run */
	int already_complete;     /* every table was complete before this run */
} dal_copy_result;

/*
 * Copy tables from `from` into `to`, then verify them (see the file
 * comment and docs/copy.md). The two repositories must be different
 * databases.
 *
 * For each table: if the target lacks it, it is created; a target table
 * that holds rows but has no copy state is refused (DAL_ECONSTRAINT,
 * naming it and its row count), since appending could duplicate rows. A
 * table recorded complete is skipped; when every table is, nothing is
 * written and result->already_complete is set. A table recorded
 * interrupted continues after the last committed key with opt->resume
 * (tables without a primary key restart from empty), else is refused.
 *
 * Returns DAL_OK when everything was copied and verified, DAL_EDATA when a
 * verification found a mismatch (the message names the tables; each is in
 * a DAL_COPY_VERIFY report), or the error that stopped the copy: err says
 * which table and, for a row the target refused, its key. Committed
 * batches stay, and a later run with resume continues after them. result
 * (may be NULL) is filled in every case. opt may be NULL: the defaults.
 */
DAL_API int dal_copy_run(dal_repo *from, dal_repo *to, const dal_copy_options *opt,
                         dal_copy_result *result, dal_error *err);

/*
 * The verification figures of one table of repo: its row count and its
 * content checksum, computed over the values as this layer fetches them
 * (each column's value put into a canonical form for the column's type,
 * each row hashed, the row hashes summed, so the order of the rows does not
 * matter). A table copied by dal_copy_run() has the same figures in both
 * repositories. Returns DAL_OK, DAL_ENOTFOUND if the table does not exist,
 * or the error of the query.
 */
DAL_API int dal_copy_checksum(dal_repo *repo, const char *table, int64_t *rows,
                              uint64_t *sum, dal_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DAL_COPY_H */
