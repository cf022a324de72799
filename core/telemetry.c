/*
 * The telemetry layer; see telemetry.h for its contract and costs.
 *
 * Counters are kept per connection (a shard), so each has one writer: the
 * thread that holds the connection (the pool's lock orders hand-overs).
 * Readers on other threads (an exporter) sum the shards of the open
 * connections and the totals folded in from closed ones. The writer brackets
 * each update with its shard's sequence counter (odd while writing); a
 * reader copies and retries until it saw the same even sequence before and
 * after, so a shard's snapshot is consistent. On x86 the writer's fences
 * compile to nothing. A reset bumps a generation: a shard of an older
 * generation zeroes itself at its next update and reads as zero until then,
 * so the reset never writes into another thread's shard.
 */
#define _GNU_SOURCE
#include "telemetry.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"
#include "layer.h"

struct op_counters {
	uint64_t calls, errors, rows, affected, total_ns, max_ns;
	uint64_t buckets[DAL_HISTOGRAM_MAX_BUCKETS + 1];
	uint64_t by_code[DAL_ERROR_CODE_SLOTS];
};

struct telemetry {
	struct dal_driver table; /* this layer: .inner is the table below */
	char *repo_name, *backend, *system_name, *db_namespace, *address;
	unsigned port;
	uint64_t slow_ns;
	unsigned nbounds;
	double bounds[DAL_HISTOGRAM_MAX_BUCKETS];
	uint64_t bounds_ns[DAL_HISTOGRAM_MAX_BUCKETS];
	int hooked; /* hooks installed: the only test on the hot path */
	dal_trace_hooks hooks;
	void *hooks_ud;
	unsigned gen;            /* bumped by telemetry_reset() */
	pthread_mutex_t lock;    /* the shard list and `retired` */
	struct shard *shards;    /* one per open connection */
	struct op_counters retired[DAL_OP__COUNT]; /* folded in from closed ones */
};

struct shard {
	unsigned seq, gen;
	struct op_counters ops[DAL_OP__COUNT];
	struct shard *prev, *next;
};

/* This layer's connection and statement: each wraps the one of the table
 * below. */
struct dal_bconn {
	struct telemetry *tel;
	struct shard *sh;
	dal_bconn *inner;
	struct conn_ops below; /* the slots below, resolved once */
};

struct dal_bstmt {
	struct telemetry *tel;
	struct shard *sh;        /* its connection's */
	dal_bstmt *inner;
	struct stmt_ops below;
	int executed;     /* first step since prepare/reset done */
	char *sql;        /* for the slow-query log and db.query.text */
	char *collection; /* db.collection.name, when hooks wanted it */
};

/* Forward a call to the table below, through the slots resolved when the
 * connection or statement was made: one indirect call, as for the core. */
#define DOWN_CONN(c, slot, ...) (c)->below.slot.fn((c)->below.slot.h, ##__VA_ARGS__)
#define DOWN_STMT(s, slot, ...) (s)->below.slot.fn((s)->below.slot.h, ##__VA_ARGS__)

const double telemetry_default_bounds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
const unsigned telemetry_default_nbounds = 9;

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define BUMP(x, n) STORE(x, LOAD(x) + (n))

static inline void write_begin(struct telemetry *t, struct shard *sh)
{
	unsigned gen = LOAD(t->gen);

	STORE(sh->seq, LOAD(sh->seq) + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (__builtin_expect(sh->gen != gen, 0)) {
		/* The counters are all uint64_t: clear them word by word with
		 * relaxed stores, as readers load them. */
		uint64_t *w = (uint64_t *)sh->ops;
		size_t words = DAL_OP__COUNT * (sizeof(struct op_counters) / sizeof(uint64_t));
		for (size_t k = 0; k < words; k++)
			STORE(w[k], 0);
		STORE(sh->gen, gen);
	}
}

static inline void write_end(struct shard *sh)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	STORE(sh->seq, LOAD(sh->seq) + 1);
}

#define now_ns clock_ns

static inline void record(struct telemetry *t, struct shard *sh, dal_op op, int rc, uint64_t ns,
                          uint64_t rows)
{
	struct op_counters *c = &sh->ops[op];
	unsigned b = 0;

	while (b < t->nbounds && ns > t->bounds_ns[b])
		b++;
	write_begin(t, sh);
	BUMP(c->calls, 1);
	if (rc < 0) {
		BUMP(c->errors, 1);
		if (-rc < DAL_ERROR_CODE_SLOTS)
			BUMP(c->by_code[-rc], 1);
	}
	BUMP(c->rows, rows);
	BUMP(c->total_ns, ns);
	BUMP(c->buckets[b], 1);
	if (ns > LOAD(c->max_ns))
		STORE(c->max_ns, ns);
	write_end(sh);
}

static void slow_log(struct telemetry *t, const char *sql, uint64_t ns)
{
	dal_log_emit(DAL_LOG_WARN, "slow query on %s (%s): %.3f ms: %s", t->repo_name,
	             t->backend, (double)ns / 1e6, sql ? sql : "(statement text not kept)");
}

/* ---- tracing ------------------------------------------------------------ */

static void span_init(struct telemetry *t, dal_span *sp, dal_op op, const char *sql,
                      const char *collection)
{
	memset(sp, 0, sizeof *sp);
	sp->op = op;
	sp->repository = t->repo_name;
	sp->system_name = t->system_name ? t->system_name : t->backend;
	sp->db_namespace = t->db_namespace;
	sp->operation_name = dal_op_name(op);
	sp->collection_name = collection;
	sp->query_text = t->hooks.include_query_text ? sql : NULL;
	sp->server_address = t->address;
	sp->server_port = t->port;
}

static void span_start(struct telemetry *t, dal_span *sp, void **ctx)
{
	*ctx = NULL;
	if (t->hooks.start)
		t->hooks.start(sp, t->hooks_ud, ctx);
}

static void span_end(struct telemetry *t, dal_span *sp, void *ctx, int rc,
                     const dal_error *err, uint64_t ns, int64_t rows)
{
	sp->status = rc;
	sp->duration_ns = ns;
	sp->rows = rows;
	if (rc < 0) {
		sp->error_type = dal_code_label(rc);
		sp->status_code = err->sqlstate;
	}
	if (t->hooks.end)
		t->hooks.end(sp, t->hooks_ud, ctx);
}

/* The table a statement names, for db.collection.name: the identifier after
 * FROM, INTO, UPDATE or TABLE in the first few words. Cheap and partial by
 * design (joins, subqueries and CTEs give the first table or nothing). */
static char *collection_of(const char *sql)
{
	static const char *const keys[] = {"from", "into", "update", "table"};
	const char *p = sql;

	for (int words = 0; *p && words < 12; words++) {
		const char *w;
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '(')
			p++;
		n = (size_t)(p - w);
		for (size_t k = 0; k < 4; k++) {
			if (n == strlen(keys[k]) && strncasecmp(w, keys[k], n) == 0) {
				const char *s;
again:
				while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
					p++;
				/* CREATE TABLE IF NOT EXISTS name, DROP TABLE IF EXISTS name */
				for (size_t q = 0; q < 3; q++) {
					static const char *const noise[] = {"if ", "not ", "exists "};
					size_t len = strlen(noise[q]);
					if (strncasecmp(p, noise[q], len) == 0) {
						p += len;
						goto again;
					}
				}
				s = p;
				while (*p && (*p == '_' || *p == '.' || *p == '"' || *p == '`' ||
				              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				              (*p >= '0' && *p <= '9')))
					p++;
				return p > s ? strndup(s, (size_t)(p - s)) : NULL;
			}
		}
		if (*p == '(')
			p++;
	}
	return NULL;
}

/* ---- shards ------------------------------------------------------------- */

static void add_counters(struct op_counters *dst, const struct op_counters *src)
{
	dst->calls += src->calls;
	dst->errors += src->errors;
	dst->rows += src->rows;
	dst->affected += src->affected;
	dst->total_ns += src->total_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (unsigned i = 0; i <= DAL_HISTOGRAM_MAX_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	for (unsigned i = 0; i < DAL_ERROR_CODE_SLOTS; i++)
		dst->by_code[i] += src->by_code[i];
}

/* Fold a closing connection's shard into `retired`. Called with t->lock held
 * by the shard's own writer, so it reads without the sequence dance. */
static void fold(struct telemetry *t, struct shard *sh)
{
	if (sh->gen != t->gen)
		return; /* counted before the last reset */
	for (int i = 0; i < DAL_OP__COUNT; i++)
		add_counters(&t->retired[i], &sh->ops[i]);
}

/* ---- connection slots --------------------------------------------------- */

static int t_connect(const struct dal_driver *self, const struct dal_connect_params *params,
                     dal_bconn **out, dal_error *err)
{
	struct telemetry *t = self->state;
	const struct dal_driver *below = layer_connector(self->inner);
	struct dal_bconn *c = malloc(sizeof *c);
	struct shard *sh = calloc(1, sizeof *sh);
	dal_bconn *inner = NULL;
	uint64_t t0;
	int rc;

	if (!c || !sh) {
		free(c);
		free(sh);
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	}
	sh->gen = LOAD(t->gen);
	t0 = now_ns();
	rc = below->connect(below, params, &inner, err);
	record(t, sh, DAL_OP_CONNECT, rc, now_ns() - t0, 0);
	pthread_mutex_lock(&t->lock);
	if (rc != DAL_OK) {
		fold(t, sh);
		pthread_mutex_unlock(&t->lock);
		free(sh);
		free(c);
		return rc;
	}
	sh->next = t->shards;
	if (t->shards)
		t->shards->prev = sh;
	t->shards = sh;
	pthread_mutex_unlock(&t->lock);
	c->tel = t;
	c->sh = sh;
	c->inner = inner;
	conn_ops_resolve(&c->below, below, inner);
	*out = c;
	return DAL_OK;
}

static void t_disconnect(dal_bconn *c)
{
	struct telemetry *t = c->tel;
	struct shard *sh = c->sh;

	DOWN_CONN(c, disconnect);
	pthread_mutex_lock(&t->lock);
	fold(t, sh);
	if (sh->prev)
		sh->prev->next = sh->next;
	else
		t->shards = sh->next;
	if (sh->next)
		sh->next->prev = sh->prev;
	pthread_mutex_unlock(&t->lock);
	free(sh);
	free(c);
}

static dal_bconn *t_conn_inner(dal_bconn *c)
{
	return c->inner;
}

enum conn_call { CC_PING, CC_BEGIN, CC_COMMIT, CC_ROLLBACK };

/* Connection-level calls that take only (conn, err): ping and transactions. */
static int timed_conn_call(dal_bconn *c, dal_op op, enum conn_call which, dal_error *err)
{
	struct telemetry *t = c->tel;
	dal_span sp;
	void *ctx = NULL;
	uint64_t t0, ns;
	int rc;

	if (t->hooked) {
		span_init(t, &sp, op, NULL, NULL);
		span_start(t, &sp, &ctx);
	}
	t0 = now_ns();
	switch (which) {
	case CC_PING:
		rc = DOWN_CONN(c, ping, err);
		break;
	case CC_BEGIN:
		rc = DOWN_CONN(c, begin, err);
		break;
	case CC_COMMIT:
		rc = DOWN_CONN(c, commit, err);
		break;
	default:
		rc = DOWN_CONN(c, rollback, err);
		break;
	}
	ns = now_ns() - t0;
	record(t, c->sh, op, rc, ns, 0);
	if (t->hooked)
		span_end(t, &sp, ctx, rc, err, ns, 0);
	return rc;
}

static int t_ping(dal_bconn *c, dal_error *err)
{
	return timed_conn_call(c, DAL_OP_PING, CC_PING, err);
}

static int t_begin(dal_bconn *c, dal_error *err)
{
	return timed_conn_call(c, DAL_OP_BEGIN, CC_BEGIN, err);
}

static int t_commit(dal_bconn *c, dal_error *err)
{
	return timed_conn_call(c, DAL_OP_COMMIT, CC_COMMIT, err);
}

static int t_rollback(dal_bconn *c, dal_error *err)
{
	return timed_conn_call(c, DAL_OP_ROLLBACK, CC_ROLLBACK, err);
}

static int t_exec(dal_bconn *c, const char *sql, int64_t *affected, dal_error *err)
{
	struct telemetry *t = c->tel;
	dal_span sp;
	void *ctx = NULL;
	char *coll = NULL;
	uint64_t t0, ns;
	int rc;

	if (t->hooked) {
		coll = collection_of(sql);
		span_init(t, &sp, DAL_OP_EXEC, sql, coll);
		span_start(t, &sp, &ctx);
	}
	t0 = now_ns();
	rc = DOWN_CONN(c, exec, sql, affected, err);
	ns = now_ns() - t0;
	record(t, c->sh, DAL_OP_EXEC, rc, ns, 0);
	if (rc == DAL_OK && *affected > 0) {
		write_begin(t, c->sh);
		BUMP(c->sh->ops[DAL_OP_EXEC].affected, (uint64_t)*affected);
		write_end(c->sh);
	}
	if (t->slow_ns && ns >= t->slow_ns)
		slow_log(t, sql, ns);
	if (t->hooked) {
		span_end(t, &sp, ctx, rc, err, ns, 0);
		free(coll);
	}
	return rc;
}

static int t_prepare(dal_bconn *c, const char *sql, size_t len, unsigned nparams,
                     dal_bstmt **out, dal_error *err)
{
	struct telemetry *t = c->tel;
	struct dal_bstmt *s = calloc(1, sizeof *s);
	dal_bstmt *inner = NULL;
	dal_span sp;
	void *ctx = NULL;
	uint64_t t0, ns;
	int rc;

	if (!s)
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	/* The text is kept only when something will read it. */
	if ((t->slow_ns || (t->hooked && t->hooks.include_query_text)) &&
	    !(s->sql = strndup(sql, len))) {
		free(s);
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory");
	}
	if (t->hooked) {
		s->collection = collection_of(sql);
		span_init(t, &sp, DAL_OP_PREPARE, s->sql, s->collection);
		span_start(t, &sp, &ctx);
	}
	t0 = now_ns();
	rc = DOWN_CONN(c, prepare, sql, len, nparams, &inner, err);
	ns = now_ns() - t0;
	record(t, c->sh, DAL_OP_PREPARE, rc, ns, 0);
	if (t->hooked)
		span_end(t, &sp, ctx, rc, err, ns, 0);
	if (rc != DAL_OK) {
		free(s->sql);
		free(s->collection);
		free(s);
		return rc;
	}
	s->tel = t;
	s->sh = c->sh;
	s->inner = inner;
	stmt_ops_resolve(&s->below, c->below.prepare.d, inner);
	*out = s;
	return DAL_OK;
}

/* ---- statement slots ---------------------------------------------------- */

/* bind, column_count, column_name, column_value and rows_affected are left
 * NULL: the core calls the table below directly (layer.h), so the
 * per-value paths cost nothing extra with telemetry on. */

static void count_affected(dal_bstmt *s, dal_op op)
{
	int64_t n = DOWN_STMT(s, rows_affected);

	if (n > 0) {
		write_begin(s->tel, s->sh);
		BUMP(s->sh->ops[op].affected, (uint64_t)n);
		write_end(s->sh);
	}
}

static int t_step(dal_bstmt *s, dal_error *err)
{
	struct telemetry *t = s->tel;
	dal_span sp;
	void *ctx = NULL;
	uint64_t t0, ns;
	int rc;

	if (s->executed) {
		struct op_counters *f = &s->sh->ops[DAL_OP_FETCH];
		rc = DOWN_STMT(s, step, err);
		write_begin(t, s->sh);
		BUMP(f->calls, 1);
		if (rc == DAL_ROW)
			BUMP(f->rows, 1);
		else if (rc < 0) {
			BUMP(f->errors, 1);
			if (-rc < DAL_ERROR_CODE_SLOTS)
				BUMP(f->by_code[-rc], 1);
		}
		write_end(s->sh);
		return rc;
	}
	if (t->hooked) {
		span_init(t, &sp, DAL_OP_EXECUTE, s->sql, s->collection);
		span_start(t, &sp, &ctx);
	}
	t0 = now_ns();
	rc = DOWN_STMT(s, step, err);
	ns = now_ns() - t0;
	s->executed = 1;
	record(t, s->sh, DAL_OP_EXECUTE, rc, ns, rc == DAL_ROW);
	if (rc == DAL_DONE)
		count_affected(s, DAL_OP_EXECUTE);
	if (t->slow_ns && ns >= t->slow_ns)
		slow_log(t, s->sql, ns);
	if (t->hooked)
		span_end(t, &sp, ctx, rc, err, ns, rc == DAL_ROW);
	return rc;
}

/* A batch is one operation: timed, traced, its rows (executed) and rows
 * affected counted. */
static int t_execute_batch(dal_bstmt *s, struct dal_batch *b, dal_error *err)
{
	struct telemetry *t = s->tel;
	dal_span sp;
	void *ctx = NULL;
	uint64_t t0, ns, done;
	int rc;

	if (t->hooked) {
		span_init(t, &sp, DAL_OP_BATCH, s->sql, s->collection);
		span_start(t, &sp, &ctx);
	}
	t0 = now_ns();
	rc = DOWN_STMT(s, execute_batch, b, err);
	ns = now_ns() - t0;
	done = rc == DAL_OK ? b->nrows
	                    : b->failed_row != DAL_BATCH_ROW_UNKNOWN ? b->failed_row : 0;
	record(t, s->sh, DAL_OP_BATCH, rc, ns, done);
	if (b->affected > 0) {
		write_begin(t, s->sh);
		BUMP(s->sh->ops[DAL_OP_BATCH].affected, (uint64_t)b->affected);
		write_end(s->sh);
	}
	if (t->slow_ns && ns >= t->slow_ns)
		slow_log(t, s->sql, ns);
	if (t->hooked)
		span_end(t, &sp, ctx, rc, err, ns, (int64_t)done);
	return rc;
}

static int t_reset(dal_bstmt *s, dal_error *err)
{
	s->executed = 0;
	return DOWN_STMT(s, reset, err);
}

static void t_finalize(dal_bstmt *s)
{
	DOWN_STMT(s, finalize);
	free(s->sql);
	free(s->collection);
	free(s);
}

static dal_bstmt *t_stmt_inner(dal_bstmt *s)
{
	return s->inner;
}

/* ---- lifecycle ---------------------------------------------------------- */

static int set_str(char **dst, const char *src)
{
	char *p = src ? strdup(src) : NULL;
	if (src && !p)
		return DAL_ENOMEM;
	free(*dst);
	*dst = p;
	return DAL_OK;
}

struct telemetry *telemetry_new(const struct dal_driver *in, const char *repo_name,
                                const char *backend, unsigned slow_query_ms,
                                const double *bounds, unsigned nbounds)
{
	struct telemetry *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	if (set_str(&t->repo_name, repo_name ? repo_name : "") ||
	    set_str(&t->backend, backend ? backend : "")) {
		telemetry_free(t);
		return NULL;
	}
	if (!bounds || nbounds == 0 || nbounds > DAL_HISTOGRAM_MAX_BUCKETS) {
		bounds = telemetry_default_bounds;
		nbounds = telemetry_default_nbounds;
	}
	t->nbounds = nbounds;
	for (unsigned i = 0; i < nbounds; i++) {
		t->bounds[i] = bounds[i];
		t->bounds_ns[i] = (uint64_t)(bounds[i] * 1e9 + 0.5);
	}
	t->slow_ns = (uint64_t)slow_query_ms * 1000000u;
	/* A slot the tables below lack stays NULL here too, so that the core
	 * sees exactly the plugin's capabilities; slots this layer does not
	 * measure are NULL and pass through. */
	t->table = (struct dal_driver){
		.abi_version = DAL_PLUGIN_ABI_VERSION,
		.struct_size = sizeof(struct dal_driver),
		.inner = in,
		.state = t,
		.connect = t_connect,
		.disconnect = t_disconnect,
		.ping = t_ping,
		.exec = LAYER_BELOW_HAS(in, exec) ? t_exec : NULL,
		.prepare = t_prepare,
		.begin = LAYER_BELOW_HAS(in, begin) ? t_begin : NULL,
		.commit = LAYER_BELOW_HAS(in, commit) ? t_commit : NULL,
		.rollback = LAYER_BELOW_HAS(in, rollback) ? t_rollback : NULL,
		.conn_inner = t_conn_inner,
		.step = t_step,
		.reset = t_reset,
		.finalize = t_finalize,
		.stmt_inner = t_stmt_inner,
		.execute_batch = LAYER_BELOW_HAS(in, execute_batch) ? t_execute_batch : NULL,
	};
	return t;
}

int telemetry_set_target(struct telemetry *t, const char *system_name,
                         const char *db_namespace, const char *address, unsigned port)
{
	t->port = port;
	if (set_str(&t->system_name, system_name) || set_str(&t->db_namespace, db_namespace) ||
	    set_str(&t->address, address))
		return DAL_ENOMEM;
	return DAL_OK;
}

const struct dal_driver *telemetry_table(const struct telemetry *t)
{
	return &t->table;
}

void telemetry_set_hooks(struct telemetry *t, const dal_trace_hooks *hooks, void *ud)
{
	if (hooks && (hooks->start || hooks->end)) {
		t->hooks = *hooks;
		t->hooks_ud = ud;
		t->hooked = 1;
	} else {
		memset(&t->hooks, 0, sizeof t->hooks);
		t->hooks_ud = NULL;
		t->hooked = 0;
	}
}

/* A consistent copy of one shard's counters of op; 0 if the shard belongs
 * to an older generation (it reads as zero). */
static int shard_read(const struct shard *sh, dal_op op, unsigned gen, struct op_counters *out)
{
	const struct op_counters *c = &sh->ops[op];
	unsigned s1, s2, g;

	do {
		s1 = __atomic_load_n(&sh->seq, __ATOMIC_ACQUIRE);
		g = LOAD(sh->gen);
		out->calls = LOAD(c->calls);
		out->errors = LOAD(c->errors);
		out->rows = LOAD(c->rows);
		out->affected = LOAD(c->affected);
		out->total_ns = LOAD(c->total_ns);
		out->max_ns = LOAD(c->max_ns);
		for (unsigned i = 0; i <= DAL_HISTOGRAM_MAX_BUCKETS; i++)
			out->buckets[i] = LOAD(c->buckets[i]);
		for (unsigned i = 0; i < DAL_ERROR_CODE_SLOTS; i++)
			out->by_code[i] = LOAD(c->by_code[i]);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&sh->seq, __ATOMIC_RELAXED);
	} while ((s1 & 1) || s1 != s2);
	return g == gen;
}

void telemetry_get(const struct telemetry *t, dal_op op, dal_op_stats *out)
{
	struct telemetry *mt = (struct telemetry *)t; /* the lock only */
	struct op_counters sum, one;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&mt->lock);
	sum = t->retired[op];
	for (const struct shard *sh = t->shards; sh; sh = sh->next)
		if (shard_read(sh, op, LOAD(t->gen), &one))
			add_counters(&sum, &one);
	pthread_mutex_unlock(&mt->lock);
	out->calls = sum.calls;
	out->errors = sum.errors;
	out->rows = sum.rows;
	out->rows_affected = sum.affected;
	out->total_ns = sum.total_ns;
	out->max_ns = sum.max_ns;
	for (unsigned i = 0; i <= t->nbounds; i++)
		out->bucket_counts[i] = sum.buckets[i];
	memcpy(out->errors_by_code, sum.by_code, sizeof out->errors_by_code);
	out->n_buckets = t->nbounds;
	memcpy(out->bucket_bounds, t->bounds, t->nbounds * sizeof t->bounds[0]);
}

void telemetry_reset(struct telemetry *t)
{
	pthread_mutex_lock(&t->lock);
	memset(t->retired, 0, sizeof t->retired);
	__atomic_fetch_add(&t->gen, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->lock);
}

void telemetry_free(struct telemetry *t)
{
	if (!t)
		return;
	/* Every connection is closed by now: their shards are gone. */
	pthread_mutex_destroy(&t->lock);
	free(t->repo_name);
	free(t->backend);
	free(t->system_name);
	free(t->db_namespace);
	free(t->address);
	free(t);
}

const char *telemetry_repo_name(const struct telemetry *t)
{
	return t->repo_name;
}

const char *telemetry_system_name(const struct telemetry *t)
{
	return t->system_name ? t->system_name : t->backend;
}

const char *telemetry_namespace(const struct telemetry *t)
{
	return t->db_namespace ? t->db_namespace : "";
}

/* ---- public ------------------------------------------------------------- */

const char *dal_op_name(dal_op op)
{
	static const char *const names[DAL_OP__COUNT] = {
		"connect", "ping", "exec", "prepare", "execute",
		"fetch", "begin", "commit", "rollback", "execute_batch",
	};
	return (unsigned)op < DAL_OP__COUNT ? names[op] : "unknown";
}
