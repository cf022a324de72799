/*
 * Scale-out on real clusters (docs/scale-out.md), through the public API,
 * against the clusters of scripts/test-cluster.sh (DAL_TEST_CLUSTER_DIR,
 * DAL_TEST_GALERA_URL, DAL_TEST_PGHA_URL; a missing one is a visible SKIP):
 *
 *  pg routing      with replicas, dal_conn_acquire() reaches the primary and
 *                  dal_conn_acquire_ro() the standby (the servers say so:
 *                  pg_is_in_recovery()); spans carry each node's port; the
 *                  pool's per-node figures count both.
 *  pg lag          with max_replica_lag, a standby whose replay is paused
 *                  falls behind: reads go to the primary (logged), and back
 *                  to the standby once it has caught up.
 *  pg failover     4 threads commit numbered rows while the primary is
 *                  SIGKILLed and the standby promoted: every row reported
 *                  committed is on the new primary, and the repository
 *                  commits again within a bound after the promotion.
 *  galera checkout wsrep_check refuses, at checkout, a pooled connection to
 *                  a node that became Desynced, and the replacement reaches
 *                  another node.
 *  galera replica  with replicas = one Galera node, reads go there, and to
 *                  the primary list while that node is desynced.
 *  galera conflict two nodes update the same row at once: certification
 *                  rejects one commit (deadlock, DAL_EBUSY), and
 *                  dal_repo_transact() runs it again, successfully.
 *  galera failover 4 threads commit rows while the node they write to is
 *                  SIGKILLed: no row reported committed is lost, and the
 *                  repository commits again (on another node) within a bound;
 *                  a transaction left open on that node gets DAL_ECONNECT or
 *                  DAL_EOUTCOME, and none of its rows is kept.
 *
 * Each test runs in its own process (Check's fork mode), so that a
 * failure takes its writer threads with it; the PostgreSQL tests first make
 * the pair whole again if an earlier one left it broken.
 *
 * The failover tests print the measured times (docs/scale-out.md quotes
 * them); DAL_TEST_CLUSTER_ROUNDS=N runs each of them N times (make
 * check-cluster-long: 10). They take nodes down, so this program is not in TESTS (whose suites
 * share the servers) but runs alone: `make check-cluster`. Whatever happens,
 * main() leaves the clusters whole again (restart, rebuild).
 */
#define _GNU_SOURCE
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>

#include "testutil.h"

extern char **environ;

static const char *cluster_dir;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* scripts/test-cluster.sh CMD DIR [A B C]: its exit status, -1 if it did not
 * run. */
static int cluster(const char *cmd, const char *a, const char *b, const char *c)
{
	char script[4096];
	char *argv[] = {script, (char *)cmd, (char *)cluster_dir, (char *)a, (char *)b,
	                (char *)c, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	snprintf(script, sizeof script, "%s/scripts/test-cluster.sh", TOP_SRCDIR);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, script, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first line of scripts/test-cluster.sh's output (role). */
static void cluster_out(const char *cmd, const char *a, const char *b, char *out, size_t size)
{
	char line[512];
	FILE *f;

	snprintf(line, sizeof line, "'%s/scripts/test-cluster.sh' %s '%s' %s %s </dev/null",
	         TOP_SRCDIR, cmd, cluster_dir, a, b);
	*out = '\0';
	if (!(f = popen(line, "r")))
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

/* ---- helpers --------------------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	unsigned fallback, replaced, txn_retries;
} logs = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void log_sink(dal_log_level level, const char *msg, void *ud)
{
	(void)level;
	(void)ud;
	pthread_mutex_lock(&logs.lock);
	if (strstr(msg, "no usable replica"))
		logs.fallback++;
	if (strstr(msg, "failed its check at checkout"))
		logs.replaced++;
	if (strstr(msg, "transaction attempt"))
		logs.txn_retries++;
	pthread_mutex_unlock(&logs.lock);
	if (getenv("DAL_TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", msg);
}

static void log_reset(void)
{
	pthread_mutex_lock(&logs.lock);
	logs.fallback = logs.replaced = logs.txn_retries = 0;
	pthread_mutex_unlock(&logs.lock);
}

/* base + "?" or "&" + query, malloc'd. */
static char *url_with(const char *base, const char *query)
{
	char *u;
	ck_assert(asprintf(&u, "%s%s%s", base, strchr(base, '?') ? "&" : "?", query) > 0);
	return u;
}

/* "scheme://user:pw@HOSTS/db..." with the host list replaced. */
static char *url_hosts(const char *base, const char *hosts)
{
	const char *at = strchr(base, '@'), *slash = at ? strchr(at, '/') : NULL;
	char *u;

	ck_assert_ptr_nonnull(slash);
	ck_assert(asprintf(&u, "%.*s%s%s", (int)(at + 1 - base), base, hosts, slash) > 0);
	return u;
}

static int64_t query_int(dal_conn *c, const char *sql)
{
	dal_stmt *s;
	int64_t v = -1;
	int rc;

	ck_assert_msg(dal_stmt_prepare(c, sql, &s) == DAL_OK, "%s: %s", sql,
	              dal_conn_error(c)->message);
	rc = dal_stmt_step(s);
	ck_assert_msg(rc == DAL_ROW, "%s: %s", sql, dal_stmt_error(s)->message);
	v = dal_stmt_column_int64(s, 0);
	while ((rc = dal_stmt_step(s)) == DAL_ROW)
		;
	dal_stmt_close(s);
	return v;
}

static unsigned conn_port(dal_conn *c)
{
	unsigned port = 0;
	ck_assert_ptr_nonnull(dal_conn_server_address(c, &port));
	return port;
}

/* Wait up to `seconds` for the atomic x to become non-zero; 1 if it did. */
#define WAIT_OK(x, seconds)                                        \
	({                                                         \
		double until_ = now_s() + (seconds);               \
		while (!atomic_load(&(x)) && now_s() < until_)     \
			sleep_s(0.01);                             \
		atomic_load(&(x)) != 0;                            \
	})

/* ---- the write load of the failover tests --------------------------------- */

#define WRITERS 4
#define ROWS_MAX 100000

enum { ROW_NONE, ROW_OK, ROW_FAILED, ROW_OUTCOME };

struct load {
	dal_repo *repo;
	const char *insert_sql;
	atomic_int stop;
	_Atomic double kill_at;      /* when the node was killed (0: not yet) */
	_Atomic double first_ok_after; /* first commit that started after the kill */
	atomic_uint committed, failed, outcome;
};

struct writer {
	struct load *load;
	unsigned id, n;
	unsigned char *status;
};

static int64_t row_id(unsigned writer, unsigned i)
{
	return (int64_t)(writer + 1) * 1000000 + i;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct load *l = w->load;

	for (unsigned i = 0; i < ROWS_MAX && !atomic_load(&l->stop); i++) {
		struct tu_row row = {l->insert_sql, row_id(w->id, i)};
		double t0 = now_s(), ka;
		dal_error e;
		int rc = dal_repo_transact(l->repo, tu_insert_row, &row, &e);

		w->n = i + 1;
		if (rc == DAL_OK) {
			w->status[i] = ROW_OK;
			atomic_fetch_add(&l->committed, 1);
			ka = atomic_load(&l->kill_at);
			if (ka && t0 >= ka) {
				double zero = 0, t = now_s();
				atomic_compare_exchange_strong(&l->first_ok_after, &zero, t);
			}
		} else if (rc == DAL_EOUTCOME) {
			w->status[i] = ROW_OUTCOME;
			atomic_fetch_add(&l->outcome, 1);
		} else {
			w->status[i] = ROW_FAILED;
			atomic_fetch_add(&l->failed, 1);
			sleep_s(0.05);
		}
	}
	return NULL;
}

struct run {
	struct load load;
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
};

static void load_start(struct run *run, dal_repo *r, const char *insert_sql)
{
	memset(run, 0, sizeof *run);
	run->load.repo = r;
	run->load.insert_sql = insert_sql;
	for (unsigned i = 0; i < WRITERS; i++) {
		run->w[i].load = &run->load;
		run->w[i].id = i;
		ck_assert_ptr_nonnull(run->w[i].status = calloc(ROWS_MAX, 1));
		ck_assert_int_eq(pthread_create(&run->th[i], NULL, writer_main, &run->w[i]), 0);
	}
}

static void load_stop(struct run *run)
{
	atomic_store(&run->load.stop, 1);
	for (unsigned i = 0; i < WRITERS; i++)
		pthread_join(run->th[i], NULL);
}

/* Every row reported committed is in the table (read through c); no row is
 * there that was reported failed. Returns the rows checked. */
static unsigned load_verify(struct run *run, dal_conn *c, const char *table)
{
	char sql[256];
	unsigned checked = 0, lost = 0, ghosts = 0;
	dal_stmt *s;

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE id = ?", table);
	ck_assert_int_eq(dal_stmt_prepare(c, sql, &s), DAL_OK);
	for (unsigned w = 0; w < WRITERS; w++)
		for (unsigned i = 0; i < run->w[w].n; i++) {
			unsigned char st = run->w[w].status[i];
			int64_t n;

			if (st != ROW_OK && st != ROW_FAILED)
				continue;
			ck_assert_int_eq(dal_stmt_reset(s), DAL_OK);
			ck_assert_int_eq(dal_stmt_bind_int64(s, 1, row_id(w, i)), DAL_OK);
			ck_assert_msg(dal_stmt_step(s) == DAL_ROW, "%s", dal_stmt_error(s)->message);
			n = dal_stmt_column_int64(s, 0);
			if (st == ROW_OK && n != 1)
				lost++;
			if (st == ROW_FAILED && n != 0)
				ghosts++;
			checked++;
		}
	dal_stmt_close(s);
	ck_assert_msg(lost == 0, "%u rows reported committed are missing", lost);
	ck_assert_msg(ghosts == 0, "%u rows reported failed are in the table", ghosts);
	for (unsigned w = 0; w < WRITERS; w++)
		free(run->w[w].status);
	return checked;
}

/* ---- PostgreSQL ------------------------------------------------------------ */

static const char *pg_url(void)
{
	const char *u = getenv("DAL_TEST_PGHA_URL");
	return u && *u && cluster_dir ? u : NULL;
}

/* Make the PostgreSQL pair a primary and a streaming standby again after a
 * test that failed half-way. 0 when it is (or was made) whole. */
static int pg_heal(void)
{
	char ra[32], rb[32];

	cluster_out("role", "pg", "a", ra, sizeof ra);
	cluster_out("role", "pg", "b", rb, sizeof rb);
	if (strcmp(ra, "primary") == 0 && strcmp(rb, "standby") != 0)
		return cluster("rebuild", "pg", "b", NULL) != 0;
	if (strcmp(rb, "primary") == 0 && strcmp(ra, "standby") != 0)
		return cluster("rebuild", "pg", "a", NULL) != 0;
	if (strcmp(ra, "standby") == 0 && strcmp(rb, "down") == 0)
		return cluster("promote", "pg", "a", NULL) != 0 ||
		       cluster("rebuild", "pg", "b", NULL) != 0;
	if (strcmp(rb, "standby") == 0 && strcmp(ra, "down") == 0)
		return cluster("promote", "pg", "b", NULL) != 0 ||
		       cluster("rebuild", "pg", "a", NULL) != 0;
	return 0;
}

/* The ports of nodes a and b, and which is the primary now (role of a). */
static void pg_nodes(unsigned *primary, unsigned *standby, const char **pname,
                     const char **sname)
{
	const char *ports = getenv("DAL_TEST_PGHA_PORTS");
	unsigned pa = 0, pb = 0;
	char role[64];

	ck_assert_ptr_nonnull(ports);
	ck_assert_int_eq(sscanf(ports, "%u %u", &pa, &pb), 2);
	ck_assert_msg(pg_heal() == 0, "the PostgreSQL pair of %s cannot be made whole",
	              cluster_dir);
	cluster_out("role", "pg", "a", role, sizeof role);
	if (strcmp(role, "primary") == 0) {
		*primary = pa, *standby = pb, *pname = "a", *sname = "b";
	} else {
		ck_assert_msg(strcmp(role, "standby") == 0, "node a is %s", role);
		*primary = pb, *standby = pa, *pname = "b", *sname = "a";
	}
}

/* A repository over both nodes with the standby as replica. */
static dal_repo *pg_routed(const char *extra)
{
	unsigned pp, sp;
	const char *pn, *sn;
	char q[256];
	char *u;
	dal_repo *r;

	pg_nodes(&pp, &sp, &pn, &sn);
	snprintf(q, sizeof q, "replicas=127.0.0.1:%u&max_retries=20&retry_delay=0.2"
	         "&retry_max_delay=1&connect_timeout=2%s%s", sp, extra ? "&" : "", extra ? extra : "");
	u = url_with(pg_url(), q);
	r = tu_repo_open(u);
	free(u);
	return r;
}

static struct {
	pthread_mutex_t lock;
	unsigned ports[64];
	dal_op ops[64];
	unsigned n;
} spans = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void span_end(const dal_span *sp, void *ud, void *ctx)
{
	(void)ud;
	(void)ctx;
	pthread_mutex_lock(&spans.lock);
	if (spans.n < 64) {
		spans.ports[spans.n] = sp->server_port;
		spans.ops[spans.n++] = sp->op;
	}
	pthread_mutex_unlock(&spans.lock);
}

static int note_recovery(dal_conn *c, void *ud)
{
	*(int64_t *)ud = query_int(c, "SELECT pg_is_in_recovery()::int");
	return DAL_OK;
}

START_TEST(test_pg_reads_reach_the_standby_writes_the_primary)
{
	unsigned pp, sp;
	const char *pn, *sn;
	dal_trace_hooks hooks = {.end = span_end};
	dal_pool_node nodes[8];
	size_t n = 0;
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	int seen_p = 0, seen_s = 0;

	if (!pg_url())
		return;
	pg_nodes(&pp, &sp, &pn, &sn);
	r = pg_routed(NULL);
	ck_assert_int_eq(dal_repo_trace_set(r, &hooks, NULL), DAL_OK);
	spans.n = 0;

	ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
	ck_assert_int_eq(query_int(c, "SELECT pg_is_in_recovery()::int"), 0);
	ck_assert_uint_eq(conn_port(c), pp);
	dal_conn_release(c);

	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(query_int(c, "SELECT pg_is_in_recovery()::int"), 1);
	ck_assert_uint_eq(conn_port(c), sp);
	dal_conn_release(c);

	/* Read-only transactions run on the standby, the others on the
	 * primary. */
	{
		int64_t rec = -1;
		ck_assert_msg(dal_repo_transact_ro(r, note_recovery, &rec, &e) == DAL_OK, "%s",
		              e.message);
		ck_assert_int_eq(rec, 1);
		ck_assert_msg(dal_repo_transact(r, note_recovery, &rec, &e) == DAL_OK, "%s",
		              e.message);
		ck_assert_int_eq(rec, 0);
	}
	/* A write through the read-write path lands on the primary. */
	tu_repo_exec(r, "CREATE TABLE IF NOT EXISTS dal_route_probe (id int PRIMARY KEY)");

	pthread_mutex_lock(&spans.lock);
	for (unsigned i = 0; i < spans.n; i++) {
		seen_p += spans.ports[i] == pp;
		seen_s += spans.ports[i] == sp;
	}
	pthread_mutex_unlock(&spans.lock);
	ck_assert_msg(seen_p >= 2 && seen_s >= 2, "spans: %d on the primary, %d on the standby",
	              seen_p, seen_s);

	ck_assert_int_eq(dal_repo_pool_nodes(r, nodes, 8, &n), DAL_OK);
	ck_assert_uint_ge(n, 2);
	seen_p = seen_s = 0;
	for (size_t i = 0; i < n && i < 8; i++) {
		if (nodes[i].port == pp && !nodes[i].replica_pool && nodes[i].acquired >= 2)
			seen_p = 1;
		if (nodes[i].port == sp && nodes[i].replica_pool && nodes[i].acquired >= 1 &&
		    nodes[i].open >= 1)
			seen_s = 1;
	}
	ck_assert_msg(seen_p && seen_s, "per-node figures miss a node");
	tu_repo_exec(r, "DROP TABLE dal_route_probe");
	dal_repo_close(r);
}
END_TEST

START_TEST(test_pg_lagging_standby_reads_fall_back_to_primary)
{
	unsigned pp, sp;
	const char *pn, *sn;
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	int64_t in_recovery;

	if (!pg_url())
		return;
	pg_nodes(&pp, &sp, &pn, &sn);
	r = pg_routed("max_replica_lag=0.3");
	log_reset();
	tu_repo_exec(r, "CREATE TABLE IF NOT EXISTS dal_lag_probe (id serial PRIMARY KEY, t text)");
	ck_assert_int_eq(dal_conn_acquire_ro(r, &c, &e), DAL_OK);
	ck_assert_uint_eq(conn_port(c), sp);
	ck_assert_msg(dal_conn_exec(c, "SELECT pg_wal_replay_pause()", NULL) == DAL_OK, "%s",
	              dal_conn_error(c)->message);
	dal_conn_release(c);
	/* WAL the paused standby receives but does not replay: its lag is the
	 * age of its last replayed transaction, past 0.3 s after a while. */
	tu_repo_exec(r, "INSERT INTO dal_lag_probe (t) VALUES ('a')");
	sleep_s(1.2);
	tu_repo_exec(r, "INSERT INTO dal_lag_probe (t) VALUES ('b')");
	sleep_s(0.2);
	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	in_recovery = query_int(c, "SELECT pg_is_in_recovery()::int");
	ck_assert_msg(in_recovery == 0 && conn_port(c) == pp,
	              "a read went to the lagging standby (port %u)", conn_port(c));
	dal_conn_release(c);
	ck_assert_uint_ge(logs.fallback, 1);

	/* Caught up again: reads return to the standby once its retry time is
	 * over. The resume runs on the standby over a plain connection. */
	{
		char hosts[64];
		char *u;
		dal_repo *sr;

		snprintf(hosts, sizeof hosts, "127.0.0.1:%u", sp);
		u = url_hosts(pg_url(), hosts);
		sr = tu_repo_open(u);
		free(u);
		tu_repo_exec(sr, "SELECT pg_wal_replay_resume()");
		dal_repo_close(sr);
	}
	sleep_s(1.5);
	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	ck_assert_int_eq(query_int(c, "SELECT pg_is_in_recovery()::int"), 1);
	ck_assert_int_eq(query_int(c, "SELECT count(*) FROM dal_lag_probe WHERE t = 'b'") >= 1, 1);
	dal_conn_release(c);
	tu_repo_exec(r, "DROP TABLE dal_lag_probe");
	dal_repo_close(r);
}
END_TEST

static double pg_failover_s, pg_promote_to_ok_s;

START_TEST(test_pg_primary_killed_standby_promoted)
{
	unsigned pp, sp;
	const char *pn, *sn;
	struct run run;
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	double t_kill, t_promoted, ok_at;
	unsigned checked;

	if (!pg_url())
		return;
	pg_nodes(&pp, &sp, &pn, &sn);
	r = pg_routed("pool_size=4&max_overflow=2");
	tu_repo_exec(r, "DROP TABLE IF EXISTS dal_fail_pg");
	tu_repo_exec(r, "CREATE TABLE dal_fail_pg (id bigint PRIMARY KEY)");
	load_start(&run, r, "INSERT INTO dal_fail_pg (id) VALUES (?)");
	sleep_s(1.0);
	ck_assert_int_eq(cluster("kill", "pg", pn, NULL), 0);
	/* From here the node is gone: a commit that starts later is served
	 * by another. */
	t_kill = now_s();
	atomic_store(&run.load.kill_at, t_kill);
	/* An operator (or a failover manager) notices and promotes. */
	sleep_s(0.5);
	t_promoted = now_s();
	ck_assert_int_eq(cluster("promote", "pg", sn, NULL), 0);
	ck_assert_msg(WAIT_OK(run.load.first_ok_after, 15.0),
	              "no commit within 15 s of the promotion");
	ok_at = atomic_load(&run.load.first_ok_after);
	sleep_s(1.0);
	load_stop(&run);
	pg_failover_s = ok_at - t_kill;
	pg_promote_to_ok_s = ok_at - t_promoted;
	printf("pg failover: primary killed at 0, promotion started at %.2f s, first commit "
	       "at %.2f s (%.2f s after the promotion started); %u committed, %u failed, %u "
	       "unknown outcome\n",
	       t_promoted - t_kill, pg_failover_s, pg_promote_to_ok_s,
	       atomic_load(&run.load.committed), atomic_load(&run.load.failed),
	       atomic_load(&run.load.outcome));
	ck_assert_msg(pg_promote_to_ok_s < 5.0, "served again %.2f s after the promotion",
	              pg_promote_to_ok_s);
	ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
	ck_assert_uint_eq(conn_port(c), sp); /* the promoted standby */
	ck_assert_int_eq(query_int(c, "SELECT pg_is_in_recovery()::int"), 0);
	checked = load_verify(&run, c, "dal_fail_pg");
	ck_assert_uint_gt(checked, 0);
	dal_conn_release(c);
	/* Reads fall back to the new primary: no standby is left. */
	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_eq(conn_port(c), sp);
	dal_conn_release(c);
	tu_repo_exec(r, "DROP TABLE dal_fail_pg");
	dal_repo_close(r);
	/* The old primary comes back as a standby of the new one. */
	ck_assert_int_eq(cluster("rebuild", "pg", pn, NULL), 0);
}
END_TEST

/* ---- Galera ---------------------------------------------------------------- */

static const char *galera_url(void)
{
	const char *u = getenv("DAL_TEST_GALERA_URL");
	return u && *u && cluster_dir ? u : NULL;
}

static unsigned galera_port(int node)
{
	const char *ports = getenv("DAL_TEST_GALERA_PORTS");
	unsigned p[3] = {0};

	ck_assert_ptr_nonnull(ports);
	ck_assert_int_eq(sscanf(ports, "%u %u %u", &p[0], &p[1], &p[2]), 3);
	return p[node - 1];
}

static int galera_node_of_port(unsigned port)
{
	for (int n = 1; n <= 3; n++)
		if (galera_port(n) == port)
			return n;
	return 0;
}

/* A repository on Galera node n alone. */
static dal_repo *galera_node(int n, const char *extra)
{
	char hosts[64];
	char *u, *u2;
	dal_repo *r;

	snprintf(hosts, sizeof hosts, "127.0.0.1:%u", galera_port(n));
	u = url_hosts(galera_url(), hosts);
	u2 = url_with(u, extra ? extra : "wsrep_check=on");
	r = tu_repo_open(u2);
	free(u);
	free(u2);
	return r;
}

START_TEST(test_galera_desynced_node_refused_at_checkout)
{
	dal_repo *r;
	dal_conn *c;
	dal_error e;
	char num[8];
	int first, second;
	dal_pool_node nodes[8];
	size_t n = 0;
	uint64_t rejected = 0;

	if (!galera_url())
		return;
	log_reset();
	{
		char *u = url_with(galera_url(), "wsrep_check=on&pool_size=1&max_overflow=0");
		r = tu_repo_open(u);
		free(u);
	}
	ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
	first = galera_node_of_port(conn_port(c));
	ck_assert_int_ne(first, 0);
	dal_conn_release(c);
	snprintf(num, sizeof num, "%d", first);
	ck_assert_int_eq(cluster("desync", "galera", num, "on"), 0);
	sleep_s(1.1); /* past the check interval */
	ck_assert_msg(dal_conn_acquire(r, &c, &e) == DAL_OK, "%s", e.message);
	second = galera_node_of_port(conn_port(c));
	dal_conn_release(c);
	ck_assert_int_eq(cluster("desync", "galera", num, "off"), 0);
	ck_assert_msg(second != 0 && second != first,
	              "checkout after the desync still reached node %d", second);
	ck_assert_uint_ge(logs.replaced, 1);
	ck_assert_int_eq(dal_repo_pool_nodes(r, nodes, 8, &n), DAL_OK);
	for (size_t i = 0; i < n && i < 8; i++)
		if (nodes[i].port == galera_port(first))
			rejected = nodes[i].rejected;
	ck_assert_uint_ge(rejected, 1);
	dal_repo_close(r);
}
END_TEST

/* replicas on Galera: reads go to the node named for them, and to the
 * primary list while that node is desynced (a donor serves no reads). */
START_TEST(test_galera_replica_reads_skip_a_desynced_node)
{
	char hosts[64], q[128];
	char *u, *u2;
	dal_repo *r;
	dal_conn *c;
	dal_error e;

	if (!galera_url())
		return;
	log_reset();
	snprintf(hosts, sizeof hosts, "127.0.0.1:%u", galera_port(1));
	snprintf(q, sizeof q, "wsrep_check=on&replicas=127.0.0.1:%u", galera_port(3));
	u = url_hosts(galera_url(), hosts);
	u2 = url_with(u, q);
	r = tu_repo_open(u2);
	free(u);
	free(u2);
	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_eq(conn_port(c), galera_port(3));
	dal_conn_release(c);
	ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
	ck_assert_uint_eq(conn_port(c), galera_port(1));
	dal_conn_release(c);

	ck_assert_int_eq(cluster("desync", "galera", "3", "on"), 0);
	sleep_s(1.1); /* the pooled replica connection's check is due */
	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_eq(conn_port(c), galera_port(1));
	dal_conn_release(c);
	ck_assert_uint_ge(logs.replaced, 1);
	ck_assert_uint_eq(logs.fallback, 1);

	ck_assert_int_eq(cluster("desync", "galera", "3", "off"), 0);
	sleep_s(1.1); /* past the replicas' retry time */
	ck_assert_msg(dal_conn_acquire_ro(r, &c, &e) == DAL_OK, "%s", e.message);
	ck_assert_uint_eq(conn_port(c), galera_port(3));
	dal_conn_release(c);
	dal_repo_close(r);
}
END_TEST

struct conflict {
	dal_repo *repo;
	pthread_barrier_t *both_updated;
	atomic_int attempts;
	int rc;
	char msg[DAL_ERROR_MESSAGE_SIZE];
};

static int bump(dal_conn *c, void *ud)
{
	struct conflict *k = ud;
	int64_t changed = 0;
	int rc = dal_conn_exec(c, "UPDATE dal_conflict SET v = v + 1 WHERE id = 1", &changed);

	if (rc == DAL_OK && changed != 1)
		return DAL_EBACKEND; /* the row must be there on every node */

	/* The first attempts of both sides hold their local update before
	 * either commits: the second commit to be certified conflicts. */
	if (atomic_fetch_add(&k->attempts, 1) == 0)
		pthread_barrier_wait(k->both_updated);
	return rc;
}

static void *conflict_main(void *arg)
{
	struct conflict *k = arg;
	dal_error e;

	k->rc = dal_repo_transact(k->repo, bump, k, &e);
	snprintf(k->msg, sizeof k->msg, "%s", e.message);
	return NULL;
}

START_TEST(test_galera_certification_conflict_is_retried)
{
	dal_repo *r1, *r2;
	struct conflict k[2];
	pthread_barrier_t b;
	pthread_t th[2];
	dal_conn *c;
	dal_error e;

	if (!galera_url())
		return;
	log_reset();
	r1 = galera_node(1, "wsrep_check=on&retry_max_delay=0.2");
	r2 = galera_node(2, "wsrep_check=on&retry_max_delay=0.2");
	tu_repo_exec(r1, "DROP TABLE IF EXISTS dal_conflict");
	tu_repo_exec(r1, "CREATE TABLE dal_conflict (id INT PRIMARY KEY, v INT NOT NULL)");
	tu_repo_exec(r1, "INSERT INTO dal_conflict VALUES (1, 0)");
	/* Node 2 applies node 1's writes asynchronously: wait until it has
	 * the row, or its update would change nothing and conflict with
	 * nothing. */
	ck_assert_int_eq(dal_conn_acquire(r2, &c, &e), DAL_OK);
	ck_assert_int_eq(dal_conn_exec(c, "SET SESSION wsrep_sync_wait = 1", NULL), DAL_OK);
	ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM dal_conflict WHERE id = 1"), 1);
	ck_assert_int_eq(dal_conn_exec(c, "SET SESSION wsrep_sync_wait = 0", NULL), DAL_OK);
	dal_conn_release(c);
	pthread_barrier_init(&b, NULL, 2);
	memset(k, 0, sizeof k);
	k[0].repo = r1;
	k[1].repo = r2;
	for (int i = 0; i < 2; i++) {
		k[i].both_updated = &b;
		ck_assert_int_eq(pthread_create(&th[i], NULL, conflict_main, &k[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&b);
	for (int i = 0; i < 2; i++)
		ck_assert_msg(k[i].rc == DAL_OK, "node %d: %s: %s", i + 1, dal_code_name(k[i].rc),
		              k[i].msg);
	printf("galera conflict: node 1 ran its unit %d time(s), node 2 %d time(s); "
	       "%u retry line(s) logged\n", atomic_load(&k[0].attempts),
	       atomic_load(&k[1].attempts), logs.txn_retries);
	ck_assert_int_eq(atomic_load(&k[0].attempts) + atomic_load(&k[1].attempts), 3);
	ck_assert_uint_ge(logs.txn_retries, 1);
	ck_assert_int_eq(dal_conn_acquire(r2, &c, &e), DAL_OK);
	ck_assert_int_eq(dal_conn_exec(c, "SET SESSION wsrep_sync_wait = 1", NULL), DAL_OK);
	ck_assert_int_eq(query_int(c, "SELECT v FROM dal_conflict WHERE id = 1"), 2);
	dal_conn_release(c);
	tu_repo_exec(r1, "DROP TABLE dal_conflict");
	dal_repo_close(r1);
	dal_repo_close(r2);
}
END_TEST

static double galera_failover_s;

START_TEST(test_galera_node_killed_under_load)
{
	struct run run;
	dal_repo *r, *check;
	dal_conn *c, *held;
	dal_error e;
	char num[8];
	int victim, other, rc;
	double t_kill, ok_at;
	unsigned checked;

	if (!galera_url())
		return;
	{
		char *u = url_with(galera_url(), "wsrep_check=on&pool_size=4&max_overflow=2"
		                                 "&max_retries=20&retry_delay=0.1&retry_max_delay=0.5"
		                                 "&connect_timeout=2");
		r = tu_repo_open(u);
		free(u);
	}
	tu_repo_exec(r, "DROP TABLE IF EXISTS dal_fail_galera");
	tu_repo_exec(r, "CREATE TABLE dal_fail_galera (id BIGINT PRIMARY KEY)");
	ck_assert_int_eq(dal_conn_acquire(r, &c, &e), DAL_OK);
	victim = galera_node_of_port(conn_port(c));
	dal_conn_release(c);
	ck_assert_int_ne(victim, 0);
	other = victim == 3 ? 1 : victim + 1;
	/* A transaction of our own in flight on the victim: uncommitted when
	 * the node dies. */
	ck_assert_int_eq(dal_conn_acquire(r, &held, &e), DAL_OK);
	ck_assert_int_eq(galera_node_of_port(conn_port(held)), victim);
	ck_assert_int_eq(dal_conn_begin(held), DAL_OK);
	ck_assert_int_eq(dal_conn_exec(held, "INSERT INTO dal_fail_galera VALUES (-1)", NULL),
	                 DAL_OK);
	load_start(&run, r, "INSERT INTO dal_fail_galera (id) VALUES (?)");
	sleep_s(1.0);
	snprintf(num, sizeof num, "%d", victim);
	ck_assert_int_eq(cluster("kill", "galera", num, NULL), 0);
	t_kill = now_s();
	atomic_store(&run.load.kill_at, t_kill);
	ck_assert_msg(WAIT_OK(run.load.first_ok_after, 20.0),
	              "no commit within 20 s of the kill");
	ok_at = atomic_load(&run.load.first_ok_after);
	/* The transaction in flight gets the connection-lost code: not sent
	 * (DAL_ECONNECT) or lost after sending (DAL_EOUTCOME), never success. */
	rc = dal_conn_exec(held, "INSERT INTO dal_fail_galera VALUES (-2)", NULL);
	ck_assert_msg(rc == DAL_ECONNECT || rc == DAL_EOUTCOME, "in-flight statement: %s: %s",
	              dal_code_name(rc), dal_conn_error(held)->message);
	rc = dal_conn_commit(held);
	ck_assert_msg(rc == DAL_ECONNECT || rc == DAL_EOUTCOME, "in-flight commit: %s",
	              dal_code_name(rc));
	dal_conn_release(held);
	sleep_s(1.0);
	load_stop(&run);
	galera_failover_s = ok_at - t_kill;
	printf("galera failover: node %d killed at 0, first commit at %.2f s; %u committed, "
	       "%u failed, %u unknown outcome\n", victim, galera_failover_s,
	       atomic_load(&run.load.committed), atomic_load(&run.load.failed),
	       atomic_load(&run.load.outcome));
	ck_assert_msg(galera_failover_s < 10.0, "served again %.2f s after the kill",
	              galera_failover_s);
	/* Every acknowledged row is on a surviving node (read with
	 * wsrep_sync_wait, so that nothing in flight in the cluster hides). */
	check = galera_node(other, NULL);
	ck_assert_int_eq(dal_conn_acquire(check, &c, &e), DAL_OK);
	ck_assert_int_eq(dal_conn_exec(c, "SET SESSION wsrep_sync_wait = 1", NULL), DAL_OK);
	checked = load_verify(&run, c, "dal_fail_galera");
	ck_assert_uint_gt(checked, 0);
	/* Nothing of the transaction that died uncommitted. */
	ck_assert_int_eq(query_int(c, "SELECT COUNT(*) FROM dal_fail_galera WHERE id < 0"), 0);
	dal_conn_release(c);
	dal_repo_close(check);
	tu_repo_exec(r, "DROP TABLE dal_fail_galera");
	dal_repo_close(r);
	ck_assert_int_eq(cluster("restart", "galera", num, NULL), 0);
}
END_TEST

/* Leave the clusters whole, whatever a test did: every Galera node up and
 * in sync, the PostgreSQL pair a primary and a streaming standby. */
static int restore(void)
{
	int rc = 0;

	if (galera_url())
		for (int n = 1; n <= 3; n++) {
			char num[8];
			snprintf(num, sizeof num, "%d", n);
			rc |= cluster("restart", "galera", num, NULL) != 0;
			rc |= cluster("desync", "galera", num, "off") != 0;
		}
	if (pg_url())
		rc |= pg_heal();
	if (rc)
		fprintf(stderr, "test_cluster: could not restore the clusters of %s\n", cluster_dir);
	return rc;
}

int main(void)
{
	Suite *s = suite_create("cluster");
	TCase *pg = tcase_create("pgsql"), *g = tcase_create("galera");
	SRunner *sr;
	int failed, rounds = 1;
	const char *r = getenv("DAL_TEST_CLUSTER_ROUNDS");

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* make check-cluster-long: each failover test several times. */
	if (r && *r && (rounds = atoi(r)) < 1)
		rounds = 1;
	cluster_dir = getenv("DAL_TEST_CLUSTER_DIR");
	if (cluster_dir && !*cluster_dir)
		cluster_dir = NULL;
	if (!pg_url() && !galera_url()) {
		printf("test_cluster: SKIP (DAL_TEST_CLUSTER_DIR, DAL_TEST_PGHA_URL or "
		       "DAL_TEST_GALERA_URL unset: run scripts/test-cluster.sh start DIR)\n");
		return 77;
	}
	dal_log_set(log_sink, NULL);
	tcase_set_timeout(pg, 120 * rounds);
	tcase_set_timeout(g, 120 * rounds);
	tcase_add_test(pg, test_pg_reads_reach_the_standby_writes_the_primary);
	tcase_add_test(pg, test_pg_lagging_standby_reads_fall_back_to_primary);
	tcase_add_loop_test(pg, test_pg_primary_killed_standby_promoted, 0, rounds);
	tcase_add_test(g, test_galera_desynced_node_refused_at_checkout);
	tcase_add_test(g, test_galera_replica_reads_skip_a_desynced_node);
	tcase_add_test(g, test_galera_certification_conflict_is_retried);
	tcase_add_loop_test(g, test_galera_node_killed_under_load, 0, rounds);
	suite_add_tcase(s, pg);
	suite_add_tcase(s, g);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (restore())
		failed++;
	return failed ? 1 : 0;
}
