/*
 * Conformance cases that concern the mysql backend alone (selected by
 * backend name): the MariaDB Galera wsrep_check option; what a session
 * ended by the server means for the request in flight (DAL_EOUTCOME) and
 * for the next one (DAL_ECONNECT); the statement timeout as the server's
 * max_statement_time; the password kept for cancel(), which must never
 * show in a message or a log line of the cancel path; and read_timeout as
 * the connector's read timeout, which cuts off a statement answered later.
 *
 * The server's KILL is sent from a second repository (same user: a user
 * may kill its own sessions); the session under test is watched in
 * information_schema.PROCESSLIST, so that nothing depends on sleeps being
 * long enough.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

START_TEST(test_mysql_wsrep_check_refuses_non_galera)
{
	dal_repo *r;
	dal_error err;
	int rc;

	/* The test server is a standalone MariaDB: wsrep is off, so a
	 * repository that demands a ready Galera node must not open. */
	rc = open_with(NULL, "max_retries=0&wsrep_check=on", &r, &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(rc == DAL_ECONFIG, "%s: %s", dal_code_name(rc), err.message);
	ck_assert_msg(tu_contains(err.message, "not a Galera node"), "message: %s", err.message);
	ck_assert_int_eq(open_with(NULL, "max_retries=0&wsrep_check=off", &r, &err), DAL_OK);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Sessions ended by the server                                              */
/* ------------------------------------------------------------------------ */

/* The server's id of the session behind c. */
static int64_t session_id(dal_conn *c)
{
	return query_int(c, "SELECT CONNECTION_ID()");
}

/* Wait (up to 10 s) until session id is in SLEEP() (sleeping = 1) or no
 * longer exists (sleeping = 0), watched from c. Returns 1 if it happened. */
static int wait_session(dal_conn *c, int64_t id, int sleeping)
{
	const char *sql = sleeping
		? sqlf("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lld "
		       "AND STATE = 'User sleep'", (long long)id)
		: sqlf("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lld",
		       (long long)id);
	char q[256];

	snprintf(q, sizeof q, "%s", sql);
	for (int i = 0; i < 1000; i++) {
		if (query_int(c, q) == (sleeping ? 1 : 0))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* A second thread that, once the session `id` sleeps, kills it (KILL) or
 * cancels its connection (dal_conn_cancel). It only records what happened:
 * the test asserts after joining it. */
struct killer {
	dal_conn *watch;  /* the killer's own connection */
	dal_conn *target; /* for dal_conn_cancel */
	int64_t id;
	int cancel;       /* dal_conn_cancel instead of KILL */
	int saw_sleep;
	int rc;
	char msg[DAL_ERROR_MESSAGE_SIZE];
	pthread_t th;
};

static void *killer_main(void *arg)
{
	struct killer *k = arg;

	k->saw_sleep = wait_session(k->watch, k->id, 1);
	if (k->cancel) {
		k->rc = dal_conn_cancel(k->target);
	} else {
		char q[64];

		snprintf(q, sizeof q, "KILL %lld", (long long)k->id);
		k->rc = dal_conn_exec(k->watch, q, NULL);
	}
	snprintf(k->msg, sizeof k->msg, "%s", dal_conn_error(k->watch)->message);
	return NULL;
}

static void killer_start(struct killer *k, dal_conn *watch, dal_conn *target, int cancel)
{
	memset(k, 0, sizeof *k);
	k->watch = watch;
	k->target = target;
	k->id = session_id(target);
	k->cancel = cancel;
	ck_assert_int_eq(pthread_create(&k->th, NULL, killer_main, k), 0);
}

static void killer_join(struct killer *k)
{
	ck_assert_int_eq(pthread_join(k->th, NULL), 0);
	ck_assert_msg(k->saw_sleep, "session %lld was never seen in SLEEP()", (long long)k->id);
	ck_assert_msg(k->rc == DAL_OK, "%s: %s: %s", k->cancel ? "cancel" : "KILL",
	              dal_code_name(k->rc), k->msg);
}

static void assert_outcome(int rc, const dal_error *e, const char *what)
{
	ck_assert_msg(rc == DAL_EOUTCOME, "%s: %s (%s), expected DAL_EOUTCOME", what,
	              dal_code_name(rc), e->message);
	ck_assert_str_eq(e->sqlstate, "08007");
	ck_assert_msg(tu_contains(e->message, "may or may not have been applied"),
	              "%s: message: %s", what, e->message);
	ck_assert(!dal_code_is_transient(rc));
}

/* The server ends the session while its statement runs: the request was
 * sent, so whether it was applied is unknown. Both ways a statement runs:
 * the text protocol (exec) and a prepared statement (step). */
START_TEST(test_mysql_killed_mid_statement_is_outcome)
{
	dal_repo *r, *rk;
	dal_conn *c, *ck;
	struct killer k;
	dal_stmt *s;
	int rc;

	c = open_conn(&r);
	ck = open_conn(&rk);

	killer_start(&k, ck, c, 0);
	rc = dal_conn_exec(c, "SELECT SLEEP(20)", NULL);
	killer_join(&k);
	assert_outcome(rc, dal_conn_error(c), "exec killed mid-statement");
	/* CR_SERVER_LOST, or CR_SSL_CONNECTION_ERROR over TLS. */
	ck_assert_msg(dal_conn_error(c)->native == 2013 || dal_conn_error(c)->native == 2026,
	              "native %ld", dal_conn_error(c)->native);
	dal_conn_release(c); /* broken: discarded */

	c = acquire(r);
	s = prep(c, "SELECT SLEEP(20)");
	killer_start(&k, ck, c, 0);
	rc = dal_stmt_step(s);
	killer_join(&k);
	assert_outcome(rc, dal_stmt_error(s), "step killed mid-statement");
	dal_stmt_close(s);
	dal_conn_release(c);

	/* The pool replaced both: the repository works. */
	c = acquire(r);
	ck_assert_int_eq(query_int(c, "SELECT 7"), 7);
	close_conn(r, c);
	close_conn(rk, ck);
}
END_TEST

/*
 * The server ends the session while it is idle (KILL here; wait_timeout or
 * a restart alike): the next request finds it dead before sending anything,
 * which is DAL_ECONNECT, safe to retry. The connector alone could not say
 * so: writing to a socket the server has closed succeeds, and only the read
 * that follows fails, with the same CR_SERVER_LOST as a loss mid-statement.
 * The plugin looks at the socket before a request on a connection that has
 * been idle for 10 ms or more (the server's end is shut), which is what
 * this asserts, for exec, for a statement prepared before the kill, and for
 * a commit. (A request sent within 10 ms of the previous one is not
 * checked, to spare a system call per request in a loop: it would find the
 * session dead only after sending, DAL_EOUTCOME.)
 */
#define IDLE_US 30000
START_TEST(test_mysql_killed_idle_is_econnect)
{
	dal_repo *r, *rk;
	dal_conn *c, *ck;
	dal_stmt *s;
	const dal_error *e;
	int64_t id;
	int rc;

	ck = open_conn(&rk);
	c = open_conn(&r);

	/* exec */
	id = session_id(c);
	exec_ok(ck, sqlf("KILL %lld", (long long)id));
	ck_assert(wait_session(ck, id, 0));
	usleep(IDLE_US);
	rc = dal_conn_exec(c, "SELECT 1", NULL);
	e = dal_conn_error(c);
	ck_assert_msg(rc == DAL_ECONNECT, "exec on a killed idle session: %s (%s)",
	              dal_code_name(rc), e->message);
	ck_assert(dal_code_is_transient(rc));
	ck_assert_msg(tu_contains(e->message, "not sent"), "message: %s", e->message);
	ck_assert_str_eq(e->sqlstate, "08S01");
	dal_conn_release(c);

	/* a statement prepared before the kill */
	c = acquire(r);
	s = prep(c, "SELECT 1");
	id = session_id(c);
	exec_ok(ck, sqlf("KILL %lld", (long long)id));
	ck_assert(wait_session(ck, id, 0));
	usleep(IDLE_US);
	rc = dal_stmt_step(s);
	e = dal_stmt_error(s);
	ck_assert_msg(rc == DAL_ECONNECT, "step on a killed idle session: %s (%s)",
	              dal_code_name(rc), e->message);
	ck_assert_msg(tu_contains(e->message, "not sent"), "message: %s", e->message);
	dal_stmt_close(s);
	dal_conn_release(c);

	/* a commit: not sent, so certainly not applied */
	c = acquire(r);
	CK_CONN(c, dal_conn_begin(c));
	id = session_id(c);
	exec_ok(ck, sqlf("KILL %lld", (long long)id));
	ck_assert(wait_session(ck, id, 0));
	usleep(IDLE_US);
	rc = dal_conn_commit(c);
	ck_assert_msg(rc == DAL_ECONNECT, "commit on a killed idle session: %s (%s)",
	              dal_code_name(rc), dal_conn_error(c)->message);
	dal_conn_release(c);

	c = acquire(r);
	ck_assert_int_eq(query_int(c, "SELECT 8"), 8);
	close_conn(r, c);
	close_conn(rk, ck);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* statement_timeout                                                         */
/* ------------------------------------------------------------------------ */

/* statement_timeout is the session's max_statement_time (MariaDB; the test
 * server is MariaDB), and a statement running longer fails with
 * DAL_ETIMEOUT carrying the server's own error number. */
START_TEST(test_mysql_statement_timeout_is_max_statement_time)
{
	dal_repo *r;
	dal_conn *c;
	dal_error err;
	dal_stmt *s;
	struct timespec t0;
	char buf[64];
	int rc;

	ck_assert_str_eq(conf.server_kind, "mariadb");
	CK_ERR(err, open_with(NULL, "statement_timeout=0.25", &r, &err));
	c = acquire(r);
	ck_assert_int_eq(query_int(c, "SELECT CAST(@@SESSION.max_statement_time * 1000 AS "
	                              "SIGNED)"), 250);
	s = prep(c, "SELECT SLEEP(5)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_ETIMEOUT, "step: %s (%s)", dal_code_name(rc),
	              dal_stmt_error(s)->message);
	ck_assert_msg(elapsed_s(&t0) < 3, "the statement ran %.2f s", elapsed_s(&t0));
	ck_assert_int_eq(dal_stmt_error(s)->native, 1969); /* ER_STATEMENT_TIMEOUT */
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "57014");
	ck_assert_msg(tu_contains(dal_stmt_error(s)->message, "statement_timeout = 250 ms"),
	              "message: %s", dal_stmt_error(s)->message);
	dal_stmt_close(s);
	/* Through exec too, and the connection goes on. */
	rc = dal_conn_exec(c, "SELECT SLEEP(5)", NULL);
	ck_assert_msg(rc == DAL_ETIMEOUT, "exec: %s (%s)", dal_code_name(rc),
	              dal_conn_error(c)->message);
	ck_assert_int_eq(query_int(c, "SELECT 9"), 9);
	close_conn(r, c);

	/* buffered = on reads the result whole: the timeout interrupts that
	 * read, and the statement must still run again after a reset (the
	 * connector's statement is left waiting for rows otherwise, and the
	 * next execution would block). */
	CK_ERR(err, open_with(NULL, "statement_timeout=0.2&buffered=on", &r, &err));
	c = acquire(r);
	s = prep(c, "SELECT SLEEP(5)");
	for (int i = 0; i < 2; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = dal_stmt_step(s);
		ck_assert_msg(rc == DAL_ETIMEOUT, "buffered step %d: %s (%s)", i,
		              dal_code_name(rc), dal_stmt_error(s)->message);
		ck_assert_msg(elapsed_s(&t0) < 3, "the statement ran %.2f s", elapsed_s(&t0));
		CK_STMT(s, dal_stmt_reset(s));
	}
	dal_stmt_close(s);
	ck_assert_int_eq(query_int(c, "SELECT 12"), 12);
	close_conn(r, c);

	/* Without the setting, the session keeps the server's default. */
	c = open_conn(&r);
	ck_assert_str_eq(query_text(c, "SELECT @@SESSION.max_statement_time = "
	                               "@@GLOBAL.max_statement_time", buf, sizeof buf), "1");
	close_conn(r, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The cancel path and the password                                          */
/* ------------------------------------------------------------------------ */

/* Every log line, as the application's sink gets it. */
static char log_lines[64][DAL_ERROR_MESSAGE_SIZE + 64];
static unsigned n_log_lines;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_sink(dal_log_level level, const char *msg, void *ud)
{
	(void)ud;
	pthread_mutex_lock(&log_mu);
	if (n_log_lines < sizeof log_lines / sizeof log_lines[0])
		snprintf(log_lines[n_log_lines++], sizeof log_lines[0], "%d %s", (int)level, msg);
	pthread_mutex_unlock(&log_mu);
}

/* No log line holds the password, raw or as written in the URL. Returns how
 * many lines mention `word`. */
static unsigned check_log(const char *pass_raw, const char *pass_url, const char *word)
{
	unsigned n = 0;

	pthread_mutex_lock(&log_mu);
	for (unsigned i = 0; i < n_log_lines; i++) {
		ck_assert_msg(!tu_contains(log_lines[i], pass_raw) &&
		              !tu_contains(log_lines[i], pass_url),
		              "a log line holds the password: %s", log_lines[i]);
		n += tu_contains(log_lines[i], word);
	}
	pthread_mutex_unlock(&log_mu);
	return n;
}

/*
 * A TCP relay to the server that accepts connections until told to refuse
 * (then its port is closed), so that a connection made through it works
 * while cancel()'s helper connection, made later to the same address, is
 * refused: the failing cancel path, with its message and log line.
 */
#define RELAY_MAX 8

struct relay {
	int lfd, port, refuse, stop;
	struct sockaddr_storage up;
	socklen_t uplen;
	int fds[RELAY_MAX][2];
	int n;
	pthread_t th;
};

static void relay_pair_close(struct relay *rl, int i)
{
	close(rl->fds[i][0]);
	close(rl->fds[i][1]);
	rl->fds[i][0] = rl->fds[i][1] = -1;
}

static void *relay_main(void *arg)
{
	struct relay *rl = arg;
	char buf[16384];

	while (!__atomic_load_n(&rl->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p[1 + 2 * RELAY_MAX];
		int np = 0;

		if (__atomic_load_n(&rl->refuse, __ATOMIC_ACQUIRE) && rl->lfd >= 0) {
			close(rl->lfd);
			rl->lfd = -1;
		}
		p[np++] = (struct pollfd){rl->lfd, POLLIN, 0};
		for (int i = 0; i < rl->n; i++) {
			p[np++] = (struct pollfd){rl->fds[i][0], POLLIN, 0};
			p[np++] = (struct pollfd){rl->fds[i][1], POLLIN, 0};
		}
		if (poll(p, (nfds_t)np, 50) <= 0)
			continue;
		if (rl->lfd >= 0 && (p[0].revents & POLLIN) && rl->n < RELAY_MAX) {
			int a = accept(rl->lfd, NULL, NULL), b = socket(rl->up.ss_family, SOCK_STREAM, 0);

			if (a >= 0 && b >= 0 && connect(b, (struct sockaddr *)&rl->up, rl->uplen) == 0) {
				rl->fds[rl->n][0] = a;
				rl->fds[rl->n][1] = b;
				rl->n++;
			} else {
				if (a >= 0)
					close(a);
				if (b >= 0)
					close(b);
			}
			continue;
		}
		for (int i = 0; i < rl->n; i++)
			for (int side = 0; side < 2; side++) {
				short ev = p[1 + 2 * i + side].revents;
				ssize_t got;

				if (!ev || rl->fds[i][side] < 0)
					continue;
				got = read(rl->fds[i][side], buf, sizeof buf);
				if (got <= 0 || write(rl->fds[i][!side], buf, (size_t)got) != got)
					relay_pair_close(rl, i);
			}
	}
	for (int i = 0; i < rl->n; i++)
		if (rl->fds[i][0] >= 0)
			relay_pair_close(rl, i);
	if (rl->lfd >= 0)
		close(rl->lfd);
	return NULL;
}

static void relay_start(struct relay *rl, const char *hostport)
{
	char host[256], *colon;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;

	memset(rl, 0, sizeof *rl);
	snprintf(host, sizeof host, "%s", hostport);
	colon = strrchr(host, ':');
	ck_assert_msg(colon && host[0] != '[', "the test URL's host is not host:port: %s", host);
	*colon = '\0';
	ck_assert_int_eq(getaddrinfo(host, colon + 1, &hints, &ai), 0);
	memcpy(&rl->up, ai->ai_addr, ai->ai_addrlen);
	rl->uplen = ai->ai_addrlen;
	freeaddrinfo(ai);
	rl->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(rl->lfd, 0);
	ck_assert_int_eq(bind(rl->lfd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(rl->lfd, 8), 0);
	ck_assert_int_eq(getsockname(rl->lfd, (struct sockaddr *)&a, &alen), 0);
	rl->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&rl->th, NULL, relay_main, rl), 0);
}

static void relay_stop(struct relay *rl)
{
	__atomic_store_n(&rl->stop, 1, __ATOMIC_RELEASE);
	pthread_join(rl->th, NULL);
}

/*
 * cancel() keeps a copy of the password to open its helper connection.
 * Neither a cancel that works nor one that fails (the helper connection is
 * refused) may show it: not in a log line (the plugin's own, the core's
 * warning about the failed cancel), not in the statement's error.
 */
START_TEST(test_mysql_cancel_path_never_shows_password)
{
	struct url_parts p;
	char pass[128], hostport[64];
	struct relay rl;
	struct killer k;
	dal_repo *r, *rk;
	dal_conn *c, *ck;
	dal_error err;
	int rc;

	url_split(conf.url, &p);
	tu_pct_decode(p.pass, pass, sizeof pass);
	ck_assert_msg(pass[0], "the test URL has no password");
	dal_log_set(log_sink, NULL);

	/* A cancel that works: the statement is cancelled, its error and
	 * the log are clean. */
	c = open_conn(&r);
	ck = open_conn(&rk);
	killer_start(&k, ck, c, 1);
	rc = dal_conn_exec(c, "SELECT SLEEP(20)", NULL);
	killer_join(&k);
	ck_assert_msg(rc == DAL_ECANCELED, "exec: %s (%s)", dal_code_name(rc),
	              dal_conn_error(c)->message);
	ck_assert(!tu_contains(dal_conn_error(c)->message, pass));
	ck_assert_int_eq(query_int(c, "SELECT 10"), 10);
	ck_assert_msg(check_log(pass, p.pass, "KILL QUERY") >= 1,
	              "the plugin logged no line about its KILL QUERY");
	close_conn(r, c);

	/* A cancel that fails: the repository reaches the server through
	 * the relay, which refuses the helper connection. */
	relay_start(&rl, p.host);
	snprintf(hostport, sizeof hostport, "127.0.0.1:%d", rl.port);
	CK_ERR(err, open_with(hostport, "max_retries=0", &r, &err));
	c = acquire(r);
	ck_assert_int_eq(query_int(c, "SELECT 11"), 11);
	__atomic_store_n(&rl.refuse, 1, __ATOMIC_RELEASE);
	usleep(200000); /* the relay closes its port within 50 ms */
	{
		dal_stmt *s = prep(c, "SELECT SLEEP(1)");

		killer_start(&k, ck, c, 1);
		CK_STEP(s, DAL_ROW); /* not cancelled: the cancel failed */
		ck_assert_int_eq(pthread_join(k.th, NULL), 0);
		ck_assert(k.saw_sleep);
		ck_assert_msg(k.rc == DAL_ECONNECT, "cancel through a refusing relay: %s",
		              dal_code_name(k.rc));
		dal_stmt_close(s);
	}
	ck_assert_msg(check_log(pass, p.pass, "cancel") >= 1,
	              "the failed cancel was not logged");
	close_conn(r, c);
	relay_stop(&rl);
	close_conn(rk, ck);
	dal_log_set(NULL, NULL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* read_timeout                                                              */
/* ------------------------------------------------------------------------ */

/* A statement cut off by read_timeout = 1: a lost connection after the
 * request was sent (or a timeout), well before the statement would end,
 * the message naming the setting. */
static void check_read_timeout(int rc, const dal_error *e, double took, const char *what)
{
	ck_assert_msg(rc == DAL_EOUTCOME || rc == DAL_ETIMEOUT || rc == DAL_ECONNECT,
	              "%s of SELECT SLEEP(10) with read_timeout = 1 -> %s after %.1f s: %s", what,
	              dal_code_name(rc), took, e->message);
	ck_assert_int_eq(e->code, rc);
	ck_assert_msg(took >= 0.9 && took < 8.0, "%s cut off after %.1f s, read_timeout = 1 s",
	              what, took);
	/* The plugin names the setting for the connector's CR_SERVER_LOST;
	 * over TLS the connector reports the same timeout as a TLS error
	 * (2026, "Connection timed out"). */
	ck_assert_msg(tu_contains(e->message, "read_timeout = 1 s") ||
	                  tu_contains(e->message, "timed out"),
	              "%s: message: %s", what, e->message);
}

/*
 * read_timeout is the connector's read timeout (MYSQL_OPT_READ_TIMEOUT): a
 * statement the server answers later than that is cut off, through exec
 * (text protocol) and a prepared statement alike, and the connection,
 * whose answer is still due, is discarded by the pool.
 */
START_TEST(test_mysql_read_timeout_cuts_off_a_slow_statement)
{
	struct timespec t0;
	dal_error err;
	dal_repo *r;
	dal_conn *c;
	dal_stmt *s;
	int rc;

	CK_ERR(err, open_with(NULL, "read_timeout=1&max_retries=0", &r, &err));
	c = acquire(r);
	/* Answered within read_timeout: fine. */
	ck_assert_int_eq(query_int(c, "SELECT 5"), 5);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_conn_exec(c, "SELECT SLEEP(10)", NULL);
	check_read_timeout(rc, dal_conn_error(c), elapsed_s(&t0), "exec");
	dal_conn_release(c);

	c = acquire(r);
	s = prep(c, "SELECT SLEEP(10)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dal_stmt_step(s);
	check_read_timeout(rc, dal_stmt_error(s), elapsed_s(&t0), "step");
	dal_stmt_close(s);
	dal_conn_release(c);

	/* The pool replaced both connections. */
	c = acquire(r);
	ck_assert_int_eq(query_int(c, "SELECT 6"), 6);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	BACKEND_CASE("mysql", test_mysql_wsrep_check_refuses_non_galera, 0, 0),
	BACKEND_CASE("mysql", test_mysql_killed_mid_statement_is_outcome, 0, 0),
	BACKEND_CASE("mysql", test_mysql_killed_idle_is_econnect, 0, 0),
	BACKEND_CASE("mysql", test_mysql_statement_timeout_is_max_statement_time,
	             DAL_CAP_CANCEL, 0),
	BACKEND_CASE("mysql", test_mysql_cancel_path_never_shows_password, DAL_CAP_CANCEL,
	             NEED_URL_PASSWORD),
	BACKEND_CASE("mysql", test_mysql_read_timeout_cuts_off_a_slow_statement, 0, 0),
	{NULL},
};

const struct conf_area conf_mysql = {"mysql", cases};
