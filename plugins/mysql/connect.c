/*
 * backend_mysql: connections. Parses the plugin's options, sets up a
 * connector handle (timeouts, utf8mb4, TLS), connects to the first usable
 * host of the list (checking, when asked, that it is a ready Galera node:
 * node.c),
 * applies the statement timeout, keeps what cancel() needs (cancel.c), and
 * runs what needs no prepared statement: exec, ping, transactions, the last
 * insert id, the server's kind and version. Prepared statements are
 * stmt.c's.
 */
#define _GNU_SOURCE /* POLLRDHUP, strerror_r returning char * */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "mysql_int.h"

#define DEFAULT_CONNECT_TIMEOUT 10 /* seconds, when the config gives none */

/* ------------------------------------------------------------------------ */
/* Options and the handle                                                   */
/* ------------------------------------------------------------------------ */

/* The tls_mode values and, index for index, those of its older name
 * ssl_mode (MySQL's --ssl-mode spellings): enum my_tls_mode. */
const char *const my_tls_modes[] = {
	"disable", "prefer", "require", "verify-ca", "verify-full", NULL,
};
static const char *const ssl_modes[] = {
	"disabled", "preferred", "required", "verify_ca", "verify_identity", NULL,
};

/*
 * The options this backend declares; the SDK checks them (unknown keys,
 * types, choices) and the registration publishes them. Order = enum below.
 * tls_mode, tls_ca, tls_cert and tls_key are the names every backend with
 * DAL_CAP_TLS shares, with the same meanings (docs/backends.md, "TLS");
 * ssl_mode, ssl_ca, ssl_cert and ssl_key are their older names, still
 * accepted; the other ssl_* options and tls_version are the connector's own.
 */
enum {
	O_BUFFERED, O_WSREP,
	O_TLS_MODE, O_TLS_CA, O_TLS_CERT, O_TLS_KEY,
	O_SSL_MODE, O_SSL_CA, O_SSL_CERT, O_SSL_KEY,
	O_SSL_CAPATH, O_SSL_CIPHER, O_SSL_CRL, O_SSL_CRLPATH, O_TLS_VERSION,
	O__COUNT
};
_Static_assert(O__COUNT == MY_N_OPTION_SPECS, "MY_N_OPTION_SPECS counts the specs");

#define TEXT_SPEC(key, help) {key, DAL_OPTION_TEXT, NULL, NULL, 0, 0, help}

const struct dal_option_spec my_option_specs[O__COUNT] = {
	[O_BUFFERED] = {"buffered", DAL_OPTION_BOOL, "off", NULL, 0, 0,
	                "read every result whole (mysql_stmt_store_result) instead of "
	                "streaming it"},
	[O_WSREP] = {"wsrep_check", DAL_OPTION_BOOL, "off", NULL, 0, 0,
	             "Galera: require a node with wsrep_ready = ON and Synced, at connect "
	             "and (at most once a second) at checkout"},
	[O_TLS_MODE] = {"tls_mode", DAL_OPTION_CHOICE, "prefer", my_tls_modes, 0, 0,
	                "TLS: disable, prefer, require, verify-ca or verify-full "
	                "(unset: prefer, or verify-ca when a CA is given)"},
	[O_TLS_CA] = TEXT_SPEC("tls_ca", "TLS: CA certificate file that checks the server's"),
	[O_TLS_CERT] = TEXT_SPEC("tls_cert", "TLS: client certificate file"),
	[O_TLS_KEY] = TEXT_SPEC("tls_key", "TLS: client private key file"),
	[O_SSL_MODE] = {"ssl_mode", DAL_OPTION_CHOICE, NULL, ssl_modes, 0, 0,
	                "older name of tls_mode: disabled, preferred, required, verify_ca "
	                "or verify_identity"},
	[O_SSL_CA] = TEXT_SPEC("ssl_ca", "older name of tls_ca"),
	[O_SSL_CERT] = TEXT_SPEC("ssl_cert", "older name of tls_cert"),
	[O_SSL_KEY] = TEXT_SPEC("ssl_key", "older name of tls_key"),
	[O_SSL_CAPATH] = TEXT_SPEC("ssl_capath", "TLS: directory of CA certificates"),
	[O_SSL_CIPHER] = TEXT_SPEC("ssl_cipher", "TLS: permitted ciphers"),
	[O_SSL_CRL] = TEXT_SPEC("ssl_crl", "TLS: certificate revocation list file"),
	[O_SSL_CRLPATH] = TEXT_SPEC("ssl_crlpath", "TLS: directory of revocation lists"),
	[O_TLS_VERSION] = TEXT_SPEC("tls_version",
	                            "TLS: permitted protocol versions, e.g. TLSv1.2,TLSv1.3"),
};

/* For each connector TLS option (enum my_tls_opt): the connector's option,
 * the spec of its name and of its older name (-1: none), and whether it
 * names a file, which is checked before connecting. */
static const struct {
	enum mysql_option opt;
	int spec, legacy, is_file;
} tls_opts[MY_N_TLS] = {
	[MY_T_CA] = {MYSQL_OPT_SSL_CA, O_TLS_CA, O_SSL_CA, 1},
	[MY_T_CERT] = {MYSQL_OPT_SSL_CERT, O_TLS_CERT, O_SSL_CERT, 1},
	[MY_T_KEY] = {MYSQL_OPT_SSL_KEY, O_TLS_KEY, O_SSL_KEY, 1},
	[MY_T_CAPATH] = {MYSQL_OPT_SSL_CAPATH, O_SSL_CAPATH, -1, 0},
	[MY_T_CIPHER] = {MYSQL_OPT_SSL_CIPHER, O_SSL_CIPHER, -1, 0},
	[MY_T_CRL] = {MYSQL_OPT_SSL_CRL, O_SSL_CRL, -1, 1},
	[MY_T_CRLPATH] = {MYSQL_OPT_SSL_CRLPATH, O_SSL_CRLPATH, -1, 0},
	[MY_T_VERSION] = {MARIADB_OPT_TLS_VERSION, O_TLS_VERSION, -1, 0},
};

struct conn_options {
	int buffered;
	int wsrep_check;
	enum my_tls_mode tls_mode;
	const dal_option *mode_given; /* tls_mode or ssl_mode, or NULL: not given */
	const dal_option *tls[MY_N_TLS];
	const dal_option *tls_given;  /* first TLS file or string option given */
	const dal_option *ca_given;   /* tls_ca (ssl_ca), else ssl_capath, or NULL */
};

/*
 * Of option `spec` and its older name `legacy` (-1: none), the one given,
 * in *out. Both given is fine when they agree (same), else a configuration
 * error naming both and where each came from: which one was meant is not
 * for the plugin to guess, whatever their sources.
 */
static int synonym(const struct dal_option_value *v, int spec, int legacy, int same,
                   const dal_option **out, dal_error *err)
{
	const dal_option *a = v[spec].given, *b = legacy >= 0 ? v[legacy].given : NULL;

	*out = a ? a : b;
	if (!a || !b || same)
		return DAL_OK;
	return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
	                     "mysql options %s = '%s' (%s) and %s = '%s' (%s) disagree; "
	                     "%s is the older name of %s: give only one of them",
	                     my_option_specs[spec].key, a->value, dal_option_origin(a),
	                     my_option_specs[legacy].key, b->value, dal_option_origin(b),
	                     my_option_specs[legacy].key, my_option_specs[spec].key);
}

/* "tls_mode = 'verify-ca' (url)", or "the default tls_mode" when unset. */
static void mode_words(const struct conn_options *o, char *buf, size_t size)
{
	if (o->mode_given)
		snprintf(buf, size, "%s = '%s' (%s)", o->mode_given->key, o->mode_given->value,
		         dal_option_origin(o->mode_given));
	else
		snprintf(buf, size, "the default tls_mode (%s)", my_tls_modes[o->tls_mode]);
}

/*
 * What the TLS options must agree on (docs/backends.md, "TLS"), and the
 * files they name must be readable: a clear configuration error here
 * rather than whatever the connector makes of a missing key file.
 */
static int check_tls_options(const struct conn_options *o, dal_error *err)
{
	char mode[DAL_ERROR_MESSAGE_SIZE / 2];

	mode_words(o, mode, sizeof mode);
	if (o->tls_mode == MY_TLS_DISABLE && o->tls_given)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: mysql option %s is set but %s turns TLS off",
		                     dal_option_origin(o->tls_given), o->tls_given->key, mode);
	if (o->tls_mode == MY_TLS_PREFER && o->ca_given)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: mysql option %s is set but %s never checks the "
		                     "server's certificate (and on other backends falls back to "
		                     "an unencrypted connection when the check fails); use "
		                     "tls_mode = verify-ca or verify-full, or leave tls_mode unset "
		                     "(verify-ca with a CA)", dal_option_origin(o->ca_given),
		                     o->ca_given->key, mode);
	if (o->tls_mode == MY_TLS_VERIFY_CA && !o->ca_given)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "mysql: %s needs tls_ca (or ssl_capath): MariaDB Connector/C "
		                     "checks a certificate chain without the host name only "
		                     "against a CA given explicitly; give tls_ca, or use "
		                     "tls_mode = verify-full to check the chain and the host name "
		                     "against the system's CAs", mode);
	for (size_t t = 0; t < MY_N_TLS; t++) {
		const dal_option *f = o->tls[t];
		char why[128];

		if (!f || !tls_opts[t].is_file || access(f->value, R_OK) == 0)
			continue;
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: mysql option %s: cannot read file '%s': %s",
		                     dal_option_origin(f), f->key, f->value,
		                     strerror_r(errno, why, sizeof why));
	}
	return DAL_OK;
}

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
	if ((rc = synonym(v, O_TLS_MODE, O_SSL_MODE,
	                  v[O_TLS_MODE].choice == v[O_SSL_MODE].choice, &o->mode_given, err)))
		return rc;
	for (size_t t = 0; t < MY_N_TLS; t++) {
		int spec = tls_opts[t].spec, legacy = tls_opts[t].legacy;
		const dal_option *a = v[spec].given, *b = legacy >= 0 ? v[legacy].given : NULL;

		if ((rc = synonym(v, spec, legacy, !a || !b || strcmp(a->value, b->value) == 0,
		                  &o->tls[t], err)))
			return rc;
		/* The first given in the options' order (strongest first):
		 * given options all point into p->options. */
		if (o->tls[t] && (!o->tls_given || o->tls[t] < o->tls_given))
			o->tls_given = o->tls[t];
	}
	o->ca_given = o->tls[MY_T_CA] ? o->tls[MY_T_CA] : o->tls[MY_T_CAPATH];
	if (o->mode_given)
		o->tls_mode = (enum my_tls_mode)(o->mode_given == v[O_TLS_MODE].given
		                                         ? v[O_TLS_MODE].choice
		                                         : v[O_SSL_MODE].choice);
	else /* A CA given without a mode is there to be checked against. */
		o->tls_mode = o->ca_given ? MY_TLS_VERIFY_CA : MY_TLS_PREFER;
	return check_tls_options(o, err);
}

static int set_opt(MYSQL *my, enum mysql_option opt, const void *value,
                   const char *name, dal_error *err)
{
	if (mysql_optionsv(my, opt, value) == 0)
		return DAL_OK;
	/* String options are copied: a failed copy is not a bad option. */
	if (mysql_errno(my) == CR_OUT_OF_MEMORY)
		return dal_error_set(err, DAL_ENOMEM, "HY001", CR_OUT_OF_MEMORY,
		                     "mysql: out of memory setting option %s", name);
	return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
	                     "mysql: the connector refused option %s", name);
}

/*
 * The TLS options of peer (the connection's, or the copy cancel() uses).
 * What MariaDB Connector/C 3.3 does with them (checked against 3.3.20):
 *  - Without MYSQL_OPT_SSL_ENFORCE (or a file option) it never uses TLS,
 *    even with a server that offers it. ENFORCE only turns TLS on: a server
 *    that offers none is still accepted, unencrypted, after authenticating
 *    (check_tls() refuses that where tls_mode requires TLS).
 *  - A CA given (ssl_ca, ssl_capath) makes it check the chain, without the
 *    host name: verify-ca, and require with a CA, as libpq does.
 *  - MYSQL_OPT_SSL_VERIFY_SERVER_CERT checks the chain (against the CA
 *    given, else the system's) and the host name, and refuses a server
 *    without TLS before authenticating: verify-full. Set in every mode, as
 *    a connector that verifies by default (3.4) would otherwise check where
 *    tls_mode does not ask for it.
 */
int my_configure_tls(MYSQL *my, const struct my_peer *peer, dal_error *err)
{
	my_bool use = peer->tls_mode != MY_TLS_DISABLE;
	my_bool verify = peer->tls_mode == MY_TLS_VERIFY_FULL;
	int rc;

	for (size_t t = 0; t < MY_N_TLS; t++)
		if (peer->tls[t] &&
		    (rc = set_opt(my, tls_opts[t].opt, peer->tls[t],
		                  my_option_specs[tls_opts[t].spec].key, err)))
			return rc;
	if ((rc = set_opt(my, MYSQL_OPT_SSL_ENFORCE, &use, "tls_mode", err)) ||
	    (rc = set_opt(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify, "tls_mode", err)))
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
	peer->tls_mode = o->tls_mode;
	peer->connect_timeout = p->connect_timeout ? p->connect_timeout
	                                           : DEFAULT_CONNECT_TIMEOUT;
	if ((p->user && !(peer->user = strdup(p->user))) ||
	    (p->password && !(peer->password = strdup(p->password))))
		return -1;
	for (size_t t = 0; t < MY_N_TLS; t++)
		if (o->tls[t] && !(peer->tls[t] = strdup(o->tls[t]->value)))
			return -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Connecting                                                               */
/* ------------------------------------------------------------------------ */

const char *my_server_address(dal_bconn *c, unsigned *port)
{
	*port = c->peer.socket ? 0 : c->peer.port;
	return c->peer.socket ? c->peer.socket : c->peer.host;
}

/*
 * Note how the session is encrypted, for tls_info(). The connector (3.3)
 * refuses a server without TLS before authenticating only when it checks
 * the host name (verify-full); for require and verify-ca, refuse the
 * unencrypted session here, before any statement is sent on it.
 */
static int check_tls(struct dal_bconn *c, const struct dal_connect_params *p,
                     const struct conn_options *o, dal_error *err)
{
	const char *cipher = mysql_get_ssl_cipher(c->my), *version = NULL;

	c->tls[0] = '\0';
	if (cipher) {
		if (mariadb_get_infov(c->my, MARIADB_CONNECTION_TLS_VERSION, &version) ||
		    !version)
			version = "TLS";
		snprintf(c->tls, sizeof c->tls, "%s %s", version, cipher);
		return DAL_OK;
	}
	if (o->tls_mode < MY_TLS_REQUIRE)
		return DAL_OK;
	return dal_error_set(err, DAL_ECONNECT, "08001", CR_SSL_CONNECTION_ERROR,
	                     "repository '%s': mysql server %s offers no TLS, and "
	                     "tls_mode = %s requires it: the connection is not encrypted, "
	                     "closed before any statement", p->repo_name ? p->repo_name : "?",
	                     c->where, my_tls_modes[o->tls_mode]);
}

/*
 * What a failed TLS handshake (CR_SSL_CONNECTION_ERROR) was about, from the
 * connector's message (OpenSSL's reason or X509 verification text):
 * DAL_EAUTH when the server's certificate could not be verified (not
 * transient: retrying cannot make it verify), DAL_ECONFIG when a local file
 * is unusable, 0 for anything else (a connection lost mid-handshake).
 */
static int tls_failure(const char *msg)
{
	static const char *const unverified[] = {
		"certificate verify failed", "self-signed certificate", "self signed certificate",
		"unable to get local issuer certificate", "unable to get issuer certificate",
		"unable to verify the first certificate", "certificate has expired",
		"certificate is not yet valid", "certificate signature failure",
		"certificate not trusted", "certificate rejected", "certificate revoked",
		"Validation of SSL server certificate failed", "hostname mismatch",
		"IP address mismatch", "Unable to get server certificate", "CRL",
	};
	static const char *const local[] = {
		"key values mismatch", "PEM", "no certificate or crl found", "No such file",
		"Can't open",
	};

	for (size_t i = 0; i < sizeof unverified / sizeof unverified[0]; i++)
		if (strstr(msg, unverified[i]))
			return DAL_EAUTH;
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		if (strstr(msg, local[i]))
			return DAL_ECONFIG;
	return 0;
}

/* What was checked the certificate against, for the message of a failed
 * verification. */
static void verified_against(const struct conn_options *o, char *buf, size_t size)
{
	if (o->ca_given)
		snprintf(buf, size, "tls_mode = %s, CA %s = '%s' (%s)", my_tls_modes[o->tls_mode],
		         o->ca_given->key, o->ca_given->value, dal_option_origin(o->ca_given));
	else
		snprintf(buf, size, "tls_mode = %s, against the system's CAs",
		         my_tls_modes[o->tls_mode]);
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
		int tls = no == CR_SSL_CONNECTION_ERROR ? tls_failure(mysql_error(c->my)) : 0;
		/* Where the library's reason is cut short, what it was checked
		 * against (a path, last: it may be long) goes first. */
		char against[DAL_ERROR_MESSAGE_SIZE] = "";

		if (tls == DAL_EAUTH) {
			verified_against(o, against, sizeof against);
			code = DAL_EAUTH;
			state = "28000";
		} else if (tls == DAL_ECONFIG) {
			code = DAL_ECONFIG;
			state = "HY000";
		}
		rc = dal_error_set(err, code, state, (long)no,
		                   "repository '%s': cannot connect to mysql server %s as "
		                   "user '%s'%s%s%s: %s%s (error %u%s%s)",
		                   p->repo_name ? p->repo_name : "?", c->where,
		                   p->user ? p->user : "", p->dbname ? " (database '" : "",
		                   p->dbname ? p->dbname : "", p->dbname ? "')" : "",
		                   tls == DAL_EAUTH ? "the server's TLS certificate could not be "
		                                      "verified: "
		                   : tls == DAL_ECONFIG ? "a TLS file option is unusable: " : "",
		                   mysql_error(c->my), no, against[0] ? "; " : "", against);
		goto fail;
	}
	info = mysql_get_server_info(c->my);
	c->kind = info && strstr(info, "MariaDB") ? "mariadb" : "mysql";
	if ((rc = check_tls(c, p, o, err)))
		goto fail;
	if (o->wsrep_check && (rc = my_check_wsrep(c, err)))
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
	c->wsrep_check = o.wsrep_check;
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

const char *my_tls_info(dal_bconn *c)
{
	return c->tls[0] ? c->tls : NULL;
}
