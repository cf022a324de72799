/*
 * backend_pgsql: connections. Checks the backend options and builds libpq's
 * connection parameters (host and port lists, timeouts, passthrough keys),
 * connects and disconnects, and runs what needs no prepared statement:
 * ping, exec, transactions, last_insert_id, the server's kind and version.
 * Not statements (stmt.c) nor the mapping of errors (errors.c).
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql_int.h"

#define DEFAULT_CONNECT_TIMEOUT 10 /* seconds, when the config gives none */
#define DEFAULT_APPLICATION_NAME "libdal"

#define KNOWN_OPTIONS \
	"buffered, sslmode, sslrootcert, sslcert, sslkey, sslcrl, application_name, " \
	"target_session_attrs, options"

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

int pgb_connect(const struct dal_connect_params *p, dal_bconn **out,
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
		return pgb_oom(err, "postgresql connect");
	c->buffered = buffered;
	if (!(c->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0))) {
		free(c);
		return pgb_oom(err, "postgresql connect");
	}
	/* expand_dbname = 0: a database name is only ever a name, never a
	 * connection string smuggled in through the configuration. */
	c->pg = PQconnectdbParams(keys, vals, 0);
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

/* Run one command that returns no rows. */
static int simple(struct dal_bconn *c, const char *sql, const char *what,
                  PGresult **keep, dal_error *err)
{
	PGresult *r;
	int rc = DAL_OK;

	if (c->active)
		return pgb_busy(err, what);
	r = PQexec(c->pg, sql);
	if (!r)
		return pgb_connection_lost(c, err, what);
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	default:
		rc = pgb_report_result(err, c, r, what);
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
	return simple(c, "", "ping", NULL, err);
}

int pgb_exec(dal_bconn *c, const char *sql, int64_t *affected,
             dal_error *err)
{
	PGresult *r = NULL;
	int rc;

	/* PQexec runs several statements in one implicit transaction unless
	 * they hold their own BEGIN/COMMIT, and stops at the first error. */
	if ((rc = simple(c, sql, "exec", &r, err)))
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
	if (!PQsendQuery(c->pg, in_txn ? "SAVEPOINT dal_lastval; SELECT lastval(); "
	                                 "RELEASE SAVEPOINT dal_lastval"
	                               : "SELECT lastval()"))
		return pgb_connection_lost(c, err, what);
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
				rc = pgb_report_result(err, c, r, what);
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
	return simple(c, "BEGIN", "BEGIN", NULL, err);
}

int pgb_commit(dal_bconn *c, dal_error *err)
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

int pgb_rollback(dal_bconn *c, dal_error *err)
{
	return simple(c, "ROLLBACK", "ROLLBACK", NULL, err);
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
