/*
 * backend_pgsql: connections. Declares the backend options (checked by the
 * SDK's dal_options_parse()), builds libpq's connection parameters (host and
 * port lists, timeouts, statement_timeout, passthrough keys), connects and
 * disconnects, and runs what needs no prepared statement: ping, exec,
 * transactions, last_insert_id, the server's kind and version, and cancel.
 * Not statements (stmt.c) nor the mapping of errors (errors.c).
 */
#include <locale.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql_int.h"

#define DEFAULT_CONNECT_TIMEOUT 10 /* seconds, when the config gives none */
#define DEFAULT_APPLICATION_NAME "libdal"

/* libpq's values (case-sensitive there): the SDK matches them in any case,
 * so libpq is handed the spelling from these tables, not the user's. */
static const char *const sslmodes[] = {
	"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL,
};
static const char *const session_attrs[] = {
	"any", "read-write", "read-only", "primary", "standby", "prefer-standby", NULL,
};

/*
 * The backend's options: buffered, and libpq keywords passed through from
 * options of the same name (application_name with the plugin's default).
 * The SDK checks them (unknown keys, booleans, choices), so that a typo is
 * reported as a configuration error naming the key and where it came from,
 * not as a connection failure. Order = the enum in pgsql_int.h.
 */
const struct dal_option_spec pgb_option_specs[PGB_O__COUNT] = {
	[PGB_O_BUFFERED] = {"buffered", DAL_OPTION_BOOL, "off", NULL, 0, 0,
	                    "read each result whole instead of streaming it, so that "
	                    "several may be open at once"},
	[PGB_O_SSLMODE] = {"sslmode", DAL_OPTION_CHOICE, NULL, sslmodes, 0, 0,
	                   "libpq sslmode; libpq's default (prefer) when unset"},
	[PGB_O_SSLROOTCERT] = {"sslrootcert", DAL_OPTION_TEXT, NULL, NULL, 0, 0,
	                       "libpq sslrootcert: CA certificate file"},
	[PGB_O_SSLCERT] = {"sslcert", DAL_OPTION_TEXT, NULL, NULL, 0, 0,
	                   "libpq sslcert: client certificate file"},
	[PGB_O_SSLKEY] = {"sslkey", DAL_OPTION_TEXT, NULL, NULL, 0, 0,
	                  "libpq sslkey: client private key file"},
	[PGB_O_SSLCRL] = {"sslcrl", DAL_OPTION_TEXT, NULL, NULL, 0, 0,
	                  "libpq sslcrl: certificate revocation list file"},
	[PGB_O_APPLICATION_NAME] = {"application_name", DAL_OPTION_TEXT,
	                            DEFAULT_APPLICATION_NAME, NULL, 0, 0,
	                            "application_name shown by the server"},
	[PGB_O_TARGET_SESSION_ATTRS] = {"target_session_attrs", DAL_OPTION_CHOICE, NULL,
	                                session_attrs, 0, 0,
	                                "libpq target_session_attrs: which of several "
	                                "hosts is acceptable"},
	[PGB_O_OPTIONS] = {"options", DAL_OPTION_TEXT, NULL, NULL, 0, 0,
	                   "libpq options: server settings sent at connection start "
	                   "(-c name=value)"},
};

static void free_name(void *name, void *ud)
{
	(void)ud;
	free(name);
}

static void conn_free(struct dal_bconn *c)
{
	dal_defer_drain(&c->zombies, free_name, NULL);
	dal_defer_free(&c->zombies);
	if (c->cancel)
		PQfreeCancel(c->cancel);
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

int pgb_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                dal_bconn **out, dal_error *err)
{
	const char *keys[32], *vals[32];
	char timeout[16], idle[16], interval[16], user_timeout[16];
	/* libpq takes parallel host and port lists; shown as host:port pairs. */
	char host[1024], port[256], shown[1280];
	const char *repo = p->repo_name ? p->repo_name : "?";
	struct dal_option_value v[PGB_O__COUNT];
	const char *app, *user_opts;
	char *opts = NULL;
	unsigned stmt_ms;
	struct dal_bconn *c;
	int n = 0, buffered, rc;

	(void)self;
	if ((rc = dal_options_parse(p, "postgresql", pgb_option_specs, PGB_O__COUNT, v, err)))
		return rc;
	buffered = (int)v[PGB_O_BUFFERED].i;
	app = v[PGB_O_APPLICATION_NAME].text;
	user_opts = v[PGB_O_OPTIONS].given ? v[PGB_O_OPTIONS].text : NULL;
	/* A core of ABI 2.0 always fills it; checked all the same. */
	stmt_ms = p->struct_size >= offsetof(struct dal_connect_params, statement_timeout_ms) +
	                                    sizeof p->statement_timeout_ms
	                  ? p->statement_timeout_ms : 0;
	/* The passthrough keys that were given, under their own names
	 * (options below, with statement_timeout). */
	for (int k = 0; k < PGB_O__COUNT; k++) {
		const struct dal_option_spec *sp = &pgb_option_specs[k];

		if (k == PGB_O_BUFFERED || k == PGB_O_APPLICATION_NAME || k == PGB_O_OPTIONS ||
		    !v[k].given)
			continue;
		keys[n] = sp->key;
		vals[n++] = sp->type == DAL_OPTION_CHOICE && v[k].choice >= 0
		                    ? sp->choices[v[k].choice] : v[k].text;
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
	/* statement_timeout as a setting of the session from its start: no
	 * round trip, and RESET ALL or DISCARD ALL keep it. Appended to the
	 * user's own server options, so that it wins over a statement_timeout
	 * given there too. A statement that runs longer fails with 57014,
	 * DAL_ETIMEOUT. */
	if (stmt_ms) {
		size_t size = (user_opts ? strlen(user_opts) : 0) + 48;

		if (!(opts = malloc(size)))
			return pgb_oom(err, "postgresql connect");
		snprintf(opts, size, "%s%s-c statement_timeout=%u", user_opts ? user_opts : "",
		         user_opts ? " " : "", stmt_ms);
		keys[n] = "options", vals[n++] = opts;
	} else if (user_opts) {
		keys[n] = "options", vals[n++] = user_opts;
	}
	keys[n] = NULL, vals[n] = NULL;

	if (!(c = calloc(1, sizeof *c))) {
		free(opts);
		return pgb_oom(err, "postgresql connect");
	}
	c->buffered = buffered;
	snprintf(c->repo, sizeof c->repo, "%s", repo);
	if (!(c->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0))) {
		free(opts);
		free(c);
		return pgb_oom(err, "postgresql connect");
	}
	/* expand_dbname = 0: a database name is only ever a name, never a
	 * connection string smuggled in through the configuration. */
	c->pg = PQconnectdbParams(keys, vals, 0);
	free(opts);
	if (!c->pg) {
		conn_free(c);
		return pgb_oom(err, "postgresql connect");
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		char msg[400];
		const char *state;
		int code;

		pgb_one_line(msg, sizeof msg, PQerrorMessage(c->pg));
		code = pgb_connect_category(msg, &state);
		rc = dal_error_set(err, code, state, 0,
		                   "repository '%s': cannot connect to postgresql server "
		                   "%s as user '%s'%s%s%s: %s", repo, shown,
		                   p->user ? p->user : "", p->dbname ? " (database '" : "",
		                   p->dbname ? p->dbname : "", p->dbname ? "')" : "", msg);
		conn_free(c);
		return rc;
	}
	/* Notices to the log sink from now on. (Those sent while the session
	 * starts have passed through libpq's default receiver already:
	 * PQconnectdbParams gives no earlier moment to set ours.) */
	PQsetNoticeReceiver(c->pg, pgb_notice, c);
	/* What cancel() needs, made now: it may be called from another thread
	 * at any moment, and must not touch c->pg. */
	if (!(c->cancel = PQgetCancel(c->pg))) {
		conn_free(c);
		return pgb_oom(err, "postgresql connect");
	}
	/* The host that answered, when several were given. */
	snprintf(c->where, sizeof c->where, "%s:%s", PQhost(c->pg), PQport(c->pg));
	*out = c;
	return DAL_OK;
}

void pgb_disconnect(dal_bconn *c)
{
	if (c)
		conn_free(c); /* the session's end frees its prepared statements */
}

/* Run one command that returns no rows. may_apply: whether it can change
 * anything (for a connection lost after sending, errors.c). */
static int simple(struct dal_bconn *c, const char *sql, const char *what, int may_apply,
                  PGresult **keep, dal_error *err)
{
	PGresult *r;
	int rc = DAL_OK;

	if (c->active)
		return pgb_busy(err, what);
	if ((rc = pgb_alive(c, err, what)))
		return rc;
	/* NULL: nothing was sent (lost, or out of memory). */
	if (!(r = PQexec(c->pg, sql)))
		return pgb_not_sent(c, err, what);
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	default:
		rc = pgb_report_result(err, c, r, may_apply, what);
	}
	if (keep && rc == DAL_OK)
		*keep = r;
	else
		PQclear(r);
	return rc;
}

/* An empty query is the cheapest round trip the protocol has. */
int pgb_ping(dal_bconn *c, dal_error *err)
{
	return simple(c, "", "ping", 0, NULL, err);
}

int pgb_exec(dal_bconn *c, const char *sql, int64_t *affected,
             dal_error *err)
{
	PGresult *r = NULL;
	int rc;

	/* PQexec runs several statements in one implicit transaction unless
	 * they hold their own BEGIN/COMMIT, and stops at the first error. */
	if ((rc = simple(c, sql, "exec", 1, &r, err)))
		return rc;
	if (affected)
		*affected = pgb_affected_of(r);
	PQclear(r);
	return DAL_OK;
}

/*
 * lastval(): the value most recently returned by nextval() in this session,
 * in any sequence (so also one bumped by a trigger). It fails (55000) when
 * no sequence was used yet; inside a transaction that failure would abort
 * the application's transaction, so it runs under a savepoint there.
 */
int pgb_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err)
{
	static const char what[] = "last_insert_id";
	PGTransactionStatusType ts;
	PGresult *r, *val = NULL;
	int rc = DAL_OK, in_txn;

	if (c->active)
		return pgb_busy(err, what);
	ts = PQtransactionStatus(c->pg);
	if (ts == PQTRANS_INERROR)
		return dal_error_set(err, DAL_EMISUSE, "25P02", 0,
		                     "%s: the current transaction is aborted by an earlier "
		                     "error; roll it back first", what);
	in_txn = ts == PQTRANS_INTRANS;
	if ((rc = pgb_alive(c, err, what)))
		return rc;
	if (!PQsendQuery(c->pg, in_txn ? "SAVEPOINT dal_lastval; SELECT lastval(); "
	                                 "RELEASE SAVEPOINT dal_lastval"
	                               : "SELECT lastval()"))
		return pgb_not_sent(c, err, what);
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
				rc = pgb_report_result(err, c, r, 0, what);
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

int pgb_begin(dal_bconn *c, dal_error *err)
{
	return simple(c, "BEGIN", "BEGIN", 0, NULL, err);
}

int pgb_commit(dal_bconn *c, dal_error *err)
{
	PGresult *r = NULL;
	int rc = simple(c, "COMMIT", "COMMIT", 1, &r, err);

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

int pgb_rollback(dal_bconn *c, dal_error *err)
{
	return simple(c, "ROLLBACK", "ROLLBACK", 0, NULL, err);
}

const char *pgb_server_kind(dal_bconn *c)
{
	(void)c;
	return "postgresql";
}

const char *pgb_server_version(dal_bconn *c)
{
	return PQparameterStatus(c->pg, "server_version");
}

/*
 * Called from another thread than the one using c, at any moment: only
 * what connect() made and nothing changes until disconnect is read, and
 * PQcancel() is documented as safe for that (it opens its own connection
 * to the server and asks it to stop whatever c's session runs). When
 * nothing runs, the server ignores the request. The interrupted call fails
 * with 57014 query_canceled (which the core reports as DAL_ECANCELED), and
 * the session goes on.
 */
int pgb_cancel(dal_bconn *c, dal_error *err)
{
	char why[256] = "", msg[256];

	if (PQcancel(c->cancel, why, sizeof why))
		return DAL_OK;
	pgb_one_line(msg, sizeof msg, why);
	return dal_error_set(err, DAL_ECONNECT, "08001", 0,
	                     "cancel: cannot send a cancel request to postgresql server %s: %s",
	                     c->where, *msg ? msg : "failed");
}
