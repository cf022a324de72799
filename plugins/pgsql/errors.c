/*
 * backend_pgsql: errors. Turns what libpq reports (a failed result, a lost
 * connection, a refused connection attempt, a request it could not send)
 * into a dal_code, a SQLSTATE and a one-line message, holds the plugin's
 * stock errors (busy, out of memory), and routes the server's notices to
 * the log sink. It does not decide when something is an error: the callers
 * do, and they say whether the request was sent and whether it could have
 * changed anything (pgsql_int.h).
 *
 * A lost connection: DAL_ECONNECT (class 08) when nothing was sent, or
 * when what was sent changes nothing; DAL_EOUTCOME (08007, transaction
 * resolution unknown) when a request that may change something was sent and
 * no answer came back. A session the server ended while it was idle is
 * found before sending (pgb_alive()): libpq hands the server's last words
 * to the notice receiver then, which remembers them.
 *
 * Out of memory inside libpq (no SQLSTATE, a NULL PGresult, or libpq's
 * "out of memory" texts, with the connection still fine) is DAL_ENOMEM,
 * HY001: the connection is usable and must not be thrown away.
 */
#define _GNU_SOURCE /* strcasestr */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pgsql_int.h"

#define BUSY_MESSAGE \
	"connection busy with an unfinished result; finish or reset the previous " \
	"statement (or set the postgresql option buffered = on)"

/* Copy a libpq message (multi-line, newline-terminated) as one line. */
void pgb_one_line(char *dst, size_t size, const char *msg)
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
			while (msg[1] == '\t' || msg[1] == ' ')
				msg++; /* libpq indents continuation lines */
			continue;
		}
		dst[n++] = *msg;
	}
	dst[n] = '\0';
}

/* libpq's own messages for an allocation that failed ("out of memory",
 * "out of memory for query result", "cannot allocate memory for ...",
 * strerror(ENOMEM), getaddrinfo's EAI_MEMORY, OpenSSL's "malloc
 * failure"). English only: libpq translates them when the application has
 * set a locale. */
static int oom_text(const char *msg)
{
	return strcasestr(msg, "out of memory") || strcasestr(msg, "cannot allocate memory") ||
	       strcasestr(msg, "memory allocation failure") || strcasestr(msg, "malloc failure");
}

/* libpq ran out of memory; the connection is fine. */
static int libpq_oom(dal_error *err, const char *what, const char *msg, const char *sent)
{
	return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "%s: out of memory in libpq%s%s%s%s",
	                     what, *msg ? " (" : "", msg, *msg ? ")" : "", sent);
}

int pgb_alive(struct dal_bconn *c, dal_error *err, const char *what)
{
	char msg[400];

	if (PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF && PQstatus(c->pg) == CONNECTION_OK)
		return dal_error_set(err, DAL_ECONNECT, "08003", 0,
		                     "%s: the connection to postgresql server %s was left "
		                     "unusable by an earlier failure (out of memory); nothing "
		                     "was sent", what, c->where);
	/* What arrived while idle: notices, and a FATAL (the server's reason)
	 * followed by the end of the connection when it ended the session.
	 * PQconsumeInput reads without waiting; PQisBusy parses, which hands
	 * an unsolicited error to the notice receiver (c->ended). */
	if (PQstatus(c->pg) == CONNECTION_OK && !c->ended && PQconsumeInput(c->pg))
		(void)PQisBusy(c->pg);
	if (PQstatus(c->pg) == CONNECTION_OK && !c->ended)
		return DAL_OK;
	if (c->ended)
		snprintf(msg, sizeof msg, "%s", c->ended_msg);
	else
		pgb_one_line(msg, sizeof msg, PQerrorMessage(c->pg));
	return dal_error_set(err, DAL_ECONNECT, "08006", 0,
	                     "%s: the connection to postgresql server %s was lost before "
	                     "the request was sent (nothing was sent): %s", what, c->where,
	                     *msg ? msg : "connection lost");
}

int pgb_not_sent(struct dal_bconn *c, dal_error *err, const char *what)
{
	char msg[400];

	pgb_one_line(msg, sizeof msg, PQerrorMessage(c->pg));
	if (PQstatus(c->pg) == CONNECTION_OK) {
		if (!*msg || oom_text(msg))
			return libpq_oom(err, what, msg, "; nothing was sent");
		return dal_error_set(err, DAL_EBACKEND, "HY000", 0,
		                     "%s: libpq did not send the request: %s", what, msg);
	}
	return dal_error_set(err, DAL_ECONNECT, "08006", 0,
	                     "%s: the connection to postgresql server %s was lost before "
	                     "the request was sent (nothing was sent): %s", what, c->where,
	                     *msg ? msg : "connection lost");
}

int pgb_lost(struct dal_bconn *c, const PGresult *res, int may_apply, dal_error *err,
             const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[400];

	/* The server's reason (57P01 "terminating connection due to
	 * administrator command"...), else libpq's ("server closed the
	 * connection unexpectedly"). */
	if (primary)
		snprintf(msg, sizeof msg, "%.360s (SQLSTATE %.5s)", primary, state ? state : "?");
	else /* all that libpq has for this request: PQexec's last result
	      * holds only its own complaint, not the server's FATAL before it */
		pgb_one_line(msg, sizeof msg,
		             *PQerrorMessage(c->pg) || !res ? PQerrorMessage(c->pg)
		                                           : PQresultErrorMessage(res));
	if (!*msg)
		snprintf(msg, sizeof msg, "connection lost");
	if (may_apply)
		return dal_error_set(err, DAL_EOUTCOME, "08007", 0,
		                     "%s: the connection to postgresql server %s was lost after "
		                     "the request was sent; it may or may not have been "
		                     "applied: %s", what, c->where, msg);
	return dal_error_set(err, DAL_ECONNECT, "08006", 0,
	                     "%s: the connection to postgresql server %s was lost while "
	                     "waiting for the answer (the request changes nothing): %s",
	                     what, c->where, msg);
}

int pgb_no_result(struct dal_bconn *c, int may_apply, dal_error *err, const char *what)
{
	char msg[400];

	if (PQstatus(c->pg) != CONNECTION_OK)
		return pgb_lost(c, NULL, may_apply, err, what);
	pgb_one_line(msg, sizeof msg, PQerrorMessage(c->pg));
	return libpq_oom(err, what, oom_text(msg) ? msg : "", "");
}

/* 1 if the error in res ends the session: FATAL or PANIC. */
static int ends_session(const PGresult *res)
{
	const char *sev = NULL;

#ifdef PG_DIAG_SEVERITY_NONLOCALIZED
	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
#endif
	if (sev)
		return strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0;
	/* A server older than 9.6: the severity is localized; these states
	 * come with FATAL. */
	sev = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return sev && (strncmp(sev, "08", 2) == 0 || strncmp(sev, "57P0", 4) == 0);
}

/*
 * A COPY ... TO STDOUT or FROM STDIN put the connection in the COPY
 * protocol, which statements cannot carry: end it (read and drop what the
 * server sends, or abort the upload) so that the connection takes requests
 * again, instead of waiting forever in COPY mode.
 */
static int refuse_copy(struct dal_bconn *c, ExecStatusType st, dal_error *err,
                       const char *what)
{
	PGresult *r;
	char *buf;

	if (st == PGRES_COPY_OUT) {
		while (PQgetCopyData(c->pg, &buf, 0) > 0)
			PQfreemem(buf);
	} else {
		PQputCopyEnd(c->pg, "COPY FROM STDIN is not supported through libdal");
	}
	/* The COPY's own result, then the end; a bounded loop, should a
	 * COPY BOTH (replication) refuse to end. */
	for (int k = 0; k < 16 && (r = PQgetResult(c->pg)) != NULL; k++)
		PQclear(r);
	return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", 0,
	                     "%s: COPY %s is not supported through libdal statements "
	                     "(it needs the COPY protocol); nothing was copied", what,
	                     st == PGRES_COPY_OUT ? "TO STDOUT" : "FROM STDIN");
}

/* Report the error carried by res, a failed result of a request that was
 * sent. */
int pgb_report_result(dal_error *err, struct dal_bconn *c, const PGresult *res,
                      int may_apply, const char *what)
{
	const char *state, *primary, *detail, *pos;
	char msg[400];
	int code;

	if (!res)
		return pgb_no_result(c, may_apply, err, what);
	if (PQresultStatus(res) == PGRES_COPY_OUT || PQresultStatus(res) == PGRES_COPY_IN ||
	    PQresultStatus(res) == PGRES_COPY_BOTH)
		return refuse_copy(c, PQresultStatus(res), err, what);
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (!state) {
		/* An error of libpq's own, without a SQLSTATE: the connection
		 * broke, or libpq ran out of memory (the static "out of memory"
		 * result among others), or it could not make sense of what the
		 * server sent. */
		if (PQstatus(c->pg) != CONNECTION_OK)
			return pgb_lost(c, res, may_apply, err, what);
		pgb_one_line(msg, sizeof msg, PQresultErrorMessage(res));
		if (!*msg || oom_text(msg))
			return libpq_oom(err, what, msg, "");
		return dal_error_set(err, DAL_EBACKEND, "XX000", 0, "%s: libpq: %s", what, msg);
	}
	if (ends_session(res) || PQstatus(c->pg) != CONNECTION_OK)
		return pgb_lost(c, res, may_apply, err, what);
	primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	code = dal_sqlstate_category(state);
	/* An ERROR of class 08 on a session that goes on is about something
	 * else (08P01 for a Bind with the wrong parameter count, dblink's
	 * "could not connect"): this connection is fine. */
	if (code == DAL_ECONNECT)
		code = DAL_EBACKEND;
	return dal_error_set(err, code, state, 0, "%s: %s%s%s%s%s%s", what,
	                     primary ? primary : "error",
	                     pos ? " at character " : "", pos ? pos : "",
	                     detail ? " (" : "", detail ? detail : "",
	                     detail ? ")" : "");
}

int pgb_busy(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_EMISUSE, "HY010", 0, "%s: " BUSY_MESSAGE, what);
}

int pgb_oom(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "%s: out of memory", what);
}

/* Classify a failed connection by libpq's message: there is no SQLSTATE
 * for it in libpq 15's API. */
int pgb_connect_category(const char *msg, const char **state)
{
	if (oom_text(msg)) {
		*state = "HY001";
		return DAL_ENOMEM;
	}
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

/* ------------------------------------------------------------------------ */
/* Notices                                                                   */
/* ------------------------------------------------------------------------ */

/* The log level of a severity, as the server sends it unlocalized. */
static int notice_level(const char *sev)
{
	if (!sev)
		return DAL_LOG_INFO;
	if (strncmp(sev, "DEBUG", 5) == 0)
		return DAL_LOG_DEBUG;
	if (strcmp(sev, "WARNING") == 0)
		return DAL_LOG_WARN;
	if (strcmp(sev, "ERROR") == 0 || strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0)
		return DAL_LOG_ERROR;
	return DAL_LOG_INFO; /* NOTICE, INFO, LOG */
}

/*
 * libpq's default receiver prints every notice on stderr, which is not a
 * library's to write to. Here a notice (RAISE NOTICE, "table does not
 * exist, skipping", a WARNING) becomes one log line, prefixed with the
 * repository: "<repo>: postgresql NOTICE: ...". libpq also hands over an
 * error that arrives while the connection is idle: a FATAL then is the
 * server ending the session, remembered for pgb_alive().
 */
void pgb_notice(void *arg, const PGresult *res)
{
	struct dal_bconn *c = arg;
	const char *sev = NULL, *shown, *primary, *detail, *hint;
	char text[512];

#ifdef PG_DIAG_SEVERITY_NONLOCALIZED
	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
#endif
	shown = PQresultErrorField(res, PG_DIAG_SEVERITY);
	if (!sev)
		sev = shown;
	primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	if (primary)
		pgb_one_line(text, sizeof text, primary);
	else /* one of libpq's own notices: only the whole text */
		pgb_one_line(text, sizeof text, PQresultErrorMessage(res));
	if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0)) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		c->ended = 1;
		snprintf(c->ended_msg, sizeof c->ended_msg, "%.200s (SQLSTATE %.5s)", text,
		         state ? state : "?");
	}
	dal_plugin_log(notice_level(sev), "%s: postgresql %s%s%s%s%s%s%s%s", c->repo,
	               primary && shown ? shown : "", primary && shown ? ": " : "", text,
	               detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
	               hint ? "; hint: " : "", hint ? hint : "");
}
