/*
 * backend_mysql: errors. Maps the connector's and the server's native error
 * numbers to a dal_code and an SQLSTATE, decides from the phase of the
 * request whether a lost connection is DAL_ECONNECT (not sent) or
 * DAL_EOUTCOME (sent, outcome unknown), and words the messages (naming the
 * server for connection errors). Whether something is an error, and when to
 * report it, is the callers' business.
 *
 * What the connector (MariaDB Connector/C 3.x) tells about a lost
 * connection: CR_SERVER_GONE_ERROR (2006) when it could not write the
 * command (the write failed, or the handle was already closed by an earlier
 * failure: it never reconnects here), so the server never got it;
 * CR_SERVER_LOST (2013) when the read of the answer failed, i.e. after the
 * command was written; over TLS, a read that fails in the TLS layer keeps
 * its CR_SSL_CONNECTION_ERROR (2026) instead (a failed write is 2006 all
 * the same). A server that ends the session while a statement runs (KILL,
 * shutdown) closes the socket, which the client also sees as one of those,
 * or sends ER_CONNECTION_KILLED / a shutdown error first.
 */
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "mysql_int.h"

/* MySQL 5.7+: ER_QUERY_TIMEOUT, "maximum statement execution time
 * exceeded"; MariaDB's headers call 3024 ER_UNUSED_1. */
#define MY_ER_QUERY_TIMEOUT 3024

#define BUSY_MESSAGE \
	"connection busy with an unfinished result; finish or reset the previous " \
	"statement (or set the mysql option buffered = on)"

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
	/* MariaDB's max_statement_time (statement_timeout). */
	{ER_STATEMENT_TIMEOUT, DAL_ETIMEOUT, "57014"},
	/* MySQL's max_execution_time; 3024 is unused in MariaDB. */
	{MY_ER_QUERY_TIMEOUT, DAL_ETIMEOUT, "57014"},
	/* KILL QUERY: ours (cancel(), which the core reports as
	 * DAL_ECANCELED) or someone else's. Not a timeout, and not to be
	 * retried blindly: DAL_EBACKEND, with the server's SQLSTATE 70100. */
	{ER_QUERY_INTERRUPTED, DAL_EBACKEND, "70100"},
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

int my_map_error(unsigned no, const char *sqlstate, const char **state)
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

/* Native codes that mean the session ended: the connection is lost. */
static int is_loss(unsigned no)
{
	switch (no) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_ERR_NET_READ:
	case CR_ERR_NET_WRITE:
	case CR_MALFORMED_PACKET:
	case CR_SSL_CONNECTION_ERROR: /* a TLS read failed: after sending */
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case ER_NORMAL_SHUTDOWN:
		return 1;
	default:
		return 0;
	}
}

/* Whether error no may be c's read_timeout expiring: CR_SERVER_LOST, or
 * over TLS CR_SSL_CONNECTION_ERROR ("TLS/SSL error: Connection timed out"). */
static int maybe_read_timeout(unsigned no, const struct dal_bconn *c)
{
	return (no == CR_SERVER_LOST || no == CR_SSL_CONNECTION_ERROR) && c && c->read_timeout;
}

/* Report an error (no, sqlstate, msg) for an operation `what` in phase ph;
 * connection errors also name the server. Returns the dal_code. */
static int report_raw(dal_error *err, struct dal_bconn *c, enum my_phase ph, unsigned no,
                      const char *sqlstate, const char *msg, const char *what)
{
	const char *state;
	int code = my_map_error(no, sqlstate, &state);
	const char *server = c ? c->where : "?";

	if (is_loss(no) && ph != MY_NO_EFFECT) {
		if (no == CR_SERVER_GONE_ERROR && ph == MY_REQUEST)
			return dal_error_set(err, DAL_ECONNECT, state, (long)no,
			                     "%s: mysql server %s: %s (error %u); the request was "
			                     "not sent", what, server, msg, no);
		if (maybe_read_timeout(no, c))
			return dal_error_set(err, DAL_EOUTCOME, "08007", (long)no,
			                     "%s: mysql server %s: %s (error %u; no answer within "
			                     "read_timeout = %u s?) after the request was sent: it "
			                     "may or may not have been applied", what, server, msg,
			                     no, c->read_timeout);
		return dal_error_set(err, DAL_EOUTCOME, "08007", (long)no,
		                     "%s: mysql server %s: %s (error %u) after the request was "
		                     "sent: it may or may not have been applied", what, server,
		                     msg, no);
	}
	if (maybe_read_timeout(no, c))
		return dal_error_set(err, code, state, (long)no,
		                     "%s: mysql server %s: %s (error %u; no answer within "
		                     "read_timeout = %u s?)", what, server, msg, no,
		                     c->read_timeout);
	if (no == ER_STATEMENT_TIMEOUT && c && c->statement_timeout_ms)
		return dal_error_set(err, code, state, (long)no,
		                     "%s: mysql server %s: %s (error %u; statement_timeout = "
		                     "%u ms)", what, server, msg, no, c->statement_timeout_ms);
	if (code == DAL_ECONNECT || code == DAL_ETIMEOUT)
		return dal_error_set(err, code, state, (long)no,
		                     "%s: mysql server %s: %s (error %u)", what, server, msg, no);
	return dal_error_set(err, code, state, (long)no, "%s: %s (error %u)", what,
	                     msg, no);
}

int my_report_conn(dal_error *err, struct dal_bconn *c, enum my_phase ph, const char *what)
{
	return report_raw(err, c, ph, mysql_errno(c->my), mysql_sqlstate(c->my),
	                  mysql_error(c->my), what);
}

int my_report_stmt(dal_error *err, struct dal_bstmt *s, enum my_phase ph, const char *what)
{
	/* A failed unbuffered fetch leaves its error on the connection only. */
	if (!mysql_stmt_errno(s->st) && mysql_errno(s->conn->my))
		return my_report_conn(err, s->conn, ph, what);
	return report_raw(err, s->conn, ph, mysql_stmt_errno(s->st),
	                  mysql_stmt_sqlstate(s->st), mysql_stmt_error(s->st), what);
}

int my_report_gone(dal_error *err, struct dal_bconn *c, const char *what)
{
	return dal_error_set(err, DAL_ECONNECT, "08S01", CR_SERVER_GONE_ERROR,
	                     "%s: mysql server %s closed the connection while it was idle "
	                     "(session killed, wait_timeout, or a restart); the request was "
	                     "not sent", what, c->where);
}

int my_busy(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_EMISUSE, "HY010", CR_COMMANDS_OUT_OF_SYNC,
	                     "%s: " BUSY_MESSAGE, what);
}

int my_oom(dal_error *err, const char *what)
{
	return dal_error_set(err, DAL_ENOMEM, "HY001", CR_OUT_OF_MEMORY,
	                     "%s: out of memory", what);
}
