/*
 * bench_pool: the cost of libdal's connection pool (core/pool.c), and what
 * libdal's pool gives a multi-threaded service next to raw connections.
 *
 *   bench_pool --backend sqlite|mysql|pgsql --url URL [options]
 *
 * Two tests, each repeated --runs times with the variants in alternation
 * (the order rotating each round); bench/run-pool takes the medians.
 *
 * latency   T threads (--threads, default 1,2,4,8) share one repository
 *           (a new one per measurement, default telemetry) with
 *           pool_size = the largest T and max_overflow = 0, so nobody
 *           waits for a connection, and call dal_conn_acquire() +
 *           dal_conn_release() in a loop, --pairs pairs in all (split among
 *           the threads). Nothing runs on the connection: this is the pool's
 *           own cost. Before the clock starts, the T threads each acquire a
 *           connection at once and release it, so the pool holds T open
 *           connections and none is made while timed. The reference row
 *           "mutex" is the floor for any pool guarded by one lock: the same
 *           loop over a pthread mutex and a LIFO list of T nodes.
 *           pre_ping stays at its default (on for servers): it only pings a
 *           connection idle for a second or more, which never happens in the
 *           loop; the program checks this (telemetry's ping count must stay
 *           0) and that no connection was made or closed while timed.
 *
 * qps       --qps-threads threads (default 8) each run --queries prepared
 *           point selects, W2 of bench_raw/bench_dal ("SELECT id, name,
 *           score, payload FROM bench_t WHERE id = ?", every column read),
 *           keys from a fixed-seed sequence per thread, on:
 *             raw          one raw driver connection per thread, used the
 *                          way bench_raw.c does (SQLite: SQLITE_OPEN_NOMUTEX,
 *                          each connection owned by one thread; MariaDB:
 *                          buffers bound once; PostgreSQL: binary in/out)
 *             dal          one repository, each thread acquires a connection
 *                          once, prepares once and keeps both for its loop
 *                          (a service worker); telemetry on (the default)
 *             dal-notel    the same with ?telemetry=off
 *             dal-each     one repository, each query acquires, prepares,
 *                          runs, closes the statement and releases (release
 *                          finalizes statements, so a statement cannot
 *                          outlive its acquire)
 *             raw-each     reference for dal-each: raw connections that
 *                          prepare and finalize around every query, so that
 *                          dal-each's cost can be split into re-preparing
 *                          (raw-each / raw) and libdal (dal-each / raw-each);
 *                          PostgreSQL deallocates 32 statements per round
 *                          trip, as libdal's plugin does
 *           Connecting and the first prepare happen before the clock starts
 *           for every stack. Every stack must produce the same checksum.
 *
 * The table is seeded through libdal once per process, as W1 writes it
 * (bench_t, rows 1..-n, harness.c), then checkpointed on SQLite. SQLite
 * connections (raw and libdal) get cache_size=-262144, as the single-thread
 * benches do, so that the table is in every connection's page cache.
 *
 * Output (one line per measurement; bench/run-pool and report_pool.py read
 * them):
 *   POOL test=latency backend=B impl=dal|mutex threads=T run=R pairs=P
 *        ns_per_pair=X thread_ns_per_pair=Y cpu_ns_per_pair=Z
 *   POOL test=qps backend=B stack=S threads=T run=R queries=Q seconds=S
 *        qps=X cpu_ns_per_query=Z checksum=H
 *   POOLCHECK backend=B test=... pings=0 created=N closed=0 timeouts=0
 * ns_per_pair is wall time / all pairs (the inverse of the pool's
 * throughput); thread_ns_per_pair is each thread's own elapsed time / its
 * pairs, averaged over threads (what one caller waits; with more threads
 * than cores it includes the time the thread was not scheduled). Wall time
 * runs from the first thread's start to the last one's end (struct span).
 * cpu_ns_* is the workers' CPU time (user + system) over their timed loops,
 * per operation: the client's own cost, which other processes competing for
 * the cores do not inflate the way they inflate wall time (on the servers
 * it leaves out the server's work).
 *
 * --profile: run only the uncontended libdal loop (--pairs pairs on the main
 * thread), bracketed by callgrind's zero/dump client requests
 * ("acquire+release"), for callgrind or perf on the acquire/release path.
 *
 * --no-memstatus (SQLite): sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) before
 * anything else, for raw and libdal alike (it is process-wide). With the
 * statistics on (SQLite's default, Debian's build), every sqlite3_malloc and
 * free takes one global mutex, which 8 threads contend for; the lines are
 * reported under backend=sqlite-nomemstatus.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <endian.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/dal.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

const char *const stack_name = "pool";

#define MAX_THREADS 64

static struct {
	struct bench_ctx c; /* backend, url, srv; for bench_fail */
	long rows, pairs, queries, runs;
	int threads[16], n_threads;
	int qps_threads;
	int do_latency, do_qps, profile;
	int lat_dal, lat_mutex; /* --impl: which latency loops run */
	const char *qps_only;    /* --stack: the one qps stack to run, or NULL */
	int64_t *keys[MAX_THREADS]; /* qps: per-thread key sequences */
} g;

/* SQLite's page cache per connection, as harness.c sets it for one. */
#define SQLITE_CACHE "-262144"

/* ---- small helpers ------------------------------------------------------ */

/* g.c.url with extra query parameters appended. */
static const char *dal_url(char *buf, size_t size, const char *extra)
{
	const char *sep = strchr(g.c.url, '?') ? "&" : "?";

	if (g.c.backend == BENCH_SQLITE)
		snprintf(buf, size, "%s%scache_size=" SQLITE_CACHE "%s%s", g.c.url, sep,
		         *extra ? "&" : "", extra);
	else
		snprintf(buf, size, "%s%s%s", g.c.url, *extra ? sep : "", extra);
	return buf;
}

static dal_repo *open_repo(const char *extra)
{
	char url[2048];
	dal_repo *r;
	dal_error err;

	if (dal_repo_open_url(&r, dal_url(url, sizeof url, extra), &err) != DAL_OK)
		bench_fail(&g.c, "dal_repo_open_url: %s", err.message);
	return r;
}

static dal_conn *acquire(dal_repo *r)
{
	dal_conn *c;
	dal_error err;

	if (dal_conn_acquire(r, &c, &err) != DAL_OK)
		bench_fail(&g.c, "dal_conn_acquire: %s", err.message);
	return c;
}

static void conn_exec(dal_conn *c, const char *sql)
{
	if (dal_conn_exec(c, sql, NULL) != DAL_OK)
		bench_fail(&g.c, "%s: %s", sql, dal_conn_error(c)->message);
}

/* One thread's timed loop: wall clock (CLOCK_MONOTONIC) and the thread's
 * own CPU time (CLOCK_THREAD_CPUTIME_ID, user + system) at its start and
 * end. A run's wall time is the last end minus the first start, so it does
 * not depend on when the main thread gets scheduled; its CPU time is the sum
 * over threads, which other processes competing for the cores do not
 * inflate the way they inflate wall time. */
struct span {
	uint64_t t0, t1, c0, c1;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void span_begin(struct span *sp)
{
	sp->c0 = thread_cpu_ns();
	sp->t0 = bench_now_ns();
}

static void span_end(struct span *sp)
{
	sp->t1 = bench_now_ns();
	sp->c1 = thread_cpu_ns();
}

/* Wall and CPU time of n spans, each at stride bytes from the first. */
static void spans_total(const struct span *first, size_t stride, int n, uint64_t *wall,
                        uint64_t *cpu)
{
	uint64_t lo = UINT64_MAX, hi = 0, c = 0;

	for (int i = 0; i < n; i++) {
		const struct span *sp = (const struct span *)((const char *)first + stride * (size_t)i);

		lo = sp->t0 < lo ? sp->t0 : lo;
		hi = sp->t1 > hi ? sp->t1 : hi;
		c += sp->c1 - sp->c0;
	}
	*wall = hi - lo;
	*cpu = c;
}

/* A run's threads start together: every worker and the main thread wait on
 * `ready` (all set up), then `start`; the workers time their own loops
 * (struct span). qps workers meet on `ready` again when done, so that no
 * connection is closed while another thread is still timed. */
struct run {
	pthread_barrier_t ready, start;
	int nthreads;
	long per_thread;
	dal_repo *repo;
	void *shared; /* the mutex reference pool */
};

/* Pool figures that must not move while timed: pings (pre_ping) and
 * connections made or closed. */
struct pool_snap {
	dal_pool_stats ps;
	uint64_t pings;
};

static void snap(dal_repo *r, struct pool_snap *s)
{
	dal_op_stats os;

	dal_repo_pool_stats(r, &s->ps);
	s->pings = dal_repo_stats(r, DAL_OP_PING, &os) == DAL_OK ? os.calls : 0;
}

static void check_quiet(dal_repo *r, const struct pool_snap *before, const char *test,
                        int threads)
{
	struct pool_snap after;

	snap(r, &after);
	printf("POOLCHECK backend=%s test=%s threads=%d pings=%" PRIu64 " created=%" PRIu64
	       " closed=%" PRIu64 " timeouts=%" PRIu64 " open=%u\n",
	       g.c.backend_name, test, threads, after.pings - before->pings,
	       after.ps.created - before->ps.created, after.ps.closed - before->ps.closed,
	       after.ps.timeouts - before->ps.timeouts, after.ps.idle + after.ps.used);
	if (after.pings != before->pings || after.ps.created != before->ps.created ||
	    after.ps.closed != before->ps.closed || after.ps.timeouts != before->ps.timeouts)
		bench_fail(&g.c, "%s, %d threads: the pool pinged, made, closed or timed out "
		           "connections while timed (see POOLCHECK)", test, threads);
}

/* ---- seeding ------------------------------------------------------------ */

static void seed(void)
{
	dal_repo *r = open_repo("");
	dal_conn *c = acquire(r);
	unsigned char payload[BENCH_PAYLOAD];
	char name[BENCH_NAME_MAX];
	dal_stmt *st;

	conn_exec(c, "DROP TABLE IF EXISTS bench_t");
	conn_exec(c, bench_create_sql(g.c.backend));
	if (dal_stmt_prepare(c, bench_sql_insert, &st) != DAL_OK)
		bench_fail(&g.c, "prepare insert: %s", dal_conn_error(c)->message);
	if (dal_conn_begin(c) != DAL_OK)
		bench_fail(&g.c, "begin: %s", dal_conn_error(c)->message);
	for (int64_t id = 1; id <= g.rows; id++) {
		size_t len = bench_row_name(id, name);

		bench_row_payload(id, payload);
		dal_stmt_bind_int64(st, 1, id);
		dal_stmt_bind_text(st, 2, name, (ptrdiff_t)len);
		dal_stmt_bind_double(st, 3, bench_row_score(id));
		if (dal_stmt_bind_blob(st, 4, payload, BENCH_PAYLOAD) != DAL_OK ||
		    dal_stmt_step(st) != DAL_DONE)
			bench_fail(&g.c, "insert: %s", dal_stmt_error(st)->message);
	}
	if (dal_conn_commit(c) != DAL_OK)
		bench_fail(&g.c, "commit: %s", dal_conn_error(c)->message);
	dal_stmt_close(st);
	/* As harness.c: the pages go from the WAL into the file, so that reads
	 * measure the B-tree and not the WAL index. Servers: fresh statistics. */
	if (g.c.backend == BENCH_SQLITE)
		conn_exec(c, "PRAGMA wal_checkpoint(TRUNCATE)");
	else if (g.c.backend == BENCH_PGSQL)
		conn_exec(c, "ANALYZE bench_t");
	dal_conn_release(c);
	dal_repo_close(r);
}

/* ---- latency: acquire + release ----------------------------------------- */

struct lat_thread {
	struct run *run;
	struct span sp;
	pthread_t tid;
};

static void *lat_dal(void *arg)
{
	struct lat_thread *t = arg;
	struct run *run = t->run;
	dal_conn *c = acquire(run->repo);

	/* Warm-up: all T hold a connection at once, so the pool has T. */
	pthread_barrier_wait(&run->ready);
	dal_conn_release(c);
	pthread_barrier_wait(&run->start);
	span_begin(&t->sp);
	for (long i = 0; i < run->per_thread; i++) {
		dal_error err;

		if (dal_conn_acquire(run->repo, &c, &err) != DAL_OK)
			bench_fail(&g.c, "dal_conn_acquire: %s", err.message);
		dal_conn_release(c);
	}
	span_end(&t->sp);
	return NULL;
}

/* The reference: the least a pool guarded by one mutex can do. */
struct node {
	struct node *next;
	char pad[56];
};

struct mutex_pool {
	pthread_mutex_t lock;
	struct node *idle;
	struct node nodes[MAX_THREADS];
};

static struct node *mp_acquire(struct mutex_pool *p)
{
	struct node *n;

	pthread_mutex_lock(&p->lock);
	n = p->idle;
	p->idle = n->next;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static void mp_release(struct mutex_pool *p, struct node *n)
{
	pthread_mutex_lock(&p->lock);
	n->next = p->idle;
	p->idle = n;
	pthread_mutex_unlock(&p->lock);
}

static void *lat_mutex(void *arg)
{
	struct lat_thread *t = arg;
	struct run *run = t->run;
	struct mutex_pool *p = run->shared;

	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->start);
	span_begin(&t->sp);
	for (long i = 0; i < run->per_thread; i++) {
		struct node *n = mp_acquire(p);
		/* Keep the compiler from folding the pair away. */
		__asm__ volatile("" : : "r"(n) : "memory");
		mp_release(p, n);
	}
	span_end(&t->sp);
	return NULL;
}

static int max_threads(void)
{
	int m = 1;

	for (int i = 0; i < g.n_threads; i++)
		if (g.threads[i] > m)
			m = g.threads[i];
	return m;
}

static void latency_one(const char *impl, int nthreads, long round)
{
	struct lat_thread th[MAX_THREADS];
	struct run run = {.nthreads = nthreads, .per_thread = g.pairs / nthreads};
	struct mutex_pool mp;
	struct pool_snap before;
	char extra[256];
	int is_dal = strcmp(impl, "dal") == 0;
	uint64_t wall, cpu;
	double thread_ns = 0;

	if (is_dal) {
		snprintf(extra, sizeof extra, "pool_size=%d&max_overflow=0", max_threads());
		run.repo = open_repo(extra);
	} else {
		memset(&mp, 0, sizeof mp);
		pthread_mutex_init(&mp.lock, NULL);
		for (int i = 0; i < nthreads; i++) {
			mp.nodes[i].next = mp.idle;
			mp.idle = &mp.nodes[i];
		}
		run.shared = &mp;
	}
	pthread_barrier_init(&run.ready, NULL, (unsigned)nthreads + 1);
	pthread_barrier_init(&run.start, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		th[i].run = &run;
		pthread_create(&th[i].tid, NULL, is_dal ? lat_dal : lat_mutex, &th[i]);
	}
	pthread_barrier_wait(&run.ready);
	if (is_dal) {
		/* The workers release their warm-up connections between the two
		 * barriers; the snapshot is taken once they all have. */
		struct timespec ts = {0, 20000000};
		dal_pool_stats ps;

		do {
			nanosleep(&ts, NULL);
			dal_repo_pool_stats(run.repo, &ps);
		} while (ps.used != 0);
		snap(run.repo, &before);
	}
	pthread_barrier_wait(&run.start);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i].tid, NULL);
	spans_total(&th[0].sp, sizeof th[0], nthreads, &wall, &cpu);
	for (int i = 0; i < nthreads; i++)
		thread_ns += (double)(th[i].sp.t1 - th[i].sp.t0) / (double)run.per_thread;
	printf("POOL test=latency backend=%s impl=%s threads=%d run=%ld pairs=%ld ns_per_pair=%.1f "
	       "thread_ns_per_pair=%.1f cpu_ns_per_pair=%.1f\n",
	       g.c.backend_name, impl, nthreads, round, run.per_thread * nthreads,
	       (double)wall / (double)(run.per_thread * nthreads), thread_ns / nthreads,
	       (double)cpu / (double)(run.per_thread * nthreads));
	if (is_dal) {
		check_quiet(run.repo, &before, "latency", nthreads);
		dal_repo_close(run.repo);
	} else {
		pthread_mutex_destroy(&mp.lock);
	}
	fflush(stdout);
	pthread_barrier_destroy(&run.ready);
	pthread_barrier_destroy(&run.start);
}

static void *noop_thread(void *arg)
{
	return arg;
}

/* --profile: the uncontended loop alone, on the main thread, for callgrind
 * (the client requests bracket it) or perf. */
static void latency_profile(void)
{
	char extra[64];
	dal_repo *r;
	dal_conn *c;
	struct span sp;
	pthread_t tid;

	/* A process that has never started a thread lets glibc skip the
	 * atomic instructions of pthread_mutex_lock/unlock (it knows nobody
	 * can contend); a service with a pool is multi-threaded, so start and
	 * end one thread first: the process stays "multi-threaded" for good. */
	pthread_create(&tid, NULL, noop_thread, NULL);
	pthread_join(tid, NULL);
	snprintf(extra, sizeof extra, "pool_size=%d&max_overflow=0", max_threads());
	r = open_repo(extra);
	for (int i = 0; i < 1000; i++) {
		c = acquire(r);
		dal_conn_release(c);
	}
	CALLGRIND_ZERO_STATS;
	span_begin(&sp);
	for (long i = 0; i < g.pairs; i++) {
		dal_error err;

		if (dal_conn_acquire(r, &c, &err) != DAL_OK)
			bench_fail(&g.c, "dal_conn_acquire: %s", err.message);
		dal_conn_release(c);
	}
	span_end(&sp);
	CALLGRIND_DUMP_STATS_AT("acquire+release");
	printf("POOL test=latency backend=%s impl=dal-profile threads=1 run=1 pairs=%ld "
	       "ns_per_pair=%.1f thread_ns_per_pair=%.1f cpu_ns_per_pair=%.1f\n",
	       g.c.backend_name, g.pairs, (double)(sp.t1 - sp.t0) / (double)g.pairs,
	       (double)(sp.t1 - sp.t0) / (double)g.pairs, (double)(sp.c1 - sp.c0) / (double)g.pairs);
	dal_repo_close(r);
}

/* ---- qps: 8 threads of point selects ------------------------------------ */

struct qps_thread {
	struct run *run;
	int idx;
	bench_sum sum;
	struct span sp;
	pthread_t tid;
};

/* -- raw SQLite -- */

static sqlite3 *lite_open(void)
{
	sqlite3 *db;

	/* Each connection is used by one thread: NOMUTEX is correct, and the
	 * fastest mode (libdal's plugin opens its connections the same way). */
	if (sqlite3_open_v2(g.c.path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		bench_fail(&g.c, "sqlite3_open_v2 %s: %s", g.c.path, sqlite3_errmsg(db));
	/* First, as libdal's plugin does: the first statements on a WAL file
	 * that nobody has open may wait for another opener's recovery. */
	sqlite3_busy_timeout(db, 30000);
	if (sqlite3_exec(db, "PRAGMA cache_size=" SQLITE_CACHE, NULL, NULL, NULL) != SQLITE_OK)
		bench_fail(&g.c, "cache_size: %s", sqlite3_errmsg(db));
	return db;
}

/* persistent: the statement is kept for the whole loop (libdal's plugin
 * prepares with the same flag); raw-each's statements are transient. */
static sqlite3_stmt *lite_prepare(sqlite3 *db, int persistent)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(db, bench_sql_point, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
	                       &st, NULL) != SQLITE_OK)
		bench_fail(&g.c, "prepare: %s", sqlite3_errmsg(db));
	return st;
}

static void lite_point(sqlite3 *db, sqlite3_stmt *st, int64_t id, bench_sum *sum)
{
	long rows = 0;
	int rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bench_sum_row(sum, sqlite3_column_int64(st, 0),
		              (const char *)sqlite3_column_text(st, 1),
		              (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_double(st, 2),
		              sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
		rows++;
	}
	if (rc != SQLITE_DONE || rows != 1)
		bench_fail(&g.c, "point select %lld: %s", (long long)id, sqlite3_errmsg(db));
	sqlite3_reset(st);
}

static void raw_sqlite(struct qps_thread *t, int each)
{
	struct run *run = t->run;
	const int64_t *keys = g.keys[t->idx];
	sqlite3 *db = lite_open();
	sqlite3_stmt *st = lite_prepare(db, 1);

	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->start);
	span_begin(&t->sp);
	if (!each) {
		for (long i = 0; i < run->per_thread; i++)
			lite_point(db, st, keys[i], &t->sum);
	} else {
		sqlite3_finalize(st);
		for (long i = 0; i < run->per_thread; i++) {
			st = lite_prepare(db, 0);
			lite_point(db, st, keys[i], &t->sum);
			sqlite3_finalize(st);
		}
		st = NULL;
	}
	span_end(&t->sp);
	pthread_barrier_wait(&run->ready);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* -- raw MariaDB -- */

struct my_row {
	long long id;
	char name[64];
	unsigned long name_len;
	double score;
	unsigned char payload[256];
	unsigned long payload_len;
	MYSQL_BIND b[4];
	MYSQL_BIND p;
	long long key;
};

static MYSQL_STMT *my_prepare(MYSQL *my, struct my_row *row)
{
	MYSQL_STMT *st = mysql_stmt_init(my);

	if (!st || mysql_stmt_prepare(st, bench_sql_point, strlen(bench_sql_point)))
		bench_fail(&g.c, "prepare: %s", mysql_error(my));
	/* Parameter and result buffers bound once, as bench_raw.c does. */
	memset(&row->p, 0, sizeof row->p);
	row->p.buffer_type = MYSQL_TYPE_LONGLONG;
	row->p.buffer = &row->key;
	if (mysql_stmt_bind_param(st, &row->p))
		bench_fail(&g.c, "bind: %s", mysql_stmt_error(st));
	memset(row->b, 0, sizeof row->b);
	row->b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	row->b[0].buffer = &row->id;
	row->b[1].buffer_type = MYSQL_TYPE_STRING;
	row->b[1].buffer = row->name;
	row->b[1].buffer_length = sizeof row->name;
	row->b[1].length = &row->name_len;
	row->b[2].buffer_type = MYSQL_TYPE_DOUBLE;
	row->b[2].buffer = &row->score;
	row->b[3].buffer_type = MYSQL_TYPE_BLOB;
	row->b[3].buffer = row->payload;
	row->b[3].buffer_length = sizeof row->payload;
	row->b[3].length = &row->payload_len;
	if (mysql_stmt_bind_result(st, row->b))
		bench_fail(&g.c, "bind result: %s", mysql_stmt_error(st));
	return st;
}

static void my_point(MYSQL_STMT *st, struct my_row *row, int64_t id, bench_sum *sum)
{
	long rows = 0;
	int rc;

	row->key = id;
	if (mysql_stmt_execute(st))
		bench_fail(&g.c, "execute: %s", mysql_stmt_error(st));
	while ((rc = mysql_stmt_fetch(st)) == 0) {
		bench_sum_row(sum, row->id, row->name, row->name_len, row->score, row->payload,
		              row->payload_len);
		rows++;
	}
	if (rc != MYSQL_NO_DATA || rows != 1)
		bench_fail(&g.c, "point select %lld: %d %s", (long long)id, rc,
		           mysql_stmt_error(st));
}

static void raw_mysql(struct qps_thread *t, int each)
{
	struct run *run = t->run;
	const int64_t *keys = g.keys[t->idx];
	struct my_row row;
	MYSQL *my;
	MYSQL_STMT *st;

	mysql_thread_init();
	my = mysql_init(NULL);
	mysql_optionsv(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(my, g.c.srv.host, g.c.srv.user, g.c.srv.password, g.c.srv.dbname,
	                        g.c.srv.port, NULL, 0))
		bench_fail(&g.c, "mysql_real_connect: %s", mysql_error(my));
	st = my_prepare(my, &row);
	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->start);
	span_begin(&t->sp);
	if (!each) {
		for (long i = 0; i < run->per_thread; i++)
			my_point(st, &row, keys[i], &t->sum);
	} else {
		mysql_stmt_close(st);
		for (long i = 0; i < run->per_thread; i++) {
			st = my_prepare(my, &row);
			my_point(st, &row, keys[i], &t->sum);
			mysql_stmt_close(st);
		}
		st = NULL;
	}
	span_end(&t->sp);
	pthread_barrier_wait(&run->ready);
	if (st)
		mysql_stmt_close(st);
	mysql_close(my);
	mysql_thread_end();
}

/* -- raw PostgreSQL -- */

/* bench_sql_point with $1: made once by main() (bench_sql_numbered() returns
 * a static buffer, not for threads). */
static char pg_sql_point[256];

/* Statement names: "pt" for the one kept, "pt<i>" for raw-each. */
static void pg_prepare(PGconn *pg, const char *name)
{
	static const Oid types[1] = {20};
	PGresult *res = PQprepare(pg, name, pg_sql_point, 1, types);

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_fail(&g.c, "prepare: %s", PQresultErrorMessage(res));
	PQclear(res);
}

/* raw-each frees its server-side statements the way libdal's plugin does
 * (plugins/pgsql/stmt.c): 32 DEALLOCATEs in one round trip. */
#define PG_DEALLOC_BATCH 32

static void pg_deallocate(PGconn *pg, long first, long n)
{
	char sql[32 * PG_DEALLOC_BATCH + 1], *p = sql;
	PGresult *res;

	for (long i = first; i < first + n; i++)
		p += sprintf(p, "DEALLOCATE pt%ld;", i);
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_fail(&g.c, "deallocate: %s", PQresultErrorMessage(res));
	PQclear(res);
}

static void pg_point(PGconn *pg, const char *name, int64_t id, bench_sum *sum)
{
	static const int formats[1] = {1}, lengths[1] = {8};
	uint64_t id_be = htobe64((uint64_t)id), bits, v;
	const char *values[1] = {(const char *)&id_be};
	PGresult *res = PQexecPrepared(pg, name, 1, values, lengths, formats, 1);
	double score;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		bench_fail(&g.c, "point select %lld: %s", (long long)id, PQresultErrorMessage(res));
	memcpy(&v, PQgetvalue(res, 0, 0), 8);
	memcpy(&bits, PQgetvalue(res, 0, 2), 8);
	bits = be64toh(bits);
	memcpy(&score, &bits, 8);
	bench_sum_row(sum, (int64_t)be64toh(v), PQgetvalue(res, 0, 1),
	              (size_t)PQgetlength(res, 0, 1), score, PQgetvalue(res, 0, 3),
	              (size_t)PQgetlength(res, 0, 3));
	PQclear(res);
}

static void raw_pgsql(struct qps_thread *t, int each)
{
	struct run *run = t->run;
	const int64_t *keys = g.keys[t->idx];
	char port[16];
	const char *k[] = {"host", "port", "user", "password", "dbname", NULL};
	const char *v[] = {g.c.srv.host, port, g.c.srv.user, g.c.srv.password, g.c.srv.dbname,
	                   NULL};
	PGconn *pg;

	snprintf(port, sizeof port, "%u", g.c.srv.port);
	pg = PQconnectdbParams(k, v, 0);
	if (PQstatus(pg) != CONNECTION_OK)
		bench_fail(&g.c, "PQconnectdbParams: %s", PQerrorMessage(pg));
	pg_prepare(pg, "pt");
	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->start);
	span_begin(&t->sp);
	if (!each) {
		for (long i = 0; i < run->per_thread; i++)
			pg_point(pg, "pt", keys[i], &t->sum);
	} else {
		char name[32];
		long done = 0;

		for (long i = 0; i < run->per_thread; i++) {
			snprintf(name, sizeof name, "pt%ld", i);
			pg_prepare(pg, name);
			pg_point(pg, name, keys[i], &t->sum);
			if (i + 1 - done == PG_DEALLOC_BATCH) {
				pg_deallocate(pg, done, PG_DEALLOC_BATCH);
				done = i + 1;
			}
		}
	}
	span_end(&t->sp);
	pthread_barrier_wait(&run->ready);
	PQfinish(pg);
}

static void *qps_raw(void *arg)
{
	struct qps_thread *t = arg;
	int each = t->run->shared != NULL;

	switch (g.c.backend) {
	case BENCH_SQLITE:
		raw_sqlite(t, each);
		break;
	case BENCH_MYSQL:
		raw_mysql(t, each);
		break;
	case BENCH_PGSQL:
		raw_pgsql(t, each);
		break;
	}
	return NULL;
}

/* -- libdal -- */

static dal_stmt *dal_prepare(dal_conn *c)
{
	dal_stmt *st;

	if (dal_stmt_prepare(c, bench_sql_point, &st) != DAL_OK)
		bench_fail(&g.c, "prepare: %s", dal_conn_error(c)->message);
	return st;
}

static void dal_point(dal_stmt *st, int64_t id, bench_sum *sum)
{
	long rows = 0;
	int rc;

	if (dal_stmt_bind_int64(st, 1, id) != DAL_OK)
		bench_fail(&g.c, "bind: %s", dal_stmt_error(st)->message);
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		size_t nlen, plen;
		int64_t rid = dal_stmt_column_int64(st, 0);
		const char *name = dal_stmt_column_text(st, 1, &nlen);
		double score = dal_stmt_column_double(st, 2);
		const void *p = dal_stmt_column_blob(st, 3, &plen);

		bench_sum_row(sum, rid, name, nlen, score, p, plen);
		rows++;
	}
	if (rc != DAL_DONE || rows != 1)
		bench_fail(&g.c, "point select %lld: %s", (long long)id, dal_stmt_error(st)->message);
}

static void *qps_dal(void *arg)
{
	struct qps_thread *t = arg;
	struct run *run = t->run;
	const int64_t *keys = g.keys[t->idx];
	int each = run->shared != NULL;
	dal_conn *c = acquire(run->repo);
	dal_stmt *st = dal_prepare(c);

	pthread_barrier_wait(&run->ready);
	if (!each) {
		pthread_barrier_wait(&run->start);
		span_begin(&t->sp);
		for (long i = 0; i < run->per_thread; i++)
			dal_point(st, keys[i], &t->sum);
		span_end(&t->sp);
		pthread_barrier_wait(&run->ready);
		dal_stmt_close(st);
		dal_conn_release(c);
	} else {
		/* Warm-up done (all T held a connection and prepared at once): the
		 * pool has T; from now on each query acquires and releases. */
		dal_stmt_close(st);
		dal_conn_release(c);
		pthread_barrier_wait(&run->start);
		span_begin(&t->sp);
		for (long i = 0; i < run->per_thread; i++) {
			c = acquire(run->repo);
			st = dal_prepare(c);
			dal_point(st, keys[i], &t->sum);
			dal_stmt_close(st);
			dal_conn_release(c);
		}
		span_end(&t->sp);
		pthread_barrier_wait(&run->ready);
	}
	return NULL;
}

static const char *const qps_stacks[] = {"raw", "dal", "dal-notel", "dal-each", "raw-each"};
#define N_QPS_STACKS (sizeof qps_stacks / sizeof qps_stacks[0])

static uint64_t qps_ref;
static int qps_ref_set;

static void qps_one(const char *stack, long round)
{
	int n = g.qps_threads;
	struct qps_thread th[MAX_THREADS];
	struct run run = {.nthreads = n, .per_thread = g.queries};
	int is_dal = strncmp(stack, "dal", 3) == 0;
	int each = strstr(stack, "-each") != NULL;
	struct pool_snap before;
	char extra[256];
	bench_sum total = {0};
	uint64_t wall, cpu;

	if (is_dal) {
		snprintf(extra, sizeof extra, "pool_size=%d&max_overflow=0%s", n,
		         strcmp(stack, "dal-notel") == 0 ? "&telemetry=off" : "");
		run.repo = open_repo(extra);
	}
	run.shared = each ? &run : NULL; /* a flag for the workers */
	pthread_barrier_init(&run.ready, NULL, (unsigned)n + 1);
	pthread_barrier_init(&run.start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		th[i].run = &run;
		th[i].idx = i;
		th[i].sum.v = 0;
		pthread_create(&th[i].tid, NULL, is_dal ? qps_dal : qps_raw, &th[i]);
	}
	pthread_barrier_wait(&run.ready); /* all connected and prepared */
	if (is_dal) {
		if (each) {
			struct timespec ts = {0, 20000000};
			dal_pool_stats ps;

			do {
				nanosleep(&ts, NULL);
				dal_repo_pool_stats(run.repo, &ps);
			} while (ps.used != 0);
		}
		snap(run.repo, &before);
	}
	pthread_barrier_wait(&run.start);
	pthread_barrier_wait(&run.ready); /* all done */
	for (int i = 0; i < n; i++) {
		pthread_join(th[i].tid, NULL);
		total.v += th[i].sum.v;
	}
	spans_total(&th[0].sp, sizeof th[0], n, &wall, &cpu);
	/* Every stack reads the same rows: the checksums must agree. */
	if (!qps_ref_set) {
		qps_ref = total.v;
		qps_ref_set = 1;
	} else if (total.v != qps_ref) {
		bench_fail(&g.c, "%s: checksum %016" PRIx64 " differs from the first stack's %016" PRIx64
		           ": it read different rows", stack, total.v, qps_ref);
	}
	printf("POOL test=qps backend=%s stack=%s threads=%d run=%ld queries=%ld seconds=%.4f "
	       "qps=%.0f cpu_ns_per_query=%.0f checksum=%016" PRIx64 "\n",
	       g.c.backend_name, stack, n, round, g.queries * n, (double)wall / 1e9,
	       (double)(g.queries * n) * 1e9 / (double)wall, (double)cpu / (double)(g.queries * n),
	       total.v);
	if (is_dal) {
		check_quiet(run.repo, &before, stack, n);
		dal_repo_close(run.repo);
	}
	fflush(stdout);
	pthread_barrier_destroy(&run.ready);
	pthread_barrier_destroy(&run.start);
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_pool --backend sqlite|mysql|pgsql --url URL [-n ROWS]\n"
	        "       [--runs R] [--pairs P] [--threads 1,2,4,8] [--queries Q]\n"
	        "       [--qps-threads T] [--only latency|qps]\n"
	        "       [--impl dal|mutex|both] [--stack raw|dal|dal-notel|dal-each|raw-each]\n"
	        "       [--profile] [--no-memstatus]\n"
	        "URL: sqlite:PATH, mysql://user:pass@host:port/db, postgresql://...\n");
	exit(2);
}

static void parse_threads(const char *s)
{
	char *end;

	g.n_threads = 0;
	while (*s && g.n_threads < 16) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 1 || v > MAX_THREADS)
			usage();
		g.threads[g.n_threads++] = (int)v;
		s = *end == ',' ? end + 1 : end;
	}
	if (!g.n_threads)
		usage();
}

int main(int argc, char **argv)
{
	const char *backend = NULL;
	int no_memstatus = 0;

	g.c.variant = "";
	g.c.stack = stack_name;
	g.rows = 0;
	g.runs = 5;
	g.pairs = 2000000;
	g.queries = 0;
	g.qps_threads = 8;
	g.do_latency = g.do_qps = 1;
	g.lat_dal = g.lat_mutex = 1;
	parse_threads("1,2,4,8");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--profile") == 0) {
			g.profile = 1;
			continue;
		}
		if (strcmp(a, "--no-memstatus") == 0) {
			no_memstatus = 1;
			continue;
		}
		if (!v)
			usage();
		if (strcmp(a, "--backend") == 0)
			backend = v;
		else if (strcmp(a, "--url") == 0)
			g.c.url = v;
		else if (strcmp(a, "-n") == 0)
			g.rows = strtol(v, NULL, 10);
		else if (strcmp(a, "--runs") == 0)
			g.runs = strtol(v, NULL, 10);
		else if (strcmp(a, "--pairs") == 0)
			g.pairs = strtol(v, NULL, 10);
		else if (strcmp(a, "--threads") == 0)
			parse_threads(v);
		else if (strcmp(a, "--queries") == 0)
			g.queries = strtol(v, NULL, 10);
		else if (strcmp(a, "--impl") == 0) {
			g.lat_dal = strcmp(v, "dal") == 0 || strcmp(v, "both") == 0;
			g.lat_mutex = strcmp(v, "mutex") == 0 || strcmp(v, "both") == 0;
			if (!g.lat_dal && !g.lat_mutex)
				usage();
		} else if (strcmp(a, "--stack") == 0) {
			g.qps_only = v;
		} else if (strcmp(a, "--qps-threads") == 0)
			g.qps_threads = (int)strtol(v, NULL, 10);
		else if (strcmp(a, "--only") == 0) {
			g.do_latency = strcmp(v, "latency") == 0;
			g.do_qps = strcmp(v, "qps") == 0;
			if (!g.do_latency && !g.do_qps)
				usage();
		} else
			usage();
		i++;
	}
	if (!backend || !g.c.url || g.runs < 1 || g.pairs < 1 || g.qps_threads < 1 ||
	    g.qps_threads > MAX_THREADS)
		usage();
	if (strcmp(backend, "sqlite") == 0)
		g.c.backend = BENCH_SQLITE;
	else if (strcmp(backend, "mysql") == 0)
		g.c.backend = BENCH_MYSQL;
	else if (strcmp(backend, "pgsql") == 0)
		g.c.backend = BENCH_PGSQL;
	else
		usage();
	g.c.backend_name = backend;
	if (no_memstatus) {
		/* SQLite's malloc statistics off, for the whole process (raw and
		 * libdal alike): sqlite3_malloc then takes no global mutex. Must
		 * come before SQLite initialises. Reported as its own backend. */
		if (g.c.backend != BENCH_SQLITE ||
		    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
			bench_fail(&g.c, "--no-memstatus: sqlite only, before SQLite initialises");
		g.c.backend_name = "sqlite-nomemstatus";
	}
	if (g.c.backend == BENCH_SQLITE) {
		if (strncmp(g.c.url, "sqlite:", 7) != 0 || strchr(g.c.url, '?'))
			usage();
		g.c.path = g.c.url + 7;
	} else {
		bench_split_url(&g.c);
	}
	if (g.rows < 1)
		g.rows = g.c.backend == BENCH_SQLITE ? 50000 : 3000;
	if (g.queries < 1)
		g.queries = g.c.backend == BENCH_SQLITE ? 20000 : 1500;
	snprintf(pg_sql_point, sizeof pg_sql_point, "%s", bench_sql_numbered(bench_sql_point, "$"));
	/* libmariadb's global state, before any thread connects. */
	if (mysql_library_init(0, NULL, NULL))
		bench_fail(&g.c, "mysql_library_init failed");

	if (g.profile) {
		latency_profile();
		return 0;
	}
	if (g.do_qps) {
		seed();
		for (int i = 0; i < g.qps_threads; i++)
			g.keys[i] = bench_point_ids(g.queries, g.rows, BENCH_POINT_SEED + (uint64_t)i);
	}
	printf("POOLMETA backend=%s rows=%ld runs=%ld pairs=%ld queries_per_thread=%ld "
	       "qps_threads=%d\n",
	       g.c.backend_name, g.rows, g.runs, g.pairs, g.queries, g.qps_threads);
	for (long round = 1; round <= g.runs; round++) {
		if (g.do_latency)
			for (int k = 0; k < g.n_threads; k++) {
				/* Alternate which goes first. */
				const char *order[2] = {"dal", "mutex"};
				int first = (int)(round + k) % 2;

				for (int j = 0; j < 2; j++) {
					const char *impl = order[j ? !first : first];

					if (impl[0] == 'd' ? g.lat_dal : g.lat_mutex)
						latency_one(impl, g.threads[k], round);
				}
			}
		if (g.do_qps)
			for (size_t k = 0; k < N_QPS_STACKS; k++) {
				const char *st = qps_stacks[(k + (size_t)round - 1) % N_QPS_STACKS];

				if (!g.qps_only || strcmp(g.qps_only, st) == 0)
					qps_one(st, round);
			}
	}
	for (int i = 0; i < g.qps_threads; i++)
		free(g.keys[i]);
	mysql_library_end();
	return 0;
}
