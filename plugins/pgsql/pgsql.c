/*
 * backend_pgsql: the libdal plugin for PostgreSQL, over libpq.
 *
 * Owns the translation between the plugin contract (include/dal/plugin.h)
 * and libpq: connecting with PQconnectdbParams (several hosts and
 * target_session_attrs passed through to libpq), named prepared statements,
 * parameter and result encoding, streaming (single-row or chunked mode),
 * error mapping to dal_code + SQLSTATE, and transactions. It does not parse
 * configuration and does not rewrite placeholders (the core hands us $1,
 * $2, ...).
 *
 * Encoding choices:
 *  - Parameter types are left to the server (0): it infers each one from
 *    the SQL, so `WHERE id = $1` works with an int64 on an int4 column, a
 *    text on a varchar column, and so on, exactly as a literal would. The
 *    inferred types come back at prepare, and a value travels binary when
 *    its binary form means exactly what its text would: int64 into int8
 *    (and into int4/int2 when it fits), double into float8 (and into float4
 *    when the float holds it exactly), bool into bool, int64 into float8
 *    when the double holds it exactly, and blobs. That saves printing
 *    numbers on every execution. Anything else travels as text so that the
 *    server converts it, or refuses it (an int64 too large for an int4
 *    column), just as it would a literal. Booleans bound to non-bool
 *    parameters are sent as t/f or 1/0 depending on the inferred type.
 *  - Results come binary when every column has a type whose binary form is
 *    trivial (integers, floats, bool, bytea, text-like): no parsing, and
 *    bytea without hex decoding. A statement returning anything else
 *    (numeric, dates, arrays, ...) gets text results, parsed on demand:
 *    libpq asks for one format for all columns of a result. The column
 *    types are known at prepare: the statement is prepared and described
 *    in one round trip (pipeline mode).
 *
 * Results are streamed by default (single-row mode, or chunks of CHUNK_ROWS
 * rows where libpq has chunked mode): memory stays flat on any result size.
 * While one statement's result is unfinished, libpq accepts no other command
 * on the connection, so every other use is refused with DAL_EMISUSE until
 * the result is read to the end or the statement is reset. The option
 * `buffered = on` reads each result whole instead.
 *
 * Fetch path: column_value() hands out pointers into the PGresult of the
 * current row; nothing is allocated by this file per row (libpq allocates
 * one PGresult per row in single-row mode, per chunk in chunked mode), nor
 * per execution: parameters are encoded into buffers of the statement.
 *
 * Threading: the core never uses one connection from two threads at once;
 * there is no global state.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>
#if __has_include(<pg_config.h>)
#include <pg_config.h> /* PG_MAJORVERSION of the libpq headers */
#endif
#ifndef PG_MAJORVERSION
#define PG_MAJORVERSION "?"
#endif

#include <dal/dal.h>
#include <dal/plugin.h>

#define DEFAULT_PORT 5432
#define DEFAULT_CONNECT_TIMEOUT 10 /* seconds, when the config gives none */
#define DEFAULT_APPLICATION_NAME "libdal"

/* Deallocations of finalized statements are batched: sent together once
 * this many are pending (server-side statements die with the session). */
#define ZOMBIE_BATCH 32

/* Rows per streamed result in libpq's chunked mode (libpq 17 and later):
 * few enough that memory stays small with large rows, enough that libpq's
 * cost per result is spread thin. */
#define CHUNK_ROWS 64

#define KNOWN_OPTIONS \
	"buffered, sslmode, sslrootcert, sslcert, sslkey, sslcrl, application_name, " \
	"target_session_attrs, options"

#define BUSY_MESSAGE \
	"connection busy with an unfinished result; finish or reset the previous " \
	"statement (or set the postgresql option buffered = on)"

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
	char where[300];          /* "host:port" reached, for messages */
	int buffered;
	struct dal_bstmt *active; /* statement whose result is still arriving */
	unsigned long counter;    /* for statement names */
	char **zombies;           /* names of finalized statements */
	size_t n_zombies, cap_zombies;
	locale_t c_locale;        /* for locale-independent number text */
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

enum st_state { ST_READY, ST_ROW, ST_DONE, ST_FAILED };

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
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* Copy a libpq message (multi-line, newline-terminated) as one line. */
static void one_line(char *dst, size_t size, const char *msg)
{
	size_t n = 0;

	if (!msg)
		msg = "";
	for (; *msg && n + 1 < size; msg++) {
		if (*msg == '\n') {
			if (!msg[1])
				break;
			if (n + 2 < size) {
				dst[n++] = ';';
				dst[n++] = ' ';
			}
			continue;
		}
		dst[n++] = *msg;
	}
	dst[n] = '\0';
}

static int connection_lost(struct dal_bconn *c, dal_error *err, const char *what)
{
	char msg[400];

	one_line(msg, sizeof msg, PQerrorMessage(c->pg));
	return dal_error_set(err, DAL_ECONNECT, "08006", 0,
	                     "%s: postgresql server %s: %s", what, c->where,
	                     *msg ? msg : "connection lost");
}

/* Report the error carried by res (or, without one, the connection's). */
static int report_result(dal_error *err, struct dal_bconn *c,
                         const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	int code;

	if (!state || PQstatus(c->pg) == CONNECTION_BAD) {
		if (PQstatus(c->pg) == CONNECTION_BAD || !primary)
			return connection_lost(c, err, what);
		state = "XX000";
	}
	code = dal_sqlstate_category(state);
	return dal_error_set(err, code, state, 0, "%s: %s%s%s%s%s%s", what,
	                     primary ? primary : "error",
	                     pos ? " at character " : "", pos ? pos : "",
	                     detail ? " (" : "", detail ? detail : "",
	                     detail ? ")" : "");
}

static int busy(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_EMISUSE, "HY010", 0, "%s: " BUSY_MESSAGE, what);
}

static int oom(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_ENOMEM, "53200", 0, "%s: out of memory", what);
}

/* ------------------------------------------------------------------------ */
/* The open-result rule                                                      */
/* ------------------------------------------------------------------------ */

/* Read and drop every result still due for the command in flight, so that
 * the connection takes commands again. */
static void drain(struct dal_bconn *c)
{
	PGresult *r;

	while ((r = PQgetResult(c->pg)))
		PQclear(r);
	c->active = NULL;
}

/*
 * Send the pending DEALLOCATEs, only outside a transaction: inside one, a
 * failure (say the application ran DISCARD ALL) would abort the
 * application's transaction.
 */
static void flush_zombies(struct dal_bconn *c, size_t threshold)
{
	char *sql, *p;
	size_t size = 1;
	PGresult *r;

	if (c->n_zombies < threshold || c->active ||
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return;
	for (size_t i = 0; i < c->n_zombies; i++)
		size += strlen(c->zombies[i]) + 13;
	if (!(p = sql = malloc(size)))
		return;
	for (size_t i = 0; i < c->n_zombies; i++)
		p += sprintf(p, "DEALLOCATE %s;", c->zombies[i]);
	r = PQexec(c->pg, sql);
	free(sql);
	/* On failure the names are dropped too: retrying would fail the
	 * same way, and the session's end frees them in any case. */
	PQclear(r);
	for (size_t i = 0; i < c->n_zombies; i++)
		free(c->zombies[i]);
	c->n_zombies = 0;
}

/* Queue a statement name for deallocation. On out of memory the server-side
 * statement simply lives until the session ends. */
static void add_zombie(struct dal_bconn *c, const char *name)
{
	char *copy;

	if (c->n_zombies == c->cap_zombies) {
		size_t cap = c->cap_zombies ? 2 * c->cap_zombies : ZOMBIE_BATCH;
		char **z = realloc(c->zombies, cap * sizeof *z);

		if (!z)
			return;
		c->zombies = z;
		c->cap_zombies = cap;
	}
	if ((copy = strdup(name)))
		c->zombies[c->n_zombies++] = copy;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

/* libpq keywords passed through from options of the same name. */
static const char *const passthrough[] = {
	"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl",
	"application_name", "target_session_attrs", "options", NULL,
};
#define N_PASS 8

static const char *origin_of(const dal_option *opt)
{
	return opt->origin ? opt->origin : "option";
}

/*
 * Check one passthrough value against what libpq accepts, so that a typo is
 * reported as a configuration error naming the key and where it came from,
 * not as a connection failure.
 */
static int check_choice(const dal_option *opt, dal_error *err)
{
	static const char *const sslmodes[] = {
		"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL,
	};
	static const char *const tsa[] = {
		"any", "read-write", "read-only", "primary", "standby", "prefer-standby", NULL,
	};
	const char *const *list;
	const char *choices;

	if (strcmp(opt->key, "sslmode") == 0) {
		list = sslmodes;
		choices = "disable, allow, prefer, require, verify-ca, verify-full";
	} else if (strcmp(opt->key, "target_session_attrs") == 0) {
		list = tsa;
		choices = "any, read-write, read-only, primary, standby, prefer-standby";
	} else {
		return DAL_OK;
	}
	for (int i = 0; list[i]; i++)
		if (strcmp(opt->value, list[i]) == 0)
			return DAL_OK;
	return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
	                     "%s: postgresql option %s = '%s' is not one of %s",
	                     origin_of(opt), opt->key, opt->value, choices);
}

/* Classify a failed connection by libpq's message: there is no SQLSTATE
 * for it in libpq 15's API. */
static int connect_category(const char *msg, const char **state)
{
	if (strstr(msg, "password authentication failed") ||
	    strstr(msg, "authentication failed") ||
	    strstr(msg, "no password supplied") ||
	    strstr(msg, "password is too long")) {
		*state = "28P01";
		return DAL_EAUTH;
	}
	if (strstr(msg, "pg_hba.conf rejects") ||
	    (strstr(msg, "role \"") && strstr(msg, "does not exist"))) {
		*state = "28000";
		return DAL_EAUTH;
	}
	if (strstr(msg, "database \"") && strstr(msg, "does not exist")) {
		*state = "3D000";
		return DAL_ENOTFOUND;
	}
	if (strstr(msg, "too many clients") || strstr(msg, "too many connections")) {
		*state = "53300";
		return DAL_ECONNECT;
	}
	if (strstr(msg, "is starting up") || strstr(msg, "is shutting down") ||
	    strstr(msg, "in recovery mode")) {
		*state = "57P03";
		return DAL_ECONNECT;
	}
	*state = "08001";
	return DAL_ECONNECT;
}

static void conn_free(struct dal_bconn *c)
{
	for (size_t i = 0; i < c->n_zombies; i++)
		free(c->zombies[i]);
	free(c->zombies);
	if (c->pg)
		PQfinish(c->pg);
	if (c->c_locale)
		freelocale(c->c_locale);
	free(c);
}

/* Append "sep text" to buf[size]; 0 when it does not fit. */
static int append(char *buf, size_t size, const char *sep, const char *text)
{
	size_t len = strlen(buf);
	int n = snprintf(buf + len, size - len, "%s%s", len ? sep : "", text);

	return n >= 0 && (size_t)n < size - len;
}

/*
 * Split params->host ("h1:5433,h2,[::1]:5434") into libpq's parallel host
 * and port lists, each item's own port or else the common one, plus the
 * same as "h1:5433,h2:5432,..." for messages.
 */
static int host_lists(const struct dal_connect_params *p, char *hosts, size_t hsize,
                      char *ports, size_t psize, char *shown, size_t ssize, dal_error *err)
{
	const char *next = p->host && *p->host ? p->host : "localhost";
	unsigned common = p->port ? p->port : DEFAULT_PORT, port;
	char h[256], num[16], pair[300];
	int more;

	hosts[0] = ports[0] = shown[0] = '\0';
	while ((more = dal_host_next(&next, h, sizeof h, &port, err)) == 1) {
		snprintf(num, sizeof num, "%u", port ? port : common);
		snprintf(pair, sizeof pair, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, num);
		if (!append(hosts, hsize, ",", h) || !append(ports, psize, ",", num) ||
		    !append(shown, ssize, ",", pair))
			return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
			                     "repository '%s': postgresql host list is too long",
			                     p->repo_name ? p->repo_name : "?");
	}
	if (more < 0) {
		char why[DAL_ERROR_MESSAGE_SIZE];

		memcpy(why, err->message, sizeof why);
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0, "repository '%s': postgresql %s",
		                     p->repo_name ? p->repo_name : "?", why);
	}
	if (!hosts[0])
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "repository '%s': postgresql host list '%s' names no host",
		                     p->repo_name ? p->repo_name : "?", p->host);
	return DAL_OK;
}

static int be_connect(const struct dal_connect_params *p, dal_bconn **out,
                      dal_error *err)
{
	const char *keys[32], *vals[32];
	char timeout[16], idle[16], interval[16], user_timeout[16];
	/* libpq takes parallel host and port lists; shown as host:port pairs. */
	char host[1024], port[256], shown[1280];
	const char *repo = p->repo_name ? p->repo_name : "?";
	const char *app = DEFAULT_APPLICATION_NAME;
	struct dal_bconn *c;
	int n = 0, buffered = 0, rc;

	for (size_t i = 0; i < p->n_options; i++) {
		const dal_option *opt = &p->options[i];
		int k;

		if (dal_params_option(p, opt->key) != opt)
			continue; /* first occurrence wins */
		if (strcmp(opt->key, "buffered") == 0) {
			if ((rc = dal_option_bool(opt, &buffered, err)))
				return rc;
			continue;
		}
		for (k = 0; passthrough[k]; k++)
			if (strcmp(opt->key, passthrough[k]) == 0)
				break;
		if (!passthrough[k])
			return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
			                     "%s: unknown postgresql option '%s' (known: "
			                     KNOWN_OPTIONS ")", origin_of(opt), opt->key);
		if ((rc = check_choice(opt, err)))
			return rc;
		if (strcmp(opt->key, "application_name") == 0) {
			app = opt->value;
			continue;
		}
		keys[n] = opt->key;
		vals[n++] = opt->value;
	}

	if ((rc = host_lists(p, host, sizeof host, port, sizeof port, shown, sizeof shown, err)))
		return rc;
	snprintf(timeout, sizeof timeout, "%u",
	         p->connect_timeout ? p->connect_timeout : DEFAULT_CONNECT_TIMEOUT);
	keys[n] = "host", vals[n++] = host;
	keys[n] = "port", vals[n++] = port;
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	keys[n] = "application_name", vals[n++] = app;
	/* libpq has no read or write timeout. What they are for, noticing a
	 * dead server or network instead of hanging, is done by TCP: keepalive
	 * probes while waiting for an answer, and TCP_USER_TIMEOUT for data
	 * that is never acknowledged. A slow query on a live server is not cut
	 * off (that is statement_timeout, settable with options). */
	if (p->read_timeout || p->write_timeout) {
		unsigned t = p->read_timeout > p->write_timeout ? p->read_timeout
		                                                : p->write_timeout;
		unsigned probe = t / 3 ? t / 3 : 1;

		snprintf(idle, sizeof idle, "%u", probe);
		snprintf(interval, sizeof interval, "%u", probe);
		snprintf(user_timeout, sizeof user_timeout, "%u", t * 1000u);
		keys[n] = "keepalives", vals[n++] = "1";
		keys[n] = "keepalives_idle", vals[n++] = idle;
		keys[n] = "keepalives_interval", vals[n++] = interval;
		keys[n] = "keepalives_count", vals[n++] = "2";
		keys[n] = "tcp_user_timeout", vals[n++] = user_timeout;
	}
	if (p->dbname)
		keys[n] = "dbname", vals[n++] = p->dbname;
	if (p->user)
		keys[n] = "user", vals[n++] = p->user;
	if (p->password)
		keys[n] = "password", vals[n++] = p->password;
	keys[n] = NULL, vals[n] = NULL;

	if (!(c = calloc(1, sizeof *c)))
		return oom(err, "postgresql connect");
	c->buffered = buffered;
	if (!(c->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0))) {
		free(c);
		return oom(err, "postgresql connect");
	}
	/* expand_dbname = 0: a database name is only ever a name, never a
	 * connection string smuggled in through the configuration. */
	c->pg = PQconnectdbParams(keys, vals, 0);
	if (!c->pg) {
		conn_free(c);
		return oom(err, "postgresql connect");
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		char msg[400];
		const char *state;
		int code;

		one_line(msg, sizeof msg, PQerrorMessage(c->pg));
		code = connect_category(msg, &state);
		rc = dal_error_set(err, code, state, 0,
		                   "repository '%s': cannot connect to postgresql server "
		                   "%s as user '%s'%s%s%s: %s", repo, shown,
		                   p->user ? p->user : "", p->dbname ? " (database '" : "",
		                   p->dbname ? p->dbname : "", p->dbname ? "')" : "", msg);
		conn_free(c);
		return rc;
	}
	/* The host that answered, when several were given. */
	snprintf(c->where, sizeof c->where, "%s:%s", PQhost(c->pg), PQport(c->pg));
	*out = c;
	return DAL_OK;
}

static void be_disconnect(dal_bconn *c)
{
	if (c)
		conn_free(c); /* the session's end frees its prepared statements */
}

/* Run one command that returns no rows. */
static int simple(struct dal_bconn *c, const char *sql, const char *what,
                  PGresult **keep, dal_error *err)
{
	PGresult *r;
	int rc = DAL_OK;

	if (c->active)
		return busy(err, what);
	r = PQexec(c->pg, sql);
	if (!r)
		return connection_lost(c, err, what);
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	default:
		rc = report_result(err, c, r, what);
	}
	if (keep && rc == DAL_OK)
		*keep = r;
	else
		PQclear(r);
	return rc;
}

/* An empty query is the cheapest round trip the protocol has. */
static int be_ping(dal_bconn *c, dal_error *err)
{
	return simple(c, "", "ping", NULL, err);
}

/* Rows changed by a finished command, per its command tag: SELECT (and
 * other row-returning commands that change nothing) count 0. */
static int64_t affected_of(const PGresult *r)
{
	const char *tag = PQcmdStatus((PGresult *)r), *n;
	int64_t v = 0;

	/* Run on every execution, hence no strncmp and strtoll. Of the tags
	 * that carry a count (INSERT, UPDATE, DELETE, MERGE, COPY, SELECT,
	 * FETCH, MOVE), those starting S, F or MO are the row-returning ones;
	 * other tags starting so carry none (SET, SHOW...). The count is all
	 * digits (PQcmdTuples checks). */
	if (!tag || tag[0] == 'S' || tag[0] == 'F' || (tag[0] == 'M' && tag[1] == 'O'))
		return 0;
	n = PQcmdTuples((PGresult *)r);
	for (; n && *n >= '0' && *n <= '9'; n++)
		v = v * 10 + (*n - '0');
	return v;
}

static int be_exec(dal_bconn *c, const char *sql, int64_t *affected,
                   dal_error *err)
{
	PGresult *r = NULL;
	int rc;

	/* PQexec runs several statements in one implicit transaction unless
	 * they hold their own BEGIN/COMMIT, and stops at the first error. */
	if ((rc = simple(c, sql, "exec", &r, err)))
		return rc;
	if (affected)
		*affected = affected_of(r);
	PQclear(r);
	return DAL_OK;
}

/*
 * lastval(): the value most recently returned by nextval() in this session,
 * in any sequence (so also one bumped by a trigger). It fails (55000) when
 * no sequence was used yet; inside a transaction that failure would abort
 * the application's transaction, so it runs under a savepoint there.
 */
static int be_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err)
{
	static const char what[] = "last_insert_id";
	PGTransactionStatusType ts;
	PGresult *r, *val = NULL;
	int rc = DAL_OK, in_txn;

	if (c->active)
		return busy(err, what);
	ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INERROR)
		return dal_error_set(err, DAL_EMISUSE, "25P02", 0,
		                     "%s: the current transaction is aborted by an earlier "
		                     "error; roll it back first", what);
	in_txn = ts == PQTRANS_INTRANS;
	if (!PQsendQuery(c->pg, in_txn ? "SAVEPOINT dal_lastval; SELECT lastval(); "
	                                 "RELEASE SAVEPOINT dal_lastval"
	                               : "SELECT lastval()"))
		return connection_lost(c, err, what);
	while ((r = PQgetResult(c->pg))) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_TUPLES_OK && !val && rc == DAL_OK) {
			val = r;
			continue;
		}
		if (st == PGRES_FATAL_ERROR && rc == DAL_OK) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

			if (state && strcmp(state, "55000") == 0)
				rc = dal_error_set(err, DAL_EMISUSE, "55000", 0,
				                   "%s: no sequence value was generated in this "
				                   "session yet (PostgreSQL's last insert id is "
				                   "lastval(); prefer INSERT ... RETURNING id)",
				                   what);
			else
				rc = report_result(err, c, r, what);
		}
		PQclear(r);
	}
	if (rc != DAL_OK && in_txn) {
		PGresult *rb = PQexec(c->pg, "ROLLBACK TO SAVEPOINT dal_lastval; "
		                             "RELEASE SAVEPOINT dal_lastval");
		PQclear(rb);
	}
	if (rc == DAL_OK) {
		if (!val || PQntuples(val) != 1 || PQgetisnull(val, 0, 0))
			rc = dal_error_set(err, DAL_EBACKEND, "XX000", 0,
			                   "%s: lastval() returned no value", what);
		else
			*out = (int64_t)strtoll(PQgetvalue(val, 0, 0), NULL, 10);
	}
	PQclear(val);
	return rc;
}

static int be_begin(dal_bconn *c, dal_error *err)
{
	return simple(c, "BEGIN", "BEGIN", NULL, err);
}

static int be_commit(dal_bconn *c, dal_error *err)
{
	PGresult *r = NULL;
	int rc = simple(c, "COMMIT", "COMMIT", &r, err);

	if (rc)
		return rc;
	/* COMMIT of a transaction aborted by an earlier error succeeds as a
	 * ROLLBACK; that must not look like a commit. */
	if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
		rc = dal_error_set(err, DAL_EMISUSE, "25P02", 0,
		                   "COMMIT: the transaction was aborted by an earlier "
		                   "error and has been rolled back; nothing was committed");
	PQclear(r);
	return rc;
}

static int be_rollback(dal_bconn *c, dal_error *err)
{
	return simple(c, "ROLLBACK", "ROLLBACK", NULL, err);
}

static const char *be_server_kind(dal_bconn *c)
{
	(void)c;
	return "postgresql";
}

static const char *be_server_version(dal_bconn *c)
{
	return PQparameterStatus(c->pg, "server_version");
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

static enum col_kind kind_of(Oid t, int *binary_ok)
{
	switch (t) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
		return K_INT;
	case OID_OID:
		return K_OID;
	case OID_FLOAT4:
		return K_FLOAT4;
	case OID_FLOAT8:
		return K_FLOAT8;
	case OID_BOOL:
		return K_BOOL;
	case OID_BYTEA:
		return K_BYTEA;
	case OID_CHAR:
	case OID_NAME:
	case OID_TEXT:
	case OID_JSON:
	case OID_XML:
	case OID_UNKNOWN:
	case OID_BPCHAR:
	case OID_VARCHAR:
		/* Binary form is the text itself. */
		return K_TEXT;
	default:
		/* numeric, dates, uuid, jsonb, arrays, ...: their text form is
		 * what applications expect, so the statement goes text. */
		*binary_ok = 0;
		return K_TEXT;
	}
}

static void stmt_free(struct dal_bstmt *s)
{
	for (unsigned i = 0; s->params && i < s->nparams; i++)
		free(s->params[i].data);
	free(s->params);
	free(s->values);
	free(s->lengths);
	free(s->formats);
	free(s->ptypes);
	free(s->kinds);
	free(s->names);
	free(s->decoded);
	PQclear(s->res);
	free(s);
}

static int copy_names(struct dal_bstmt *s, const PGresult *d)
{
	size_t size = s->ncols * sizeof(char *);
	char *p;

	for (unsigned i = 0; i < s->ncols; i++)
		size += strlen(PQfname(d, (int)i)) + 1;
	if (!(s->names = malloc(size)))
		return -1;
	p = (char *)(s->names + s->ncols);
	for (unsigned i = 0; i < s->ncols; i++) {
		size_t l = strlen(PQfname(d, (int)i)) + 1;

		memcpy(p, PQfname(d, (int)i), l);
		s->names[i] = p;
		p += l;
	}
	return 0;
}

/*
 * Prepare and describe in one round trip. Returns the describe result in
 * *desc, or an error (the prepare's, if it failed).
 */
static int prepare_describe(struct dal_bconn *c, const char *name,
                            const char *sql, PGresult **desc, dal_error *err)
{
	PGresult *got[2] = {NULL, NULL}, *r;
	int n = 0, nulls = 0, rc = DAL_OK, synced = 0;

	*desc = NULL;
	if (!PQenterPipelineMode(c->pg))
		return connection_lost(c, err, "prepare");
	if (!PQsendPrepare(c->pg, name, sql, 0, NULL) ||
	    !PQsendDescribePrepared(c->pg, name) || !PQpipelineSync(c->pg)) {
		rc = connection_lost(c, err, "prepare");
		goto out;
	}
	/* Results: prepare, NULL, describe, NULL, sync. */
	while (!synced) {
		if (!(r = PQgetResult(c->pg))) {
			if (++nulls > 2 || PQstatus(c->pg) == CONNECTION_BAD)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC)
			synced = 1;
		if (n < 2 && PQresultStatus(r) != PGRES_PIPELINE_SYNC)
			got[n++] = r;
		else
			PQclear(r);
	}
	if (!synced && rc == DAL_OK)
		rc = connection_lost(c, err, "prepare");
	else if (!got[0] || PQresultStatus(got[0]) != PGRES_COMMAND_OK)
		rc = report_result(err, c, got[0], "prepare");
	else if (!got[1] || PQresultStatus(got[1]) != PGRES_COMMAND_OK)
		rc = report_result(err, c, got[1], "prepare (describe)");
out:
	PQexitPipelineMode(c->pg);
	PQclear(got[0]);
	if (rc == DAL_OK)
		*desc = got[1];
	else
		PQclear(got[1]);
	return rc;
}

static int be_prepare(dal_bconn *c, const char *sql, size_t len,
                      unsigned nparams, dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s;
	PGresult *d = NULL;
	char *text;
	int rc, binary_ok = 1;

	if (c->active)
		return busy(err, "prepare");
	if (memchr(sql, '\0', len))
		return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                     "prepare: the SQL contains a NUL byte");
	flush_zombies(c, ZOMBIE_BATCH);
	if (!(s = calloc(1, sizeof *s)))
		return oom(err, "prepare");
	s->conn = c;
	snprintf(s->name, sizeof s->name, "dal_%lu", ++c->counter);
	if (!(text = strndup(sql, len))) {
		free(s);
		return oom(err, "prepare");
	}
	rc = prepare_describe(c, s->name, text, &d, err);
	free(text);
	if (rc) {
		free(s);
		return rc;
	}
	if ((unsigned)PQnparams(d) != nparams) {
		rc = dal_error_set(err, DAL_EMISUSE, "07001", 0,
		                   "prepare: the server sees %d parameter(s) where %u were "
		                   "expected", PQnparams(d), nparams);
		goto fail_server;
	}
	s->nparams = nparams;
	if (nparams) {
		s->params = calloc(nparams, sizeof *s->params);
		s->values = calloc(nparams, sizeof *s->values);
		s->lengths = calloc(nparams, sizeof *s->lengths);
		s->formats = calloc(nparams, sizeof *s->formats);
		s->ptypes = calloc(nparams, sizeof *s->ptypes);
		if (!s->params || !s->values || !s->lengths || !s->formats || !s->ptypes) {
			rc = oom(err, "prepare");
			goto fail_server;
		}
		/* Unbound parameters are NULL (value NULL), as elsewhere. */
		for (unsigned i = 0; i < nparams; i++)
			s->ptypes[i] = PQparamtype(d, (int)i);
	}
	s->ncols = (unsigned)PQnfields(d);
	if (s->ncols) {
		s->kinds = calloc(s->ncols, sizeof *s->kinds);
		s->decoded = calloc(s->ncols, sizeof *s->decoded);
		if (!s->kinds || !s->decoded || copy_names(s, d)) {
			rc = oom(err, "prepare");
			goto fail_server;
		}
		for (unsigned i = 0; i < s->ncols; i++)
			s->kinds[i] = kind_of(PQftype(d, (int)i), &binary_ok);
	}
	s->binary = binary_ok;
	PQclear(d);
	s->state = ST_READY;
	*out = s;
	return DAL_OK;
fail_server:
	/* The statement exists on the server: have it deallocated. */
	add_zombie(c, s->name);
	PQclear(d);
	stmt_free(s);
	return rc;
}

/* Make room for len bytes in the parameter's own buffer. */
static int param_reserve(struct param *pm, size_t len)
{
	if (len > pm->cap || !pm->data) {
		size_t cap = len < 64 ? 64 : len;
		char *d = realloc(pm->data, cap);

		if (!d)
			return -1;
		pm->data = d;
		pm->cap = cap;
	}
	return 0;
}

/* Network byte order, as the binary wire format wants it. */
static void put_be(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--, v >>= 8)
		p[i] = (char)(v & 0xff);
}

/* Point the parameter at the first width bytes of its num[], binary. */
static void param_binary(struct param *pm, uint64_t bits, int width)
{
	put_be(pm->num, bits, width);
	pm->value = pm->num;
	pm->length = width;
	pm->format = 1;
}

/*
 * Binary forms of an int64 for the parameter type the server inferred, when
 * they say exactly what the text would. Returns 0 when the value must go as
 * text: other types, and values out of the type's range, whose error (or
 * conversion) is left to the server as for a literal.
 */
static int int64_binary(struct param *pm, Oid type, int64_t i)
{
	double d;
	uint64_t bits;

	switch (type) {
	case OID_INT8:
		param_binary(pm, (uint64_t)i, 8);
		return 1;
	case OID_INT4:
		if (i < INT32_MIN || i > INT32_MAX)
			return 0;
		param_binary(pm, (uint32_t)(int32_t)i, 4);
		return 1;
	case OID_INT2:
		if (i < INT16_MIN || i > INT16_MAX)
			return 0;
		param_binary(pm, (uint16_t)(int16_t)i, 2);
		return 1;
	case OID_FLOAT8:
		/* Beyond 2^53 the text goes through the server's own rounding. */
		if (i < -(INT64_C(1) << 53) || i > INT64_C(1) << 53)
			return 0;
		d = (double)i;
		memcpy(&bits, &d, sizeof bits);
		param_binary(pm, bits, 8);
		return 1;
	default:
		return 0;
	}
}

/* The same for a double. float4 only takes values a float holds exactly:
 * the server would round the text itself, or refuse it as out of range. */
static int double_binary(struct param *pm, Oid type, double d)
{
	uint64_t bits;
	uint32_t fbits;
	float f;

	switch (type) {
	case OID_FLOAT8:
		memcpy(&bits, &d, sizeof bits);
		param_binary(pm, bits, 8);
		return 1;
	case OID_FLOAT4:
		if (isfinite(d) && (d > FLT_MAX || d < -FLT_MAX))
			return 0;
		f = (float)d;
		if (isfinite(d) && (double)f != d)
			return 0;
		memcpy(&fbits, &f, sizeof fbits);
		param_binary(pm, fbits, 4);
		return 1;
	default:
		return 0;
	}
}

static int is_int_type(Oid t)
{
	return t == OID_INT2 || t == OID_INT4 || t == OID_INT8 || t == OID_NUMERIC ||
	       t == OID_OID;
}

static int be_bind(dal_bstmt *s, unsigned pos, const dal_value *v,
                   dal_error *err)
{
	struct dal_bconn *c = s->conn;
	struct param *pm;
	locale_t old;
	size_t len;

	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, "07009", 0,
		                     "bind: parameter %u is out of range (the statement "
		                     "has %u)", pos, s->nparams);
	if (s->state == ST_ROW)
		return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
		                     "bind: parameter %u: the statement has unread rows; "
		                     "reset it first", pos);
	pm = &s->params[pos - 1];
	pm->format = 0;
	pm->length = 0;
	switch (v->type) {
	case DAL_TYPE_NULL:
		pm->value = NULL;
		break;
	case DAL_TYPE_INT64:
		if (int64_binary(pm, s->ptypes[pos - 1], v->u.i))
			break;
		snprintf(pm->num, sizeof pm->num, "%" PRId64, v->u.i);
		pm->value = pm->num;
		break;
	case DAL_TYPE_BOOL:
		if (s->ptypes[pos - 1] == OID_BOOL) {
			param_binary(pm, v->u.i != 0, 1);
			break;
		}
		/* "1"/"0" are valid input for bool too, but "t"/"f" also suit
		 * text and unknown parameters; integers need digits. */
		if (is_int_type(s->ptypes[pos - 1]))
			strcpy(pm->num, v->u.i ? "1" : "0");
		else
			strcpy(pm->num, v->u.i ? "t" : "f");
		pm->value = pm->num;
		break;
	case DAL_TYPE_DOUBLE:
		if (double_binary(pm, s->ptypes[pos - 1], v->u.d))
			break;
		if (isnan(v->u.d))
			strcpy(pm->num, "NaN");
		else if (isinf(v->u.d))
			strcpy(pm->num, v->u.d > 0 ? "Infinity" : "-Infinity");
		else {
			/* %.17g round-trips every double; the C locale keeps the
			 * decimal point a point whatever the application set. */
			old = uselocale(c->c_locale);
			snprintf(pm->num, sizeof pm->num, "%.17g", v->u.d);
			uselocale(old);
		}
		pm->value = pm->num;
		break;
	case DAL_TYPE_TEXT:
		len = v->u.b.len;
		if (len && memchr(v->u.b.ptr, '\0', len))
			return dal_error_set(err, DAL_EDATA, "22021", 0,
			                     "bind: parameter %u: text contains a NUL byte, "
			                     "which PostgreSQL text cannot hold (bind it as a "
			                     "blob)", pos);
		if (len >= INT_MAX || param_reserve(pm, len + 1))
			return oom(err, "bind");
		if (len)
			memcpy(pm->data, v->u.b.ptr, len);
		pm->data[len] = '\0';
		pm->value = pm->data;
		pm->length = (int)len;
		break;
	case DAL_TYPE_BLOB:
		len = v->u.b.len;
		if (len > INT_MAX)
			return dal_error_set(err, DAL_EDATA, "54000", 0,
			                     "bind: parameter %u: a blob of %zu bytes is larger "
			                     "than libpq can send", pos, len);
		if (param_reserve(pm, len))
			return oom(err, "bind");
		if (len)
			memcpy(pm->data, v->u.b.ptr, len);
		pm->value = pm->data; /* never NULL: an empty blob is not NULL */
		pm->length = (int)len;
		pm->format = 1;
		break;
	default:
		return dal_error_set(err, DAL_EMISUSE, "HY004", 0,
		                     "bind: parameter %u has unknown type %d", pos,
		                     (int)v->type);
	}
	s->values[pos - 1] = pm->value;
	s->lengths[pos - 1] = pm->length;
	s->formats[pos - 1] = pm->format;
	if (s->state != ST_READY)
		s->state = ST_READY;
	return DAL_OK;
}

/* Forget the current row's result. */
static void drop_res(struct dal_bstmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
}

/*
 * Take the next result off the wire and act on it: a row, the end of the
 * rows, a command's completion, or an error. Streaming only (and the first
 * result of a buffered execution).
 */
static int next_result(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	PGresult *r;
	int rc;

	drop_res(s);
	if (!(r = PQgetResult(c->pg))) {
		c->active = NULL;
		s->state = ST_DONE;
		return DAL_DONE;
	}
	switch (PQresultStatus(r)) {
	case PGRES_SINGLE_TUPLE:
		s->res = r;
		s->nrows = 1;
		s->rowgen++;
		s->state = ST_ROW;
		return DAL_ROW;
#ifdef LIBPQ_HAS_CHUNK_MODE
	case PGRES_TUPLES_CHUNK: /* never empty */
		s->res = r;
		s->nrows = PQntuples(r);
		s->rowgen++;
		s->state = ST_ROW;
		return DAL_ROW;
#endif
	case PGRES_TUPLES_OK:
		if (PQntuples(r) > 0) { /* buffered: the whole result */
			s->affected = affected_of(r);
			s->res = r;
			s->nrows = PQntuples(r);
			s->rowgen++;
			drain(c);
			s->state = ST_ROW;
			return DAL_ROW;
		}
		/* The end of a streamed result, or no rows. */
		__attribute__((fallthrough));
	case PGRES_COMMAND_OK:
	case PGRES_EMPTY_QUERY:
		s->affected = affected_of(r);
		PQclear(r);
		drain(c);
		s->state = ST_DONE;
		return DAL_DONE;
	default:
		rc = report_result(err, c, r, "step");
		PQclear(r);
		drain(c);
		s->state = ST_FAILED;
		return rc;
	}
}

/*
 * Have the result streamed. Single-row mode costs libpq a PGresult, with
 * its allocations and a copy of the column descriptions, per row; where
 * libpq has it, chunked mode spreads that over CHUNK_ROWS rows, and memory
 * stays bounded by one chunk instead of one row. (A chunk is handed over
 * when full, so rows the server produces slowly arrive in bursts.)
 */
static void stream_rows(PGconn *pg)
{
#ifdef LIBPQ_HAS_CHUNK_MODE
	if (PQsetChunkedRowsMode(pg, CHUNK_ROWS))
		return;
#endif
	PQsetSingleRowMode(pg);
}

static int execute(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;

	if (c->active)
		return busy(err, "step");
	drop_res(s);
	s->affected = 0;
	if (!PQsendQueryPrepared(c->pg, s->name, (int)s->nparams, s->values,
	                         s->lengths, s->formats, s->binary)) {
		s->state = ST_FAILED;
		return connection_lost(c, err, "step");
	}
	c->active = s;
	/* The mode must be chosen right after sending. Statements without
	 * result columns have nothing to stream. */
	if (!c->buffered && s->ncols)
		stream_rows(c->pg);
	return next_result(s, err);
}

static int be_step(dal_bstmt *s, dal_error *err)
{
	switch (s->state) {
	case ST_DONE:
		return DAL_DONE;
	case ST_FAILED:
		return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
		                     "step: the last execution failed; reset the statement "
		                     "before stepping again");
	case ST_READY:
		return execute(s, err);
	case ST_ROW:
		break;
	}
	/* Walk the rows held in res: a whole buffered result, one streamed
	 * row, or a streamed chunk. */
	if (++s->row < s->nrows) {
		s->rowgen++;
		return DAL_ROW;
	}
	if (s->conn->active == s)
		return next_result(s, err);
	drop_res(s);
	s->state = ST_DONE;
	return DAL_DONE;
}

static int be_reset(dal_bstmt *s, dal_error *err)
{
	(void)err;
	drop_res(s);
	/* Unread rows of a streamed result are read off the wire and
	 * dropped: the protocol has no cheaper way to skip them that keeps
	 * the connection. */
	if (s->conn->active == s)
		drain(s->conn);
	s->state = ST_READY;
	return DAL_OK;
}

static void be_finalize(dal_bstmt *s)
{
	struct dal_bconn *c;

	if (!s)
		return;
	c = s->conn;
	drop_res(s);
	if (c->active == s)
		drain(c);
	/* Deallocated later, in a batch (see flush_zombies). */
	add_zombie(c, s->name);
	stmt_free(s);
}

static unsigned be_column_count(dal_bstmt *s)
{
	return s->ncols;
}

static const char *be_column_name(dal_bstmt *s, unsigned col)
{
	return col < s->ncols ? s->names[col] : NULL;
}

static int64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Decode a text-format bytea in place (the decoded form is never longer):
 * hex ("\x0a0b") or the old escape format ("a\\b\001"). Returns the length.
 */
static size_t bytea_decode(char *p, size_t len)
{
	size_t i, o = 0;

	if (len >= 2 && p[0] == '\\' && p[1] == 'x') {
		for (i = 2; i + 1 < len; i += 2) {
			int hi = hexval((unsigned char)p[i]), lo = hexval((unsigned char)p[i + 1]);

			if (hi < 0 || lo < 0)
				break;
			p[o++] = (char)(hi << 4 | lo);
		}
		return o;
	}
	for (i = 0; i < len; i++) {
		if (p[i] != '\\') {
			p[o++] = p[i];
		} else if (i + 1 < len && p[i + 1] == '\\') {
			p[o++] = '\\';
			i++;
		} else if (i + 3 < len) {
			p[o++] = (char)((p[i + 1] - '0') << 6 | (p[i + 2] - '0') << 3 |
			                (p[i + 3] - '0'));
			i += 3;
		}
	}
	return o;
}

/* A column of a text-format result (a statement with a column whose binary
 * form this file does not read, see kind_of). */
static void text_value(struct dal_bstmt *s, unsigned col, unsigned char *v,
                       int len, dal_value *out)
{
	locale_t old;

	switch (s->kinds[col]) {
	case K_INT:
	case K_OID:
		out->type = DAL_TYPE_INT64;
		out->u.i = (int64_t)strtoll((const char *)v, NULL, 10);
		return;
	case K_FLOAT4:
	case K_FLOAT8:
		out->type = DAL_TYPE_DOUBLE;
		old = uselocale(s->conn->c_locale);
		out->u.d = s->kinds[col] == K_FLOAT4 ? (double)strtof((const char *)v, NULL)
		                                     : strtod((const char *)v, NULL);
		uselocale(old);
		return;
	case K_BOOL:
		out->type = DAL_TYPE_BOOL;
		out->u.i = v[0] == 't';
		return;
	case K_BYTEA:
		/* Decode once per row, in the result's own memory (rowgen
		 * starts at 1, so a zeroed entry never matches). */
		if (s->decoded[col].gen != s->rowgen) {
			s->decoded[col].len = bytea_decode((char *)v, (size_t)len);
			s->decoded[col].gen = s->rowgen;
		}
		out->type = DAL_TYPE_BLOB;
		out->u.b.ptr = v;
		out->u.b.len = s->decoded[col].len;
		return;
	case K_TEXT: /* the same in both formats: be_column_value() */
		return;
	}
}

/*
 * The fetch path's hot spot: a scan calls this for every column of every
 * row. Each libpq accessor re-checks its row and column numbers, so it is
 * called as little as possible, and the decoding depends only on kinds[],
 * fixed at prepare (a prepared statement's result columns cannot change).
 */
static void be_column_value(dal_bstmt *s, unsigned col, dal_value *out)
{
	const PGresult *res = s->res;
	int c = (int)col, row = s->row;
	int len = PQgetlength(res, row, c);
	const unsigned char *v;
	uint64_t u;
	uint32_t u32;
	float f;

	/* PQgetlength gives 0 for NULL: only an empty value needs the flag. */
	if (len == 0 && PQgetisnull(res, row, c)) {
		out->type = DAL_TYPE_NULL;
		return;
	}
	v = (const unsigned char *)PQgetvalue(res, row, c);
	if (s->kinds[col] == K_TEXT) {
		out->type = DAL_TYPE_TEXT;
		out->u.b.ptr = v;
		out->u.b.len = (size_t)len;
		return;
	}
	if (!s->binary) {
		text_value(s, col, (unsigned char *)v, len, out);
		return;
	}
	/* Binary widths are fixed by the type; a short value (which no server
	 * sends) reads as 0 rather than past its end. */
	switch (s->kinds[col]) {
	case K_INT:
		out->type = DAL_TYPE_INT64;
		if (len == 8)
			out->u.i = be64(v);
		else if (len == 4)
			out->u.i = (int32_t)be32(v);
		else if (len == 2)
			out->u.i = (int16_t)(v[0] << 8 | v[1]);
		else
			out->u.i = 0;
		return;
	case K_OID:
		out->type = DAL_TYPE_INT64;
		out->u.i = len == 4 ? (int64_t)be32(v) : 0;
		return;
	case K_FLOAT8:
		out->type = DAL_TYPE_DOUBLE;
		u = len == 8 ? (uint64_t)be64(v) : 0;
		memcpy(&out->u.d, &u, sizeof out->u.d);
		return;
	case K_FLOAT4:
		out->type = DAL_TYPE_DOUBLE;
		u32 = len == 4 ? be32(v) : 0;
		memcpy(&f, &u32, sizeof f);
		out->u.d = f;
		return;
	case K_BOOL:
		out->type = DAL_TYPE_BOOL;
		out->u.i = len > 0 && v[0] != 0;
		return;
	case K_BYTEA:
		out->type = DAL_TYPE_BLOB;
		out->u.b.ptr = v;
		out->u.b.len = (size_t)len;
		return;
	case K_TEXT: /* handled above */
		return;
	}
}

static int64_t be_rows_affected(dal_bstmt *s)
{
	return s->affected;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */
/* ------------------------------------------------------------------------ */

static const char *const pgsql_aliases[] = {"pgsql", "postgres", NULL};

DAL_PLUGIN_DEFINE(backend_pgsql) = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "postgresql",
	.aliases = pgsql_aliases,
	.version = DAL_VERSION_STRING,
	.description = "PostgreSQL (libpq " PG_MAJORVERSION ")",
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL |
	                DAL_CAP_LAST_INSERT_ID | DAL_CAP_STREAMING |
	                DAL_CAP_MULTI_STATEMENT,
	.param_style = DAL_PARAM_DOLLAR,
	.default_port = DEFAULT_PORT,
	/* $tag$ strings and E'' strings; comments nest; no backslash escapes
	 * in standard strings (standard_conforming_strings is on). */
	.syntax = DAL_SYNTAX_DOLLAR_QUOTE | DAL_SYNTAX_NESTED_COMMENT,
	.driver = {
		.connect = be_connect,
		.disconnect = be_disconnect,
		.ping = be_ping,
		.exec = be_exec,
		.prepare = be_prepare,
		.bind = be_bind,
		.step = be_step,
		.reset = be_reset,
		.finalize = be_finalize,
		.column_count = be_column_count,
		.column_name = be_column_name,
		.column_value = be_column_value,
		.rows_affected = be_rows_affected,
		.last_insert_id = be_last_insert_id,
		.begin = be_begin,
		.commit = be_commit,
		.rollback = be_rollback,
		.server_kind = be_server_kind,
		.server_version = be_server_version,
	},
};
