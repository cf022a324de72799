/*
 * backend_pgsql: the private header, shared by the plugin's files and by
 * nothing else. The connection and statement structs, the type oids and
 * column kinds, and the functions used from more than one file (prefixed
 * pgb_; everything else stays static in its file). The plugin exports only
 * its entry point (plugin.c): these are hidden by -fvisibility=hidden.
 *
 * The plugin owns the translation between the plugin contract
 * (include/dal/plugin.h) and libpq: connecting with PQconnectdbParams
 * (several hosts and target_session_attrs passed through to libpq), named
 * prepared statements, parameter and result encoding, streaming (single-row
 * or chunked mode), error mapping to dal_code + SQLSTATE, and transactions.
 * It does not parse configuration and does not rewrite placeholders (the
 * core hands us $1, $2, ...).
 *
 * Files: errors.c (error mapping, server notices to the log), connect.c
 * (options and TLS, connecting, exec, transactions, cancel), stmt.c (prepare,
 * execute, step, reset, finalize), bind.c (parameters), decode.c (result
 * columns, the fetch path), batch.c (batches in one pipeline), copy.c
 * (batches of plain INSERTs as COPY), pipeline.c
 * (independent statements in one pipeline), plugin.c (the function table,
 * the registration and the entry point).
 *
 * A lost connection is reported by when it was noticed (errors.c): before
 * a request was sent (pgb_alive() reads what the server said while the
 * connection was idle, so that a session the server already ended is found
 * there) it is DAL_ECONNECT, nothing was sent; after, while waiting for or
 * reading the answer, it is DAL_EOUTCOME for a request that may have
 * changed something (a statement, COMMIT), and DAL_ECONNECT for one that
 * cannot (ping, prepare, BEGIN, ROLLBACK, lastval()).
 *
 * The open-result rule: results are streamed by default (single-row mode,
 * or chunks of CHUNK_ROWS rows where libpq has chunked mode; stmt.c): memory
 * stays flat on any result size. While one statement's result is
 * unfinished, libpq accepts no other command on the connection, so every
 * other use is refused with DAL_EMISUSE until the result is read to the end
 * or the statement is reset. The option `buffered = on` reads each result
 * whole instead.
 *
 * Threading: the core never uses one connection from two threads at once,
 * except for cancel(), which may come from any thread at any moment: it
 * only reads what connect() set (the PGcancel object, the server's
 * address) and calls PQcancel(), which is made for that. There is no
 * global state.
 */
#ifndef DAL_PGSQL_INT_H
#define DAL_PGSQL_INT_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#define DEFAULT_PORT 5432

/* Parameters per statement: the protocol counts them in 16 bits. */
#define PGB_MAX_PARAMS 65535

/* Type oids (pg_type.h is server-side only). */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_CHAR = 18,
	OID_NAME = 19,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_OID = 26,
	OID_JSON = 114,
	OID_XML = 142,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_UNKNOWN = 705,
	OID_BPCHAR = 1042,
	OID_VARCHAR = 1043,
	OID_NUMERIC = 1700,
};

struct dal_bstmt;

struct dal_bconn {
	PGconn *pg;
	PGcancel *cancel;         /* for cancel() from another thread; made at
	                             connect, read-only until disconnect */
	char where[300];          /* "host:port" reached, for messages */
	char repo[128];           /* repository name, for log lines */
	int ended;                /* the server ended the session while it was
	                             idle (an unsolicited FATAL, seen by the
	                             notice receiver) */
	char ended_msg[256];      /* what the server said then */
	int buffered;
	struct dal_bstmt *active; /* statement whose result is still arriving */
	unsigned long counter;    /* for statement names */
	dal_defer_list zombies;   /* names (char *) of finalized statements,
	                             to deallocate in a batch (stmt.c) */
	locale_t c_locale;        /* for locale-independent number text */
	char tls[96];             /* "TLSv1.3 TLS_AES_256_GCM_SHA384", or "" when
	                             not encrypted: tls_info() */
};

/* K_OID is apart from K_INT because its 4 bytes are unsigned. */
enum col_kind { K_INT, K_OID, K_FLOAT4, K_FLOAT8, K_BOOL, K_BYTEA, K_TEXT };

struct param {
	const char *value; /* what libpq sends: NULL is SQL NULL */
	int length;
	int format;        /* 0 text, 1 binary */
	char num[40];      /* text or binary form of a number or bool */
	char *data;        /* owned copy of text and blob values */
	size_t cap;
};

/* PRIMED: executed in a pipeline (pipeline.c), its whole result (or its
 * error, perr) waiting for the first step. */
enum st_state { ST_READY, ST_ROW, ST_DONE, ST_FAILED, ST_PRIMED };

struct dal_bstmt {
	struct dal_bconn *conn;
	char name[32];
	enum st_state state;
	unsigned nparams;
	struct param *params;
	const char **values;   /* nparams entries each, passed to libpq */
	int *lengths, *formats;
	Oid *ptypes;           /* inferred parameter types */
	unsigned ncols;
	enum col_kind *kinds;
	int binary;            /* result format */
	char **names;          /* pointer array followed by the strings */
	PGresult *res;         /* current row's result (or the whole result) */
	int row, nrows;        /* position in res */
	unsigned long rowgen;  /* counts rows, for decoded[] */
	struct {
		unsigned long gen; /* rowgen whose text bytea was decoded in place */
		size_t len;        /* its decoded length */
	} *decoded;
	int64_t affected;
	dal_error perr;        /* ST_PRIMED: the error its execution got */
	char *copy;            /* a plain INSERT's batches: "COPY t (cols) FROM
	                          STDIN" (copy.c), else NULL */
	char *copy_table;      /* its table, as the SQL names it */
	int copy_ok;           /* the table takes COPY: 1 yes, -1 no, 0 not asked */
};

/* errors.c */
void pgb_one_line(char *dst, size_t size, const char *msg);
/* Before sending a request: DAL_OK if the connection is still usable, else
 * DAL_ECONNECT (nothing sent). Reads what the server sent while the
 * connection was idle: an ended session is found here, not after sending. */
int pgb_alive(struct dal_bconn *c, dal_error *err, const char *what);
/* libpq refused to send a request (PQsend*, PQexec returning NULL,
 * PQenterPipelineMode): DAL_ECONNECT when the connection is gone, DAL_ENOMEM
 * when libpq ran out of memory; nothing was sent either way. */
int pgb_not_sent(struct dal_bconn *c, dal_error *err, const char *what);
/* The connection was lost after the request was sent (res: the result
 * that says so, or NULL): DAL_EOUTCOME if the request may have changed
 * something (may_apply), else DAL_ECONNECT. */
int pgb_lost(struct dal_bconn *c, const PGresult *res, int may_apply, dal_error *err,
             const char *what);
/* Expected a result after sending and got none (a NULL PGresult): lost, or
 * out of memory inside libpq when the connection is still fine. */
int pgb_no_result(struct dal_bconn *c, int may_apply, dal_error *err, const char *what);
/* Report the error carried by the failed result res of a request that was
 * sent (may_apply as for pgb_lost()). */
int pgb_report_result(dal_error *err, struct dal_bconn *c, const PGresult *res,
                      int may_apply, const char *what);
int pgb_busy(dal_error *err, const char *what);
int pgb_oom(dal_error *err, const char *what);
int pgb_connect_category(const char *msg, const char **state);
/* libpq's notice receiver (PQsetNoticeReceiver, arg: the connection):
 * server notices go to the log sink, never to stderr. */
void pgb_notice(void *arg, const PGresult *res);

/* connect.c */
/* The backend's options, parsed by connect() and published by the
 * registration; indexed by the enum. */
enum {
	PGB_O_BUFFERED,
	PGB_O_TLS_MODE,    /* the names every backend with DAL_CAP_TLS shares */
	PGB_O_TLS_CA,
	PGB_O_TLS_CERT,
	PGB_O_TLS_KEY,
	PGB_O_SSLMODE,     /* libpq's names for the same, still accepted */
	PGB_O_SSLROOTCERT,
	PGB_O_SSLCERT,
	PGB_O_SSLKEY,
	PGB_O_SSLCRL,
	PGB_O_APPLICATION_NAME,
	PGB_O_TARGET_SESSION_ATTRS,
	PGB_O_OPTIONS,
	PGB_O__COUNT
};
extern const struct dal_option_spec pgb_option_specs[PGB_O__COUNT];
/* The dialect's SQL facts (dialect.c). */
extern const struct dal_sql_facts pgb_sql_facts;
/* slots */
int pgb_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                dal_bconn **out, dal_error *err);
void pgb_disconnect(dal_bconn *c);
int pgb_ping(dal_bconn *c, dal_error *err);
int pgb_exec(dal_bconn *c, const char *sql, int64_t *affected,
             dal_error *err);
int pgb_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err);
int pgb_begin(dal_bconn *c, dal_error *err);
int pgb_commit(dal_bconn *c, dal_error *err);
int pgb_rollback(dal_bconn *c, dal_error *err);
const char *pgb_server_kind(dal_bconn *c);
const char *pgb_server_version(dal_bconn *c);
int pgb_cancel(dal_bconn *c, dal_error *err);
const char *pgb_tls_info(dal_bconn *c);
const char *pgb_server_address(dal_bconn *c, unsigned *port);
int pgb_node_status(dal_bconn *c, unsigned want, struct dal_node_status *out, dal_error *err);

/* stmt.c */
int64_t pgb_affected_of(const PGresult *r);
/* slots */
int pgb_prepare(dal_bconn *c, const char *sql, size_t len,
                unsigned nparams, dal_bstmt **out, dal_error *err);
int pgb_step(dal_bstmt *s, dal_error *err);
int pgb_reset(dal_bstmt *s, dal_error *err);
void pgb_finalize(dal_bstmt *s);
int64_t pgb_rows_affected(dal_bstmt *s);

/* batch.c: slot */
int pgb_execute_batch(dal_bstmt *s, struct dal_batch *b, dal_error *err);

/* copy.c */
/* For a plain "INSERT INTO t (cols) VALUES ($1, ..., $n)" the COPY command
 * its batches can use (malloc'ed; *table gets t, malloc'ed), else NULL. */
char *pgb_copy_sql(const char *sql, size_t len, unsigned nparams, char **table);
/* Run batch b of s (s->copy set) as one COPY: DAL_OK or an error (failed
 * row set when the server names it), or 1 when the rows cannot go by COPY
 * (nothing sent: use the pipeline). vals: npos values of scratch. */
int pgb_copy_batch(struct dal_bstmt *s, struct dal_batch *b, dal_value *vals, dal_error *err);

/* pipeline.c: slot */
int pgb_execute_pipelined(dal_bstmt *const *v, size_t n, dal_error *err);

/* bind.c: slot */
int pgb_bind(dal_bstmt *s, unsigned pos, const dal_value *v,
             dal_error *err);

/* decode.c */
/* The kind a column of type t is decoded as; clears *binary_ok for a type
 * whose binary form is not read here (the statement then goes text). */
enum col_kind pgb_kind_of(Oid t, int *binary_ok);
/* Copy the column names of describe result d into s->names; -1 when out of
 * memory. */
int pgb_copy_names(struct dal_bstmt *s, const PGresult *d);
/* slots */
unsigned pgb_column_count(dal_bstmt *s);
const char *pgb_column_name(dal_bstmt *s, unsigned col);
void pgb_column_value(dal_bstmt *s, unsigned col, dal_value *out);

#endif
