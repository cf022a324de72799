/*
 * Conformance cases that concern the postgresql backend alone (selected by
 * backend name): last_insert_id() as lastval(); the limit of 65535
 * parameters, refused before anything is sent; server notices routed to
 * the log sink and never to stderr; out of memory inside libpq as
 * DAL_ENOMEM with the connection kept; and what a session ended by the
 * server means for the request in flight (DAL_EOUTCOME) and for the next
 * one (DAL_ECONNECT); read_timeout and write_timeout as TCP keepalive and
 * user timeout on the connection's socket; parameters of the narrower types
 * and text-format results.
 *
 * Sessions are ended with pg_terminate_backend() from a second repository
 * (the same user may end its own sessions), and the session under test is
 * watched in pg_stat_activity, so that nothing depends on sleeps being long
 * enough.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

START_TEST(test_pgsql_last_insert_id_is_lastval)
{
	dal_repo *r;
	dal_conn *c;
	int64_t id = 0;
	char t[64];

	c = open_conn(&r);
	/* No sequence used yet in this session: a clear misuse error... */
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_EMISUSE);
	ck_assert_str_eq(dal_conn_error(c)->sqlstate, "55000");
	ck_assert_msg(tu_contains(dal_conn_error(c)->message, "RETURNING"), "message: %s",
	              dal_conn_error(c)->message);
	/* ...which does not abort an open transaction. */
	table_name(t, sizeof t, "lv");
	create_table(c, t, sqlf("id %s, s TEXT", dl->serial));
	CK_CONN(c, dal_conn_begin(c));
	ck_assert_int_eq(dal_conn_last_insert_id(c, &id), DAL_EMISUSE);
	exec_ok(c, sqlf("INSERT INTO %s (s) VALUES ('a')", t));
	CK_CONN(c, dal_conn_last_insert_id(c, &id));
	ck_assert_int_eq(id, query_int(c, sqlf("SELECT id FROM %s", t)));
	CK_CONN(c, dal_conn_commit(c));
	ck_assert_int_eq(query_int(c, sqlf("SELECT count(*) FROM %s", t)), 1);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Parameters                                                                */
/* ------------------------------------------------------------------------ */

/* "SELECT 1 WHERE 1 IN (?, ?, ...)" with n markers; malloc'd. */
static char *in_list_sql(unsigned n)
{
	char *sql = malloc(32 + 2 * (size_t)n), *p = sql;

	ck_assert_ptr_nonnull(sql);
	p += sprintf(p, "SELECT 1 WHERE 1 IN (");
	for (unsigned i = 0; i < n; i++) {
		*p++ = i ? ',' : '?';
		if (i)
			*p++ = '?';
	}
	strcpy(p, ")");
	return sql;
}

START_TEST(test_pgsql_too_many_parameters)
{
	char *sql = in_list_sql(65536);
	const dal_error *e;
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s = POISON;
	int rc;

	/* One more than the protocol counts: refused up front, as a limit of
	 * the statement, not as a lost connection. */
	rc = dal_stmt_prepare(c, sql, &s);
	e = dal_conn_error(c);
	ck_assert_msg(rc == DAL_EDATA, "prepare of 65536 parameters -> %s: %s", dal_code_name(rc),
	              e->message);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(e->sqlstate, "54000");
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	ck_assert_msg(tu_contains(e->message, "65536") && tu_contains(e->message, "65535"),
	              "message: %s", e->message);
	/* The connection is fine and stays in the pool. */
	ck_assert_int_eq(query_int(c, "SELECT 1"), 1);
	free(sql);

	/* The limit itself is fine (unbound parameters are NULL). */
	sql = in_list_sql(65535);
	s = prep(c, sql);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	free(sql);
	close_conn(r, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Notices                                                                   */
/* ------------------------------------------------------------------------ */

struct log_capture {
	char text[8192]; /* the lines, each with its NUL */
	size_t used;
	int levels[64];
	const char *lines[64];
	int n;
};

static void on_log(dal_log_level level, const char *msg, void *ud)
{
	struct log_capture *l = ud;
	size_t len = strlen(msg) + 1;

	if (l->n < 64 && len <= sizeof l->text - l->used) {
		memcpy(l->text + l->used, msg, len);
		l->levels[l->n] = (int)level;
		l->lines[l->n++] = l->text + l->used;
		l->used += len;
	}
}

/* The level of the first line holding both a and b, or -1. */
static int logged(const struct log_capture *l, const char *a, const char *b)
{
	for (int i = 0; i < l->n; i++)
		if (tu_contains(l->lines[i], a) && tu_contains(l->lines[i], b))
			return l->levels[i];
	return -1;
}

START_TEST(test_pgsql_notices_go_to_the_log)
{
	struct log_capture *log = calloc(1, sizeof *log);
	char *dir = tu_mkdtemp(), path[512], got[1024] = "", t[64];
	dal_repo *r = NULL;
	dal_conn *c;
	dal_error err;
	int fd, saved;
	ssize_t n;

	ck_assert_ptr_nonnull(log);
	snprintf(path, sizeof path, "%s/stderr", dir);
	dal_log_set(on_log, log);
	CK_ERR(err, dal_repo_open(&r, NULL, "noticerepo", conf.url, &err));
	c = acquire(r);
	/* stderr into a file while the server sends notices. */
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	close(fd);

	table_name(t, sizeof t, "nosuch");
	exec_ok(c, sqlf("DROP TABLE IF EXISTS %s", t));
	exec_ok(c, "DO $$BEGIN RAISE WARNING 'dalconf warning %', 6 * 7; END$$");
	exec_ok(c, "DO $$BEGIN RAISE NOTICE 'dalconf notice' USING DETAIL = 'some detail'; END$$");

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	dal_log_set(NULL, NULL);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, got, sizeof got - 1);
	close(fd);
	got[n > 0 ? n : 0] = '\0';
	ck_assert_msg(got[0] == '\0', "libpq wrote to stderr: %s", got);

	/* NOTICE at INFO, WARNING at WARN, each with the repository. */
	ck_assert_msg(logged(log, "noticerepo", "does not exist, skipping") == DAL_LOG_INFO &&
	                      logged(log, t, "NOTICE") == DAL_LOG_INFO,
	              "%d log line(s); no INFO line for the DROP's notice", log->n);
	ck_assert_msg(logged(log, "noticerepo", "dalconf warning 42") == DAL_LOG_WARN,
	              "%d log line(s); no WARN line for RAISE WARNING", log->n);
	ck_assert_msg(logged(log, "dalconf notice", "some detail") == DAL_LOG_INFO,
	              "%d log line(s); no INFO line with the notice's detail", log->n);
	close_conn(r, c);
	tu_rmtree(dir);
	free(log);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Out of memory inside libpq                                                */
/* ------------------------------------------------------------------------ */

/*
 * libpq keeps a whole result in memory for exec (PQexec). With the address
 * space limited to what the process has plus 48 MiB, a result of ~140 MiB
 * makes libpq's allocations fail: it drops the result, reads the rest of
 * the rows off the wire and reports "out of memory for query result"
 * without a SQLSTATE, the connection still fine. That is DAL_ENOMEM, and
 * the connection goes on. (Not in sanitizer builds, whose allocators abort
 * instead of failing, and whose shadow memory makes the limit meaningless:
 * there the case is reported not applicable, NEED_NO_SANITIZER.)
 */

/* The process's address space in bytes (/proc/self/statm, first field). */
static unsigned long long address_space(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%llu", &pages), 1);
	fclose(f);
	return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

START_TEST(test_pgsql_libpq_out_of_memory)
{
	struct rlimit old, lim;
	dal_error e;
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	int rc;

	ck_assert_int_eq(query_int(c, "SELECT 1"), 1);
	ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)(address_space() + 48ull * 1024 * 1024);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
	rc = dal_conn_exec(c, "SELECT g, repeat('x', 100) FROM generate_series(1, 1000000) g",
	                   NULL);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
	e = *dal_conn_error(c);
	ck_assert_msg(rc == DAL_ENOMEM, "exec of a result larger than memory -> %s: %s",
	              dal_code_name(rc), e.message);
	ck_assert_str_eq(e.sqlstate, "HY001");
	ck_assert_msg(tu_contains(e.message, "out of memory"), "message: %s", e.message);
	/* Not a lost connection: it is still there, and works. */
	ck_assert_int_eq(query_int(c, "SELECT 2"), 2);
	close_conn(r, c);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Sessions ended by the server                                              */
/* ------------------------------------------------------------------------ */

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait (up to 10 s), watching from w, until backend pid runs pg_sleep()
 * (sleeping = 1) or is gone (sleeping = 0). Returns 1 if it happened. Only
 * the dal_* API: this runs on a second thread too, where Check's
 * assertions must not be used. */
static int wait_backend(dal_conn *w, int64_t pid, int sleeping)
{
	char sql[256];

	snprintf(sql, sizeof sql,
	         sleeping ? "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld AND "
	                    "state = 'active' AND wait_event = 'PgSleep'"
	                  : "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld",
	         (long long)pid);
	for (int i = 0; i < 500; i++) {
		dal_stmt *s = NULL;
		int64_t n = -1;

		if (dal_stmt_prepare(w, sql, &s) == DAL_OK && dal_stmt_step(s) == DAL_ROW)
			n = dal_stmt_column_int64(s, 0);
		dal_stmt_close(s);
		if (n == (sleeping ? 1 : 0))
			return 1;
		nap_ms(20);
	}
	return 0;
}

/* pg_terminate_backend(pid) from w; 1 if it signalled the backend. */
static int terminate(dal_conn *w, int64_t pid)
{
	char sql[96];
	dal_stmt *s = NULL;
	int ok = 0;

	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
	if (dal_stmt_prepare(w, sql, &s) == DAL_OK && dal_stmt_step(s) == DAL_ROW)
		ok = dal_stmt_column_int64(s, 0) == 1;
	dal_stmt_close(s);
	return ok;
}

/* Ends backend pid once it sleeps, from its own connection w. */
struct killer {
	dal_conn *w;
	int64_t pid;
	int slept, killed; /* read after pthread_join() */
	pthread_t thread;
};

static void *killer_main(void *arg)
{
	struct killer *k = arg;

	k->slept = wait_backend(k->w, k->pid, 1);
	k->killed = k->slept && terminate(k->w, k->pid);
	return NULL;
}

/* The request on c (sleeping for 5 s when it runs: through a step if s,
 * else through exec) is in flight when the server ends its session. */
static void check_ended_in_flight(dal_conn *c, dal_stmt *s, dal_conn *w, int64_t pid)
{
	struct killer k = {.w = w, .pid = pid};
	const dal_error *e;
	int rc;

	ck_assert_int_eq(pthread_create(&k.thread, NULL, killer_main, &k), 0);
	if (s) {
		rc = dal_stmt_step(s);
		e = dal_stmt_error(s);
	} else {
		rc = dal_conn_exec(c, "SELECT pg_sleep(5)", NULL);
		e = dal_conn_error(c);
	}
	ck_assert_int_eq(pthread_join(k.thread, NULL), 0);
	ck_assert_msg(k.slept && k.killed, "the session did not sleep, or was not ended");
	ck_assert_msg(rc == DAL_EOUTCOME, "%s of a session ended in flight -> %s, expected "
	                                  "DAL_EOUTCOME: %s", s ? "step" : "exec",
	              dal_code_name(rc), e->message);
	ck_assert_int_eq(e->code, DAL_EOUTCOME);
	ck_assert_str_eq(e->sqlstate, "08007");
	ck_assert_int_eq(dal_code_is_transient(rc), 0);
	/* The server's reason: its SQLSTATE where the result carries it, its
	 * text where libpq reports it together with its own. */
	ck_assert_msg(tu_contains(e->message, "57P01") ||
	                      tu_contains(e->message, "terminating connection"),
	              "message: %s", e->message);
}

START_TEST(test_pgsql_session_ended_in_flight_is_outcome_unknown)
{
	dal_repo *r, *rw;
	dal_conn *w = open_conn(&rw), *c;
	dal_stmt *s;
	int64_t pid;

	/* Through exec. */
	c = open_conn(&r);
	pid = query_int(c, "SELECT pg_backend_pid()");
	check_ended_in_flight(c, NULL, w, pid);
	/* Released broken: closed, not pooled. */
	dal_conn_release(c);

	/* Through a step. */
	c = acquire(r);
	pid = query_int(c, "SELECT pg_backend_pid()");
	s = prep(c, "SELECT pg_sleep(5)");
	check_ended_in_flight(c, s, w, pid);
	dal_stmt_close(s);
	dal_conn_release(c);

	/* The next connection is a new session. */
	c = acquire(r);
	ck_assert_int_ne(query_int(c, "SELECT pg_backend_pid()"), pid);
	close_conn(r, c);
	close_conn(rw, w);
}
END_TEST

/* How the first request on a connection whose session the server ended
 * while it was idle is sent. */
enum first_use { USE_EXEC, USE_PREPARE, USE_STEP, USE_PING, USE_BEGIN };

static void check_ended_while_idle(dal_repo *r, dal_conn *w, enum first_use how)
{
	static const char *const names[] = {"exec", "prepare", "step", "ping", "begin"};
	dal_conn *c = acquire(r);
	dal_stmt *s = NULL;
	const dal_error *e;
	int64_t pid = query_int(c, "SELECT pg_backend_pid()");
	int rc;

	if (how == USE_STEP)
		s = prep(c, "SELECT 1");
	ck_assert(terminate(w, pid));
	ck_assert_msg(wait_backend(w, pid, 0), "backend %lld still there", (long long)pid);
	switch (how) {
	case USE_EXEC:
		rc = dal_conn_exec(c, "SELECT 1", NULL);
		break;
	case USE_PREPARE:
		rc = dal_stmt_prepare(c, "SELECT 1", &s);
		break;
	case USE_STEP:
		rc = dal_stmt_step(s);
		break;
	case USE_PING:
		rc = dal_conn_ping(c, NULL);
		break;
	default:
		rc = dal_conn_begin(c);
		break;
	}
	e = how == USE_STEP ? dal_stmt_error(s) : dal_conn_error(c);
	ck_assert_msg(rc == DAL_ECONNECT, "%s on a session ended while idle -> %s, expected "
	                                  "DAL_ECONNECT: %s", names[how], dal_code_name(rc),
	              e->message);
	ck_assert_int_eq(e->code, DAL_ECONNECT);
	ck_assert_msg(strncmp(e->sqlstate, "08", 2) == 0, "sqlstate %s", e->sqlstate);
	ck_assert(dal_code_is_transient(rc));
	/* The server's reason, and that nothing was sent. */
	ck_assert_msg(tu_contains(e->message, "57P01") &&
	                      tu_contains(e->message, "nothing was sent"),
	              "message: %s", e->message);
	dal_stmt_close(s);
	dal_conn_release(c); /* broken: closed, not pooled */
}

START_TEST(test_pgsql_session_ended_while_idle_is_connect_error)
{
	dal_repo *r, *rw;
	dal_conn *w = open_conn(&rw), *c;

	r = open_repo();
	check_ended_while_idle(r, w, USE_EXEC);
	check_ended_while_idle(r, w, USE_PREPARE);
	check_ended_while_idle(r, w, USE_STEP);
	check_ended_while_idle(r, w, USE_PING);
	check_ended_while_idle(r, w, USE_BEGIN);
	/* Each broken connection was replaced by a working one. */
	c = acquire(r);
	ck_assert_int_eq(query_int(c, "SELECT 1"), 1);
	close_conn(r, c);
	close_conn(rw, w);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* read_timeout                                                              */
/* ------------------------------------------------------------------------ */

/* The TCP sockets of this process connected to port, into fds[max]. */
static int sockets_to(unsigned port, int *fds, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) && n < max) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		unsigned p = 0;
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d) ||
		    getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
			continue;
		if (ss.ss_family == AF_INET)
			p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		if (p == port)
			fds[n++] = fd;
	}
	closedir(d);
	return n;
}

static int sockopt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	ck_assert_msg(getsockopt(fd, level, name, &v, &len) == 0, "getsockopt(%d, %d): %s", level,
	              name, strerror(errno));
	return v;
}

/* Open the URL under test with extra options; the socket of its (one,
 * pooled) connection. */
static int open_socket(unsigned port, const char *extra, dal_repo **r)
{
	int before[64], after[64], nb, na, fd = -1;
	dal_error err;

	nb = sockets_to(port, before, 64);
	CK_ERR(err, open_with(NULL, extra, r, &err));
	na = sockets_to(port, after, 64);
	for (int i = 0; i < na; i++) {
		int old = 0;

		for (int j = 0; j < nb; j++)
			old |= after[i] == before[j];
		if (!old) {
			ck_assert_msg(fd < 0, "two new connections to port %u", port);
			fd = after[i];
		}
	}
	ck_assert_msg(fd >= 0, "no new TCP connection to port %u", port);
	return fd;
}

/*
 * libpq has no read or write timeout. What the plugin makes of them
 * (docs/backends.md) is TCP's: keepalive probes after max(read_timeout,
 * write_timeout) / 3 s idle (at least 1), every as many seconds, two
 * unanswered ones dropping the connection, and tcp_user_timeout of
 * max(read_timeout, write_timeout) s for data the server never
 * acknowledges: a dead server or network is noticed. Asserted on the
 * connection's socket; without the settings, no user timeout.
 */
START_TEST(test_pgsql_read_timeout_is_tcp_keepalive_and_user_timeout)
{
	struct url_parts p;
	const char *colon;
	unsigned port;
	dal_repo *r;
	int fd;

	url_split(conf.url, &p);
	colon = strrchr(p.host, ':');
	ck_assert_msg(colon && !strchr(p.host, ','), "test server at %s: one host:port", p.host);
	port = (unsigned)atoi(colon + 1);

	fd = open_socket(port, "read_timeout=6&max_retries=0", &r);
	ck_assert_int_eq(sockopt(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 2);
	ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL), 2);
	ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_KEEPCNT), 2);
	ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 6000);
	dal_repo_close(r);

	/* The larger of the two decides. */
	fd = open_socket(port, "read_timeout=3&write_timeout=9&max_retries=0", &r);
	ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE), 3);
	ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 9000);
	dal_repo_close(r);

	fd = open_socket(port, "max_retries=0", &r);
	ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	dal_repo_close(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Narrower types and text-format results                                    */
/* ------------------------------------------------------------------------ */

/* Check row k of SELECT i2, i4, f4, f8, b, y, o[, n] (either format). */
static void check_narrow_row(dal_stmt *s, int k, int with_numeric)
{
	static const unsigned char y[] = {0, 1, 0xff, '\\', 'x'};
	const void *got;
	size_t len;

	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_type(s, 0), DAL_TYPE_INT64);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), k ? 1 : -32768);
	ck_assert_int_eq(dal_stmt_column_int64(s, 1), k ? 2 : 2147483647);
	ck_assert_int_eq(dal_stmt_column_type(s, 2), DAL_TYPE_DOUBLE);
	/* 0.1 is not a float: sent as text, rounded by the server to real. */
	ck_assert_msg(dal_stmt_column_double(s, 2) == (k ? (double)0.1f : 0.5), "f4 %.17g",
	              dal_stmt_column_double(s, 2));
	ck_assert_int_eq(dal_stmt_column_type(s, 3), DAL_TYPE_DOUBLE);
	/* 2^53 exactly, or beyond it (text, the server's rounding). */
	ck_assert(dal_stmt_column_double(s, 3) == 9007199254740992.0);
	ck_assert_int_eq(dal_stmt_column_type(s, 4), DAL_TYPE_BOOL);
	ck_assert_int_eq(dal_stmt_column_bool(s, 4), !k);
	ck_assert_int_eq(dal_stmt_column_type(s, 5), DAL_TYPE_BLOB);
	got = dal_stmt_column_blob(s, 5, &len);
	ck_assert_uint_eq(len, k ? 0 : sizeof y);
	if (!k)
		ck_assert_int_eq(memcmp(got, y, sizeof y), 0);
	ck_assert_int_eq(dal_stmt_column_int64(s, 6), k ? 1 : 4000000000LL);
	if (with_numeric) {
		/* numeric is read as its text. */
		ck_assert_int_eq(dal_stmt_column_type(s, 7), DAL_TYPE_TEXT);
		ck_assert_str_eq(dal_stmt_column_text(s, 7, NULL), k ? "-3.00" : "12.25");
	}
}

/*
 * Parameters of the narrower types the server infers (smallint, integer,
 * real, oid; a double precision given an integer) go binary when the value
 * is exactly one of the type, and as text otherwise, where the server
 * decides: it rounds a real, and refuses a smallint out of range
 * (DAL_EDATA, 22003). A result with a column read only as text (numeric)
 * comes text-format for every column, each decoded to the same dal_type
 * and value as from a binary result, bytea included.
 */
START_TEST(test_pgsql_narrow_types_and_text_results)
{
	static const unsigned char y[] = {0, 1, 0xff, '\\', 'x'};
	dal_repo *r;
	dal_conn *c = open_conn(&r);
	dal_stmt *s;
	char t[64];

	table_name(t, sizeof t, "narrow");
	create_table(c, t, "i2 SMALLINT, i4 INTEGER, f4 REAL, f8 DOUBLE PRECISION, "
	                   "b BOOLEAN, y BYTEA, o OID, n NUMERIC(10, 2)");
	s = prep(c, sqlf("INSERT INTO %s (i2, i4, f4, f8, b, y, o, n) "
	                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, -32768));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 2147483647));
	CK_STMT(s, dal_stmt_bind_double(s, 3, 0.5));
	CK_STMT(s, dal_stmt_bind_int64(s, 4, INT64_C(1) << 53));
	CK_STMT(s, dal_stmt_bind_bool(s, 5, 1));
	CK_STMT(s, dal_stmt_bind_blob(s, 6, y, sizeof y));
	CK_STMT(s, dal_stmt_bind_int64(s, 7, 4000000000LL));
	CK_STMT(s, dal_stmt_bind_double(s, 8, 12.25));
	CK_STEP(s, DAL_DONE);
	/* Text forms: a bool for an integer, a double and an integer beyond
	 * what the binary form says exactly. */
	CK_STMT(s, dal_stmt_bind_bool(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_int64(s, 2, 2));
	CK_STMT(s, dal_stmt_bind_double(s, 3, 0.1));
	CK_STMT(s, dal_stmt_bind_int64(s, 4, (INT64_C(1) << 53) + 1));
	CK_STMT(s, dal_stmt_bind_bool(s, 5, 0));
	CK_STMT(s, dal_stmt_bind_blob(s, 6, "", 0));
	CK_STMT(s, dal_stmt_bind_int64(s, 7, 1));
	CK_STMT(s, dal_stmt_bind_int64(s, 8, -3));
	CK_STEP(s, DAL_DONE);
	/* Out of the smallint's range: not wrapped, refused by the server. */
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 40000));
	ck_assert_int_eq(dal_stmt_step(s), DAL_EDATA);
	ck_assert_str_eq(dal_stmt_error(s)->sqlstate, "22003");
	dal_stmt_close(s);
	/* The same inference in a WHERE clause: a real matches exactly. */
	s = prep(c, sqlf("SELECT count(*) FROM %s WHERE i2 = ? AND f4 = ?", t));
	CK_STMT(s, dal_stmt_bind_int64(s, 1, 1));
	CK_STMT(s, dal_stmt_bind_double(s, 2, (double)0.1f));
	CK_STEP(s, DAL_ROW);
	ck_assert_int_eq(dal_stmt_column_int64(s, 0), 1);
	dal_stmt_close(s);

	/* Binary results... */
	s = prep(c, sqlf("SELECT i2, i4, f4, f8, b, y, o FROM %s ORDER BY i4 DESC", t));
	check_narrow_row(s, 0, 0);
	check_narrow_row(s, 1, 0);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	/* ...and text ones, the same. */
	s = prep(c, sqlf("SELECT i2, i4, f4, f8, b, y, o, n FROM %s ORDER BY i4 DESC", t));
	check_narrow_row(s, 0, 1);
	check_narrow_row(s, 1, 1);
	CK_STEP(s, DAL_DONE);
	dal_stmt_close(s);
	drop_table(c, t);
	close_conn(r, c);
}
END_TEST

static const struct conf_case cases[] = {
	BACKEND_CASE("postgresql", test_pgsql_last_insert_id_is_lastval,
	             DAL_CAP_LAST_INSERT_ID | DAL_CAP_TRANSACTIONS, 0),
	BACKEND_CASE("postgresql", test_pgsql_too_many_parameters, 0, 0),
	BACKEND_CASE("postgresql", test_pgsql_notices_go_to_the_log, 0, 0),
	BACKEND_CASE("postgresql", test_pgsql_libpq_out_of_memory, 0, NEED_NO_SANITIZER),
	BACKEND_CASE("postgresql", test_pgsql_session_ended_in_flight_is_outcome_unknown, 0, 0),
	BACKEND_CASE("postgresql", test_pgsql_session_ended_while_idle_is_connect_error,
	             DAL_CAP_TRANSACTIONS, 0),
	BACKEND_CASE("postgresql", test_pgsql_read_timeout_is_tcp_keepalive_and_user_timeout, 0,
	             0),
	BACKEND_CASE("postgresql", test_pgsql_narrow_types_and_text_results, 0, 0),
	{NULL},
};

const struct conf_area conf_pgsql = {"postgresql", cases};
