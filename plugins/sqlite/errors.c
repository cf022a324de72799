/*
 * backend_sqlite: mapping SQLite result codes to libdal's error categories
 * and SQLSTATEs, and the messages that go with them.
 */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

static int has(const char *msg, const char *needle)
{
	return msg && strstr(msg, needle) != NULL;
}

/*
 * Map an extended result code (and, for the catch-all SQLITE_ERROR, the
 * message: SQLite has no finer code for syntax errors or missing objects) to
 * a category and SQLSTATE. SQLSTATEs follow PostgreSQL's where the standard
 * has no entry, so that applications see the same state on every backend.
 *
 * SQLITE_BUSY/LOCKED become DAL_EBUSY with "40001": the category that tells
 * an application "retry the transaction", and the SQLSTATE that maps back to
 * the same category. SQLITE_RANGE only arises from a bind index out of range,
 * which is API misuse, not bad data.
 */
int sq_map_code(int rc, const char *msg, const char **state)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_ROWID:
		*state = "23505";
		return DAL_ECONSTRAINT;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		*state = "23503";
		return DAL_ECONSTRAINT;
	case SQLITE_CONSTRAINT_NOTNULL:
		*state = "23502";
		return DAL_ECONSTRAINT;
	case SQLITE_CONSTRAINT_CHECK:
		*state = "23514";
		return DAL_ECONSTRAINT;
#ifdef SQLITE_CONSTRAINT_DATATYPE
	case SQLITE_CONSTRAINT_DATATYPE: /* STRICT table, wrong value type */
		*state = "22000";
		return DAL_EDATA;
#endif
	}

	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		*state = "23000";
		return DAL_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		*state = "40001";
		return DAL_EBUSY;
	case SQLITE_CANTOPEN:
		*state = "08001";
		return DAL_ECONNECT;
	case SQLITE_READONLY:
		*state = "25006";
		return DAL_EREADONLY;
	case SQLITE_TOOBIG:
		*state = "22001";
		return DAL_EDATA;
	case SQLITE_MISMATCH:
		*state = "22000";
		return DAL_EDATA;
	case SQLITE_RANGE:
		*state = "07009";
		return DAL_EMISUSE;
	case SQLITE_NOMEM:
		*state = "HY001";
		return DAL_ENOMEM;
	case SQLITE_MISUSE:
		*state = "HY010";
		return DAL_EMISUSE;
	case SQLITE_INTERRUPT: /* statement_timeout; sq_report() tells a cancel */
		*state = "57014";
		return DAL_ETIMEOUT;
	case SQLITE_AUTH:
		*state = "42501";
		return DAL_ESYNTAX;
	case SQLITE_FULL:
		*state = "53100";
		return DAL_EBACKEND;
	case SQLITE_IOERR:
		*state = "58030";
		return DAL_EBACKEND;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		*state = "XX001";
		return DAL_EBACKEND;
	case SQLITE_ERROR:
		if (has(msg, "syntax error") || has(msg, "incomplete input") ||
		    has(msg, "unrecognized token")) {
			*state = "42601";
			return DAL_ESYNTAX;
		}
		if (has(msg, "no such table")) {
			*state = "42P01";
			return DAL_ENOTFOUND;
		}
		if (has(msg, "no such column")) {
			*state = "42703";
			return DAL_ENOTFOUND;
		}
		if (has(msg, "no such function")) {
			*state = "42883";
			return DAL_ENOTFOUND;
		}
		if (has(msg, "no such ")) { /* index, view, trigger, ... */
			*state = "42704";
			return DAL_ENOTFOUND;
		}
		if (has(msg, "already exists")) {
			*state = "42P07";
			return DAL_ESYNTAX;
		}
		if (has(msg, "ambiguous column name")) {
			*state = "42702";
			return DAL_ESYNTAX;
		}
		if (has(msg, "within a transaction")) {
			*state = "25001";
			return DAL_EMISUSE;
		}
		if (has(msg, "no transaction is active")) {
			*state = "25P01";
			return DAL_EMISUSE;
		}
		break;
	}
	*state = "HY000";
	return DAL_EBACKEND;
}

static int rolls_back(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_NOMEM:
	case SQLITE_INTERRUPT:
		return 1;
	}
	return 0;
}

/*
 * Report rc (an extended result code) for an operation on conn: the message
 * is "<what>: <sqlite message>" plus a hint where SQLite's own text leaves
 * the reader guessing. Returns the dal_code.
 */
int sq_report(dal_error *err, struct dal_bconn *conn, int rc, const char *what)
{
	const char *msg = conn && conn->db ? sqlite3_errmsg(conn->db)
	                                   : sqlite3_errstr(rc);
	const char *state, *txn = "";
	char hint[160] = "";
	int code = sq_map_code(rc, msg, &state);

	/* The errors after which SQLite may roll the whole transaction back
	 * by itself (lang_transaction.html: disk full, I/O error, busy, out of
	 * memory, an interrupted write): say so when it did, once, since the
	 * application still believes it is inside the transaction. */
	if (conn && conn->in_txn && conn->db && rolls_back(rc) &&
	    sqlite3_get_autocommit(conn->db)) {
		conn->in_txn = 0;
		txn = " (SQLite rolled the transaction back)";
	}
	/* Both statement_timeout (the progress handler) and dal_conn_cancel()
	 * (sqlite3_interrupt()) end a statement with SQLITE_INTERRUPT. The
	 * mapping above gives the timeout's category; a cancel is reported as
	 * one here, so that it is DAL_ECANCELED even where the core has no
	 * cancel pending to convert it (a prepare, or a statement started
	 * while the cancel still held, see sqlite_cancel()). */
	if ((rc & 0xff) == SQLITE_INTERRUPT && conn) {
		if (conn->timed_out) {
			conn->timed_out = 0;
			return dal_error_set(err, DAL_ETIMEOUT, state, rc,
			                     "%s: statement_timeout expired: the statement ran "
			                     "longer than %u ms and was interrupted%s",
			                     what, conn->stmt_timeout_ms, txn);
		}
		code = DAL_ECANCELED;
	}

	if (rc == SQLITE_BUSY_SNAPSHOT)
		snprintf(hint, sizeof hint,
		         " (the transaction read an older snapshot: roll back and retry)");
	else if ((rc & 0xff) == SQLITE_BUSY && conn)
		snprintf(hint, sizeof hint, " (gave up after busy_timeout = %ld ms)",
		         conn->busy_timeout);
#if SQLITE_VERSION_NUMBER >= 3038000
	else if (code == DAL_ESYNTAX && conn && conn->db &&
	         sqlite3_error_offset(conn->db) >= 0)
		snprintf(hint, sizeof hint, " at offset %d",
		         sqlite3_error_offset(conn->db));
#endif
	return dal_error_set(err, code, state, rc, "%s: %s%s%s", what, msg, hint, txn);
}

