/*
 * backend_sqlite's private header: the connection and statement objects
 * and the error helpers shared by its files (sqlite.c: connections,
 * statements and registration; errors.c: result-code mapping).
 */
#ifndef DAL_SQLITE_INT_H
#define DAL_SQLITE_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include <dal/dal.h>
#include <dal/plugin.h>

enum { TX_BEGIN, TX_COMMIT, TX_ROLLBACK, TX_PING, TX__COUNT };

/*
 * Cancel and statement_timeout. Both stop a running statement the same way:
 * SQLite returns SQLITE_INTERRUPT, from sqlite3_interrupt() (cancel, called
 * by another thread) or from the progress handler (timeout, in the thread
 * running the statement). timed_out tells the two apart; it and deadline_ns
 * are only touched by the thread using the connection. With
 * stmt_timeout_ms == 0 no progress handler is installed, and a step pays
 * one test of dal_bstmt.timed.
 */
struct dal_bconn {
	sqlite3 *db;
	char *path;                      /* for messages */
	long busy_timeout;               /* ms, for the "database is locked" hint */
	const char *begin_sql;           /* "BEGIN", "BEGIN IMMEDIATE", ... */
	sqlite3_stmt *cached[TX__COUNT]; /* prepared on first use */
	unsigned stmt_timeout_ms;        /* statement_timeout; 0 = none */
	uint64_t timeout_ns;             /* the same plus the clock's resolution */
	int timed_out;                   /* the progress handler stopped the last
	                                    timed call (not a cancel) */
	int in_txn;                      /* begin() succeeded, no commit/rollback yet */
	uint64_t deadline_ns;            /* DEADLINE_CLOCK (sqlite.c); non-zero only
	                                    during a timed sqlite3_step() or
	                                    sqlite3_exec() */
};

/*
 * Statement states. SQLite would silently re-run a statement stepped after
 * SQLITE_DONE (automatic reset), which for an INSERT means a second insert;
 * the contract wants "no more rows" until reset, so we track it ourselves.
 */
enum st_state { ST_READY, ST_ROW, ST_DONE, ST_FAILED };

struct dal_bstmt {
	struct dal_bconn *conn;
	sqlite3_stmt *st;
	unsigned ncols;
	unsigned nparams;
	enum st_state state;
	int timed;                  /* the connection has a statement_timeout */
	sqlite3_int64 total_before; /* sqlite3_total_changes64() at execution */
	int64_t changes;            /* rows_affected of the last execution */
	uint64_t boolcols;          /* bit i: column i is declared BOOL/BOOLEAN */
	char **names;               /* copied column names, made on first use */
	uint64_t deadline_ns;       /* statement_timeout: set at the first step of
	                               each execution */
};


/* Map an extended result code (and, for SQLITE_ERROR, the message) to a
 * dal_code, with the SQLSTATE in *state. */
int sq_map_code(int rc, const char *msg, const char **state);

/* Report rc for an operation on conn (may be NULL) into *err: "<what>:
 * <sqlite message>" with a hint where useful. Returns the dal_code.
 * SQLITE_INTERRUPT is DAL_ETIMEOUT when conn's statement_timeout stopped the
 * call (conn->timed_out, consumed here), else DAL_ECANCELED: nothing but
 * sqlite_cancel() calls sqlite3_interrupt(). */
int sq_report(dal_error *err, struct dal_bconn *conn, int rc, const char *what);

/* backup.c: the backup and restore slots (ABI 2.1). */
int sqlite_backup(dal_bconn *c, const char *path, dal_error *err);
int sqlite_restore(dal_bconn *c, const char *path, dal_error *err);

#endif
