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
 * Threading: the core never uses one connection from two threads at once;
 * there is no global state. The connector's own library initialisation
 * happens in mysql_init() (thread-safe in libmariadb).
 *
 * This header is private to the plugin: the connection and statement
 * handles, and the constants and functions its files share. Shared
 * functions are named my_*, never dal_* (the library's names); nothing here
 * is exported, as the plugin is built with -fvisibility=hidden and exports
 * only its entry point. The files, by job:
 *
 *   errors.c   native error numbers to dal_code + SQLSTATE; the messages
 *   connect.c  options, connecting (TLS, host lists, Galera), exec, ping,
 *              transactions, last insert id, server kind and version
 *   stmt.c     prepared statements: prepare, parameters, execute and step,
 *              reset and finalize; the open-result rule
 *   decode.c   result columns: binding, fetching rows, values and names
 *   plugin.c   the function table, the registration and the entry point,
 *              the one exported symbol
 */
#ifndef DAL_MYSQL_INT_H
#define DAL_MYSQL_INT_H

#include <stddef.h>
#include <stdint.h>

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

struct dal_bconn {
	MYSQL *my;
	char where[300];          /* "host:port" reached, for messages */
	int buffered;             /* option buffered */
	struct dal_bstmt *active; /* statement whose streamed result is open */
	int64_t last_id;          /* last AUTO_INCREMENT value generated */
	dal_defer_list zombies;   /* MYSQL_STMT closes deferred while a result
	                             was open */
	const char *kind;         /* "mariadb" or "mysql" */
	unsigned read_timeout;    /* seconds, for messages */
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

/* The streamed result of the active statement has been read or discarded. */
static inline void my_release_active(struct dal_bconn *c)
{
	c->active = NULL;
	my_close_zombies(c);
}

/* Discard what is left of s's result, releasing the connection if s held
 * it (details in stmt.c). */
int my_discard_result(struct dal_bstmt *s, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Errors (errors.c)                                                        */
/* ------------------------------------------------------------------------ */

/* The dal_code for a native error number; *state gets the SQLSTATE to
 * report (sqlstate when it is one, else ours). */
int my_map_error(unsigned no, const char *sqlstate, const char **state);
/* Report the connection's or the statement's last error for the operation
 * `what`. Each returns the dal_code. */
int my_report_conn(dal_error *err, struct dal_bconn *c, const char *what);
int my_report_stmt(dal_error *err, struct dal_bstmt *s, const char *what);
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

/* The options the plugin declares: connect.c parses them, the registration
 * publishes them. A count, not a const variable, as the registration's
 * static initializer needs a constant; the array's declared size makes the
 * compiler check it against the table. */
#define MY_N_OPTION_SPECS 11
extern const struct dal_option_spec my_option_specs[MY_N_OPTION_SPECS];

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
