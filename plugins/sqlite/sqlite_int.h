/*
 * backend_sqlite's private header: the connection and statement objects
 * and the functions its files share (prefixed sqb_ or sq_; the plugin is
 * built with -fvisibility=hidden and exports only its entry point).
 *
 * Files, by job: options.c (the options and the pragmas applying them),
 * connect.c (connections, ping, exec, transactions, cancel and the
 * statement_timeout clock), stmt.c (prepare, bind, step, reset, finalize),
 * decode.c (result columns, the fetch path), errors.c (result codes to
 * dal_code + SQLSTATE), plugin.c (the function table, the registration and
 * the entry point).
 */
#ifndef DAL_SQLITE_INT_H
#define DAL_SQLITE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include <dal/dal.h>
#include <dal/plugin.h>

enum { TX_BEGIN, TX_COMMIT, TX_ROLLBACK, TX_PING, TX_SCHEMA, TX__COUNT };

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
	uint64_t deadline_ns;            /* DEADLINE_CLOCK (connect.c); non-zero only
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

/* options.c: the options, in the order of the enum. */
enum { O_JOURNAL, O_SYNC, O_BUSY, O_FK, O_CACHE, O_TXMODE, O__COUNT };
extern const struct dal_option_spec sqb_option_specs[O__COUNT];
/* The dialect's SQL facts (dialect.c). */
extern const struct dal_sql_facts sqb_sql_facts;

/* The options after validation; strings point into the static tables. */
struct conn_options {
	const char *journal_mode; /* NULL: leave as is (:memory:) */
	const char *synchronous;
	long long busy_timeout;
	int foreign_keys;
	int has_cache_size;
	long long cache_size;
	const char *begin_sql;
};

/* Validate every option before the file is touched, so that a typo never
 * creates a database. memory: the database is ":memory:". */
int sqb_parse_options(const struct dal_connect_params *p, int memory,
                      struct conn_options *o, dal_error *err);
/* Apply the options to the newly opened connection c. */
int sqb_apply_options(struct dal_bconn *c, const struct conn_options *o, dal_error *err);

/* connect.c */
/* The statement_timeout deadline of an execution starting now. */
uint64_t sqb_deadline_after(const struct dal_bconn *c);
int sqb_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                dal_bconn **out, dal_error *err);
void sqb_disconnect(dal_bconn *c);
int sqb_ping(dal_bconn *c, dal_error *err);
/* Bring c's copy of the schema up to date (another connection may have
 * changed it): a statement that reads the schema table checks the cookie. */
int sqb_schema_check(struct dal_bconn *c, dal_error *err);
int sqb_exec(dal_bconn *c, const char *sql, int64_t *affected, dal_error *err);
int sqb_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err);
int sqb_begin(dal_bconn *c, dal_error *err);
int sqb_commit(dal_bconn *c, dal_error *err);
int sqb_rollback(dal_bconn *c, dal_error *err);
const char *sqb_server_kind(dal_bconn *c);
const char *sqb_server_version(dal_bconn *c);
int sqb_cancel(dal_bconn *c, dal_error *err);

/* stmt.c */
int sqb_prepare(dal_bconn *c, const char *sql, size_t len, unsigned nparams,
                dal_bstmt **out, dal_error *err);
int sqb_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err);
int sqb_step(dal_bstmt *s, dal_error *err);
int sqb_reset(dal_bstmt *s, dal_error *err);
void sqb_finalize(dal_bstmt *s);
int64_t sqb_rows_affected(dal_bstmt *s);
int sqb_bind_static(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err);
int sqb_execute_batch(dal_bstmt *s, struct dal_batch *b, dal_error *err);

/* decode.c */
unsigned sqb_column_count(dal_bstmt *s);
const char *sqb_column_name(dal_bstmt *s, unsigned col);
void sqb_column_value(dal_bstmt *s, unsigned col, dal_value *out);
/* backup.c: the backup and restore slots (ABI 2.1). */
int sqb_backup(dal_bconn *c, const char *path, dal_error *err);
int sqb_restore(dal_bconn *c, const char *path, dal_error *err);

#endif
