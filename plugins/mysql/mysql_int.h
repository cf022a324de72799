/*
 * backend_mysql: the libdal plugin for MySQL and MariaDB servers, over
 * MariaDB Connector/C (libmariadb).
 *
 * Owns the translation between the plugin contract (include/dal/plugin.h)
 * and the connector: connecting (timeouts, utf8mb4, TLS options, several
 * hosts tried in order, the Galera readiness check), server-side prepared
 * statements with result buffers bound once, error mapping to dal_code +
 * SQLSTATE, and transactions. It does not parse configuration and does not
 * rewrite placeholders (the core hands us `?` only).
 *
 * Threading: the core never uses one connection from two threads at once,
 * with one exception: cancel() is called from another thread while the
 * connection runs a statement. It never touches the busy MYSQL handle; it
 * reads only what connect() stored and the atomic running/seq pair below
 * (cancel.c). There is no global state. The connector's own library
 * initialisation happens in mysql_init() (thread-safe in libmariadb).
 *
 * This header is private to the plugin: the connection and statement
 * handles, and the constants and functions its files share. Shared
 * functions are named my_*, never dal_* (the library's names); nothing here
 * is exported, as the plugin is built with -fvisibility=hidden and exports
 * only its entry point. The files, by job:
 *
 *   errors.c   native error numbers to dal_code + SQLSTATE; the messages
 *   connect.c  options, connecting (TLS, host lists, the statement
 *              timeout), exec, ping, transactions, last insert id, server
 *              kind and version; the dead-while-idle check before a request
 *   node.c     the Galera readiness check (wsrep_check) and node_status():
 *              ready or not, primary or replica
 *   cancel.c   cancelling the running statement from another thread: KILL
 *              QUERY on a second, short-lived connection
 *   stmt.c     prepared statements: prepare, parameters, execute and step,
 *              reset and finalize; the open-result rule
 *   decode.c   result columns: binding, fetching rows, values and names
 *   batch.c    batches: bulk executions of parameter arrays
 *   plugin.c   the function table, the registration and the entry point,
 *              the one exported symbol
 */
#ifndef DAL_MYSQL_INT_H
#define DAL_MYSQL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <mysql.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#define DEFAULT_PORT 3306

/* For the rarer branches of a hot function (executing, long values, text
 * parameters): inlined, their register saves and stack frame would be paid
 * on every row or every bind. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

struct dal_bstmt;

/*
 * The connector's TLS file and string options, resolved from the plugin's
 * options (tls_ca or its older name ssl_ca, ...; connect.c): the index into
 * struct my_peer's tls[].
 */
enum my_tls_opt {
	MY_T_CA, MY_T_CERT, MY_T_KEY, MY_T_CAPATH, MY_T_CIPHER, MY_T_CRL,
	MY_T_CRLPATH, MY_T_VERSION, MY_N_TLS
};

/* tls_mode (and its older name ssl_mode), in the order of both option's
 * choices: disable, prefer, require, verify-ca, verify-full. */
enum my_tls_mode {
	MY_TLS_DISABLE, MY_TLS_PREFER, MY_TLS_REQUIRE, MY_TLS_VERIFY_CA, MY_TLS_VERIFY_FULL
};

/*
 * What cancel() needs to open a second connection to the server this one
 * reached, as the same user: private copies made by connect() (the core's
 * strings live only during connect), never changed afterwards. password is
 * wiped with explicit_bzero() before it is freed, and never put in a
 * message or a log line.
 */
struct my_peer {
	char *host;               /* name or address reached; NULL with socket */
	char *socket;             /* unix socket path, or NULL */
	unsigned port;
	char *user;
	char *password;
	char *tls[MY_N_TLS];      /* the TLS options given (enum my_tls_opt) */
	enum my_tls_mode tls_mode;
	unsigned connect_timeout; /* seconds */
};

struct dal_bconn {
	MYSQL *my;
	char where[300];          /* "host:port" reached, for messages */
	int buffered;             /* option buffered */
	int wsrep_check;          /* option wsrep_check */
	struct dal_bstmt *active; /* statement whose streamed result is open */
	int64_t last_id;          /* last AUTO_INCREMENT value generated */
	dal_defer_list zombies;   /* MYSQL_STMT closes deferred while a result
	                             was open */
	const char *kind;         /* "mariadb" or "mysql" */
	unsigned read_timeout;    /* seconds, for messages */
	unsigned statement_timeout_ms; /* applied at connect, for messages */
	char tls[96];             /* "TLSv1.3 TLS_AES_256_GCM_SHA384", or "" when
	                             not encrypted: tls_info() */
	/* For cancel(), set by connect() and then only read. */
	unsigned long thread_id;  /* mysql_thread_id(): the server session */
	struct my_peer peer;
	/* Written by the connection's thread, read by cancel()'s (atomics):
	 * running is 1 from the moment a request is about to be sent until the
	 * connection is idle again (its result read or discarded); seq counts
	 * requests, so that cancel() can tell that the one it was asked to stop
	 * has ended and another begun. */
	int running;
	unsigned seq;
	uint64_t idle_ms;         /* my_coarse_ms() when it last became idle */
	unsigned long max_packet; /* the server's max_allowed_packet, read by the
	                             first batch (batch.c); 0 until then */
};

enum col_kind { K_I64, K_U64, K_DOUBLE, K_TEXT, K_BLOB };

/* The connector writes INT64 and DOUBLE results straight into dal_value. */
_Static_assert(sizeof(long long) == sizeof(int64_t), "BIGINT buffer is int64_t");

/*
 * The current row's value of a column, kept apart from struct col so that
 * column_value() reads one small array. val.type is set when the column is
 * bound; ptr/len (TEXT, BLOB) and BIGINT UNSIGNED are set per row by
 * finish_row(), INT64 and DOUBLE and is_null by the connector.
 */
struct cell {
	dal_value val;
	my_bool is_null;
};

struct col {
	enum col_kind kind;
	/* What the binding was made for; a change after execute rebinds. */
	enum enum_field_types ftype;
	unsigned charsetnr, flags;
	unsigned long length;
	my_bool error;
	unsigned long long u;  /* K_U64's bound buffer */
	char *inl;             /* inline buffer, inl_cap + 1 bytes */
	unsigned long inl_cap;
	char *big;             /* overflow buffer, grows, big_cap bytes */
	size_t big_cap;
	char u64text[24];      /* BIGINT UNSIGNED beyond INT64_MAX, as text */
};

/* One parameter. pbind[i] points at num (numbers) or data (text, blob),
 * length and is_null, so a value of the same type is bound by storing it. */
struct param {
	union {
		long long i;
		double d;
		signed char b;
	} num;
	char *data; /* owned copy of text and blob values */
	size_t cap;
	unsigned long length;
	my_bool is_null;
};

/* READY: executable; ROW: positioned on a row; DONE: no more rows until
 * reset; FAILED: the last execution failed, reset before stepping. */
enum st_state { ST_READY, ST_ROW, ST_DONE, ST_FAILED };

struct dal_bstmt {
	struct dal_bconn *conn;
	MYSQL_STMT *st;
	enum st_state state;
	int has_result;   /* a result (stored or read) awaits mysql_stmt_free_result */
	unsigned nparams;
	struct param *params;
	MYSQL_BIND *pbind;
	int pdirty;       /* bindings changed since mysql_stmt_bind_param */
	unsigned ncols;   /* fixed at prepare */
	struct col *cols;
	struct cell *cells;
	MYSQL_BIND *rbind;
	unsigned *perrow; /* columns finish_row() visits: text, blob, unsigned */
	unsigned nperrow;
	char **names;     /* pointer array followed by the strings */
	int64_t affected;
};

/* ------------------------------------------------------------------------ */
/* The open-result rule (stmt.c)                                            */
/* ------------------------------------------------------------------------ */

/* Inline here, not in stmt.c: the end of every result (decode.c's
 * my_fetch()) releases the connection, and closing a connection closes the
 * zombies (connect.c). */

/* dal_defer_drain()'s callback: close one deferred MYSQL_STMT. */
void my_close_zombie(void *st, void *unused);

/* Close the statements whose close had to wait for a free connection. The
 * test keeps the end of a result free of a call into libdal when, as
 * almost always, there is nothing to close. */
static inline void my_close_zombies(struct dal_bconn *c)
{
	if (c->zombies.n)
		dal_defer_drain(&c->zombies, my_close_zombie, NULL);
}

/* A request is about to be sent on c: what cancel() may interrupt. Plain
 * stores on x86 (no fence): this is on every execution. */
static inline void my_running(struct dal_bconn *c)
{
	__atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->running, 1, __ATOMIC_RELEASE);
}

/* A monotonic clock in ms, of a few ms resolution: a read of the vDSO, no
 * system call (Linux; elsewhere the plain monotonic clock). */
#ifndef CLOCK_MONOTONIC_COARSE
#define CLOCK_MONOTONIC_COARSE CLOCK_MONOTONIC
#endif
static inline uint64_t my_coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* c is idle again: nothing of its last request is left on the server. */
static inline void my_idle(struct dal_bconn *c)
{
	__atomic_store_n(&c->running, 0, __ATOMIC_RELEASE);
	c->idle_ms = my_coarse_ms();
}

/* The streamed result of the active statement has been read or discarded. */
static inline void my_release_active(struct dal_bconn *c)
{
	c->active = NULL;
	my_idle(c);
	my_close_zombies(c);
}

/* Discard what is left of s's result, releasing the connection if s held
 * it (details in stmt.c). */
int my_discard_result(struct dal_bstmt *s, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Errors (errors.c)                                                        */
/* ------------------------------------------------------------------------ */

/* The dal_code for a native error number; *state gets the SQLSTATE to
 * report (sqlstate when it is one, else ours). A lost connection is
 * DAL_ECONNECT here: what a request makes of it is the reporters' job. */
int my_map_error(unsigned no, const char *sqlstate, const char **state);

/*
 * Where a failure happened, which decides what a lost connection means
 * (error.h): DAL_ECONNECT when the request was not sent, or when it has no
 * effect that a retry could repeat; DAL_EOUTCOME when a request with effects
 * was sent and the connection was lost before its answer was read.
 */
enum my_phase {
	/* A request with no effect (ping, prepare, ROLLBACK, anything while
	 * connecting): lost is always DAL_ECONNECT. */
	MY_NO_EFFECT,
	/* A request with effects was just given to the connector (exec,
	 * execute, BEGIN, COMMIT): CR_SERVER_GONE_ERROR means the connector
	 * could not write it (DAL_ECONNECT); any other loss came after it was
	 * written (DAL_EOUTCOME). */
	MY_REQUEST,
	/* Reading the result of a request that was sent (rows, further result
	 * sets): any loss is DAL_EOUTCOME. */
	MY_RESULT
};

/* Report the connection's or the statement's last error for the operation
 * `what`, in phase ph. Each returns the dal_code. The statement's report
 * falls back on the connection's error when the connector left the
 * statement's empty (a failed unbuffered fetch does). */
int my_report_conn(dal_error *err, struct dal_bconn *c, enum my_phase ph, const char *what);
int my_report_stmt(dal_error *err, struct dal_bstmt *s, enum my_phase ph, const char *what);
/* The server closed c while it was idle: DAL_ECONNECT, nothing was sent. */
int my_report_gone(dal_error *err, struct dal_bconn *c, const char *what);
/* Another statement's streamed result is open: DAL_EMISUSE. */
int my_busy(dal_error *err, const char *what);
int my_oom(dal_error *err, const char *what);

/* ------------------------------------------------------------------------ */
/* Connections (connect.c)                                                  */
/* ------------------------------------------------------------------------ */

/* Inline here, not in connect.c: executing a prepared INSERT (stmt.c)
 * notes its id too, once per row inserted. */
static inline void my_note_insert_id(struct dal_bconn *c, my_ulonglong id)
{
	/* Like LAST_INSERT_ID(): a statement that generated nothing leaves the
	 * previous value alone. */
	if (id)
		c->last_id = (int64_t)id;
}

/*
 * Whether the server has closed c while it was idle (KILL, wait_timeout, a
 * restart): its end of the socket is shut, which poll() shows without
 * reading anything. Called before a request is sent, while no result is
 * pending, so that a request on a connection already dead is reported as
 * not sent (DAL_ECONNECT) rather than as lost after sending, which is all
 * the connector could say: writing to a socket whose peer has closed it
 * succeeds, and only the read that follows fails (CR_SERVER_LOST).
 *
 * The poll() is a system call (about 1 us here, against a round trip of
 * 20-50 us), so it is made only when c has been idle for MY_GONE_IDLE_MS or
 * more: that is when sessions die between requests (wait_timeout, a KILL
 * or a restart while the connection sat in the pool). Requests sent back
 * to back are not checked; one that finds the session dead is reported as
 * lost after sending (DAL_EOUTCOME), which is never wrong, only less sure.
 */
#define MY_GONE_IDLE_MS 10
int my_gone_check(struct dal_bconn *c);
static inline int my_gone(struct dal_bconn *c)
{
	return my_coarse_ms() - c->idle_ms >= MY_GONE_IDLE_MS && my_gone_check(c);
}

/* Set peer's TLS options (tls_mode and the files) on a fresh handle: the
 * connection's, or cancel()'s helper connection. */
int my_configure_tls(MYSQL *my, const struct my_peer *peer, dal_error *err);
/* The tls_mode names ("require"), indexed by enum my_tls_mode. */
extern const char *const my_tls_modes[];

/* The options the plugin declares: connect.c parses them, the registration
 * publishes them. A count, not a const variable, as the registration's
 * static initializer needs a constant; the array's declared size makes the
 * compiler check it against the table. */
#define MY_N_OPTION_SPECS 15
extern const struct dal_option_spec my_option_specs[MY_N_OPTION_SPECS];
/* The dialect's SQL facts (dialect.c). */
extern const struct dal_sql_facts my_sql_facts;

/* connect() ignores self: the plugin keeps no state in its table. */
int my_connect(const struct dal_driver *self, const struct dal_connect_params *p,
               dal_bconn **out, dal_error *err);
void my_disconnect(dal_bconn *c);
int my_ping(dal_bconn *c, dal_error *err);
int my_exec(dal_bconn *c, const char *sql, int64_t *affected, dal_error *err);
int my_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err);
int my_begin(dal_bconn *c, dal_error *err);
int my_commit(dal_bconn *c, dal_error *err);
int my_rollback(dal_bconn *c, dal_error *err);
const char *my_server_kind(dal_bconn *c);
const char *my_server_version(dal_bconn *c);
const char *my_tls_info(dal_bconn *c);
const char *my_server_address(dal_bconn *c, unsigned *port);

/* ------------------------------------------------------------------------ */
/* Node checks (node.c)                                                     */
/* ------------------------------------------------------------------------ */

/* At connect, with wsrep_check: DAL_OK for a ready, Synced Galera node;
 * DAL_ECONNECT for one that is not ready, DAL_ECONFIG for a server that is
 * not a Galera node. */
int my_check_wsrep(struct dal_bconn *c, dal_error *err);
int my_node_status(dal_bconn *c, unsigned want, struct dal_node_status *out, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Cancelling (cancel.c)                                                    */
/* ------------------------------------------------------------------------ */

/* Stop what c is running: called from another thread. */
int my_cancel(dal_bconn *c, dal_error *err);
/* Free the copies connect() made, wiping the password. */
void my_peer_free(struct my_peer *p);

/* ------------------------------------------------------------------------ */
/* Statements (stmt.c)                                                      */
/* ------------------------------------------------------------------------ */

int my_prepare(dal_bconn *c, const char *sql, size_t len, unsigned nparams,
               dal_bstmt **out, dal_error *err);
int my_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err);
int my_step(dal_bstmt *s, dal_error *err);
int my_reset(dal_bstmt *s, dal_error *err);
void my_finalize(dal_bstmt *s);
int64_t my_rows_affected(dal_bstmt *s);

/* Batches (batch.c): arrays in bulk executions, chunked under
 * max_allowed_packet. */
int my_execute_batch(dal_bstmt *s, struct dal_batch *b, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Result columns (decode.c)                                                */
/* ------------------------------------------------------------------------ */

/* Bind column i for the metadata f; -1 when out of memory. */
int my_bind_column(struct dal_bstmt *s, unsigned i, const MYSQL_FIELD *f);
/* List the columns my_fetch() must finish on each row; after any binding. */
void my_list_perrow(struct dal_bstmt *s);
/* Copy the column names out of the metadata f; -1 when out of memory. */
int my_copy_names(struct dal_bstmt *s, const MYSQL_FIELD *f);
/* The next row of an executed statement: DAL_ROW, DAL_DONE or an error. */
int my_fetch(struct dal_bstmt *s, dal_error *err);
unsigned my_column_count(dal_bstmt *s);
const char *my_column_name(dal_bstmt *s, unsigned col);
void my_column_value(dal_bstmt *s, unsigned i, dal_value *out);

#endif
