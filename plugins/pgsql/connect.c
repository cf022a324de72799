/*
 * backend_pgsql: connections. Declares the backend options (checked by the
 * SDK's dal_options_parse()), resolves the TLS options (tls_* and their
 * libpq names), builds libpq's connection parameters (host and port lists,
 * timeouts, statement_timeout, TLS, passthrough keys), connects (noting how
 * the session is encrypted, for tls_info) and
 * disconnects, and runs what needs no prepared statement: ping, exec,
 * transactions, last_insert_id, the server's kind and version, and cancel.
 * Not statements (stmt.c) nor the mapping of errors (errors.c).
 */
#define _GNU_SOURCE /* strerror_r returning char * */
#include <errno.h>
#include <locale.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgsql_int.h"

#define DEFAULT_CONNECT_TIMEOUT 10 /* seconds, when the config gives none */
#define DEFAULT_APPLICATION_NAME "libdal"

/* libpq's values (case-sensitive there): the SDK matches them in any case,
 * so libpq is handed the spelling from these tables, not the user's.
 * tls_mode's values are libpq sslmodes of the same name (all but allow). */
static const char *const tls_modes[] = {
	"disable", "prefer", "require", "verify-ca", "verify-full", NULL,
};
static const char *const sslmodes[] = {
	"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL,
};
static const char *const session_attrs[] = {
	"any", "read-write", "read-only", "primary", "standby", "prefer-standby", NULL,
};

#define TEXT_SPEC(key, help) {key, DAL_OPTION_TEXT, NULL, NULL, 0, 0, help}

/*
 * The backend's options: buffered; TLS under the names every backend with
 * DAL_CAP_TLS shares (tls_mode, tls_ca, tls_cert, tls_key: same meanings
 * everywhere, docs/backends.md "TLS") or under libpq's own, their older
 * names here (sslmode, sslrootcert, sslcert, sslkey), plus sslcrl; and libpq
 * keywords passed through from options of the same name (application_name
 * with the plugin's default). The SDK checks them (unknown keys, booleans,
 * choices), so that a typo is reported as a configuration error naming the
 * key and where it came from, not as a connection failure. Order = the enum
 * in pgsql_int.h.
 */
const struct dal_option_spec pgb_option_specs[PGB_O__COUNT] = {
	[PGB_O_BUFFERED] = {"buffered", DAL_OPTION_BOOL, "off", NULL, 0, 0,
	                    "read each result whole instead of streaming it, so that "
	                    "several may be open at once"},
	[PGB_O_TLS_MODE] = {"tls_mode", DAL_OPTION_CHOICE, "prefer", tls_modes, 0, 0,
	                    "TLS: disable, prefer, require, verify-ca or verify-full "
	                    "(unset: prefer, or verify-ca when tls_ca is given)"},
	[PGB_O_TLS_CA] = TEXT_SPEC("tls_ca", "TLS: CA certificate file that checks the "
	                                     "server's (libpq sslrootcert)"),
	[PGB_O_TLS_CERT] = TEXT_SPEC("tls_cert", "TLS: client certificate file (libpq sslcert)"),
	[PGB_O_TLS_KEY] = TEXT_SPEC("tls_key", "TLS: client private key file (libpq sslkey)"),
	[PGB_O_SSLMODE] = {"sslmode", DAL_OPTION_CHOICE, NULL, sslmodes, 0, 0,
	                   "libpq's name of tls_mode, which also has allow"},
	[PGB_O_SSLROOTCERT] = TEXT_SPEC("sslrootcert", "libpq's name of tls_ca"),
	[PGB_O_SSLCERT] = TEXT_SPEC("sslcert", "libpq's name of tls_cert"),
	[PGB_O_SSLKEY] = TEXT_SPEC("sslkey", "libpq's name of tls_key"),
	[PGB_O_SSLCRL] = TEXT_SPEC("sslcrl", "libpq sslcrl: certificate revocation list file"),
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

/* ------------------------------------------------------------------------ */
/* TLS                                                                      */
/* ------------------------------------------------------------------------ */

/* The TLS files: the option's spec, its older name's (-1: none) and the
 * libpq keyword it becomes. */
enum { T_CA, T_CERT, T_KEY, T_CRL, N_TLS_FILES };
static const struct {
	int spec, legacy;
	const char *keyword;
} tls_files[N_TLS_FILES] = {
	[T_CA] = {PGB_O_TLS_CA, PGB_O_SSLROOTCERT, "sslrootcert"},
	[T_CERT] = {PGB_O_TLS_CERT, PGB_O_SSLCERT, "sslcert"},
	[T_KEY] = {PGB_O_TLS_KEY, PGB_O_SSLKEY, "sslkey"},
	[T_CRL] = {PGB_O_SSLCRL, -1, "sslcrl"},
};

/* The TLS settings resolved from the options. */
struct tls_conf {
	const char *sslmode;          /* for libpq: tls_modes[] or sslmodes[] */
	const dal_option *mode_given; /* tls_mode or sslmode, or NULL: not given */
	const dal_option *file[N_TLS_FILES];
	const dal_option *first;      /* first file given, for messages */
};

/*
 * Of option `spec` and its older name `legacy` (-1: none), the one given,
 * in *out. Both given is fine when they agree (same), else a configuration
 * error naming both and where each came from, whatever their sources.
 */
static int synonym(const struct dal_option_value *v, int spec, int legacy, int same,
                   const dal_option **out, dal_error *err)
{
	const dal_option *a = v[spec].given, *b = legacy >= 0 ? v[legacy].given : NULL;

	*out = a ? a : b;
	if (!a || !b || same)
		return DAL_OK;
	return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
	                     "postgresql options %s = '%s' (%s) and %s = '%s' (%s) disagree; "
	                     "%s is libpq's name of %s: give only one of them",
	                     pgb_option_specs[spec].key, a->value, dal_option_origin(a),
	                     pgb_option_specs[legacy].key, b->value, dal_option_origin(b),
	                     pgb_option_specs[legacy].key, pgb_option_specs[spec].key);
}

/* "tls_mode = 'verify-ca' (url)", or "the default tls_mode (prefer)". */
static void mode_words(const struct tls_conf *t, char *buf, size_t size)
{
	if (t->mode_given)
		snprintf(buf, size, "%s = '%s' (%s)", t->mode_given->key, t->mode_given->value,
		         dal_option_origin(t->mode_given));
	else
		snprintf(buf, size, "the default tls_mode (%s)", t->sslmode);
}

/*
 * Resolve the TLS options (docs/backends.md, "TLS"): the mode, from
 * tls_mode or sslmode, else prefer, or verify-ca when a CA is given; the
 * files, which must be readable (libpq would silently go without a client
 * certificate it cannot find). What contradicts itself is refused: files
 * with TLS off, a CA with a mode that never checks the certificate (libpq's
 * prefer and allow would check it and, when the check fails, connect
 * unencrypted).
 */
static int tls_resolve(const struct dal_option_value *v, struct tls_conf *t, dal_error *err)
{
	const char *tm = v[PGB_O_TLS_MODE].choice >= 0 ? tls_modes[v[PGB_O_TLS_MODE].choice] : NULL;
	const char *sm = v[PGB_O_SSLMODE].choice >= 0 ? sslmodes[v[PGB_O_SSLMODE].choice] : NULL;
	char mode[DAL_ERROR_MESSAGE_SIZE / 2];
	int rc;

	memset(t, 0, sizeof *t);
	if ((rc = synonym(v, PGB_O_TLS_MODE, PGB_O_SSLMODE, tm && sm && strcmp(tm, sm) == 0,
	                  &t->mode_given, err)))
		return rc;
	for (int f = 0; f < N_TLS_FILES; f++) {
		int spec = tls_files[f].spec, legacy = tls_files[f].legacy;
		const dal_option *a = v[spec].given, *b = legacy >= 0 ? v[legacy].given : NULL;

		if ((rc = synonym(v, spec, legacy, !a || !b || strcmp(a->value, b->value) == 0,
		                  &t->file[f], err)))
			return rc;
		/* Given options all point into params->options, strongest
		 * first. */
		if (t->file[f] && (!t->first || t->file[f] < t->first))
			t->first = t->file[f];
	}
	if (t->mode_given)
		t->sslmode = t->mode_given == v[PGB_O_TLS_MODE].given ? tm : sm;
	else /* A CA given without a mode is there to be checked against. */
		t->sslmode = t->file[T_CA] ? "verify-ca" : "prefer";
	mode_words(t, mode, sizeof mode);
	if (strcmp(t->sslmode, "disable") == 0 && t->first)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: postgresql option %s is set but %s turns TLS off",
		                     dal_option_origin(t->first), t->first->key, mode);
	if ((strcmp(t->sslmode, "prefer") == 0 || strcmp(t->sslmode, "allow") == 0) &&
	    t->file[T_CA])
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: postgresql option %s is set but %s does not require "
		                     "the certificate to verify (libpq falls back to an "
		                     "unencrypted connection when the check fails); use "
		                     "tls_mode = verify-ca or verify-full, or leave tls_mode unset "
		                     "(verify-ca with a CA)", dal_option_origin(t->file[T_CA]),
		                     t->file[T_CA]->key, mode);
	for (int f = 0; f < N_TLS_FILES; f++) {
		const dal_option *o = t->file[f];
		char why[128];

		if (!o || access(o->value, R_OK) == 0)
			continue;
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "%s: postgresql option %s: cannot read file '%s': %s",
		                     dal_option_origin(o), o->key, o->value,
		                     strerror_r(errno, why, sizeof why));
	}
	return DAL_OK;
}

/*
 * What a failed connection's message says about TLS: DAL_EAUTH when the
 * server's certificate could not be verified (not transient: retrying
 * cannot make it verify), DAL_ECONFIG when a local TLS file is unusable or
 * missing, 0 for anything else (then errors.c decides).
 */
static int tls_failure(const char *msg)
{
	static const char *const unverified[] = {
		"certificate verify failed", "does not match host name",
		"could not get server's host name from server certificate",
		"server certificate for",
	};
	static const char *const local[] = {
		"root certificate file", "could not read certificate file",
		"could not load private key file", "could not open private key file",
		"private key file", "certificate present, but not private key",
		"could not load SSL certificate revocation list",
	};

	for (size_t i = 0; i < sizeof unverified / sizeof unverified[0]; i++)
		if (strstr(msg, unverified[i]))
			return DAL_EAUTH;
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		if (strstr(msg, local[i]))
			return DAL_ECONFIG;
	return 0;
}

/* How the session is encrypted, for tls_info(): "" when it is not. */
static void note_tls(struct dal_bconn *c)
{
	const char *proto, *cipher;

	c->tls[0] = '\0';
	if (!PQsslInUse(c->pg))
		return;
	proto = PQsslAttribute(c->pg, "protocol");
	cipher = PQsslAttribute(c->pg, "cipher");
	snprintf(c->tls, sizeof c->tls, "%s %s", proto ? proto : "TLS", cipher ? cipher : "?");
}

const char *pgb_tls_info(dal_bconn *c)
{
	return c->tls[0] ? c->tls : NULL;
}

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
	struct tls_conf tls;
	const char *app, *user_opts;
	char *opts = NULL;
	unsigned stmt_ms;
	struct dal_bconn *c;
	int n = 0, buffered, rc;

	(void)self;
	if ((rc = dal_options_parse(p, "postgresql", pgb_option_specs, PGB_O__COUNT, v, err)) ||
	    (rc = tls_resolve(v, &tls, err)))
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
		    (k >= PGB_O_TLS_MODE && k <= PGB_O_SSLCRL) || !v[k].given)
			continue;
		keys[n] = sp->key;
		vals[n++] = sp->type == DAL_OPTION_CHOICE && v[k].choice >= 0
		                    ? sp->choices[v[k].choice] : v[k].text;
	}
	/* TLS under libpq's names. sslmode always: libpq would otherwise take
	 * PGSSLMODE from the environment, and the default is ours. */
	keys[n] = "sslmode", vals[n++] = tls.sslmode;
	/* The node the core wants (ABI 2.1), unless target_session_attrs says
	 * otherwise: libpq asks each host of the list (pg_is_in_recovery()),
	 * so a promoted standby is found as the primary. */
	if (!v[PGB_O_TARGET_SESSION_ATTRS].given &&
	    p->struct_size >= offsetof(struct dal_connect_params, role) + sizeof p->role &&
	    (p->role == DAL_NODE_PRIMARY || p->role == DAL_NODE_REPLICA))
		keys[n] = "target_session_attrs",
		vals[n++] = p->role == DAL_NODE_PRIMARY ? "read-write" : "prefer-standby";
	for (int f = 0; f < N_TLS_FILES; f++)
		if (tls.file[f])
			keys[n] = tls_files[f].keyword, vals[n++] = tls.file[f]->value;

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

		char against[DAL_ERROR_MESSAGE_SIZE] = "";
		int tls_code;

		pgb_one_line(msg, sizeof msg, PQerrorMessage(c->pg));
		code = pgb_connect_category(msg, &state);
		if ((tls_code = tls_failure(msg)) == DAL_EAUTH) {
			code = DAL_EAUTH;
			state = "28000";
			/* After libpq's reason: a path may be long. */
			if (tls.file[T_CA])
				snprintf(against, sizeof against, "; tls_mode = %s, CA %s = '%s' (%s)",
				         tls.sslmode, tls.file[T_CA]->key, tls.file[T_CA]->value,
				         dal_option_origin(tls.file[T_CA]));
			else
				snprintf(against, sizeof against, "; tls_mode = %s, CA: libpq's "
				         "default (~/.postgresql/root.crt)", tls.sslmode);
		} else if (tls_code == DAL_ECONFIG) {
			code = DAL_ECONFIG;
			state = "HY000";
		}
		rc = dal_error_set(err, code, state, 0,
		                   "repository '%s': cannot connect to postgresql server "
		                   "%s as user '%s'%s%s%s: %s%s%s", repo, shown,
		                   p->user ? p->user : "", p->dbname ? " (database '" : "",
		                   p->dbname ? p->dbname : "", p->dbname ? "')" : "",
		                   tls_code == DAL_EAUTH ? "the server's TLS certificate could not "
		                                           "be verified: " : "",
		                   msg, against);
		conn_free(c);
		return rc;
	}
	note_tls(c);
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

const char *pgb_server_address(dal_bconn *c, unsigned *port)
{
	const char *p = PQport(c->pg);

	*port = p && *p ? (unsigned)strtoul(p, NULL, 10) : 0;
	return PQhost(c->pg);
}

/*
 * The node's role by pg_is_in_recovery(), and a standby's lag by its own
 * clock: 0 when it has replayed all the WAL it received, else the age of
 * the last transaction it replayed (pg_last_xact_replay_timestamp()), which
 * also grows while the standby is cut off from its primary. NULL (nothing
 * replayed yet) leaves the lag unknown. No round trip when the core wants
 * nothing: this backend has no readiness check of its own.
 */
int pgb_node_status(dal_bconn *c, unsigned want, struct dal_node_status *out, dal_error *err)
{
	static const char q[] =
		"SELECT pg_is_in_recovery(), CASE WHEN NOT pg_is_in_recovery() THEN 0 "
		"WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
		"ELSE (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint "
		"END";
	PGresult *r = NULL;
	int rc;

	out->ready = 1;
	if (!want)
		return DAL_OK;
	if ((rc = simple(c, q, "node_status", 0, &r, err)))
		return rc;
	out->checked = 1;
	if (PQntuples(r) == 1) {
		out->role = strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? DAL_NODE_REPLICA
		                                                 : DAL_NODE_PRIMARY;
		if (!PQgetisnull(r, 0, 1))
			out->lag_ms = (int64_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	return DAL_OK;
}
