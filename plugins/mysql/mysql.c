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
 * Results are streamed by default: rows stay on the wire until fetched. The
 * MySQL protocol then allows no other command on the connection until the
 * result is read to the end or discarded, so while one statement has an
 * unfinished streamed result every other use of the connection is refused
 * with DAL_EMISUSE (rather than the connector's "Commands out of sync"), and
 * closing another statement is deferred until the connection is free. The
 * option `buffered = on` reads every result whole instead.
 *
 * Fetch path: each result column is bound once to a buffer owned by the
 * statement (a fixed inline buffer for text and blobs); a value longer than
 * that is fetched whole into a per-column overflow buffer that only grows.
 * Numbers land directly in the dal_value that column_value() hands out, so
 * per row only text, blob and BIGINT UNSIGNED columns need any work. Nothing
 * is allocated per row.
 *
 * Parameters are bound to the connector once: it keeps a copy of the
 * MYSQL_BIND array but reads the values (buffer contents, length, is_null)
 * through its pointers at every execute, so a new value is written in place.
 * mysql_stmt_bind_param() is called again only when a parameter's type or
 * buffer address changes, which also makes the connector resend the types.
 *
 * Threading: the core never uses one connection from two threads at once;
 * there is no global state. The connector's own library initialisation
 * happens in mysql_init() (thread-safe in libmariadb).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#define DEFAULT_PORT 3306
#define DEFAULT_CONNECT_TIMEOUT 10 /* seconds, when the config gives none */

/* Bytes of the inline buffer bound to a text or blob column. Longer values
 * go to the column's overflow buffer, so this only trades memory per
 * statement against a second copy for long values. */
#define INLINE_MAX 4096
#define INLINE_MIN 64

/* For the rarer branches of a hot function (executing, long values, text
 * parameters): inlined, their register saves and stack frame would be paid
 * on every row or every bind. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

#define KNOWN_OPTIONS \
	"buffered, wsrep_check, ssl_mode, ssl_ca, ssl_capath, ssl_cert, ssl_key, " \
	"ssl_cipher, ssl_crl, ssl_crlpath, tls_version"

#define BUSY_MESSAGE \
	"connection busy with an unfinished result; finish or reset the previous " \
	"statement (or set the mysql option buffered = on)"

struct dal_bstmt;

struct dal_bconn {
	MYSQL *my;
	char where[300];          /* "host:port" reached, for messages */
	int buffered;             /* option buffered */
	struct dal_bstmt *active; /* statement whose streamed result is open */
	int64_t last_id;          /* last AUTO_INCREMENT value generated */
	MYSQL_STMT **zombies;     /* closes deferred while a result was open */
	size_t n_zombies, cap_zombies;
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
/* Error mapping                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Native codes whose SQLSTATE is vague (HY000) or misleading, with the
 * category and the SQLSTATE we report instead. Everything else goes through
 * dal_sqlstate_category() with the server's own SQLSTATE, so categories agree
 * with the other backends.
 */
static const struct {
	unsigned no;
	int code;
	const char *state; /* NULL: keep the server's */
} natives[] = {
	{ER_ACCESS_DENIED_ERROR, DAL_EAUTH, "28000"},
	{ER_ACCESS_DENIED_NO_PASSWORD_ERROR, DAL_EAUTH, "28000"},
	{ER_HOST_NOT_PRIVILEGED, DAL_EAUTH, "28000"},
	{ER_DBACCESS_DENIED_ERROR, DAL_EAUTH, NULL},
	{ER_BAD_DB_ERROR, DAL_ENOTFOUND, "3D000"},
	{ER_SP_DOES_NOT_EXIST, DAL_ENOTFOUND, "42883"},
	{ER_LOCK_WAIT_TIMEOUT, DAL_EBUSY, "55P03"},
	{ER_LOCK_DEADLOCK, DAL_EBUSY, "40P01"},
	{ER_OPTION_PREVENTS_STATEMENT, DAL_EREADONLY, "25006"}, /* --read-only */
	{ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, DAL_EREADONLY, "25006"},
	{ER_STATEMENT_TIMEOUT, DAL_ETIMEOUT, "57014"},
	{ER_QUERY_INTERRUPTED, DAL_ETIMEOUT, "57014"},
	{ER_NET_PACKET_TOO_LARGE, DAL_EDATA, "54000"},
	{ER_CON_COUNT_ERROR, DAL_ECONNECT, "53300"},
	{ER_TOO_MANY_USER_CONNECTIONS, DAL_ECONNECT, "53300"},
	{ER_SERVER_SHUTDOWN, DAL_ECONNECT, "57P01"},
	{ER_NORMAL_SHUTDOWN, DAL_ECONNECT, "57P01"},
	{ER_CONNECTION_KILLED, DAL_ECONNECT, "57P01"},
	{ER_UNKNOWN_COM_ERROR, DAL_ECONNECT, "08S01"}, /* Galera: node not ready */
	{CR_CONNECTION_ERROR, DAL_ECONNECT, "08001"},
	{CR_CONN_HOST_ERROR, DAL_ECONNECT, "08001"},
	{CR_UNKNOWN_HOST, DAL_ECONNECT, "08001"},
	{CR_IPSOCK_ERROR, DAL_ECONNECT, "08001"},
	{CR_SOCKET_CREATE_ERROR, DAL_ECONNECT, "08001"},
	{CR_SERVER_HANDSHAKE_ERR, DAL_ECONNECT, "08001"},
	{CR_SSL_CONNECTION_ERROR, DAL_ECONNECT, "08001"},
	{CR_SERVER_GONE_ERROR, DAL_ECONNECT, "08S01"},
	{CR_SERVER_LOST, DAL_ECONNECT, "08S01"},
	{CR_SERVER_LOST_EXTENDED, DAL_ECONNECT, "08S01"},
	{CR_ERR_NET_READ, DAL_ECONNECT, "08S01"},
	{CR_ERR_NET_WRITE, DAL_ECONNECT, "08S01"},
	{CR_MALFORMED_PACKET, DAL_ECONNECT, "08S01"},
	{CR_COMMANDS_OUT_OF_SYNC, DAL_EMISUSE, "HY010"},
	{CR_OUT_OF_MEMORY, DAL_ENOMEM, "HY001"},
	{CR_NET_PACKET_TOO_LARGE, DAL_EDATA, "54000"},
	{CR_AUTH_PLUGIN_CANNOT_LOAD, DAL_EAUTH, "28000"},
	{CR_AUTH_PLUGIN_ERR, DAL_EAUTH, "28000"},
};

static int map_error(unsigned no, const char *sqlstate, const char **state)
{
	*state = sqlstate && strlen(sqlstate) == 5 ? sqlstate : "HY000";
	for (size_t i = 0; i < sizeof natives / sizeof natives[0]; i++)
		if (natives[i].no == no) {
			if (natives[i].state)
				*state = natives[i].state;
			return natives[i].code;
		}
	return dal_sqlstate_category(*state);
}

/* Report an error (no, sqlstate, msg) for an operation `what`; connection
 * errors also name the server. Returns the dal_code. */
static int report_raw(dal_error *err, struct dal_bconn *c, unsigned no,
                      const char *sqlstate, const char *msg, const char *what)
{
	const char *state;
	int code = map_error(no, sqlstate, &state);

	if (no == CR_SERVER_LOST && c && c->read_timeout)
		return dal_error_set(err, code, state, (long)no,
		                     "%s: mysql server %s: %s (error %u; no answer within "
		                     "read_timeout = %u s?)", what, c->where, msg, no,
		                     c->read_timeout);
	if (code == DAL_ECONNECT || code == DAL_ETIMEOUT)
		return dal_error_set(err, code, state, (long)no,
		                     "%s: mysql server %s: %s (error %u)", what,
		                     c ? c->where : "?", msg, no);
	return dal_error_set(err, code, state, (long)no, "%s: %s (error %u)", what,
	                     msg, no);
}

static int report_conn(dal_error *err, struct dal_bconn *c, const char *what)
{
	return report_raw(err, c, mysql_errno(c->my), mysql_sqlstate(c->my),
	                  mysql_error(c->my), what);
}

static int report_stmt(dal_error *err, struct dal_bstmt *s, const char *what)
{
	return report_raw(err, s->conn, mysql_stmt_errno(s->st),
	                  mysql_stmt_sqlstate(s->st), mysql_stmt_error(s->st), what);
}

static int busy(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_EMISUSE, "HY010", CR_COMMANDS_OUT_OF_SYNC,
	                     "%s: " BUSY_MESSAGE, what);
}

static int oom(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_ENOMEM, "HY001", CR_OUT_OF_MEMORY,
	                     "%s: out of memory", what);
}

/* ------------------------------------------------------------------------ */
/* The open-result rule                                                      */
/* ------------------------------------------------------------------------ */

/* Close the statements whose close had to wait for a free connection. */
static void close_zombies(struct dal_bconn *c)
{
	for (size_t i = 0; i < c->n_zombies; i++)
		mysql_stmt_close(c->zombies[i]);
	c->n_zombies = 0;
}

/* The streamed result of the active statement has been read or discarded. */
static void release_active(struct dal_bconn *c)
{
	c->active = NULL;
	close_zombies(c);
}

/*
 * Discard what is left of s's result, and any further result sets (a CALL
 * returns one per SELECT plus a status), so that the connection can take the
 * next command. Reads the unread rows off the wire when streaming.
 */
static int discard_result(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc = DAL_OK;

	if (mysql_stmt_free_result(s->st) && mysql_stmt_errno(s->st))
		rc = report_stmt(err, s, "reset");
	while (rc == DAL_OK && mysql_stmt_more_results(s->st)) {
		if (mysql_stmt_next_result(s->st) > 0) {
			rc = report_stmt(err, s, "reset (next result)");
			break;
		}
		mysql_stmt_free_result(s->st);
	}
	s->has_result = 0;
	if (c->active == s)
		release_active(c);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

enum ssl_mode { SSL_DISABLED, SSL_PREFERRED, SSL_REQUIRED, SSL_VERIFY_IDENTITY };

static const char *const ssl_modes[] = {
	"disabled", "preferred", "required", "verify_identity", NULL,
};

/* TLS file and string options, in the order of the table below. */
static const struct {
	const char *key;
	enum mysql_option opt;
} tls_options[] = {
	{"ssl_ca", MYSQL_OPT_SSL_CA},         {"ssl_capath", MYSQL_OPT_SSL_CAPATH},
	{"ssl_cert", MYSQL_OPT_SSL_CERT},     {"ssl_key", MYSQL_OPT_SSL_KEY},
	{"ssl_cipher", MYSQL_OPT_SSL_CIPHER}, {"ssl_crl", MYSQL_OPT_SSL_CRL},
	{"ssl_crlpath", MYSQL_OPT_SSL_CRLPATH},
	{"tls_version", MARIADB_OPT_TLS_VERSION},
};
#define N_TLS (sizeof tls_options / sizeof tls_options[0])

struct conn_options {
	int buffered;
	int wsrep_check;
	enum ssl_mode ssl_mode;
	const dal_option *tls[N_TLS];
	const dal_option *tls_given; /* first TLS option given, for messages */
};

static const char *origin_of(const dal_option *opt)
{
	return opt->origin ? opt->origin : "option";
}

static int parse_options(const struct dal_connect_params *p,
                         struct conn_options *o, dal_error *err)
{
	const dal_option *mode_opt = NULL;
	int rc = DAL_OK;

	memset(o, 0, sizeof *o);
	o->ssl_mode = SSL_PREFERRED;
	for (size_t i = 0; i < p->n_options; i++) {
		const dal_option *opt = &p->options[i];
		size_t t;

		/* First occurrence wins, as with dal_params_option(). */
		if (dal_params_option(p, opt->key) != opt)
			continue;
		for (t = 0; t < N_TLS; t++)
			if (strcmp(opt->key, tls_options[t].key) == 0)
				break;
		if (t < N_TLS) {
			o->tls[t] = opt;
			if (!o->tls_given)
				o->tls_given = opt;
		} else if (strcmp(opt->key, "buffered") == 0) {
			rc = dal_option_bool(opt, &o->buffered, err);
		} else if (strcmp(opt->key, "wsrep_check") == 0) {
			rc = dal_option_bool(opt, &o->wsrep_check, err);
		} else if (strcmp(opt->key, "ssl_mode") == 0) {
			int m;

			for (m = 0; ssl_modes[m]; m++)
				if (strcasecmp(opt->value, ssl_modes[m]) == 0)
					break;
			if (!ssl_modes[m])
				rc = dal_error_set(err, DAL_ECONFIG, "HY000", 0,
				                   "%s: mysql option ssl_mode = '%s' is not one of "
				                   "disabled, preferred, required, verify_identity",
				                   origin_of(opt), opt->value);
			o->ssl_mode = (enum ssl_mode)m;
			mode_opt = opt;
		} else {
			rc = dal_error_set(err, DAL_ECONFIG, "HY000", 0,
			                   "%s: unknown mysql option '%s' (known: " KNOWN_OPTIONS ")",
			                   origin_of(opt), opt->key);
		}
		if (rc != DAL_OK)
			return rc;
	}
	if (o->ssl_mode == SSL_DISABLED && o->tls_given)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: mysql option %s is set but %s says ssl_mode = disabled",
		                     origin_of(o->tls_given), o->tls_given->key,
		                     origin_of(mode_opt));
	return DAL_OK;
}

static int set_opt(MYSQL *my, enum mysql_option opt, const void *value,
                   const char *name, dal_error *err)
{
	if (mysql_optionsv(my, opt, value) == 0)
		return DAL_OK;
	return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
	                     "mysql: the connector refused option %s", name);
}

/* Everything set on a fresh handle before connecting. */
static int configure(MYSQL *my, const struct dal_connect_params *p,
                     const struct conn_options *o, dal_error *err)
{
	unsigned ct = p->connect_timeout ? p->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	unsigned rt = p->read_timeout, wt = p->write_timeout;
	my_bool off = 0, on = 1;
	unsigned zero = 0;
	int rc;

	if ((rc = set_opt(my, MYSQL_OPT_CONNECT_TIMEOUT, &ct, "connect_timeout", err)) ||
	    (rt && (rc = set_opt(my, MYSQL_OPT_READ_TIMEOUT, &rt, "read_timeout", err))) ||
	    (wt && (rc = set_opt(my, MYSQL_OPT_WRITE_TIMEOUT, &wt, "write_timeout", err))) ||
	    (rc = set_opt(my, MYSQL_SET_CHARSET_NAME, "utf8mb4", "charset utf8mb4", err)) ||
	    /* A silent reconnect would lose prepared statements, session state
	     * and the open transaction; the pool reconnects instead. */
	    (rc = set_opt(my, MYSQL_OPT_RECONNECT, &off, "reconnect", err)) ||
	    (rc = set_opt(my, MYSQL_OPT_LOCAL_INFILE, &zero, "local_infile", err)) ||
	    (rc = set_opt(my, MYSQL_REPORT_DATA_TRUNCATION, &on, "report_data_truncation", err)))
		return rc;
	for (size_t t = 0; t < N_TLS; t++)
		if (o->tls[t] &&
		    (rc = set_opt(my, tls_options[t].opt, o->tls[t]->value,
		                  tls_options[t].key, err)))
			return rc;
	if (o->ssl_mode >= SSL_REQUIRED &&
	    (rc = set_opt(my, MYSQL_OPT_SSL_ENFORCE, &on, "ssl_mode", err)))
		return rc;
	if (o->ssl_mode == SSL_VERIFY_IDENTITY &&
	    (rc = set_opt(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on, "ssl_mode", err)))
		return rc;
	return DAL_OK;
}

/* The value column of the first row of a SHOW result, copied, or "" when
 * the result has no row (the variable does not exist). */
static void show_value(MYSQL_RES *res, char *buf, size_t size)
{
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;

	snprintf(buf, size, "%s", row && row[1] ? row[1] : "");
}

/*
 * Galera: refuse a node that is not ready for queries (joining, donor, or
 * cut off from the primary component). A server where wsrep is off or
 * absent is not a Galera node, which is a configuration mistake. Both
 * values come in one round trip.
 */
static int check_wsrep(struct dal_bconn *c, dal_error *err)
{
	static const char q[] = "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'; "
	                        "SHOW GLOBAL STATUS LIKE 'wsrep_ready'";
	char on[32] = "", ready[32] = "";
	int n = 0, more;

	if (mysql_real_query(c->my, q, sizeof q - 1))
		return report_conn(err, c, "wsrep_check");
	do {
		MYSQL_RES *res = mysql_store_result(c->my);

		if (!res && mysql_field_count(c->my))
			return report_conn(err, c, "wsrep_check");
		show_value(res, n == 0 ? on : ready, sizeof on);
		mysql_free_result(res);
		n++;
		if ((more = mysql_next_result(c->my)) > 0)
			return report_conn(err, c, "wsrep_check");
	} while (more == 0);
	if (strcasecmp(on, "ON") != 0)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "wsrep_check: mysql server %s is not a Galera node "
		                     "(wsrep_on is %s); set wsrep_check = off for a server "
		                     "outside a cluster", c->where,
		                     *on ? on : "absent");
	if (strcasecmp(ready, "ON") != 0)
		return dal_error_set(err, DAL_ECONNECT, "08004", 0,
		                     "wsrep_check: Galera node %s is not ready (wsrep_ready "
		                     "= %s): it is joining, a donor, or not part of the "
		                     "primary component", c->where, *ready ? ready : "absent");
	return DAL_OK;
}

/*
 * The connector (3.3) refuses a server without TLS before authenticating
 * only when it verifies the certificate; for ssl_mode = required, check
 * that the session really is encrypted.
 */
static int check_tls(struct dal_bconn *c, const struct conn_options *o,
                     dal_error *err)
{
	if (o->ssl_mode < SSL_REQUIRED || mysql_get_ssl_cipher(c->my))
		return DAL_OK;
	return dal_error_set(err, DAL_ECONNECT, "08001", CR_SSL_CONNECTION_ERROR,
	                     "mysql server %s: ssl_mode = %s but the connection is not "
	                     "encrypted (the server offers no TLS)", c->where,
	                     ssl_modes[o->ssl_mode]);
}

static void conn_free(struct dal_bconn *c)
{
	close_zombies(c);
	free(c->zombies);
	if (c->my)
		mysql_close(c->my);
	free(c);
}

/*
 * One attempt at one host (a name, an address, or a unix socket path when it
 * starts with '/'). On failure c->my is closed and NULL.
 */
static int connect_one(struct dal_bconn *c, const struct dal_connect_params *p,
                       const struct conn_options *o, const char *host,
                       unsigned host_port, dal_error *err)
{
	unsigned port = host_port ? host_port : p->port ? p->port : DEFAULT_PORT;
	const char *socket = NULL;
	const char *info;
	int rc;

	if (host[0] == '/') {
		socket = host;
		host = "localhost";
		snprintf(c->where, sizeof c->where, "%s", socket);
	} else {
		snprintf(c->where, sizeof c->where, "%s:%u", host, port);
	}
	if (!(c->my = mysql_init(NULL)))
		return oom(err, "mysql_init");
	if ((rc = configure(c->my, p, o, err)))
		goto fail;
	/* FOUND_ROWS: an UPDATE reports the rows it matched, as PostgreSQL
	 * and SQLite do, not only those whose value changed. */
	if (!mysql_real_connect(c->my, host, p->user, p->password, p->dbname, port,
	                        socket, CLIENT_MULTI_STATEMENTS | CLIENT_FOUND_ROWS)) {
		const char *state;
		unsigned no = mysql_errno(c->my);
		int code = map_error(no, mysql_sqlstate(c->my), &state);

		rc = dal_error_set(err, code, state, (long)no,
		                   "repository '%s': cannot connect to mysql server %s as "
		                   "user '%s'%s%s%s: %s (error %u)",
		                   p->repo_name ? p->repo_name : "?", c->where,
		                   p->user ? p->user : "", p->dbname ? " (database '" : "",
		                   p->dbname ? p->dbname : "", p->dbname ? "')" : "",
		                   mysql_error(c->my), no);
		goto fail;
	}
	info = mysql_get_server_info(c->my);
	c->kind = info && strstr(info, "MariaDB") ? "mariadb" : "mysql";
	if ((rc = check_tls(c, o, err)))
		goto fail;
	if (o->wsrep_check && (rc = check_wsrep(c, err)))
		goto fail;
	return DAL_OK;
fail:
	mysql_close(c->my);
	c->my = NULL;
	return rc;
}

static int be_connect(const struct dal_connect_params *p, dal_bconn **out,
                          dal_error *err)
{
	struct conn_options o;
	struct dal_bconn *c;
	const char *hosts = p->host && *p->host ? p->host : "127.0.0.1";
	const char *next = hosts;
	char tried[DAL_ERROR_MESSAGE_SIZE] = "";
	char h[256];
	unsigned port;
	int rc, more, n = 0;

	if ((rc = parse_options(p, &o, err)))
		return rc;
	if (!(c = calloc(1, sizeof *c)))
		return oom(err, "mysql connect");
	c->buffered = o.buffered;
	c->read_timeout = p->read_timeout;
	/* Several hosts, each with its own port or the common one: tried in
	 * order, the first that accepts (and, with wsrep_check, is a ready
	 * Galera node) wins. A configuration error is not a reason to try the
	 * next host. */
	rc = DAL_ECONNECT;
	while ((more = dal_host_next(&next, h, sizeof h, &port, err)) == 1) {
		if (n++)
			snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "; ");
		rc = connect_one(c, p, &o, h, port, err);
		if (rc == DAL_OK || rc == DAL_ECONFIG || rc == DAL_ENOMEM)
			break;
		snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s",
		         err->message);
	}
	if (more < 0) {
		char why[DAL_ERROR_MESSAGE_SIZE];

		memcpy(why, err->message, sizeof why);
		conn_free(c);
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0, "repository '%s': mysql %s",
		                     p->repo_name ? p->repo_name : "?", why);
	}
	if (rc == DAL_OK) {
		*out = c;
		return DAL_OK;
	}
	if (n == 0)
		rc = dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                   "repository '%s': mysql host list '%s' names no host",
		                   p->repo_name ? p->repo_name : "?", hosts);
	else if (n > 1 && rc != DAL_ECONFIG && rc != DAL_ENOMEM)
		/* Keep the last attempt's category and SQLSTATE; say what each
		 * host answered. */
	{
		char msg[DAL_ERROR_MESSAGE_SIZE];
		int k = snprintf(msg, sizeof msg, "no usable mysql server among %d hosts: ", n);

		snprintf(msg + k, sizeof msg - (size_t)k, "%s", tried);
		memcpy(err->message, msg, sizeof msg);
	}
	conn_free(c);
	return rc;
}

static void be_disconnect(dal_bconn *c)
{
	if (!c)
		return;
	/* Every statement was finalized; a streamed result left behind by a
	 * failed fetch is dropped with the connection. */
	conn_free(c);
}

static int be_ping(dal_bconn *c, dal_error *err)
{
	if (c->active)
		return busy(err, "ping");
	if (mysql_ping(c->my))
		return report_conn(err, c, "ping");
	return DAL_OK;
}

static void note_insert_id(struct dal_bconn *c, my_ulonglong id)
{
	/* Like LAST_INSERT_ID(): a statement that generated nothing leaves the
	 * previous value alone. */
	if (id)
		c->last_id = (int64_t)id;
}

static int be_exec(dal_bconn *c, const char *sql, int64_t *affected,
                       dal_error *err)
{
	int64_t aff = 0;
	unsigned n = 1;
	int more;

	if (c->active)
		return busy(err, "exec");
	if (mysql_real_query(c->my, sql, strlen(sql)))
		return report_conn(err, c, "exec");
	/* Every result must be consumed, or the connection stays out of sync;
	 * a failing statement ends the batch. */
	do {
		MYSQL_RES *res = mysql_store_result(c->my);

		if (res) {
			mysql_free_result(res);
			aff = 0;
		} else if (mysql_field_count(c->my) != 0) {
			return report_conn(err, c, "exec (reading a result)");
		} else {
			aff = (int64_t)mysql_affected_rows(c->my);
			note_insert_id(c, mysql_insert_id(c->my));
		}
		more = mysql_next_result(c->my);
		if (more > 0) {
			char what[48];

			snprintf(what, sizeof what, "exec (statement %u)", n + 1);
			return report_conn(err, c, what);
		}
		n++;
	} while (more == 0);
	if (affected)
		*affected = aff;
	return DAL_OK;
}

static int be_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err)
{
	(void)err;
	*out = c->last_id;
	return DAL_OK;
}

static int simple(struct dal_bconn *c, const char *sql, size_t len,
                  const char *what, dal_error *err)
{
	if (c->active)
		return busy(err, what);
	if (mysql_real_query(c->my, sql, len))
		return report_conn(err, c, what);
	return DAL_OK;
}

static int be_begin(dal_bconn *c, dal_error *err)
{
	return simple(c, "START TRANSACTION", 17, "BEGIN", err);
}

static int be_commit(dal_bconn *c, dal_error *err)
{
	return simple(c, "COMMIT", 6, "COMMIT", err);
}

static int be_rollback(dal_bconn *c, dal_error *err)
{
	return simple(c, "ROLLBACK", 8, "ROLLBACK", err);
}

static const char *be_server_kind(dal_bconn *c)
{
	return c->kind;
}

static const char *be_server_version(dal_bconn *c)
{
	return mysql_get_server_info(c->my);
}

/* ------------------------------------------------------------------------ */
/* Statements: result binding                                                */
/* ------------------------------------------------------------------------ */

static enum col_kind kind_of(const MYSQL_FIELD *f)
{
	switch (f->type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return f->flags & UNSIGNED_FLAG ? K_U64 : K_I64;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return K_DOUBLE;
	case MYSQL_TYPE_BIT:
	case MYSQL_TYPE_GEOMETRY:
		return K_BLOB;
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
	case MYSQL_TYPE_STRING:
		/* Charset 63 is "binary": BINARY, VARBINARY and BLOB columns. */
		return f->charsetnr == 63 ? K_BLOB : K_TEXT;
	default:
		/* DECIMAL (exact, so as text), dates and times (converted to
		 * text by the connector), JSON, ENUM, SET, NULL. */
		return K_TEXT;
	}
}

static int same_shape(const struct col *col, const MYSQL_FIELD *f)
{
	return col->ftype == f->type && col->charsetnr == f->charsetnr &&
	       (col->flags & UNSIGNED_FLAG) == (f->flags & UNSIGNED_FLAG);
}

/* Bind column i for the metadata f. Inline buffers are allocated once and
 * kept across rebinds. */
static int bind_column(struct dal_bstmt *s, unsigned i, const MYSQL_FIELD *f)
{
	struct col *col = &s->cols[i];
	dal_value *val = &s->cells[i].val;
	MYSQL_BIND *b = &s->rbind[i];

	col->kind = kind_of(f);
	col->ftype = f->type;
	col->charsetnr = f->charsetnr;
	col->flags = f->flags;
	memset(val, 0, sizeof *val);
	memset(b, 0, sizeof *b);
	b->is_null = &s->cells[i].is_null;
	b->error = &col->error;
	b->length = &col->length;
	switch (col->kind) {
	case K_I64:
		val->type = DAL_TYPE_INT64;
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = &val->u.i;
		break;
	case K_U64:
		/* Own buffer: a value beyond INT64_MAX turns val into text. */
		val->type = DAL_TYPE_INT64;
		b->buffer_type = MYSQL_TYPE_LONGLONG;
		b->buffer = &col->u;
		b->is_unsigned = 1;
		break;
	case K_DOUBLE:
		val->type = DAL_TYPE_DOUBLE;
		b->buffer_type = MYSQL_TYPE_DOUBLE;
		b->buffer = &val->u.d;
		break;
	case K_TEXT:
	case K_BLOB:
		if (!col->inl) {
			unsigned long want = f->length;

			if (want < INLINE_MIN)
				want = INLINE_MIN;
			if (want > INLINE_MAX)
				want = INLINE_MAX;
			if (!(col->inl = malloc(want + 1)))
				return -1;
			col->inl_cap = want;
		}
		val->type = col->kind == K_TEXT ? DAL_TYPE_TEXT : DAL_TYPE_BLOB;
		b->buffer_type = col->kind == K_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
		b->buffer = col->inl;
		b->buffer_length = col->inl_cap;
		break;
	}
	return 0;
}

/* List the columns whose value needs work after each fetch, so that a row
 * of numbers costs nothing beyond the connector's own decoding. */
static void list_perrow(struct dal_bstmt *s)
{
	s->nperrow = 0;
	for (unsigned i = 0; i < s->ncols; i++)
		if (s->cols[i].kind != K_I64 && s->cols[i].kind != K_DOUBLE)
			s->perrow[s->nperrow++] = i;
}

static int copy_names(struct dal_bstmt *s, const MYSQL_FIELD *f)
{
	size_t size = s->ncols * sizeof(char *);
	char *p;

	for (unsigned i = 0; i < s->ncols; i++)
		size += f[i].name_length + 1;
	if (!(s->names = malloc(size)))
		return -1;
	p = (char *)(s->names + s->ncols);
	for (unsigned i = 0; i < s->ncols; i++) {
		memcpy(p, f[i].name ? f[i].name : "", f[i].name_length);
		p[f[i].name_length] = '\0';
		s->names[i] = p;
		p += f[i].name_length + 1;
	}
	return 0;
}

/*
 * After an execution: the server sends the result's metadata again, and it
 * can differ from prepare's (`SELECT ?` has no type until a value is bound).
 * Rebind if any column changed type; a change in the number of columns
 * (table altered under a `SELECT *`) cannot be followed, as the core sized
 * its per-column state at prepare.
 */
static int check_shape(struct dal_bstmt *s, unsigned n, dal_error *err)
{
	MYSQL_FIELD *f = mariadb_stmt_fetch_fields(s->st);
	int changed = 0;

	if (n != s->ncols)
		return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", 0,
		                     "step: the statement now returns %u columns instead of "
		                     "the %u it had when prepared (was a table altered?); "
		                     "prepare it again", n, s->ncols);
	for (unsigned i = 0; i < n; i++)
		if (!same_shape(&s->cols[i], &f[i])) {
			if (bind_column(s, i, &f[i]))
				return oom(err, "step");
			changed = 1;
		}
	if (!changed)
		return DAL_OK;
	list_perrow(s);
	if (mysql_stmt_bind_result(s->st, s->rbind))
		return report_stmt(err, s, "step (binding result columns)");
	return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

static void stmt_free(struct dal_bstmt *s)
{
	for (unsigned i = 0; s->cols && i < s->ncols; i++) {
		free(s->cols[i].inl);
		free(s->cols[i].big);
	}
	for (unsigned i = 0; s->params && i < s->nparams; i++)
		free(s->params[i].data);
	free(s->cols);
	free(s->cells);
	free(s->rbind);
	free(s->perrow);
	free(s->params);
	free(s->pbind);
	free(s->names);
	free(s);
}

static int be_prepare(dal_bconn *c, const char *sql, size_t len,
                          unsigned nparams, dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s;
	unsigned n;
	int rc;

	if (c->active)
		return busy(err, "prepare");
	if (!(s = calloc(1, sizeof *s)))
		return oom(err, "prepare");
	s->conn = c;
	if (!(s->st = mysql_stmt_init(c->my))) {
		free(s);
		return oom(err, "prepare");
	}
	if (mysql_stmt_prepare(s->st, sql, len)) {
		rc = report_stmt(err, s, "prepare");
		goto fail;
	}
	n = mysql_stmt_param_count(s->st);
	if (n != nparams) {
		rc = dal_error_set(err, DAL_EMISUSE, "07001", 0,
		                   "prepare: the server sees %u parameter(s) where %u were "
		                   "expected", n, nparams);
		goto fail;
	}
	s->nparams = nparams;
	if (nparams) {
		s->params = calloc(nparams, sizeof *s->params);
		s->pbind = calloc(nparams, sizeof *s->pbind);
		if (!s->params || !s->pbind) {
			rc = oom(err, "prepare");
			goto fail;
		}
		/* Unbound parameters are NULL, as on the other backends. The
		 * length and is_null pointers never change. */
		for (unsigned i = 0; i < nparams; i++) {
			s->pbind[i].buffer_type = MYSQL_TYPE_NULL;
			s->pbind[i].is_null = &s->params[i].is_null;
			s->pbind[i].length = &s->params[i].length;
			s->params[i].is_null = 1;
		}
		s->pdirty = 1;
	}

	s->ncols = mysql_stmt_field_count(s->st);
	if (s->ncols) {
		MYSQL_FIELD *f = mariadb_stmt_fetch_fields(s->st);

		s->cols = calloc(s->ncols, sizeof *s->cols);
		s->cells = calloc(s->ncols, sizeof *s->cells);
		s->rbind = calloc(s->ncols, sizeof *s->rbind);
		s->perrow = calloc(s->ncols, sizeof *s->perrow);
		if (!f || !s->cols || !s->cells || !s->rbind || !s->perrow || copy_names(s, f)) {
			rc = oom(err, "prepare");
			goto fail;
		}
		for (unsigned i = 0; i < s->ncols; i++)
			if (bind_column(s, i, &f[i])) {
				rc = oom(err, "prepare");
				goto fail;
			}
		list_perrow(s);
		if (mysql_stmt_bind_result(s->st, s->rbind)) {
			rc = report_stmt(err, s, "prepare (binding result columns)");
			goto fail;
		}
	}
	s->state = ST_READY;
	*out = s;
	return DAL_OK;
fail:
	mysql_stmt_close(s->st);
	stmt_free(s);
	return rc;
}

/* Copy len bytes into the parameter's own buffer. The buffer grows at
 * least twofold, so that values creeping up in size move it (and cost a
 * mysql_stmt_bind_param()) only a logarithmic number of times. */
static int param_copy(struct param *pm, const void *ptr, size_t len)
{
	if (len > ULONG_MAX)
		return -1;
	if (len > pm->cap || !pm->data) {
		size_t cap = pm->cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * pm->cap;
		char *d;

		if (cap < len)
			cap = len;
		if (cap < 64)
			cap = 64;
		/* realloc, not free + malloc: on failure the connector's copy
		 * of the binding must still point at live memory. */
		if (!(d = realloc(pm->data, cap)))
			return -1;
		pm->data = d;
		pm->cap = cap;
	}
	if (len)
		memcpy(pm->data, ptr, len);
	pm->length = (unsigned long)len;
	return 0;
}

/* Point parameter pos's binding at buf with the given type, noting whether
 * the connector must be told (see the top of the file). A new binding after
 * DONE or FAILED starts a new execution. */
static inline int set_binding(struct dal_bstmt *s, MYSQL_BIND *b,
                              enum enum_field_types type, void *buf)
{
	if (b->buffer_type != type || b->buffer != buf) {
		b->buffer_type = type;
		b->buffer = buf;
		s->pdirty = 1;
	}
	s->state = ST_READY;
	return DAL_OK;
}

/* Text and blob values, kept out of be_bind() so that binding a number
 * calls nothing. */
static NOINLINE int bind_bytes(struct dal_bstmt *s, unsigned pos,
                               const dal_value *v, dal_error *err)
{
	struct param *pm = &s->params[pos - 1];

	if (param_copy(pm, v->u.b.ptr, v->u.b.len))
		return oom(err, "bind");
	pm->is_null = 0;
	return set_binding(s, &s->pbind[pos - 1],
	                   v->type == DAL_TYPE_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB,
	                   pm->data);
}

static int be_bind(dal_bstmt *s, unsigned pos, const dal_value *v,
                       dal_error *err)
{
	struct param *pm;
	enum enum_field_types type;

	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, "07009", CR_INVALID_PARAMETER_NO,
		                     "bind: parameter %u is out of range (the statement "
		                     "has %u)", pos, s->nparams);
	if (s->state == ST_ROW)
		return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
		                     "bind: parameter %u: the statement has unread rows; "
		                     "reset it first", pos);
	pm = &s->params[pos - 1];
	switch (v->type) {
	case DAL_TYPE_NULL:
		/* The connector sends NULL for is_null whatever the type, so
		 * the binding stays as it is. */
		pm->is_null = 1;
		s->state = ST_READY;
		return DAL_OK;
	case DAL_TYPE_INT64:
		type = MYSQL_TYPE_LONGLONG;
		pm->num.i = v->u.i;
		break;
	case DAL_TYPE_BOOL:
		/* MySQL's BOOLEAN is TINYINT(1). */
		type = MYSQL_TYPE_TINY;
		pm->num.b = v->u.i != 0;
		break;
	case DAL_TYPE_DOUBLE:
		type = MYSQL_TYPE_DOUBLE;
		pm->num.d = v->u.d;
		break;
	case DAL_TYPE_TEXT:
	case DAL_TYPE_BLOB:
		return bind_bytes(s, pos, v, err);
	default:
		return dal_error_set(err, DAL_EMISUSE, "HY004", 0,
		                     "bind: parameter %u has unknown type %d", pos,
		                     (int)v->type);
	}
	pm->is_null = 0;
	return set_binding(s, &s->pbind[pos - 1], type, &pm->num);
}

/*
 * Column i's value of the current row is longer than its inline buffer (the
 * connector flagged it as truncated): fetch it again, whole, into the
 * column's overflow buffer, which only grows.
 */
static NOINLINE int fetch_long(struct dal_bstmt *s, unsigned i, dal_error *err)
{
	struct col *col = &s->cols[i];
	size_t need = (size_t)col->length + 1;
	MYSQL_BIND b;
	unsigned long len;
	my_bool is_null, trunc;

	if (need > col->big_cap) {
		size_t cap = col->big_cap ? col->big_cap : 2 * INLINE_MAX;

		while (cap < need)
			cap *= 2;
		/* No old contents to keep: free + malloc avoids a copy. */
		free(col->big);
		col->big_cap = 0;
		if (!(col->big = malloc(cap)))
			return oom(err, "step (long column value)");
		col->big_cap = cap;
	}
	memset(&b, 0, sizeof b);
	b.buffer_type = s->rbind[i].buffer_type;
	b.buffer = col->big;
	b.buffer_length = col->length;
	b.length = &len;
	b.is_null = &is_null;
	b.error = &trunc;
	if (mysql_stmt_fetch_column(s->st, &b, i, 0))
		return report_stmt(err, s, "step (long column value)");
	col->big[col->length] = '\0';
	s->cells[i].val.u.b.ptr = col->big;
	return DAL_OK;
}

/* BIGINT UNSIGNED: an int64 when it fits, else exact as text rather than
 * wrapped. */
static void finish_u64(struct col *col, dal_value *val)
{
	if (col->u <= (unsigned long long)INT64_MAX) {
		val->type = DAL_TYPE_INT64;
		val->u.i = (int64_t)col->u;
	} else {
		int w = snprintf(col->u64text, sizeof col->u64text, "%llu", col->u);

		val->type = DAL_TYPE_TEXT;
		val->u.b.ptr = col->u64text;
		val->u.b.len = (size_t)w;
	}
}

/* A fetched row: point each text/blob column's value at its bytes, NUL
 * terminated, and give BIGINT UNSIGNED its representation. */
static int finish_row(struct dal_bstmt *s, dal_error *err)
{
	/* Locals: the NUL stores below may alias anything, so fields of s
	 * would be reloaded on every pass. */
	const unsigned *perrow = s->perrow, n = s->nperrow;
	struct col *cols = s->cols;
	struct cell *cells = s->cells;
	int rc;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = perrow[k];
		struct col *col = &cols[i];
		dal_value *val = &cells[i].val;

		if (cells[i].is_null)
			continue;
		if (col->kind == K_U64) {
			finish_u64(col, val);
			continue;
		}
		val->u.b.len = col->length;
		if (col->length <= col->inl_cap) {
			col->inl[col->length] = '\0';
			val->u.b.ptr = col->inl;
		} else if ((rc = fetch_long(s, i, err))) {
			return rc;
		}
	}
	return DAL_OK;
}

static int fetch(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc = mysql_stmt_fetch(s->st);

	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if ((rc = finish_row(s, err))) {
			discard_result(s, NULL);
			s->state = ST_FAILED;
			return rc;
		}
		s->state = ST_ROW;
		return DAL_ROW;
	}
	if (rc == MYSQL_NO_DATA) {
		/* A streamed result read to its end leaves the connector ready
		 * for the next command; only further result sets (CALL) or a
		 * stored result's memory need discard_result(). */
		if (c->active == s && !mysql_stmt_more_results(s->st)) {
			s->has_result = 0;
			release_active(c);
			s->state = ST_DONE;
			return DAL_DONE;
		}
		rc = discard_result(s, err);
		s->state = rc ? ST_FAILED : ST_DONE;
		return rc ? rc : DAL_DONE;
	}
	rc = report_stmt(err, s, "step");
	/* After a failed fetch the rest of the result cannot be trusted; the
	 * connection is either lost or back in command state. */
	if (c->active == s)
		release_active(c);
	s->state = ST_FAILED;
	return rc;
}

static NOINLINE int execute(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	unsigned n;
	int rc;

	if (c->active)
		return busy(err, "step");
	if (s->has_result && (rc = discard_result(s, err)))
		return rc;
	if (s->pdirty) {
		if (mysql_stmt_bind_param(s->st, s->pbind))
			return report_stmt(err, s, "step (binding parameters)");
		s->pdirty = 0;
	}
	s->affected = 0;
	if (mysql_stmt_execute(s->st)) {
		s->state = ST_FAILED;
		return report_stmt(err, s, "step");
	}
	if ((n = mysql_stmt_field_count(s->st)) == 0) {
		s->affected = (int64_t)mysql_stmt_affected_rows(s->st);
		note_insert_id(c, mysql_stmt_insert_id(s->st));
		s->has_result = mysql_stmt_more_results(s->st);
		if (s->has_result && (rc = discard_result(s, err))) {
			s->state = ST_FAILED;
			return rc;
		}
		s->state = ST_DONE;
		return DAL_DONE;
	}
	s->has_result = 1;
	if ((rc = check_shape(s, n, err))) {
		/* Executed: the result must still be read off the wire. */
		c->active = s;
		discard_result(s, NULL);
		s->state = ST_FAILED;
		return rc;
	}
	if (c->buffered) {
		if (mysql_stmt_store_result(s->st)) {
			rc = report_stmt(err, s, "step (reading the result)");
			s->state = ST_FAILED;
			return rc;
		}
	} else {
		c->active = s;
	}
	return fetch(s, err);
}

static int be_step(dal_bstmt *s, dal_error *err)
{
	/* The next row first: it is the step taken most often. */
	if (s->state == ST_ROW)
		return fetch(s, err);
	if (s->state == ST_READY)
		return execute(s, err);
	if (s->state == ST_DONE)
		return DAL_DONE;
	return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
	                     "step: the last execution failed; reset the statement "
	                     "before stepping again");
}

static int be_reset(dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc = DAL_OK;

	/* Only the statement owning the open result, or any statement when
	 * none is open, may touch the connection: the connector's reset
	 * would otherwise swallow another statement's rows. Left-over local
	 * state is discarded at the next execution. */
	if (s->has_result && (c->active == s || !c->active))
		rc = discard_result(s, err);
	s->state = ST_READY;
	return rc;
}

static void be_finalize(dal_bstmt *s)
{
	struct dal_bconn *c;

	if (!s)
		return;
	c = s->conn;
	if (c->active && c->active != s) {
		/* Closing now would read the other statement's rows off the
		 * wire; close when the connection is free. */
		if (c->n_zombies == c->cap_zombies) {
			size_t cap = c->cap_zombies ? 2 * c->cap_zombies : 8;
			MYSQL_STMT **z = realloc(c->zombies, cap * sizeof *z);

			if (z) {
				c->zombies = z;
				c->cap_zombies = cap;
			}
		}
		if (c->n_zombies < c->cap_zombies)
			c->zombies[c->n_zombies++] = s->st;
		/* Out of memory: leave the server-side statement to the end of
		 * the connection rather than corrupt the open result. */
	} else {
		mysql_stmt_close(s->st);
		if (c->active == s)
			release_active(c);
	}
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

static void be_column_value(dal_bstmt *s, unsigned i, dal_value *out)
{
	const struct cell *cell = &s->cells[i];

	if (cell->is_null)
		out->type = DAL_TYPE_NULL;
	else
		*out = cell->val;
}

static int64_t be_rows_affected(dal_bstmt *s)
{
	return s->affected;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */
/* ------------------------------------------------------------------------ */

static const char *const mysql_aliases[] = {"mariadb", NULL};

DAL_PLUGIN_DEFINE(backend_mysql) = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "mysql",
	.aliases = mysql_aliases,
	.version = DAL_VERSION_STRING,
	.description = "MySQL and MariaDB (MariaDB Connector/C " MARIADB_PACKAGE_VERSION ")",
	/* No TRANSACTIONAL_DDL: MySQL commits implicitly before DDL. */
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_LAST_INSERT_ID |
	                DAL_CAP_STREAMING | DAL_CAP_MULTI_STATEMENT,
	.param_style = DAL_PARAM_QMARK,
	.default_port = DEFAULT_PORT,
	/* With the default sql_mode: \ escapes in strings, # comments,
	 * `identifiers`. */
	.syntax = DAL_SYNTAX_BACKSLASH_ESCAPE | DAL_SYNTAX_HASH_COMMENT |
	          DAL_SYNTAX_BACKTICK,
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
