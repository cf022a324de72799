/*
 * Fault tests of the connection pool on real servers: what core/pool.c,
 * core/conn.c, core/transact.c and the connect retries of core/repo.c do
 * when the server itself fails, seen through the public API only.
 *
 *  crash        8 threads commit numbered rows with dal_repo_transact()
 *               while the server is SIGKILLed and, ~1.5 s later, started
 *               again: every row reported committed is in the table, no row
 *               reported failed is, DAL_EOUTCOME rows may be either (counted
 *               and printed), no row is there twice, and the same repository
 *               serves a request within 5 s of the server being back.
 *  idle kill    a pooled connection killed by the server while idle (KILL,
 *               pg_terminate_backend()) is replaced by pre-ping without the
 *               caller seeing an error; without pre-ping its first use fails
 *               with DAL_ECONNECT, it is discarded on release, and the next
 *               acquire works.
 *  down         nothing listens at open: DAL_ECONNECT after max_retries,
 *               within the time the backoff allows, with one log line per
 *               failed attempt and no password in any of them.
 *  exhausted    pool_size 2, max_overflow 0: the third concurrent acquire
 *               times out after pool_timeout with DAL_ETIMEOUT naming the
 *               repository and the pool size, and the stats count it.
 *
 * Every backend whose DAL_TEST_<BACKEND>_URL is set is tested. The crash
 * test also needs DAL_TEST_SERVER_DIR, the directory of
 * scripts/test-servers.sh, whose `kill` and `restart` it runs: this program
 * takes the shared servers down, so it is not in TESTS (whose suites run in
 * parallel) but runs alone through `make check-recovery`. Whatever happens
 * to the tests, main() starts the servers again before it exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

extern char **environ;

/* ---- backends ------------------------------------------------------------ */

struct backend {
	const char *key;       /* test-servers.sh's name for it */
	const char *env;       /* the variable holding its URL */
	const char *name;      /* dal_repo_backend(): the plugin's name */
	const char *who_sql;   /* this session's id on the server */
	const char *kill_fmt;  /* end session %lld, from another session */
	const char *alive_fmt; /* 1 while session %lld exists, else 0 */
};

static const struct backend backends[] = {
	{"mysql", "DAL_TEST_MYSQL_URL", "mysql", "SELECT CONNECTION_ID()", "KILL %lld",
	 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %lld"},
	/* With a timeout, pg_terminate_backend() waits for the backend to exit. */
	{"pgsql", "DAL_TEST_PGSQL_URL", "postgresql", "SELECT pg_backend_pid()",
	 "SELECT pg_terminate_backend(%lld, 5000)",
	 "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = %lld"},
};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

static const char *server_dir; /* DAL_TEST_SERVER_DIR, or NULL */
static long main_pid;          /* names the tables, so that main() can drop them */

static const char *base_url(const struct backend *b)
{
	const char *u = getenv(b->env);
	return u && *u ? u : NULL;
}

/* The backend's test URL with query options added; malloc'd. */
static char *url_with(const struct backend *b, const char *query)
{
	const char *base = base_url(b);
	char *u;

	ck_assert_ptr_nonnull(base);
	ck_assert(asprintf(&u, "%s%s%s", base, strchr(base, '?') ? "&" : "?", query) > 0);
	return u;
}

/* The port of a URL "scheme://user:pw@host:port/db", or 0. */
static unsigned url_port(const char *url)
{
	const char *p = strstr(url, "://"), *at, *slash, *colon;

	if (!p)
		return 0;
	p += 3;
	slash = strchr(p, '/');
	at = strchr(p, '@');
	if (at && (!slash || at < slash))
		p = at + 1;
	colon = strchr(p, ':');
	if (!colon || (slash && colon > slash))
		return 0;
	return (unsigned)strtoul(colon + 1, NULL, 10);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- log sink -------------------------------------------------------------- */

#define LOG_KEEP 64

static struct {
	pthread_mutex_t lock;
	unsigned n, connect_lines, txn_lines;
	char secret[256]; /* must never appear */
	unsigned leaks;   /* lines that contained it */
	char line[LOG_KEEP][DAL_ERROR_MESSAGE_SIZE + 64];
} logs = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void log_sink(dal_log_level level, const char *msg, void *ud)
{
	(void)level;
	(void)ud;
	pthread_mutex_lock(&logs.lock);
	if (logs.n < LOG_KEEP)
		snprintf(logs.line[logs.n], sizeof logs.line[0], "%s", msg);
	logs.n++;
	if (strstr(msg, "connect attempt"))
		logs.connect_lines++;
	if (strstr(msg, "transaction attempt"))
		logs.txn_lines++;
	if (*logs.secret && strstr(msg, logs.secret))
		logs.leaks++;
	pthread_mutex_unlock(&logs.lock);
}

static void log_start(const char *secret)
{
	pthread_mutex_lock(&logs.lock);
	logs.n = logs.connect_lines = logs.txn_lines = logs.leaks = 0;
	snprintf(logs.secret, sizeof logs.secret, "%s", secret ? secret : "");
	pthread_mutex_unlock(&logs.lock);
	dal_log_set(log_sink, NULL);
}

/* ---- helpers on connections -------------------------------------------- */

static dal_conn *acquire(dal_repo *r)
{
	dal_conn *c = NULL;
	dal_error e;

	ck_assert_msg(dal_conn_acquire(r, &c, &e) == DAL_OK, "acquire: %s (%s)", e.message,
	              dal_code_name(e.code));
	return c;
}

/* Run sql on c to the end; *first (may be NULL) gets column 0 of the first
 * row. Returns DAL_OK or the first error, whose message goes to msg. */
static int query(dal_conn *c, const char *sql, int64_t *first, char *msg, size_t size)
{
	dal_stmt *s;
	int rc, rows = 0;

	if ((rc = dal_stmt_prepare(c, sql, &s)) != DAL_OK) {
		snprintf(msg, size, "%s", dal_conn_error(c)->message);
		return rc;
	}
	while ((rc = dal_stmt_step(s)) == DAL_ROW)
		if (!rows++ && first)
			*first = dal_stmt_column_int64(s, 0);
	if (rc == DAL_DONE)
		rc = DAL_OK;
	else
		snprintf(msg, size, "%s", dal_stmt_error(s)->message);
	dal_stmt_close(s);
	return rc;
}

static int64_t query_int(dal_conn *c, const char *sql)
{
	char msg[DAL_ERROR_MESSAGE_SIZE + 16];
	int64_t v = -1;
	int rc = query(c, sql, &v, msg, sizeof msg);

	ck_assert_msg(rc == DAL_OK, "%s: %s (%s)", sql, msg, dal_code_name(rc));
	return v;
}

/* ---- the servers ---------------------------------------------------------- */

/* scripts/test-servers.sh CMD DIR KEY, stdin from /dev/null. Exit status, or
 * -1 if it did not run or died of a signal. */
static int servers(const char *cmd, const char *key)
{
	char script[4096];
	char *argv[] = {script, (char *)cmd, (char *)server_dir, (char *)key, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	snprintf(script, sizeof script, "%s/scripts/test-servers.sh", TOP_SRCDIR);
	fflush(NULL);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = posix_spawn(&pid, script, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The test server of b in server_dir must be the one its URL names: the
 * crash test is about to kill it. */
static void check_server_dir(const struct backend *b)
{
	char path[4096];
	unsigned want = url_port(base_url(b)), port = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s/port", server_dir, b->key);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: cannot read (is DAL_TEST_SERVER_DIR=%s the servers' "
	                         "directory?)", path, server_dir);
	ck_assert(fscanf(f, "%u", &port) == 1);
	fclose(f);
	ck_assert_msg(port == want, "%s says port %u but %s names port %u: not the server of "
	                            "DAL_TEST_SERVER_DIR", path, port, b->env, want);
}

/* ---- (a) crash and restart under load ------------------------------------- */

#define WORKERS 8
#define ROWS_MAX 20000  /* per worker */
#define RUN_MAX_S 30.0  /* per worker, whatever happens */
#define ROW_BASE 1000000 /* row number of worker w, i: (w + 1) * ROW_BASE + i */

enum { ROW_NONE, ROW_OK, ROW_FAILED, ROW_OUTCOME };

struct crash {
	dal_repo *repo;
	char insert_sql[128];
	double t0;
	atomic_int stop;
	atomic_long committed; /* DAL_OK results, all workers */
	atomic_int finished;   /* workers returned */
};

struct worker {
	struct crash *run;
	pthread_t th;
	int id;
	unsigned n;                       /* rows attempted */
	unsigned char status[ROWS_MAX];   /* ROW_* per row */
	unsigned char present[ROWS_MAX];  /* times found in the table */
	unsigned by_code[DAL_ERROR_CODE_SLOTS];
	char first_failure[DAL_ERROR_MESSAGE_SIZE + 64];
	char first_outcome[DAL_ERROR_MESSAGE_SIZE];
	_Atomic double call_start;        /* of the call in progress, 0 if none */
	atomic_uint current;              /* its row */
	double longest;                   /* longest dal_repo_transact() call */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct crash *run = w->run;

	for (unsigned i = 0; i < ROWS_MAX; i++) {
		struct tu_row row = {run->insert_sql, (int64_t)(w->id + 1) * ROW_BASE + i};
		double t;
		dal_error e;
		int rc;

		if (atomic_load(&run->stop) || now_s() - run->t0 > RUN_MAX_S)
			break;
		t = now_s();
		atomic_store(&w->current, i);
		atomic_store(&w->call_start, t);
		rc = dal_repo_transact(run->repo, tu_insert_row, &row, &e);
		atomic_store(&w->call_start, 0.0);
		t = now_s() - t;
		if (t > w->longest)
			w->longest = t;
		w->n = i + 1;
		if (rc == DAL_OK) {
			w->status[i] = ROW_OK;
			atomic_fetch_add(&run->committed, 1);
		} else if (rc == DAL_EOUTCOME) {
			w->status[i] = ROW_OUTCOME;
			if (!*w->first_outcome)
				snprintf(w->first_outcome, sizeof w->first_outcome, "%s", e.message);
		} else {
			w->status[i] = ROW_FAILED;
			if (rc < 0 && -rc < DAL_ERROR_CODE_SLOTS)
				w->by_code[-rc]++;
			if (!*w->first_failure)
				snprintf(w->first_failure, sizeof w->first_failure, "row %u: %s: %s", i,
				         dal_code_name(rc), e.message);
		}
	}
	atomic_fetch_add(&run->finished, 1);
	return NULL;
}

/* Wait until cond() or deadline; returns cond(). */
#define WAIT_UNTIL(cond, seconds)                                  \
	({                                                         \
		double until_ = now_s() + (seconds);               \
		while (!(cond) && now_s() < until_)                \
			sleep_s(0.01);                             \
		(cond);                                            \
	})

static void crash_table_name(const struct backend *b, char *out, size_t size)
{
	snprintf(out, size, "dal_rec_%ld_%s", main_pid, b->key);
}

START_TEST(test_crash_and_restart_under_load)
{
	const struct backend *b = &backends[_i];
	char table[64], sql[256], secret[256];
	char *url;
	struct crash run;
	struct worker *w;
	dal_pool_stats ps1;
	double t_kill, t_killed, t_restart, t_up, t_served, ping_after, longest = 0;
	long before_kill, at_up;
	unsigned n_ok = 0, n_failed = 0, n_outcome = 0, outcome_present = 0, missing = 0,
	         failed_present = 0, stray = 0, dups = 0, attempted = 0;
	char problems[2048] = "";
	size_t plen = 0;
	dal_conn *c;
	dal_stmt *s;
	int rc;

	if (!base_url(b))
		return;
	check_server_dir(b);
	tu_url_password(base_url(b), secret, sizeof secret);
	log_start(secret);
	/* Fast retries: the server is down for a few seconds at most. */
	url = url_with(b, "pool_size=10&max_overflow=0&pre_ping=on&pool_timeout=20"
	                  "&retry_delay=0.1&retry_max_delay=0.5&max_retries=30&connect_timeout=2");
	memset(&run, 0, sizeof run);
	run.repo = tu_repo_open(url);
	crash_table_name(b, table, sizeof table);
	/* No key on n: a unit applied twice must show as a duplicate, not as a
	 * constraint violation. */
	snprintf(sql, sizeof sql, "CREATE TABLE %s (n BIGINT NOT NULL)", table);
	tu_repo_exec(run.repo, sql);
	snprintf(run.insert_sql, sizeof run.insert_sql, "INSERT INTO %s (n) VALUES (?)", table);

	w = calloc(WORKERS, sizeof *w);
	ck_assert_ptr_nonnull(w);
	run.t0 = now_s();
	for (int i = 0; i < WORKERS; i++) {
		w[i].run = &run;
		w[i].id = i;
		ck_assert_int_eq(pthread_create(&w[i].th, NULL, worker_main, &w[i]), 0);
	}
	/* Load first, then the crash. */
	sleep_s(0.5);
	ck_assert_msg(WAIT_UNTIL(atomic_load(&run.committed) >= 100, 10.0),
	              "%s: only %ld rows committed before the crash", b->key,
	              atomic_load(&run.committed));
	before_kill = atomic_load(&run.committed);
	t_kill = now_s();
	ck_assert_msg(servers("kill", b->key) == 0, "test-servers.sh kill %s failed", b->key);
	t_killed = now_s();
	sleep_s(1.5);
	t_restart = now_s();
	ck_assert_msg(servers("restart", b->key) == 0, "test-servers.sh restart %s failed",
	              b->key);
	t_up = now_s();
	at_up = atomic_load(&run.committed);

	/* The same repository serves a new request soon: stale pooled
	 * connections are replaced, not handed out for ever. */
	for (;;) {
		dal_error e;
		rc = dal_repo_ping(run.repo, NULL, &e);
		t_served = now_s();
		if (rc == DAL_OK || t_served - t_up > 5.0)
			break;
		sleep_s(0.02);
	}
	ping_after = t_served - t_up;
	ck_assert_msg(rc == DAL_OK && ping_after <= 5.0,
	              "%s: no request served within 5 s of the server accepting connections "
	              "again (%s after %.2f s)", b->key, dal_code_name(rc), ping_after);
	/* And the writers carry on. */
	ck_assert_msg(WAIT_UNTIL(atomic_load(&run.committed) >= at_up + 8 * WORKERS, 5.0),
	              "%s: writers committed only %ld rows in the 5 s after the restart",
	              b->key, atomic_load(&run.committed) - at_up);
	sleep_s(0.5);
	atomic_store(&run.stop, 1);
	/* A worker stuck in a call is a hang of the pool: say where. */
	if (!WAIT_UNTIL(atomic_load(&run.finished) == WORKERS, 30.0)) {
		for (int i = 0; i < WORKERS; i++) {
			double st = atomic_load(&w[i].call_start);
			if (st > 0)
				fprintf(stderr, "%s: worker %d in dal_repo_transact() for row %u for "
				                "%.1f s\n", b->key, i, atomic_load(&w[i].current),
				        now_s() - st);
		}
		ck_abort_msg("%s: workers still running 30 s after being told to stop (hang)",
		             b->key);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i].th, NULL);

	/* What the table holds, against what each call said. */
	c = acquire(run.repo);
	snprintf(sql, sizeof sql, "SELECT n, COUNT(*) FROM %s GROUP BY n", table);
	ck_assert_msg(dal_stmt_prepare(c, sql, &s) == DAL_OK, "%s", dal_conn_error(c)->message);
	while ((rc = dal_stmt_step(s)) == DAL_ROW) {
		int64_t n = dal_stmt_column_int64(s, 0), k = dal_stmt_column_int64(s, 1);
		int64_t wi = n / ROW_BASE - 1, ri = n % ROW_BASE;
		if (wi < 0 || wi >= WORKERS || ri >= ROWS_MAX) {
			stray++;
			continue;
		}
		w[wi].present[ri] = (unsigned char)(k > 255 ? 255 : k);
	}
	ck_assert_msg(rc == DAL_DONE, "%s", dal_stmt_error(s)->message);
	dal_stmt_close(s);
	dal_conn_release(c);
	for (int i = 0; i < WORKERS; i++) {
		for (unsigned r = 0; r < ROWS_MAX; r++) {
			unsigned char st = w[i].status[r], k = w[i].present[r];
			const char *what = NULL;
			if (st != ROW_NONE)
				attempted++;
			if (k > 1) {
				dups++;
				what = "present more than once";
			}
			switch (st) {
			case ROW_OK:
				n_ok++;
				if (!k) {
					missing++;
					what = "reported committed, missing";
				}
				break;
			case ROW_FAILED:
				n_failed++;
				if (k) {
					failed_present++;
					what = "reported failed, present";
				}
				break;
			case ROW_OUTCOME:
				n_outcome++;
				outcome_present += k ? 1 : 0;
				break;
			default:
				if (k) {
					stray++;
					what = "never attempted, present";
				}
			}
			if (what && plen < sizeof problems - 100)
				plen += (size_t)snprintf(problems + plen, sizeof problems - plen,
				                         " [worker %d row %u: %s]", i, r, what);
		}
	}
	ck_assert_int_eq(dal_repo_pool_stats(run.repo, &ps1), DAL_OK);
	for (int i = 0; i < WORKERS; i++)
		longest = w[i].longest > longest ? w[i].longest : longest;
	printf("%s crash: %u calls: %u committed (%ld before the kill), %u failed, %u "
	       "DAL_EOUTCOME (%u of them committed, %u not); kill took %.2f s, down %.2f s, "
	       "restart took %.2f s; first request served %.3f s after the restart; longest "
	       "call %.2f s; pool: created %llu closed %llu; log: %u connect retries, %u "
	       "transaction retries\n",
	       b->key, attempted, n_ok, before_kill, n_failed, n_outcome, outcome_present,
	       n_outcome - outcome_present, t_killed - t_kill, t_up - t_kill, t_up - t_restart,
	       ping_after, longest,
	       (unsigned long long)ps1.created, (unsigned long long)ps1.closed,
	       logs.connect_lines, logs.txn_lines);
	for (int k = 1; k < DAL_ERROR_CODE_SLOTS; k++) {
		unsigned n = 0;
		for (int i = 0; i < WORKERS; i++)
			n += w[i].by_code[k];
		if (n)
			printf("%s crash: %u calls failed with %s\n", b->key, n, dal_code_name(-k));
	}
	for (int i = 0; i < WORKERS; i++) {
		if (*w[i].first_failure)
			printf("%s crash: worker %d first failure: %s\n", b->key, i, w[i].first_failure);
		if (*w[i].first_outcome)
			printf("%s crash: worker %d first DAL_EOUTCOME: %s\n", b->key, i,
			       w[i].first_outcome);
	}
	fflush(stdout);
	ck_assert_msg(!missing && !failed_present && !dups && !stray,
	              "%s: %u committed rows missing, %u failed rows present, %u rows "
	              "duplicated, %u stray rows:%s", b->key, missing, failed_present, dups, stray,
	              problems);
	/* The outage must have been seen: rows after the restart, and some
	 * connections replaced. */
	ck_assert_msg(n_ok > (unsigned)at_up, "%s: nothing committed after the restart", b->key);
	ck_assert_msg(ps1.closed >= 1 && ps1.created > 1,
	              "%s: the pool replaced no connection (created %llu, closed %llu)", b->key,
	              (unsigned long long)ps1.created, (unsigned long long)ps1.closed);
	ck_assert_msg(logs.leaks == 0, "%s: %u log lines contained the password", b->key,
	              logs.leaks);

	snprintf(sql, sizeof sql, "DROP TABLE %s", table);
	tu_repo_exec(run.repo, sql);
	dal_repo_close(run.repo);
	dal_log_set(NULL, NULL);
	free(w);
	free(url);
}
END_TEST

/* ---- (b) a connection killed while idle ----------------------------------- */

/* End session id from another repository, and wait until it is gone. */
static void server_kill_session(const struct backend *b, int64_t id)
{
	char *admin_url = url_with(b, "pool_size=1&max_overflow=0");
	dal_repo *admin = tu_repo_open(admin_url);
	dal_conn *c = acquire(admin);
	char sql[256], msg[DAL_ERROR_MESSAGE_SIZE + 16];
	int rc;

	snprintf(sql, sizeof sql, b->kill_fmt, (long long)id);
	if (strncmp(sql, "SELECT", 6) == 0)
		rc = query(c, sql, NULL, msg, sizeof msg);
	else if ((rc = dal_conn_exec(c, sql, NULL)) != DAL_OK)
		snprintf(msg, sizeof msg, "%s", dal_conn_error(c)->message);
	ck_assert_msg(rc == DAL_OK, "%s: %s", sql, msg);
	snprintf(sql, sizeof sql, b->alive_fmt, (long long)id);
	ck_assert_msg(WAIT_UNTIL(query_int(c, sql) == 0, 5.0),
	              "%s: session %lld still there 5 s after it was killed", b->key, (long long)id);
	dal_conn_release(c);
	dal_repo_close(admin);
	free(admin_url);
}

/* Acquire, note the session id, release: the pool's only connection is
 * then idle. Returns the id. */
static int64_t idle_session(dal_repo *r, const struct backend *b)
{
	dal_conn *c = acquire(r);
	int64_t id = query_int(c, b->who_sql);

	dal_conn_release(c);
	return id;
}

START_TEST(test_idle_kill_pre_ping_replaces)
{
	const struct backend *b = &backends[_i];
	char *url;
	dal_repo *r;
	dal_conn *c;
	dal_pool_stats ps0, ps1;
	int64_t old_id, new_id;
	double released;

	if (!base_url(b))
		return;
	url = url_with(b, "pool_size=2&max_overflow=0&pre_ping=on&retry_delay=0.1&max_retries=3"
	                  "&connect_timeout=2");
	r = tu_repo_open(url);
	old_id = idle_session(r, b);
	released = now_s();
	server_kill_session(b, old_id);
	/* pre_ping checks connections idle for a second or more. */
	sleep_s(1.2 - (now_s() - released));
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps0), DAL_OK);
	ck_assert_uint_eq(ps0.idle, 1);
	c = acquire(r); /* no error: the stale one is replaced inside */
	new_id = query_int(c, b->who_sql);
	ck_assert_msg(new_id != old_id, "%s: got the killed session %lld back", b->key,
	              (long long)old_id);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps1), DAL_OK);
	ck_assert_msg(ps1.closed == ps0.closed + 1 && ps1.created == ps0.created + 1,
	              "%s: pre-ping: closed %llu -> %llu, created %llu -> %llu", b->key,
	              (unsigned long long)ps0.closed, (unsigned long long)ps1.closed,
	              (unsigned long long)ps0.created, (unsigned long long)ps1.created);
	ck_assert_uint_eq(ps1.idle, 1);
	printf("%s idle kill, pre_ping on: session %lld killed, replaced by %lld without an "
	       "error\n", b->key, (long long)old_id, (long long)new_id);
	dal_repo_close(r);
	free(url);
}
END_TEST

START_TEST(test_idle_kill_without_pre_ping)
{
	const struct backend *b = &backends[_i];
	char *url, msg[DAL_ERROR_MESSAGE_SIZE + 16];
	dal_repo *r;
	dal_conn *c;
	dal_pool_stats ps0, ps1, ps2;
	int64_t old_id, new_id, id = -1;
	int rc;

	if (!base_url(b))
		return;
	url = url_with(b, "pool_size=2&max_overflow=0&pre_ping=off&retry_delay=0.1&max_retries=3"
	                  "&connect_timeout=2");
	r = tu_repo_open(url);
	old_id = idle_session(r, b);
	server_kill_session(b, old_id);
	sleep_s(1.2); /* idle long enough that pre-ping would have run */
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps0), DAL_OK);
	c = acquire(r); /* the stale connection, unchecked */
	rc = query(c, b->who_sql, &id, msg, sizeof msg);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: first use of a killed connection: %s (%s), "
	                                  "expected DAL_ECONNECT", b->key, dal_code_name(rc),
	              rc == DAL_OK ? "it worked" : msg);
	ck_assert(dal_code_is_transient(rc));
	dal_conn_release(c); /* discarded, not pooled */
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps1), DAL_OK);
	ck_assert_msg(ps1.closed == ps0.closed + 1 && ps1.idle == 0 && ps1.used == 0,
	              "%s: the broken connection was pooled again (closed %llu -> %llu, idle %u)",
	              b->key, (unsigned long long)ps0.closed, (unsigned long long)ps1.closed,
	              ps1.idle);
	c = acquire(r);
	new_id = query_int(c, b->who_sql);
	ck_assert(new_id != old_id);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps2), DAL_OK);
	ck_assert_uint_eq(ps2.created, ps0.created + 1);
	printf("%s idle kill, pre_ping off: first use failed with DAL_ECONNECT (%s); next "
	       "acquire got session %lld\n", b->key, msg, (long long)new_id);
	dal_repo_close(r);
	free(url);
}
END_TEST

/* ---- (c) server down at open ---------------------------------------------- */

/* A TCP port on 127.0.0.1 that nothing listens on (the kernel's pick). */
static unsigned free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	ck_assert(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	port = ntohs(a.sin_port);
	close(fd); /* never listened: connections are refused */
	return port;
}

#define DOWN_PASSWORD "Rec0very-s3cret"

START_TEST(test_server_down_at_open)
{
	const struct backend *b = &backends[_i];
	const char *base = base_url(b), *colon;
	const unsigned retries = 2, connect_timeout = 2;
	const double retry_delay = 0.1;
	unsigned port = free_port(), attempts = retries + 1, connect_lines = 0;
	char url[512], where[64], want[32];
	double t0, took, bound, backoff_max = 0;
	dal_repo *r = (dal_repo *)1;
	dal_error e;
	int rc;

	if (!base)
		return;
	colon = strstr(base, "://");
	ck_assert_ptr_nonnull(colon);
	snprintf(url, sizeof url, "%.*s://dal:%s@127.0.0.1:%u/daltest?max_retries=%u"
	         "&retry_delay=%g&connect_timeout=%u", (int)(colon - base), base, DOWN_PASSWORD,
	         port, retries, retry_delay, connect_timeout);
	snprintf(where, sizeof where, "127.0.0.1:%u", port);
	log_start(DOWN_PASSWORD);
	t0 = now_s();
	rc = dal_repo_open(&r, NULL, NULL, url, &e);
	took = now_s() - t0;
	dal_log_set(NULL, NULL);
	ck_assert_msg(rc == DAL_ECONNECT, "%s: open with no server: %s: %s", b->key,
	              dal_code_name(rc), e.message);
	ck_assert_ptr_null(r);
	ck_assert_msg(!strstr(e.message, DOWN_PASSWORD), "password in the error: %s", e.message);
	/* Full jitter: any wait from 0 up to retry_delay * 2^(a-1) after
	 * attempt a (retry_max_delay, 30 s by default, does not cap these). */
	for (unsigned a = 1; a < attempts; a++)
		backoff_max += retry_delay * (double)(1u << (a - 1));
	bound = attempts * connect_timeout + backoff_max + 2.0;
	ck_assert_msg(took < bound, "%s: open gave up after %.2f s, more than %.2f s", b->key,
	              took, bound);
	pthread_mutex_lock(&logs.lock);
	ck_assert_msg(logs.leaks == 0, "password in a log line");
	for (unsigned i = 0; i < logs.n && i < LOG_KEEP; i++) {
		const char *l = logs.line[i];
		if (!strstr(l, "connect attempt"))
			continue;
		connect_lines++;
		snprintf(want, sizeof want, "attempt %u of %u", connect_lines, attempts);
		ck_assert_msg(strstr(l, want) && strstr(l, b->name) && strstr(l, where),
		              "%s: log line %u should name '%s', '%s' and '%s': %s", b->key, i,
		              want, b->name, where, l);
	}
	ck_assert_msg(connect_lines == attempts,
	              "%s: %u log lines for %u failed connect attempts; the lines:%s%s%s%s",
	              b->key, connect_lines, attempts, logs.n > 0 ? "\n  " : " none",
	              logs.n > 0 ? logs.line[0] : "", logs.n > 1 ? "\n  " : "",
	              logs.n > 1 ? logs.line[logs.n - 1] : "");
	pthread_mutex_unlock(&logs.lock);
	printf("%s down at open: DAL_ECONNECT after %.3f s (bound %.2f s), %u log lines\n",
	       b->key, took, bound, connect_lines);
}
END_TEST

/* ---- (d) pool exhausted ---------------------------------------------------- */

struct holder {
	dal_repo *repo;
	pthread_t th;
	pthread_mutex_t *lock;
	pthread_cond_t *cond;
	int *ready, *go;
	int rc;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;
	dal_conn *c = NULL;

	h->rc = dal_conn_acquire(h->repo, &c, NULL);
	pthread_mutex_lock(h->lock);
	(*h->ready)++;
	pthread_cond_broadcast(h->cond);
	while (!*h->go)
		pthread_cond_wait(h->cond, h->lock);
	pthread_mutex_unlock(h->lock);
	dal_conn_release(c);
	return NULL;
}

START_TEST(test_pool_exhausted_times_out)
{
	const struct backend *b = &backends[_i];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	int ready = 0, go = 0;
	struct holder h[2];
	dal_conn *c = (dal_conn *)1;
	dal_pool_stats ps;
	dal_error e;
	double t0, waited;
	char *url;
	dal_repo *r;
	int rc;

	if (!base_url(b))
		return;
	url = url_with(b, "pool_size=2&max_overflow=0&pool_timeout=0.3");
	r = tu_repo_open(url);
	for (int i = 0; i < 2; i++) {
		h[i] = (struct holder){r, 0, &lock, &cond, &ready, &go, -1};
		ck_assert_int_eq(pthread_create(&h[i].th, NULL, holder_main, &h[i]), 0);
	}
	pthread_mutex_lock(&lock);
	while (ready < 2)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	ck_assert_int_eq(h[0].rc, DAL_OK);
	ck_assert_int_eq(h[1].rc, DAL_OK);

	t0 = now_s();
	rc = dal_conn_acquire(r, &c, &e);
	waited = now_s() - t0;
	ck_assert_msg(rc == DAL_ETIMEOUT, "%s: third acquire: %s: %s", b->key, dal_code_name(rc),
	              e.message);
	ck_assert_ptr_null(c);
	ck_assert_msg(waited >= 0.29 && waited < 2.0, "%s: waited %.3f s for pool_timeout 0.3",
	              b->key, waited);
	ck_assert_msg(strstr(e.message, "repository 'main'") && strstr(e.message, "pool_size 2"),
	              "%s: the timeout should name the repository and the pool size: %s", b->key,
	              e.message);
	ck_assert(dal_code_is_transient(rc));
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.timeouts, 1);
	ck_assert_uint_eq(ps.used, 2);
	ck_assert_uint_eq(ps.max, 2);

	pthread_mutex_lock(&lock);
	go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < 2; i++)
		pthread_join(h[i].th, NULL);
	c = acquire(r);
	dal_conn_release(c);
	ck_assert_int_eq(dal_repo_pool_stats(r, &ps), DAL_OK);
	ck_assert_uint_eq(ps.timeouts, 1);
	printf("%s exhausted: DAL_ETIMEOUT after %.3f s: %s\n", b->key, waited, e.message);
	dal_repo_close(r);
	free(url);
}
END_TEST

/* ---- main ------------------------------------------------------------------ */

/* Whatever the tests did, leave the servers up and the tables gone. */
static int restore_servers(void)
{
	int failed = 0;

	for (unsigned i = 0; i < N_BACKENDS; i++) {
		const struct backend *b = &backends[i];
		char table[64], sql[256];
		int64_t n = 0;
		dal_repo *r;
		dal_conn *c;
		dal_error e;
		int rc;

		if (!base_url(b))
			continue;
		if (server_dir && servers("restart", b->key) != 0) {
			fprintf(stderr, "test_recovery: could not start the %s server again\n", b->key);
			failed = 1;
			continue;
		}
		if (dal_repo_open(&r, NULL, NULL, base_url(b), &e) != DAL_OK) {
			fprintf(stderr, "test_recovery: %s server: %s\n", b->key, e.message);
			failed = 1;
			continue;
		}
		/* Dropped only if there: PostgreSQL's notice about IF EXISTS would
		 * end up on stderr. */
		crash_table_name(b, table, sizeof table);
		snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.tables WHERE "
		                          "table_name = '%s'", table);
		if (dal_conn_acquire(r, &c, &e) == DAL_OK) {
			rc = query(c, sql, &n, e.message, sizeof e.message);
			dal_conn_release(c);
		} else {
			rc = e.code;
		}
		if (rc == DAL_OK && n > 0) {
			snprintf(sql, sizeof sql, "DROP TABLE %s", table);
			rc = dal_repo_exec(r, sql, NULL, &e);
		}
		if (rc != DAL_OK) {
			fprintf(stderr, "test_recovery: %s: %s\n", sql, e.message);
			failed = 1;
		}
		dal_repo_close(r);
	}
	return failed;
}

int main(void)
{
	Suite *s = suite_create("recovery");
	SRunner *sr;
	int failed, any = 0, restore_failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	tu_clear_env();
	main_pid = (long)getpid();
	server_dir = getenv("DAL_TEST_SERVER_DIR");
	if (server_dir && !*server_dir)
		server_dir = NULL;
	for (unsigned i = 0; i < N_BACKENDS; i++) {
		const struct backend *b = &backends[i];
		/* Check keeps the pointer to a test case's name. */
		static char names[N_BACKENDS][2][32];
		TCase *tc;

		if (!base_url(b)) {
			printf("test_recovery: %s not set: %s not tested\n", b->env, b->key);
			continue;
		}
		any = 1;
		snprintf(names[i][0], sizeof names[i][0], "%s-quick", b->key);
		tc = tcase_create(names[i][0]);
		tcase_set_timeout(tc, 60);
		tcase_add_loop_test(tc, test_server_down_at_open, (int)i, (int)i + 1);
		tcase_add_loop_test(tc, test_pool_exhausted_times_out, (int)i, (int)i + 1);
		tcase_add_loop_test(tc, test_idle_kill_pre_ping_replaces, (int)i, (int)i + 1);
		tcase_add_loop_test(tc, test_idle_kill_without_pre_ping, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
		if (!server_dir) {
			printf("test_recovery: DAL_TEST_SERVER_DIR not set: %s crash test not run\n",
			       b->key);
			continue;
		}
		snprintf(names[i][1], sizeof names[i][1], "%s-crash", b->key);
		tc = tcase_create(names[i][1]);
		tcase_set_timeout(tc, 120);
		tcase_add_loop_test(tc, test_crash_and_restart_under_load, (int)i, (int)i + 1);
		suite_add_tcase(s, tc);
	}
	if (!any) {
		printf("SKIP: no DAL_TEST_MYSQL_URL or DAL_TEST_PGSQL_URL (scripts/test-servers.sh "
		       "starts servers)\n");
		return 77;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	restore_failed = restore_servers();
	return failed || restore_failed ? 1 : 0;
}
