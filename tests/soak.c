/*
 * The soak test (docs/testing.md, "Soak"): one repository per backend,
 * shared by 8 worker threads doing mixed work for SOAK_SECONDS (default 60)
 * each, while a reader thread exports the metrics and a canceller thread
 * stops the occasional long statement. It fails if any call fails
 * unexpectedly, or if resident memory or the number of open file descriptors
 * grows from the first to the last quarter of the run.
 *
 * Backends: SQLite always (a file in a fresh temporary directory, WAL), and
 * MySQL/MariaDB and PostgreSQL when DAL_TEST_MYSQL_URL / DAL_TEST_PGSQL_URL
 * are set (scripts/test-servers.sh starts both). `make soak` runs it.
 *
 * The work of each worker, chosen at random per iteration:
 *   point   acquire, prepare a lookup by primary key, bind/step/reset it a
 *           few times, an UPDATE with named parameters, release
 *   insert  acquire, a prepared INSERT, dal_conn_last_insert_id(), and the
 *           DELETE of the thread's oldest row once it has LOG_KEEP of them
 *           (tables stay the same size: a growing database would grow the
 *           SQLite page cache, which is not a leak)
 *   exec    dal_repo_exec() one-shot UPDATE, or dal_repo_ping()
 *   txn     dal_repo_transact(): DELETE oldest / INSERT / two UPDATEs in
 *           key order (no deadlock cycle) / SELECT; one unit in ten rolls
 *           back on purpose (its own error code, expected)
 *   stream  a query streaming 3,000 to 5,000 rows, every row checked
 *   long    a statement that runs for seconds (minutes on SQLite) unless
 *           stopped, at most one at a time, about once a second: the
 *           canceller thread calls dal_conn_cancel() on it, repeatedly until
 *           it returns. DAL_ECANCELED is the expected outcome, not an error.
 *   maint   SQLite only: a WAL checkpoint once a second (see op_maint()).
 * A reader thread exports the metrics (Prometheus and JSON, by turns) and
 * reads dal_repo_stats() and dal_repo_pool_stats() every 20 ms.
 *
 * The main thread samples RSS (/proc/self/statm) and open descriptors
 * (/proc/self/fd) once a second. The first 10 % of the samples are warm-up
 * (caches, pool, malloc arenas of new threads); the rest is cut into
 * quarters, and the mean of the last quarter may exceed the mean of the
 * first by at most the margins below. SOAK_VERBOSE=1 prints every sample.
 * SOAK_BACKENDS=sqlite,mysql,pgsql (any of them) narrows the run.
 *
 * Only the public API (dal.h) is used (and glibc's mallopt() and
 * mallinfo2()). Exit status: 0 pass, 1 fail, 99 a setup problem.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dal/dal.h>

#define N_WORKERS 8
/* Rows of the key/value table the workers update, and of the table they
 * stream. */
#define KV_ROWS 1000
#define STREAM_ROWS 5000
/* Rows each worker keeps in the log table before deleting its oldest. */
#define LOG_KEEP 50
/* Seconds between long statements (at most one runs at a time). */
#define LONG_EVERY_S 1.0
/* The canceller first cancels a long statement after this, then again
 * every CANCEL_REPEAT_S until it has returned (a cancel that reaches the
 * server before the statement does stops nothing). */
#define CANCEL_AFTER_S 0.15
#define CANCEL_REPEAT_S 0.25
/* SQLite's WAL checkpoint (see op_maint()) runs this often. */
#define MAINT_EVERY_S 1.0
/* The reader thread exports the metrics this often. */
#define METRICS_EVERY_S 0.02

/*
 * Margins, last quarter's mean over the first quarter's (see the top).
 *
 * RSS: 10 % of the first quarter's mean plus 8 MiB, some 9 to 11 MiB at the
 * sizes measured (12 to 30 MiB). The workload keeps nothing (its tables stay
 * the same size, every handle is closed), so a leak grows for as long as the
 * run: at 60 s the quarters' centres are 41 s apart and the margin catches
 * about 250 KiB/s, 50 to 160 bytes per operation at the rates measured (1,600
 * to 5,000 operations a second); a 10 s smoke run, with centres 7 s apart,
 * catches about 1.5 MiB/s. What moves RSS without a leak, and what the
 * margin is for: after the warm-up the malloc arenas (see MALLOC_ARENAS) and
 * the client libraries' buffers still settle for some 30 s (+2 to +4.3 MiB
 * for MariaDB with TLS at 60 s, under +1 MiB elsewhere), and a sample lands
 * on whatever is open then (connections: 1 MiB each for MariaDB with TLS;
 * SQLite page caches; streams in flight), which a loaded machine makes
 * uneven. 8 MiB is about twice the largest settling seen, on a machine with
 * a load average of 5 to 17 (other builds and fuzzers running); a longer
 * run starts its first quarter later, past most of it.
 *
 * Descriptors: 6. The pool opens and closes connections all the time
 * (pool_size 4, max_overflow 8, max_lifetime 10 s; on SQLite the checkpoint
 * of op_maint() makes all eight workers give theirs back at once), so a
 * sample counts whatever is open then: one socket per server connection,
 * the database and WAL files per SQLite connection. The quarter means stayed
 * within 0.3 of each other; 6 is two SQLite connections or six server ones
 * kept open for good, while a descriptor lost per connection or per cancel
 * (hundreds in a run) is far beyond it.
 */
#define RSS_MARGIN_PCT 10
#define RSS_MARGIN_KIB (8 * 1024)
#define FD_MARGIN 6.0

/*
 * MALLOC_ARENAS: glibc's malloc gives threads their own arenas (up to 8 per
 * core) and returns little of an arena's freed memory to the system. Each
 * TLS connection to MariaDB holds about 1 MB (MariaDB Connector/C reads the
 * system's CA bundle, 144 certificates, for every connection, the KILL QUERY
 * side connections of dal_conn_cancel() included, even with tls_mode =
 * prefer), and the pool opens and closes connections from all eight
 * threads, so with the default arenas RSS kept climbing (24 -> 36 MiB from
 * 10 s to 180 s) while the memory allocated and not freed (mallinfo2)
 * stayed at 10 MiB: fragmentation, spread over up to 16 arenas, not a
 * leak. The soak caps the arenas at 2 (mallopt(M_ARENA_MAX);
 * SOAK_MALLOC_ARENAS=N to change, 0 for glibc's default), so that RSS
 * levels off within about 30 s and growth beyond the margin means memory
 * that is really held.
 */

/* The pool settings of the soak repository (URL query parameters). */
#define POOL_QUERY "pool_size=4&max_overflow=8&max_lifetime=10&pool_timeout=60"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------------ */
/* The backend under test                                                   */
/* ------------------------------------------------------------------------ */

struct backend {
	const char *label;     /* "sqlite", "mysql", "pgsql" */
	char *url;             /* with POOL_QUERY; never printed (password) */
	dal_repo *repo;
	const char *name;      /* dal_repo_backend() */
	const char *serial;    /* auto-increment primary key */
	const char *long_sql;  /* seconds or minutes unless stopped; one row */
	const char *maint_sql; /* run every MAINT_EVERY_S by one worker, or NULL */
	int can_cancel;        /* DAL_CAP_CANCEL */
	char tls[128];         /* dal_conn_tls() of the setup connection */
	char kv[64], rows[64], log[64]; /* table names */

	atomic_int stop;          /* workers and reader: finish */
	atomic_int stop_canceller;
	atomic_uint_fast64_t errors;

	/* The long statement running now, for the canceller. */
	pthread_mutex_t mu;
	dal_conn *long_conn;      /* NULL: none */
	double long_since, long_last_cancel;
	int long_claimed;         /* a worker is doing a long statement */
	double long_next;         /* no new one before this time */
	uint64_t cancels, cancel_errors;

	uint64_t exports, export_bytes;
	double maint_next;        /* under mu */
	pthread_rwlock_t quiet;   /* with maint_sql: operations read-lock it,
	                             op_maint() write-locks it */
	uint64_t maint_runs, maint_busy;
};

/* Print one unexpected failure (the first few of them) and count it. */
static void fail(struct backend *b, const char *what, int rc, const char *msg)
{
	uint64_t n = atomic_fetch_add(&b->errors, 1) + 1;

	if (n <= 20)
		fprintf(stderr, "soak %s: %s -> %s: %s\n", b->label, what, dal_code_name(rc),
		        msg ? msg : "");
	else if (n == 21)
		fprintf(stderr, "soak %s: more errors, not shown\n", b->label);
}

/* Log lines of libdal (connect retries, transaction retries). Not errors
 * by themselves: a transaction retried on DAL_EBUSY is how SQLite's single
 * writer works. The first few are shown. */
static atomic_uint_fast64_t log_warnings;

static void log_sink(dal_log_level level, const char *msg, void *ud)
{
	(void)ud;
	if (level < DAL_LOG_WARN)
		return;
	if (atomic_fetch_add(&log_warnings, 1) < 10)
		fprintf(stderr, "soak: libdal %s: %s\n", level == DAL_LOG_ERROR ? "error" : "warning",
		        msg);
}

/* ------------------------------------------------------------------------ */
/* Workers                                                                  */
/* ------------------------------------------------------------------------ */

struct counts {
	uint64_t point, insert, exec, ping, txn, txn_rolled_back, stream, stream_rows;
	uint64_t long_canceled, long_completed;
};

struct worker {
	struct backend *b;
	unsigned id;
	uint64_t rng;
	int64_t ring[LOG_KEEP]; /* this worker's rows in the log table */
	unsigned ring_head, ring_len;
	unsigned txn_no;
	int in_unit; /* inside a unit of dal_repo_transact() */
	struct counts n;
	pthread_t thread;
};

static uint64_t rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ull;
}

static unsigned rnd_below(struct worker *w, unsigned n)
{
	return (unsigned)((rnd(w) >> 33) % n);
}

static void ring_push(struct worker *w, int64_t id)
{
	w->ring[(w->ring_head + w->ring_len) % LOG_KEEP] = id;
	w->ring_len++;
}

static int64_t ring_pop(struct worker *w)
{
	int64_t id = w->ring[w->ring_head];

	w->ring_head = (w->ring_head + 1) % LOG_KEEP;
	w->ring_len--;
	return id;
}

/* A failure in a worker. Inside a unit of dal_repo_transact() it is not
 * counted: the runner retries the unit on DAL_EBUSY and friends, and
 * reports what it could not retry, which op_txn() counts. */
static void wfail(struct worker *w, const char *what, int rc, const char *msg)
{
	if (!w->in_unit)
		fail(w->b, what, rc, msg);
}

static int acquire(struct worker *w, dal_conn **c)
{
	dal_error err;
	int rc = dal_conn_acquire(w->b->repo, c, &err);

	if (rc != DAL_OK)
		wfail(w, "dal_conn_acquire", rc, err.message);
	return rc;
}

/* Prepare sql on c into *s; DAL_OK or the error. */
static int prepare(struct worker *w, dal_conn *c, const char *sql, dal_stmt **s)
{
	int rc = dal_stmt_prepare(c, sql, s);

	if (rc != DAL_OK) {
		char what[160];

		snprintf(what, sizeof what, "prepare \"%.120s\"", sql);
		wfail(w, what, rc, dal_conn_error(c)->message);
	}
	return rc;
}

/* Step s expecting want: DAL_OK if so, else the error (DAL_EDATA for
 * another success code). */
static int step_expect(struct worker *w, dal_stmt *s, int want, const char *what)
{
	int rc = dal_stmt_step(s);

	if (rc != want) {
		char buf[160];

		snprintf(buf, sizeof buf, "%s: step (wanted %s)", what, dal_code_name(want));
		wfail(w, buf, rc, dal_stmt_error(s)->message);
		return rc < 0 ? rc : DAL_EDATA;
	}
	return DAL_OK;
}

/* point: lookups by key with one statement re-executed, then an UPDATE
 * with named parameters. */
static void op_point(struct worker *w)
{
	struct backend *b = w->b;
	char sql[256];
	dal_conn *c;
	dal_stmt *s;
	int rc;

	if (acquire(w, &c) != DAL_OK)
		return;
	snprintf(sql, sizeof sql, "SELECT id, v, name FROM %s WHERE id = ?", b->kv);
	if (prepare(w, c, sql, &s) == DAL_OK) {
		for (int i = 0; i < 4; i++) {
			int64_t id = 1 + rnd_below(w, KV_ROWS);
			const char *name;
			size_t len;

			if (i > 0 && (rc = dal_stmt_reset(s)) != DAL_OK) {
				fail(b, "point: reset", rc, dal_stmt_error(s)->message);
				break;
			}
			if ((rc = dal_stmt_bind_int64(s, 1, id)) != DAL_OK) {
				fail(b, "point: bind", rc, dal_stmt_error(s)->message);
				break;
			}
			if (step_expect(w, s, DAL_ROW, "point select"))
				break;
			name = dal_stmt_column_text(s, 2, &len);
			if (dal_stmt_column_int64(s, 0) != id || !name || len == 0 ||
			    dal_stmt_column_int64(s, 1) < 0) {
				fail(b, "point select: wrong row", DAL_EDATA, NULL);
				break;
			}
			if (step_expect(w, s, DAL_DONE, "point select"))
				break;
		}
		dal_stmt_close(s);
	}
	snprintf(sql, sizeof sql, "UPDATE %s SET v = v + 1, name = :name WHERE id = :id", b->kv);
	if (prepare(w, c, sql, &s) == DAL_OK) {
		char name[32];

		snprintf(name, sizeof name, "w%u-%" PRIu64, w->id, w->n.point);
		if ((rc = dal_stmt_bind_named_text(s, "name", name, -1)) != DAL_OK ||
		    (rc = dal_stmt_bind_named_int64(s, "id", 1 + rnd_below(w, KV_ROWS))) != DAL_OK)
			fail(b, "point update: bind", rc, dal_stmt_error(s)->message);
		else if (step_expect(w, s, DAL_DONE, "point update") == DAL_OK &&
		         dal_stmt_rows_affected(s) != 1)
			fail(b, "point update: rows affected != 1", DAL_EDATA, NULL);
		dal_stmt_close(s);
	}
	dal_conn_release(c);
	w->n.point++;
}

/* DELETE the oldest row of this worker's log on c; DAL_OK or the error. */
static int delete_oldest(struct worker *w, dal_conn *c, const char *what)
{
	char sql[160];
	dal_stmt *s;
	int rc;

	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = ?", w->b->log);
	if ((rc = prepare(w, c, sql, &s)) != DAL_OK)
		return rc;
	if ((rc = dal_stmt_bind_int64(s, 1, w->ring[w->ring_head])) != DAL_OK)
		wfail(w, "delete oldest: bind", rc, dal_stmt_error(s)->message);
	else if ((rc = step_expect(w, s, DAL_DONE, what)) == DAL_OK &&
	         dal_stmt_rows_affected(s) != 1) {
		fail(w->b, "delete oldest: rows affected != 1", DAL_EDATA, what);
		rc = DAL_EDATA;
	}
	dal_stmt_close(s);
	return rc;
}

/* INSERT one log row on c; its id in *id. DAL_OK or the error. */
static int insert_log(struct worker *w, dal_conn *c, const char *what, int64_t *id)
{
	char sql[200], payload[160];
	dal_stmt *s;
	int rc;

	snprintf(sql, sizeof sql, "INSERT INTO %s (tid, n, payload) VALUES (?, ?, ?)", w->b->log);
	if ((rc = prepare(w, c, sql, &s)) != DAL_OK)
		return rc;
	memset(payload, 'a' + (int)(w->id % 26), sizeof payload - 1);
	payload[rnd_below(w, sizeof payload - 1) + 1] = '\0';
	if ((rc = dal_stmt_bind_int64(s, 1, w->id)) != DAL_OK ||
	    (rc = dal_stmt_bind_int64(s, 2, (int64_t)w->n.insert)) != DAL_OK ||
	    (rc = dal_stmt_bind_text(s, 3, payload, -1)) != DAL_OK)
		wfail(w, "insert: bind", rc, dal_stmt_error(s)->message);
	else if ((rc = step_expect(w, s, DAL_DONE, what)) == DAL_OK) {
		if ((rc = dal_conn_last_insert_id(c, id)) != DAL_OK)
			wfail(w, "dal_conn_last_insert_id", rc, dal_conn_error(c)->message);
		else if (*id <= 0) {
			fail(w->b, "dal_conn_last_insert_id: not positive", DAL_EDATA, what);
			rc = DAL_EDATA;
		}
	}
	dal_stmt_close(s);
	return rc;
}

/* insert: a row into the log (autocommit), the oldest out. */
static void op_insert(struct worker *w)
{
	dal_conn *c;
	int64_t id;

	if (acquire(w, &c) != DAL_OK)
		return;
	if (insert_log(w, c, "insert", &id) == DAL_OK) {
		if (w->ring_len == LOG_KEEP && delete_oldest(w, c, "insert: delete oldest") == DAL_OK)
			ring_pop(w);
		if (w->ring_len < LOG_KEEP)
			ring_push(w, id);
	}
	dal_conn_release(c);
	w->n.insert++;
}

/* exec: one-shot calls on the repository. */
static void op_exec(struct worker *w)
{
	struct backend *b = w->b;
	dal_error err;
	char sql[160];
	int64_t affected = -1;
	int rc;

	if (rnd_below(w, 8) == 0) {
		int64_t ns = -1;

		if ((rc = dal_repo_ping(b->repo, &ns, &err)) != DAL_OK)
			fail(b, "dal_repo_ping", rc, err.message);
		else if (ns < 0)
			fail(b, "dal_repo_ping: negative latency", DAL_EDATA, NULL);
		w->n.ping++;
		return;
	}
	snprintf(sql, sizeof sql, "UPDATE %s SET v = v + 1 WHERE id = %u", b->kv,
	         1 + rnd_below(w, KV_ROWS));
	if ((rc = dal_repo_exec(b->repo, sql, &affected, &err)) != DAL_OK)
		fail(b, "dal_repo_exec", rc, err.message);
	else if (affected != 1)
		fail(b, "dal_repo_exec: rows affected != 1", DAL_EDATA, NULL);
	w->n.exec++;
}

/* The unit of work of op_txn. It may run more than once: what it changes
 * in the worker is only read after dal_repo_transact() returned. */
struct unit {
	struct worker *w;
	int deleted;       /* deleted the oldest row of the ring */
	int64_t new_id;    /* the row it inserted */
	int roll_back;     /* this unit rolls back on purpose... */
	int rolled_back;   /* ...and did, returning UNIT_ROLLBACK */
};

/* What a unit that rolls back on purpose returns. */
#define UNIT_ROLLBACK DAL_EDATA

static int unit_body(struct unit *u, dal_conn *c)
{
	struct worker *w = u->w;
	char sql[200];
	unsigned a = 1 + rnd_below(w, KV_ROWS / 2), z = a + 1 + rnd_below(w, KV_ROWS / 2 - 1);
	dal_stmt *s;
	int rc;

	u->deleted = 0;
	u->new_id = 0;
	u->rolled_back = 0;
	/* Write first: a deferred SQLite transaction that reads first would
	 * have to upgrade its snapshot, and fail with DAL_EBUSY at once. */
	if (w->ring_len == LOG_KEEP) {
		if ((rc = delete_oldest(w, c, "txn: delete oldest")) != DAL_OK)
			return rc;
		u->deleted = 1;
	}
	if ((rc = insert_log(w, c, "txn: insert", &u->new_id)) != DAL_OK)
		return rc;
	/* Two rows in key order: transactions lock in the same order. */
	snprintf(sql, sizeof sql, "UPDATE %s SET v = v + 1 WHERE id = ?", w->b->kv);
	if ((rc = prepare(w, c, sql, &s)) != DAL_OK)
		return rc;
	for (unsigned id = a; id <= z && rc == DAL_OK; id += z - a) {
		if (id > a)
			rc = dal_stmt_reset(s);
		if (rc == DAL_OK)
			rc = dal_stmt_bind_int64(s, 1, id);
		if (rc == DAL_OK)
			rc = step_expect(w, s, DAL_DONE, "txn: update");
	}
	dal_stmt_close(s);
	if (rc != DAL_OK)
		return rc;
	snprintf(sql, sizeof sql, "SELECT v FROM %s WHERE id = ?", w->b->kv);
	if ((rc = prepare(w, c, sql, &s)) != DAL_OK)
		return rc;
	rc = dal_stmt_bind_int64(s, 1, a);
	if (rc == DAL_OK)
		rc = step_expect(w, s, DAL_ROW, "txn: select");
	if (rc == DAL_OK && dal_stmt_column_int64(s, 0) < 2) {
		/* Every row starts at 1 and this unit just added 1. */
		fail(w->b, "txn: select: wrong value", DAL_EDATA, NULL);
		rc = DAL_EDATA;
	}
	dal_stmt_close(s);
	if (rc != DAL_OK)
		return rc;
	if (u->roll_back) {
		u->rolled_back = 1;
		return UNIT_ROLLBACK;
	}
	return DAL_OK;
}

static int unit_fn(dal_conn *c, void *ud)
{
	struct unit *u = ud;
	int rc;

	u->w->in_unit = 1;
	rc = unit_body(u, c);
	u->w->in_unit = 0;
	return rc;
}

/* txn: dal_repo_transact() of the unit above. */
static void op_txn(struct worker *w)
{
	struct unit u = {w, 0, 0, (++w->txn_no % 10) == 0, 0};
	dal_error err;
	int rc = dal_repo_transact(w->b->repo, unit_fn, &u, &err);

	if (u.roll_back && rc == UNIT_ROLLBACK && u.rolled_back) {
		w->n.txn_rolled_back++;
		return;
	}
	if (rc != DAL_OK) {
		fail(w->b, "dal_repo_transact", rc, err.message);
		return;
	}
	if (u.deleted)
		ring_pop(w);
	if (w->ring_len < LOG_KEEP)
		ring_push(w, u.new_id);
	w->n.txn++;
}

/* stream: thousands of rows, each checked. */
static void op_stream(struct worker *w)
{
	struct backend *b = w->b;
	unsigned from = rnd_below(w, STREAM_ROWS - 3000 + 1);
	int64_t expect = from + 1, n = 0;
	char sql[200];
	dal_conn *c;
	dal_stmt *s;
	int rc;

	if (acquire(w, &c) != DAL_OK)
		return;
	snprintf(sql, sizeof sql, "SELECT id, v, name, payload FROM %s WHERE id > ? ORDER BY id",
	         b->rows);
	if (prepare(w, c, sql, &s) != DAL_OK) {
		dal_conn_release(c);
		return;
	}
	if ((rc = dal_stmt_bind_int64(s, 1, from)) != DAL_OK) {
		fail(b, "stream: bind", rc, dal_stmt_error(s)->message);
		goto out;
	}
	while ((rc = dal_stmt_step(s)) == DAL_ROW) {
		size_t len = 0;
		const char *p = dal_stmt_column_text(s, 3, &len);

		if (dal_stmt_column_int64(s, 0) != expect ||
		    dal_stmt_column_int64(s, 1) != expect * 7 || !p || len != 100 ||
		    !dal_stmt_column_text(s, 2, NULL)) {
			fail(b, "stream: wrong row", DAL_EDATA, NULL);
			goto out;
		}
		expect++;
		n++;
	}
	if (rc != DAL_DONE)
		fail(b, "stream: step", rc, dal_stmt_error(s)->message);
	else if (n != STREAM_ROWS - (int64_t)from)
		fail(b, "stream: row count", DAL_EDATA, NULL);
	w->n.stream++;
	w->n.stream_rows += (uint64_t)n;
out:
	dal_stmt_close(s);
	dal_conn_release(c);
}

/* long: a statement only a cancel stops; 0 if this worker may not run one
 * now (another runs, or one ran less than LONG_EVERY_S ago). */
static int op_long(struct worker *w)
{
	struct backend *b = w->b;
	double t = now_s();
	int by_exec = rnd_below(w, 2) != 0, rc;
	const dal_error *e;
	dal_stmt *s = NULL;
	dal_conn *c;

	if (!b->can_cancel)
		return 0;
	pthread_mutex_lock(&b->mu);
	if (b->long_claimed || t < b->long_next) {
		pthread_mutex_unlock(&b->mu);
		return 0;
	}
	b->long_claimed = 1;
	pthread_mutex_unlock(&b->mu);

	if (acquire(w, &c) != DAL_OK)
		goto out;
	if (!by_exec && prepare(w, c, b->long_sql, &s) != DAL_OK) {
		dal_conn_release(c);
		goto out;
	}
	pthread_mutex_lock(&b->mu);
	b->long_conn = c;
	b->long_since = now_s();
	b->long_last_cancel = 0;
	pthread_mutex_unlock(&b->mu);

	rc = by_exec ? dal_conn_exec(c, b->long_sql, NULL) : dal_stmt_step(s);

	/* Once the slot is empty the canceller no longer touches c. */
	pthread_mutex_lock(&b->mu);
	b->long_conn = NULL;
	pthread_mutex_unlock(&b->mu);
	e = by_exec ? dal_conn_error(c) : dal_stmt_error(s);
	if (rc == DAL_ECANCELED)
		w->n.long_canceled++;
	else if (rc == DAL_OK || rc == DAL_ROW)
		w->n.long_completed++; /* never cancelled in time: slow, not wrong */
	else
		fail(b, by_exec ? "long statement: exec" : "long statement: step", rc, e->message);
	dal_stmt_close(s);
	/* The connection goes on after a cancel. */
	if ((rc = dal_conn_exec(c, "SELECT 1", NULL)) != DAL_OK)
		fail(b, "SELECT 1 after a cancel", rc, dal_conn_error(c)->message);
	dal_conn_release(c);
out:
	pthread_mutex_lock(&b->mu);
	b->long_claimed = 0;
	b->long_next = now_s() + LONG_EVERY_S;
	pthread_mutex_unlock(&b->mu);
	return 1;
}

/*
 * maint: on SQLite, PRAGMA wal_checkpoint(TRUNCATE) once a second, with the
 * other workers held back for its duration. With eight threads there is
 * nearly always a reader (the streams) in the WAL, so SQLite's automatic
 * checkpoints never reach its end and the WAL never restarts: it grew by
 * some 9 MB a second, and the WAL index mapped into the process with it
 * (checkpoint starvation, a property of WAL mode, not of libdal). Even a
 * TRUNCATE checkpoint of its own found a reader two times in three, so the
 * workers hold b->quiet for reading around each operation and the
 * checkpoint takes it for writing: then it must finish (busy = 0), and
 * anything else (a connection in the pool still holding a read
 * transaction, say) is an error.
 */
static void op_maint(struct worker *w)
{
	struct backend *b = w->b;
	dal_conn *c;
	dal_stmt *s;
	int busy = 0;

	pthread_rwlock_wrlock(&b->quiet);
	if (acquire(w, &c) != DAL_OK) {
		pthread_rwlock_unlock(&b->quiet);
		return;
	}
	if (prepare(w, c, b->maint_sql, &s) == DAL_OK) {
		if (step_expect(w, s, DAL_ROW, "maintenance") == DAL_OK) {
			busy = dal_stmt_column_int64(s, 0) != 0;
			step_expect(w, s, DAL_DONE, "maintenance");
		}
		dal_stmt_close(s);
	}
	dal_conn_release(c);
	pthread_rwlock_unlock(&b->quiet);
	if (busy)
		fail(b, "maintenance: the checkpoint found a reader with nothing running",
		     DAL_EBUSY, b->maint_sql);
	pthread_mutex_lock(&b->mu);
	b->maint_runs++;
	b->maint_busy += (uint64_t)busy;
	pthread_mutex_unlock(&b->mu);
}

/* 1 if this worker is to run the maintenance statement now. */
static int maint_due(struct worker *w)
{
	struct backend *b = w->b;
	double t;
	int due = 0;

	if (!b->maint_sql)
		return 0;
	t = now_s();
	pthread_mutex_lock(&b->mu);
	if (t >= b->maint_next) {
		b->maint_next = t + MAINT_EVERY_S;
		due = 1;
	}
	pthread_mutex_unlock(&b->mu);
	return due;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&w->b->stop)) {
		unsigned r = rnd_below(w, 100);

		if (maint_due(w)) {
			op_maint(w);
			continue;
		}
		/* The long statement reads no table: no need to hold it. */
		if (r >= 95 && op_long(w))
			continue;
		if (w->b->maint_sql)
			pthread_rwlock_rdlock(&w->b->quiet);
		if (r < 30 || r >= 95)
			op_point(w);
		else if (r < 45)
			op_insert(w);
		else if (r < 65)
			op_exec(w);
		else if (r < 85)
			op_txn(w);
		else
			op_stream(w);
		if (w->b->maint_sql)
			pthread_rwlock_unlock(&w->b->quiet);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The reader and the canceller                                             */
/* ------------------------------------------------------------------------ */

static void *reader_main(void *arg)
{
	struct backend *b = arg;
	size_t size = 256 * 1024;
	char *buf = malloc(size);
	unsigned i = 0;

	if (!buf) {
		fail(b, "reader: malloc", DAL_ENOMEM, NULL);
		return NULL;
	}
	while (!atomic_load(&b->stop)) {
		dal_metrics_format fmt = (i++ % 2) ? DAL_METRICS_JSON : DAL_METRICS_PROMETHEUS;
		long len = dal_repo_metrics_format(b->repo, fmt, buf, size);
		dal_pool_stats ps;
		dal_op_stats os;

		if (len >= (long)size) { /* grow once to the size needed, retry */
			char *nb = realloc(buf, (size_t)len * 2);

			if (!nb) {
				fail(b, "reader: realloc", DAL_ENOMEM, NULL);
				break;
			}
			buf = nb;
			size = (size_t)len * 2;
			len = dal_repo_metrics_format(b->repo, fmt, buf, size);
		}
		if (len < 0)
			fail(b, "dal_repo_metrics_format", (int)len, NULL);
		else if (len >= (long)size ||
		         !strstr(buf, fmt == DAL_METRICS_JSON ? "\"operations\":{"
		                                              : "db_client_operations_total"))
			fail(b, "dal_repo_metrics_format: unexpected text", DAL_EDATA, NULL);
		else {
			b->exports++;
			b->export_bytes += (uint64_t)len;
		}
		for (int op = 0; op < DAL_OP__COUNT; op++) {
			int rc = dal_repo_stats(b->repo, (dal_op)op, &os);

			if (rc != DAL_OK)
				fail(b, "dal_repo_stats", rc, NULL);
		}
		if (dal_repo_pool_stats(b->repo, &ps) != DAL_OK || ps.used > ps.max)
			fail(b, "dal_repo_pool_stats", DAL_EDATA, NULL);
		sleep_s(METRICS_EVERY_S);
	}
	free(buf);
	return NULL;
}

static void *canceller_main(void *arg)
{
	struct backend *b = arg;

	while (!atomic_load(&b->stop_canceller)) {
		double t = now_s();

		pthread_mutex_lock(&b->mu);
		if (b->long_conn && t - b->long_since >= CANCEL_AFTER_S &&
		    t - b->long_last_cancel >= CANCEL_REPEAT_S) {
			/* Under the lock: the worker cannot release the
			 * connection before this returns. */
			int rc = dal_conn_cancel(b->long_conn);

			b->long_last_cancel = now_s();
			b->cancels++;
			if (rc != DAL_OK) {
				b->cancel_errors++;
				fail(b, "dal_conn_cancel", rc, NULL);
			}
		}
		pthread_mutex_unlock(&b->mu);
		sleep_s(0.02);
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Samples                                                                  */
/* ------------------------------------------------------------------------ */

struct sample {
	double rss_kib;
	double fds;
	double heap_kib; /* glibc: allocated and not freed (information only) */
};

/* Resident memory in KiB; *file_kib (may be NULL) gets the part that is
 * file-backed (mapped libraries, SQLite's WAL index). */
static double rss_kib(double *file_kib)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, resident = 0, shared = 0;
	double page = (double)sysconf(_SC_PAGESIZE) / 1024.0;

	if (!f)
		return -1;
	if (fscanf(f, "%lu %lu %lu", &size, &resident, &shared) != 3)
		resident = shared = 0;
	fclose(f);
	if (file_kib)
		*file_kib = (double)shared * page;
	return (double)resident * page;
}

/* Open descriptors, not counting the one that reads the directory. */
static double open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static void mean_of(const struct sample *s, size_t from, size_t n, struct sample *out)
{
	out->rss_kib = out->fds = out->heap_kib = 0;
	for (size_t i = from; i < from + n; i++) {
		out->rss_kib += s[i].rss_kib;
		out->fds += s[i].fds;
		out->heap_kib += s[i].heap_kib;
	}
	out->rss_kib /= (double)n;
	out->fds /= (double)n;
	out->heap_kib /= (double)n;
}

/* ------------------------------------------------------------------------ */
/* One backend                                                              */
/* ------------------------------------------------------------------------ */

static int setup_exec(struct backend *b, dal_conn *c, const char *sql)
{
	int rc = dal_conn_exec(c, sql, NULL);

	if (rc != DAL_OK)
		fprintf(stderr, "soak %s: setup: %s -> %s: %s\n", b->label, sql, dal_code_name(rc),
		        dal_conn_error(c)->message);
	return rc;
}

/* The three tables, filled; dropped again by teardown(). */
static int setup(struct backend *b)
{
	char sql[512], name[32], payload[101];
	dal_conn *c = NULL;
	dal_stmt *s = NULL;
	dal_error err;
	int rc;

	snprintf(b->kv, sizeof b->kv, "soak_kv_%ld", (long)getpid());
	snprintf(b->rows, sizeof b->rows, "soak_rows_%ld", (long)getpid());
	snprintf(b->log, sizeof b->log, "soak_log_%ld", (long)getpid());
	if ((rc = dal_conn_acquire(b->repo, &c, &err)) != DAL_OK) {
		fprintf(stderr, "soak %s: setup: acquire -> %s: %s\n", b->label, dal_code_name(rc),
		        err.message);
		return rc;
	}
	snprintf(b->tls, sizeof b->tls, "%s", dal_conn_tls(c) ? dal_conn_tls(c) : "no TLS");
	snprintf(sql, sizeof sql, "CREATE TABLE %s (id BIGINT PRIMARY KEY, v BIGINT NOT NULL, "
	         "name VARCHAR(64) NOT NULL)", b->kv);
	if ((rc = setup_exec(b, c, sql)))
		goto out;
	snprintf(sql, sizeof sql, "CREATE TABLE %s (id BIGINT PRIMARY KEY, v BIGINT NOT NULL, "
	         "name VARCHAR(64) NOT NULL, payload VARCHAR(200) NOT NULL)", b->rows);
	if ((rc = setup_exec(b, c, sql)))
		goto out;
	snprintf(sql, sizeof sql, "CREATE TABLE %s (id %s, tid BIGINT NOT NULL, n BIGINT NOT NULL, "
	         "payload VARCHAR(200) NOT NULL)", b->log, b->serial);
	if ((rc = setup_exec(b, c, sql)))
		goto out;
	if ((rc = dal_conn_begin(c)) != DAL_OK) {
		fprintf(stderr, "soak %s: setup: begin -> %s\n", b->label, dal_code_name(rc));
		goto out;
	}
	memset(payload, 'p', 100);
	payload[100] = '\0';
	for (int t = 0; t < 2 && rc == DAL_OK; t++) {
		int rows = t == 0 ? KV_ROWS : STREAM_ROWS;

		if (t == 0)
			snprintf(sql, sizeof sql, "INSERT INTO %s (id, v, name) VALUES (?, ?, ?)", b->kv);
		else
			snprintf(sql, sizeof sql, "INSERT INTO %s (id, v, name, payload) "
			         "VALUES (?, ?, ?, ?)", b->rows);
		if ((rc = dal_stmt_prepare(c, sql, &s)) != DAL_OK) {
			fprintf(stderr, "soak %s: setup: prepare -> %s: %s\n", b->label,
			        dal_code_name(rc), dal_conn_error(c)->message);
			break;
		}
		for (int id = 1; id <= rows; id++) {
			snprintf(name, sizeof name, "row %d", id);
			if ((id > 1 && (rc = dal_stmt_reset(s))) ||
			    (rc = dal_stmt_bind_int64(s, 1, id)) ||
			    (rc = dal_stmt_bind_int64(s, 2, t == 0 ? 1 : id * 7)) ||
			    (rc = dal_stmt_bind_text(s, 3, name, -1)) ||
			    (t == 1 && (rc = dal_stmt_bind_text(s, 4, payload, 100))) ||
			    (rc = dal_stmt_step(s)) != DAL_DONE) {
				fprintf(stderr, "soak %s: setup: insert -> %s: %s\n", b->label,
				        dal_code_name(rc), dal_stmt_error(s)->message);
				rc = rc ? rc : DAL_EDATA;
				break;
			}
			rc = DAL_OK;
		}
		dal_stmt_close(s);
	}
	if (rc == DAL_OK && (rc = dal_conn_commit(c)) != DAL_OK)
		fprintf(stderr, "soak %s: setup: commit -> %s: %s\n", b->label, dal_code_name(rc),
		        dal_conn_error(c)->message);
out:
	dal_conn_release(c);
	return rc;
}

static void teardown(struct backend *b)
{
	const char *t[] = {b->kv, b->rows, b->log};
	char sql[128];
	dal_error err;

	for (int i = 0; i < 3; i++) {
		snprintf(sql, sizeof sql, "DROP TABLE %s", t[i]);
		if (dal_repo_exec(b->repo, sql, NULL, &err) != DAL_OK)
			fprintf(stderr, "soak %s: %s: %s\n", b->label, sql, err.message);
	}
}

/* Run the soak on b for seconds; 0 pass, 1 fail, 99 setup problem. */
static int soak(struct backend *b, unsigned seconds)
{
	struct worker w[N_WORKERS];
	struct sample *smp = calloc(seconds, sizeof *smp);
	struct sample first, last;
	struct counts tot = {0};
	pthread_t reader, canceller;
	dal_pool_stats ps;
	dal_error err;
	size_t warm, q;
	double t0, rss_limit, fd_limit, elapsed;
	uint64_t ops;
	int rc, failed = 0, verbose = getenv("SOAK_VERBOSE") && *getenv("SOAK_VERBOSE");

	if (!smp)
		return 99;
	if ((rc = dal_repo_open_url(&b->repo, b->url, &err)) != DAL_OK) {
		fprintf(stderr, "soak %s: cannot open the repository: %s: %s\n", b->label,
		        dal_code_name(rc), err.message);
		free(smp);
		return 99;
	}
	b->name = dal_repo_backend(b->repo);
	b->can_cancel = (dal_repo_capabilities(b->repo) & DAL_CAP_CANCEL) != 0;
	if (setup(b) != DAL_OK) {
		dal_repo_close(b->repo);
		free(smp);
		return 99;
	}
	printf("soak %s: backend %s (server %s, %s), %d threads, %u s%s\n", b->label, b->name,
	       dal_repo_server_kind(b->repo), b->tls, N_WORKERS, seconds,
	       b->can_cancel ? ", with cancels" : ", no DAL_CAP_CANCEL: no cancels");
	fflush(stdout);

	pthread_mutex_init(&b->mu, NULL);
	{
		pthread_rwlockattr_t ra;

		/* Writer first, or the checkpoint would wait for good. */
		pthread_rwlockattr_init(&ra);
		pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&b->quiet, &ra);
		pthread_rwlockattr_destroy(&ra);
	}
	b->maint_next = now_s() + MAINT_EVERY_S;
	pthread_create(&reader, NULL, reader_main, b);
	pthread_create(&canceller, NULL, canceller_main, b);
	memset(w, 0, sizeof w);
	for (unsigned i = 0; i < N_WORKERS; i++) {
		w[i].b = b;
		w[i].id = i;
		w[i].rng = ((uint64_t)0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) ^ (uint64_t)getpid()) | 1;
		pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
	}

	t0 = now_s();
	for (unsigned i = 0; i < seconds; i++) {
		double wait = t0 + i + 1 - now_s();

		if (wait > 0)
			sleep_s(wait);
		double file_kib = 0;

		smp[i].rss_kib = rss_kib(&file_kib);
		smp[i].fds = open_fds();
		{
			/* glibc: bytes allocated and not freed, every arena. */
			struct mallinfo2 mi = mallinfo2();

			smp[i].heap_kib = (double)(mi.uordblks + mi.hblkhd) / 1024.0;
		}
		if (verbose)
			printf("soak %s: t=%us rss=%.0f KiB (file-backed %.0f, malloc in use %.0f) "
			       "fds=%.0f\n", b->label, i + 1, smp[i].rss_kib, file_kib,
			       smp[i].heap_kib, smp[i].fds);
	}
	atomic_store(&b->stop, 1);
	for (unsigned i = 0; i < N_WORKERS; i++)
		pthread_join(w[i].thread, NULL);
	elapsed = now_s() - t0;
	atomic_store(&b->stop_canceller, 1);
	pthread_join(canceller, NULL);
	pthread_join(reader, NULL);
	dal_repo_pool_stats(b->repo, &ps);

	for (unsigned i = 0; i < N_WORKERS; i++) {
		tot.point += w[i].n.point;
		tot.insert += w[i].n.insert;
		tot.exec += w[i].n.exec;
		tot.ping += w[i].n.ping;
		tot.txn += w[i].n.txn;
		tot.txn_rolled_back += w[i].n.txn_rolled_back;
		tot.stream += w[i].n.stream;
		tot.stream_rows += w[i].n.stream_rows;
		tot.long_canceled += w[i].n.long_canceled;
		tot.long_completed += w[i].n.long_completed;
	}
	teardown(b);
	dal_repo_close(b->repo);
	pthread_mutex_destroy(&b->mu);
	pthread_rwlock_destroy(&b->quiet);

	/* Quarters after the warm-up. */
	warm = (seconds + 9) / 10;
	q = (seconds - warm) / 4;
	if (q == 0) {
		fprintf(stderr, "soak %s: %u s is too short to compare quarters\n", b->label, seconds);
		free(smp);
		return 99;
	}
	mean_of(smp, warm, q, &first);
	mean_of(smp, seconds - q, q, &last);
	rss_limit = first.rss_kib * (1 + RSS_MARGIN_PCT / 100.0) + RSS_MARGIN_KIB;
	fd_limit = first.fds + FD_MARGIN;

	ops = tot.point + tot.insert + tot.exec + tot.ping + tot.txn + tot.txn_rolled_back +
	      tot.stream + tot.long_canceled + tot.long_completed;
	printf("soak %s: %" PRIu64 " operations in %.1f s (%.0f/s): point %" PRIu64
	       ", insert %" PRIu64 ", exec %" PRIu64 ", ping %" PRIu64 ", transact %" PRIu64
	       " (+%" PRIu64 " rolled back on purpose), stream %" PRIu64 " (%" PRIu64
	       " rows), long %" PRIu64 " (%" PRIu64 " cancelled, %" PRIu64 " cancel calls)\n",
	       b->label, ops, elapsed, (double)ops / elapsed, tot.point, tot.insert, tot.exec,
	       tot.ping, tot.txn, tot.txn_rolled_back, tot.stream, tot.stream_rows,
	       tot.long_canceled + tot.long_completed, tot.long_canceled, b->cancels);
	printf("soak %s: metrics exports %" PRIu64 " (%.1f MiB); pool: created %" PRIu64
	       ", closed %" PRIu64 ", acquired %" PRIu64 ", timeouts %" PRIu64 "\n",
	       b->label, b->exports, (double)b->export_bytes / 1048576.0, ps.created, ps.closed,
	       ps.acquired, ps.timeouts);
	if (b->maint_sql)
		printf("soak %s: %s: %" PRIu64 " runs, %" PRIu64 " found a reader\n", b->label,
		       b->maint_sql, b->maint_runs, b->maint_busy);
	printf("soak %s: RSS first quarter %.1f MiB, last quarter %.1f MiB (limit %.1f, "
	       "%+.1f%%); open fds %.1f -> %.1f (limit %.1f); malloc in use %.1f -> %.1f MiB; "
	       "%zu samples, first %zu warm-up\n",
	       b->label, first.rss_kib / 1024, last.rss_kib / 1024, rss_limit / 1024,
	       100.0 * (last.rss_kib - first.rss_kib) / first.rss_kib, first.fds, last.fds,
	       fd_limit, first.heap_kib / 1024, last.heap_kib / 1024, (size_t)seconds, warm);
	if (atomic_load(&b->errors)) {
		printf("soak %s: FAIL: %" PRIu64 " unexpected errors\n", b->label,
		       (uint64_t)atomic_load(&b->errors));
		failed = 1;
	}
	if (ps.timeouts) {
		printf("soak %s: FAIL: %" PRIu64 " pool timeouts\n", b->label, ps.timeouts);
		failed = 1;
	}
	if (tot.long_completed) {
		printf("soak %s: note: %" PRIu64 " long statements ran to the end before a "
		       "cancel reached them\n", b->label, tot.long_completed);
	}
	if (last.rss_kib > rss_limit) {
		printf("soak %s: FAIL: resident memory grew beyond the margin\n", b->label);
		failed = 1;
	}
	if (last.fds > fd_limit) {
		printf("soak %s: FAIL: open file descriptors grew beyond the margin\n", b->label);
		failed = 1;
	}
	printf("soak %s: %s\n", b->label, failed ? "FAIL" : "PASS");
	fflush(stdout);
	free(smp);
	return failed;
}

/* url + "?" or "&" + POOL_QUERY, malloc'd. */
static char *with_pool_query(const char *url)
{
	char *u;

	if (asprintf(&u, "%s%c%s", url, strchr(url, '?') ? '&' : '?', POOL_QUERY) < 0)
		return NULL;
	return u;
}

/* 1 if backend label is selected by SOAK_BACKENDS (a comma-separated
 * list; unset or empty: all). */
static int selected(const char *label)
{
	const char *list = getenv("SOAK_BACKENDS"), *p;
	size_t n = strlen(label);

	if (!list || !*list)
		return 1;
	for (p = list; (p = strstr(p, label)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

/* Remove the SQLite files and the directory. */
static void remove_dir(const char *dir)
{
	const char *files[] = {"soak.db", "soak.db-wal", "soak.db-shm", "soak.db-journal"};
	char path[256];

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	if (rmdir(dir) != 0)
		fprintf(stderr, "soak: could not remove %s: %s\n", dir, strerror(errno));
}

int main(void)
{
	const char *sec = getenv("SOAK_SECONDS");
	unsigned seconds = sec && *sec ? (unsigned)strtoul(sec, NULL, 10) : 60;
	char dir[] = "/tmp/dal-soak.XXXXXX", *sqlite_url = NULL;
	struct backend bs[3];
	int nb = 0, passed = 0, failed = 0, skipped = 0, ret = 0;
	const char *my = getenv("DAL_TEST_MYSQL_URL"), *pg = getenv("DAL_TEST_PGSQL_URL");

	const char *ar = getenv("SOAK_MALLOC_ARENAS");
	int arenas = ar && *ar ? atoi(ar) : 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* See MALLOC_ARENAS above. Before any thread exists. */
	if (arenas > 0)
		mallopt(M_ARENA_MAX, arenas);
	printf("soak: %u s per backend, malloc arenas: %s\n", seconds,
	       arenas > 0 ? (ar && *ar ? ar : "2") : "glibc's default");
	if (seconds < 8) {
		fprintf(stderr, "soak: SOAK_SECONDS must be 8 or more\n");
		return 99;
	}
	if (!mkdtemp(dir) || asprintf(&sqlite_url, "sqlite:///%s/soak.db", dir) < 0) {
		perror("soak: temporary directory");
		return 99;
	}
	dal_log_set(log_sink, NULL);
	memset(bs, 0, sizeof bs);
	if (selected("sqlite")) {
		bs[nb].label = "sqlite";
		bs[nb].url = with_pool_query(sqlite_url);
		bs[nb].serial = "INTEGER PRIMARY KEY AUTOINCREMENT";
		bs[nb].maint_sql = "PRAGMA wal_checkpoint(TRUNCATE)";
		/* A recursive count to three billion: minutes unless stopped. */
		bs[nb++].long_sql = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
		                    "FROM c WHERE n < 3000000000) SELECT count(*) FROM c";
	}
	if (!selected("mysql")) {
	} else if (my && *my) {
		bs[nb].label = "mysql";
		bs[nb].url = with_pool_query(my);
		bs[nb].serial = "BIGINT AUTO_INCREMENT PRIMARY KEY";
		bs[nb++].long_sql = "SELECT SLEEP(30)";
	} else {
		printf("soak mysql: SKIP (DAL_TEST_MYSQL_URL is not set)\n");
		skipped++;
	}
	if (!selected("pgsql")) {
	} else if (pg && *pg) {
		bs[nb].label = "pgsql";
		bs[nb].url = with_pool_query(pg);
		bs[nb].serial = "BIGSERIAL PRIMARY KEY";
		bs[nb++].long_sql = "SELECT pg_sleep(30)";
	} else {
		printf("soak pgsql: SKIP (DAL_TEST_PGSQL_URL is not set)\n");
		skipped++;
	}
	for (int i = 0; i < nb && ret == 0; i++) {
		int rc;

		if (!bs[i].url) {
			fprintf(stderr, "soak: out of memory\n");
			ret = 99;
			break;
		}
		rc = soak(&bs[i], seconds);
		if (rc == 99)
			ret = 99;
		else if (rc)
			failed++;
		else
			passed++;
	}
	for (int i = 0; i < nb; i++)
		free(bs[i].url);
	free(sqlite_url);
	remove_dir(dir);
	if (ret)
		return ret;
	printf("soak: libdal logged %" PRIu64 " warnings (retries; not errors by themselves)\n",
	       (uint64_t)atomic_load(&log_warnings));
	printf("soak: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
