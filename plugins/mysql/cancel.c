/*
 * backend_mysql: cancelling the statement a connection runs. MySQL and
 * MariaDB have no cancel packet: a running statement is stopped by
 * `KILL QUERY <thread id>` sent from another session of the same user. So
 * cancel() opens a short-lived second connection to the server the
 * connection reached, with the credentials and TLS options connect() kept
 * (struct my_peer), sends the KILL QUERY and closes it again.
 *
 * cancel() runs on another thread than the one using the connection, at any
 * moment: it never touches the connection's MYSQL handle. It reads only what
 * connect() stored and never changes (the thread id, the peer) and the
 * atomic running/seq pair the connection's thread keeps (mysql_int.h).
 *
 * The interrupted statement fails with ER_QUERY_INTERRUPTED (1317, SQLSTATE
 * 70100), which errors.c reports as DAL_EBACKEND and the core, which knows
 * it asked for a cancel, as DAL_ECANCELED. That error ends the result on
 * the wire, so the connection is ready for the next command (decode.c and
 * stmt.c release the interrupted result).
 *
 * Races: KILL QUERY stops whatever the session runs when it arrives. When
 * nothing runs, the server ignores it (the next statement is not affected),
 * and cancel() does not even connect. Between the check that the request it
 * was asked to stop still runs and the arrival of the KILL there is a window
 * of one round trip in which that request may end and the connection's
 * thread send the next one, which is then the one stopped: the same window
 * as PostgreSQL's cancel request. The check is made after connecting, right
 * before sending, to keep the window that small.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "mysql_int.h"

/* Seconds the helper connection may take to connect, and to answer. */
#define CANCEL_TIMEOUT 10

void my_peer_free(struct my_peer *p)
{
	if (p->password) {
		explicit_bzero(p->password, strlen(p->password));
		free(p->password);
	}
	free(p->host);
	free(p->socket);
	free(p->user);
	for (size_t t = 0; t < MY_N_TLS; t++)
		free(p->tls[t]);
	memset(p, 0, sizeof *p);
}

/* Whether the request that ran when cancel() was called (number seq) still
 * runs. */
static int still_running(struct dal_bconn *c, unsigned seq)
{
	return __atomic_load_n(&c->running, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&c->seq, __ATOMIC_RELAXED) == seq;
}

static int helper_options(MYSQL *k, const struct my_peer *peer, dal_error *err)
{
	unsigned ct = peer->connect_timeout < CANCEL_TIMEOUT ? peer->connect_timeout
	                                                     : CANCEL_TIMEOUT;
	unsigned rw = CANCEL_TIMEOUT, zero = 0;
	my_bool off = 0;

	if (mysql_optionsv(k, MYSQL_OPT_CONNECT_TIMEOUT, &ct) ||
	    mysql_optionsv(k, MYSQL_OPT_READ_TIMEOUT, &rw) ||
	    mysql_optionsv(k, MYSQL_OPT_WRITE_TIMEOUT, &rw) ||
	    mysql_optionsv(k, MYSQL_OPT_RECONNECT, &off) ||
	    mysql_optionsv(k, MYSQL_OPT_LOCAL_INFILE, &zero))
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "cancel: the connector refused an option of the helper "
		                     "connection");
	return my_configure_tls(k, peer, err);
}

int my_cancel(dal_bconn *c, dal_error *err)
{
	const struct my_peer *peer = &c->peer;
	unsigned seq;
	char q[48];
	MYSQL *k;
	int n, rc = DAL_OK;

	dal_error_clear(err);
	/* running first: its acquire makes seq at least that request's number
	 * (my_running() stores seq, then running). */
	if (!__atomic_load_n(&c->running, __ATOMIC_ACQUIRE)) {
		dal_plugin_log(DAL_LOG_DEBUG, "mysql server %s: cancel: session %lu runs "
		               "nothing, nothing to stop", c->where, c->thread_id);
		return DAL_OK;
	}
	seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
	if (!(k = mysql_init(NULL)))
		return my_oom(err, "cancel");
	if ((rc = helper_options(k, peer, err)))
		goto out;
	/* No database: KILL needs none, and the user may lack a default. */
	if (!mysql_real_connect(k, peer->host, peer->user, peer->password, NULL, peer->port,
	                        peer->socket, 0)) {
		const char *state;
		unsigned no = mysql_errno(k);
		int code = my_map_error(no, mysql_sqlstate(k), &state);

		rc = dal_error_set(err, code, state, (long)no,
		                   "cancel: cannot connect to mysql server %s as user '%s' to "
		                   "send KILL QUERY %lu: %s (error %u)", c->where,
		                   peer->user ? peer->user : "", c->thread_id, mysql_error(k),
		                   no);
		goto out;
	}
	if (peer->tls_mode >= MY_TLS_REQUIRE && !mysql_get_ssl_cipher(k)) {
		rc = dal_error_set(err, DAL_ECONNECT, "08001", 0,
		                   "cancel: mysql server %s: the helper connection is not "
		                   "encrypted, and tls_mode = %s requires it; KILL QUERY not "
		                   "sent", c->where, my_tls_modes[peer->tls_mode]);
		goto out;
	}
	if (!still_running(c, seq)) {
		dal_plugin_log(DAL_LOG_DEBUG, "mysql server %s: cancel: the request of "
		               "session %lu ended meanwhile, nothing to stop", c->where,
		               c->thread_id);
		goto out;
	}
	n = snprintf(q, sizeof q, "KILL QUERY %lu", c->thread_id);
	if (mysql_real_query(k, q, (unsigned long)n)) {
		const char *state;
		unsigned no = mysql_errno(k);
		int code = my_map_error(no, mysql_sqlstate(k), &state);

		/* The session is gone: nothing runs there any more. */
		if (no == ER_NO_SUCH_THREAD)
			goto out;
		rc = dal_error_set(err, code, state, (long)no,
		                   "cancel: mysql server %s: %s: %s (error %u)", c->where, q,
		                   mysql_error(k), no);
		goto out;
	}
	dal_plugin_log(DAL_LOG_DEBUG, "mysql server %s: cancel: sent KILL QUERY %lu as user "
	               "'%s'", c->where, c->thread_id, peer->user ? peer->user : "");
out:
	mysql_close(k);
	return rc;
}
