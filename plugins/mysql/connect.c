/*
 * backend_mysql: connections. Parses the plugin's options, sets up a
 * connector handle (timeouts, utf8mb4, TLS), connects to the first usable
 * host of the list (checking, when asked, that it is a ready Galera node),
 * applies the statement timeout, keeps what cancel() needs (cancel.c), and
 * runs what needs no prepared statement: exec, ping, transactions, the last
 * insert id, the server's kind and version. Prepared statements are
 * stmt.c's.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "mysql_int.h"

#define DEFAULT_CONNECT_TIMEOUT 10 /* seconds, when the config gives none */

/* ------------------------------------------------------------------------ */
/* Options and the handle                                                   */
/* ------------------------------------------------------------------------ */

static const char *const ssl_modes[] = {
	"disabled", "preferred", "required", "verify_identity", NULL,
};

/* The options this backend declares; the SDK checks them (unknown keys,
 * types, choices) and the registration publishes them. Order = enum below:
 * the TLS file and string options come last, from O_TLS on, in the order
 * of tls_options[]. */
enum {
	O_BUFFERED, O_WSREP, O_SSL_MODE,
	O_TLS, /* first of the N_TLS TLS options */
	O__COUNT = MY_N_OPTION_SPECS
};

#define TLS_SPEC(key, help) {key, DAL_OPTION_TEXT, NULL, NULL, 0, 0, help}

const struct dal_option_spec my_option_specs[O__COUNT] = {
	[O_BUFFERED] = {"buffered", DAL_OPTION_BOOL, "off", NULL, 0, 0,
	                "read every result whole (mysql_stmt_store_result) instead of "
	                "streaming it"},
	[O_WSREP] = {"wsrep_check", DAL_OPTION_BOOL, "off", NULL, 0, 0,
	             "Galera: require a node with wsrep_ready = ON"},
	[O_SSL_MODE] = {"ssl_mode", DAL_OPTION_CHOICE, "preferred", ssl_modes, 0, 0,
	                "TLS: disabled, preferred, required or verify_identity"},
	[O_TLS + 0] = TLS_SPEC("ssl_ca", "TLS: CA certificate file"),
	[O_TLS + 1] = TLS_SPEC("ssl_capath", "TLS: directory of CA certificates"),
	[O_TLS + 2] = TLS_SPEC("ssl_cert", "TLS: client certificate file"),
	[O_TLS + 3] = TLS_SPEC("ssl_key", "TLS: client private key file"),
	[O_TLS + 4] = TLS_SPEC("ssl_cipher", "TLS: permitted ciphers"),
	[O_TLS + 5] = TLS_SPEC("ssl_crl", "TLS: certificate revocation list file"),
	[O_TLS + 6] = TLS_SPEC("ssl_crlpath", "TLS: directory of revocation lists"),
	[O_TLS + 7] = TLS_SPEC("tls_version", "TLS: permitted protocol versions, e.g. TLSv1.2,TLSv1.3"),
};

/* The connector's option for each TLS option, in the order of the specs. */
static const enum mysql_option tls_options[] = {
	MYSQL_OPT_SSL_CA,     MYSQL_OPT_SSL_CAPATH, MYSQL_OPT_SSL_CERT,
	MYSQL_OPT_SSL_KEY,    MYSQL_OPT_SSL_CIPHER, MYSQL_OPT_SSL_CRL,
	MYSQL_OPT_SSL_CRLPATH, MARIADB_OPT_TLS_VERSION,
};
#define N_TLS (sizeof tls_options / sizeof tls_options[0])
_Static_assert(O_TLS + N_TLS == O__COUNT, "one spec per TLS option");
_Static_assert(N_TLS == MY_N_TLS, "struct my_peer keeps every TLS option");

struct conn_options {
	int buffered;
	int wsrep_check;
	enum ssl_mode ssl_mode;
	const dal_option *tls[N_TLS];
	const dal_option *tls_given; /* first TLS option given, for messages */
};

static int parse_options(const struct dal_connect_params *p,
                         struct conn_options *o, dal_error *err)
{
	struct dal_option_value v[O__COUNT];
	int rc;

	memset(o, 0, sizeof *o);
	if ((rc = dal_options_parse(p, "mysql", my_option_specs, O__COUNT, v, err)) != DAL_OK)
		return rc;
	o->buffered = (int)v[O_BUFFERED].i;
	o->wsrep_check = (int)v[O_WSREP].i;
	o->ssl_mode = (enum ssl_mode)v[O_SSL_MODE].choice;
	for (size_t t = 0; t < N_TLS; t++) {
		const dal_option *opt = v[O_TLS + t].given;

		o->tls[t] = opt;
		/* The first given in the options' order (strongest first):
		 * given options all point into p->options. */
		if (opt && (!o->tls_given || opt < o->tls_given))
			o->tls_given = opt;
	}
	if (o->ssl_mode == SSL_DISABLED && o->tls_given)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: mysql option %s is set but %s says ssl_mode = disabled",
		                     dal_option_origin(o->tls_given), o->tls_given->key,
		                     dal_option_origin(v[O_SSL_MODE].given));
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

/* The TLS options of peer (the connection's, or the copy cancel() uses). */
int my_configure_tls(MYSQL *my, const struct my_peer *peer, dal_error *err)
{
	my_bool on = 1;
	int rc;

	for (size_t t = 0; t < N_TLS; t++)
		if (peer->tls[t] &&
		    (rc = set_opt(my, tls_options[t], peer->tls[t],
		                  my_option_specs[O_TLS + t].key, err)))
			return rc;
	if (peer->ssl_mode >= SSL_REQUIRED &&
	    (rc = set_opt(my, MYSQL_OPT_SSL_ENFORCE, &on, "ssl_mode", err)))
		return rc;
	if (peer->ssl_mode == SSL_VERIFY_IDENTITY &&
	    (rc = set_opt(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on, "ssl_mode", err)))
		return rc;
	return DAL_OK;
}

/* Everything set on a fresh handle before connecting. */
static int configure(MYSQL *my, const struct dal_connect_params *p,
                     const struct my_peer *peer, dal_error *err)
{
	unsigned ct = peer->connect_timeout;
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
	return my_configure_tls(my, peer, err);
}

/*
 * Keep what cancel() needs that does not depend on the host reached: the
 * user, the password and the TLS options (the core's strings live only
 * during connect). -1 when out of memory.
 */
static int keep_peer(struct my_peer *peer, const struct dal_connect_params *p,
                     const struct conn_options *o)
{
	peer->ssl_mode = o->ssl_mode;
	peer->connect_timeout = p->connect_timeout ? p->connect_timeout
	                                           : DEFAULT_CONNECT_TIMEOUT;
	if ((p->user && !(peer->user = strdup(p->user))) ||
	    (p->password && !(peer->password = strdup(p->password))))
		return -1;
	for (size_t t = 0; t < N_TLS; t++)
		if (o->tls[t] && !(peer->tls[t] = strdup(o->tls[t]->value)))
			return -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Connecting                                                               */
/* ------------------------------------------------------------------------ */

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
		return my_report_conn(err, c, MY_NO_EFFECT, "wsrep_check");
	do {
		MYSQL_RES *res = mysql_store_result(c->my);

		if (!res && mysql_field_count(c->my))
			return my_report_conn(err, c, MY_NO_EFFECT, "wsrep_check");
		show_value(res, n == 0 ? on : ready, sizeof on);
		mysql_free_result(res);
		n++;
		if ((more = mysql_next_result(c->my)) > 0)
			return my_report_conn(err, c, MY_NO_EFFECT, "wsrep_check");
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
	my_close_zombies(c);
	dal_defer_free(&c->zombies);
	if (c->my)
		mysql_close(c->my);
	my_peer_free(&c->peer);
	free(c);
}

/*
 * Apply statement_timeout to the session. MariaDB (10.1+) stops any
 * statement running longer than max_statement_time (seconds, with
 * decimals) with ER_STATEMENT_TIMEOUT. MySQL has only max_execution_time,
 * which covers read-only SELECT statements and nothing else: rather than a
 * timeout that silently does not apply to writes, refuse.
 */
static int apply_statement_timeout(struct dal_bconn *c, unsigned ms, dal_error *err)
{
	char q[64];
	int n;

	if (strcmp(c->kind, "mariadb") != 0)
		return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", 0,
		                     "statement_timeout: mysql server %s is MySQL %s, whose "
		                     "max_execution_time stops only read-only SELECT statements; "
		                     "libdal applies statement_timeout only where it covers every "
		                     "statement (MariaDB 10.1 or later): leave statement_timeout "
		                     "unset for this repository", c->where,
		                     mysql_get_server_info(c->my));
	n = snprintf(q, sizeof q, "SET SESSION max_statement_time = %u.%03u", ms / 1000,
	             ms % 1000);
	if (mysql_real_query(c->my, q, (unsigned long)n)) {
		unsigned no = mysql_errno(c->my);

		if (no == ER_UNKNOWN_SYSTEM_VARIABLE)
			return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", (long)no,
			                     "statement_timeout: mysql server %s (MariaDB %s) has "
			                     "no max_statement_time (MariaDB 10.1 or later needed)",
			                     c->where, mysql_get_server_info(c->my));
		return my_report_conn(err, c, MY_NO_EFFECT, "statement_timeout (SET SESSION "
		                      "max_statement_time)");
	}
	c->statement_timeout_ms = ms;
	return DAL_OK;
}

/*
 * One attempt at one host (a name, an address, or a unix socket path when it
 * starts with '/'). On failure c->my is closed and NULL.
 */
static int connect_one(struct dal_bconn *c, const struct dal_connect_params *p,
                       const struct conn_options *o, const char *host,
                       unsigned host_port, unsigned statement_timeout_ms,
                       dal_error *err)
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
		return my_oom(err, "mysql_init");
	if ((rc = configure(c->my, p, &c->peer, err)))
		goto fail;
	/* FOUND_ROWS: an UPDATE reports the rows it matched, as PostgreSQL
	 * and SQLite do, not only those whose value changed. */
	if (!mysql_real_connect(c->my, host, p->user, p->password, p->dbname, port,
	                        socket, CLIENT_MULTI_STATEMENTS | CLIENT_FOUND_ROWS)) {
		const char *state;
		unsigned no = mysql_errno(c->my);
		int code = my_map_error(no, mysql_sqlstate(c->my), &state);

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
	if (statement_timeout_ms &&
	    (rc = apply_statement_timeout(c, statement_timeout_ms, err)))
		goto fail;
	/* Where cancel() sends its KILL QUERY: this server, this session. */
	c->thread_id = mysql_thread_id(c->my);
	if (!(socket ? (c->peer.socket = strdup(socket)) : (c->peer.host = strdup(host)))) {
		rc = my_oom(err, "mysql connect");
		goto fail;
	}
	c->peer.port = port;
	return DAL_OK;
fail:
	mysql_close(c->my);
	c->my = NULL;
	return rc;
}

int my_connect(const struct dal_driver *self, const struct dal_connect_params *p,
               dal_bconn **out, dal_error *err)
{
	struct conn_options o;
	struct dal_bconn *c;
	const char *hosts = p->host && *p->host ? p->host : "127.0.0.1";
	const char *next = hosts;
	char tried[DAL_ERROR_MESSAGE_SIZE] = "";
	char h[256];
	unsigned port, timeout_ms = 0;
	int rc, more, n = 0;

	(void)self;
	if ((rc = parse_options(p, &o, err)))
		return rc;
	if (!(c = calloc(1, sizeof *c)))
		return my_oom(err, "mysql connect");
	if (keep_peer(&c->peer, p, &o)) {
		conn_free(c);
		return my_oom(err, "mysql connect");
	}
	/* A core older than the member hands a shorter struct. */
	if (p->struct_size >= offsetof(struct dal_connect_params, statement_timeout_ms) +
	                      sizeof p->statement_timeout_ms)
		timeout_ms = p->statement_timeout_ms;
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
		rc = connect_one(c, p, &o, h, port, timeout_ms, err);
		if (rc == DAL_OK || rc == DAL_ECONFIG || rc == DAL_ENOMEM ||
		    rc == DAL_EUNSUPPORTED)
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
	else if (n > 1 && rc != DAL_ECONFIG && rc != DAL_ENOMEM && rc != DAL_EUNSUPPORTED)
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

void my_disconnect(dal_bconn *c)
{
	if (!c)
		return;
	/* Every statement was finalized; a streamed result left behind by a
	 * failed fetch is dropped with the connection. */
	conn_free(c);
}

/* ------------------------------------------------------------------------ */
/* Commands on the connection                                               */
/* ------------------------------------------------------------------------ */

int my_gone_check(struct dal_bconn *c)
{
	struct pollfd pfd = {.fd = (int)mysql_get_socket(c->my), .events = POLLRDHUP};

	/* A handle already closed by the connector (fd -1) is left to it: it
	 * answers CR_SERVER_GONE_ERROR without sending anything. */
	if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
		return 0;
	return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* A ping changes nothing: whenever it is lost, DAL_ECONNECT. */
int my_ping(dal_bconn *c, dal_error *err)
{
	if (c->active)
		return my_busy(err, "ping");
	if (mysql_ping(c->my))
		return my_report_conn(err, c, MY_NO_EFFECT, "ping");
	return DAL_OK;
}

/* The body of exec(), between my_running() and my_idle(). */
static int exec_run(struct dal_bconn *c, const char *sql, int64_t *affected,
                    dal_error *err)
{
	int64_t aff = 0;
	unsigned n = 1;
	int more;

	if (mysql_real_query(c->my, sql, strlen(sql)))
		return my_report_conn(err, c, MY_REQUEST, "exec");
	/* Every result must be consumed, or the connection stays out of sync;
	 * a failing statement ends the batch (also one interrupted by KILL
	 * QUERY or max_statement_time: its error ends the result, and the
	 * connection is ready for the next command). */
	do {
		MYSQL_RES *res = mysql_store_result(c->my);

		if (res) {
			mysql_free_result(res);
			aff = 0;
		} else if (mysql_field_count(c->my) != 0) {
			return my_report_conn(err, c, MY_RESULT, "exec (reading a result)");
		} else {
			aff = (int64_t)mysql_affected_rows(c->my);
			my_note_insert_id(c, mysql_insert_id(c->my));
		}
		more = mysql_next_result(c->my);
		if (more > 0) {
			char what[48];

			snprintf(what, sizeof what, "exec (statement %u)", n + 1);
			return my_report_conn(err, c, MY_RESULT, what);
		}
		n++;
	} while (more == 0);
	if (affected)
		*affected = aff;
	return DAL_OK;
}

int my_exec(dal_bconn *c, const char *sql, int64_t *affected, dal_error *err)
{
	int rc;

	if (c->active)
		return my_busy(err, "exec");
	if (my_gone(c))
		return my_report_gone(err, c, "exec");
	my_running(c);
	rc = exec_run(c, sql, affected, err);
	my_idle(c);
	return rc;
}

int my_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err)
{
	(void)err;
	*out = c->last_id;
	return DAL_OK;
}

static int simple(struct dal_bconn *c, const char *sql, size_t len, enum my_phase ph,
                  const char *what, dal_error *err)
{
	int rc = DAL_OK;

	if (c->active)
		return my_busy(err, what);
	if (my_gone(c))
		return my_report_gone(err, c, what);
	my_running(c);
	if (mysql_real_query(c->my, sql, len))
		rc = my_report_conn(err, c, ph, what);
	my_idle(c);
	return rc;
}

/* START TRANSACTION commits a transaction left open by SQL (autocommit = 0):
 * lost after sending, its outcome is unknown. */
int my_begin(dal_bconn *c, dal_error *err)
{
	return simple(c, "START TRANSACTION", 17, MY_REQUEST, "BEGIN", err);
}

int my_commit(dal_bconn *c, dal_error *err)
{
	return simple(c, "COMMIT", 6, MY_REQUEST, "COMMIT", err);
}

/* A ROLLBACK lost on the way leaves the transaction rolled back all the
 * same (the server rolls back the transaction of a session that ends): the
 * outcome is known, DAL_ECONNECT. */
int my_rollback(dal_bconn *c, dal_error *err)
{
	return simple(c, "ROLLBACK", 8, MY_NO_EFFECT, "ROLLBACK", err);
}

const char *my_server_kind(dal_bconn *c)
{
	return c->kind;
}

const char *my_server_version(dal_bconn *c)
{
	return mysql_get_server_info(c->my);
}
