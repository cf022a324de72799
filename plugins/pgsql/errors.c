/*
 * backend_pgsql: errors. Turns what libpq reports (a failed result, a lost
 * connection, a refused connection attempt) into a dal_code, a SQLSTATE and
 * a one-line message, and holds the plugin's stock errors (busy, out of
 * memory). It does not decide when something is an error: the callers do.
 */
#include <stddef.h>
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
			continue;
		}
		dst[n++] = *msg;
	}
	dst[n] = '\0';
}

int pgb_connection_lost(struct dal_bconn *c, dal_error *err, const char *what)
{
	char msg[400];

	pgb_one_line(msg, sizeof msg, PQerrorMessage(c->pg));
	return dal_error_set(err, DAL_ECONNECT, "08006", 0,
	                     "%s: postgresql server %s: %s", what, c->where,
	                     *msg ? msg : "connection lost");
}

/* Report the error carried by res (or, without one, the connection's). */
int pgb_report_result(dal_error *err, struct dal_bconn *c,
                      const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	int code;

	if (!state || PQstatus(c->pg) == CONNECTION_BAD) {
		if (PQstatus(c->pg) == CONNECTION_BAD || !primary)
			return pgb_connection_lost(c, err, what);
		state = "XX000";
	}
	code = dal_sqlstate_category(state);
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
	return dal_error_set(err, DAL_ENOMEM, "53200", 0, "%s: out of memory", what);
}

/* Classify a failed connection by libpq's message: there is no SQLSTATE
 * for it in libpq 15's API. */
int pgb_connect_category(const char *msg, const char **state)
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
