/*
 * The connection pool of a repository: acquiring and releasing dal_conn,
 * pre-ping, recycling, waiting with a deadline, and the pool's own figures.
 * Making and closing a connection is repo.c's job (repo_connect(),
 * repo_disconnect()); this file decides when.
 *
 * Locking: one mutex per pool guards the counters and the idle stack and is
 * held only for list and counter updates. Connecting, pinging, rolling back
 * and closing run outside it, so one slow server never blocks other threads
 * (a connection being made is counted in n_opening so the pool's size is
 * never exceeded meanwhile).
 *
 * Invariant: n_idle + n_used + n_opening <= max; idle connections are on the
 * `idle` stack, most recently used first (so the others age out through
 * idle_timeout when load drops).
 */
#define _GNU_SOURCE
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "route.h"
#include "telemetry.h"

/* A connection idle at least this long is checked before it is handed out
 * (with pre_ping): a busy pool pays no round trip per acquire. */
#define PING_IDLE_MS 1000

struct hist {
	uint64_t count, sum_ns;
	uint64_t buckets[DAL_HISTOGRAM_MAX_BUCKETS + 1];
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t freed; /* a connection was released, or a slot opened */
	unsigned size, max;   /* pool_size, pool_size + max_overflow */
	unsigned timeout_ms, idle_timeout_ms, max_lifetime_ms;
	int pre_ping;
	dal_conn *idle;
	unsigned n_idle, n_used, n_opening, pending;
	int closing;
	uint64_t timeouts, created, closed, acquired;
	struct hist wait, use, create;
};

/* The bounds of telemetry_default_bounds in ns, made once. */
static uint64_t bounds_ns[DAL_HISTOGRAM_MAX_BUCKETS];
static pthread_once_t bounds_once = PTHREAD_ONCE_INIT;

static void make_bounds(void)
{
	for (unsigned b = 0; b < telemetry_default_nbounds; b++)
		bounds_ns[b] = (uint64_t)(telemetry_default_bounds[b] * 1e9 + 0.5);
}

static void hist_add(struct hist *h, uint64_t ns)
{
	unsigned b = 0;

	while (b < telemetry_default_nbounds && ns > bounds_ns[b])
		b++;
	h->count++;
	h->sum_ns += ns;
	h->buckets[b]++;
}

struct pool *pool_new(const struct dal_settings *s, int private_db)
{
	struct pool *p = calloc(1, sizeof *p);
	pthread_condattr_t ca;

	if (!p)
		return NULL;
	pthread_once(&bounds_once, make_bounds);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	/* A database private to its connection (SQLite's :memory:) cannot be
	 * spread over several: the pool holds one. */
	p->size = private_db ? 1 : s->pool_size;
	p->max = private_db ? 1 : s->pool_size + s->max_overflow;
	p->timeout_ms = s->pool_timeout_ms;
	p->idle_timeout_ms = s->idle_timeout_ms;
	p->max_lifetime_ms = s->max_lifetime_ms;
	p->pre_ping = s->pre_ping;
	return p;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Called with the lock held: 1 when a closing pool has nothing left and the
 * caller (who then drops the lock) must free the repository. */
static int last_out(const struct pool *p)
{
	return p->closing && !p->n_used && !p->n_opening && !p->pending && !p->n_idle;
}

void pool_add_idle(struct pool *p, dal_conn *c)
{
	pthread_mutex_lock(&p->lock);
	c->idle_since_ms = clock_coarse_ms();
	c->next = p->idle;
	p->idle = c;
	p->n_idle++;
	p->created++;
	pthread_mutex_unlock(&p->lock);
}

/* An acquired connection that turned out unusable: close it and free its
 * slot. Called without the lock. */
static void drop(dal_repo *r, dal_conn *c)
{
	struct pool *p = c->pool;

	repo_disconnect(c);
	pthread_mutex_lock(&p->lock);
	p->n_used--;
	p->closed++;
	if (p->pending)
		pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* An idle connection too old to hand out (max_lifetime, idle_timeout).
 * now: the coarse clock. */
static int expired(const struct pool *p, const dal_conn *c, uint64_t now)
{
	return (p->max_lifetime_ms && now - c->created_ms >= p->max_lifetime_ms) ||
	       (p->idle_timeout_ms && now - c->idle_since_ms >= p->idle_timeout_ms);
}

/* The pre-ping of a connection idle for PING_IDLE_MS or more. Runs
 * without the lock: it is a round trip. */
static int ping_ok(dal_conn *c, const char *repo_name)
{
	dal_error e;
	int rc = c->ops.ping.fn(c->ops.ping.h, &e);

	if (rc != DAL_OK)
		dal_log_emit(DAL_LOG_INFO, "%s: pooled connection failed its pre-ping (%s: %s); "
		             "replacing it", repo_name, dal_code_name(rc), e.message);
	return rc == DAL_OK;
}

static struct timespec deadline_ts(uint64_t deadline_ns)
{
	struct timespec ts = {(time_t)(deadline_ns / 1000000000u),
	                      (long)(deadline_ns % 1000000000u)};
	return ts;
}

int pool_acquire(dal_repo *r, dal_conn **out, dal_error *err)
{
	return pool_acquire_from(r, r->pool, out, err);
}

int pool_acquire_from(dal_repo *r, struct pool *p, dal_conn **out, dal_error *err)
{
	uint64_t t0 = 0, waited = 0;
	dal_conn *c;
	int rc, free_repo;

	*out = NULL;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->closing) {
			free_repo = last_out(p);
			pthread_mutex_unlock(&p->lock);
			if (free_repo)
				repo_pool_gone(r);
			return dal_error_set(err, DAL_EMISUSE, NULL, 0,
			                     "repository '%s' is being closed: no connection to "
			                     "acquire", r->name);
		}
		if ((c = p->idle)) {
			uint64_t now = clock_coarse_ms();
			int old, ping, check;

			p->idle = c->next;
			p->n_idle--;
			p->n_used++;
			old = expired(p, c, now);
			ping = !old && p->pre_ping && now - c->idle_since_ms >= PING_IDLE_MS;
			check = !old && route_check_due(c, now);
			if (!old && !ping && !check) {
				/* The fast path: one locked section, and only the
				 * coarse clock. */
				p->acquired++;
				hist_add(&p->wait, waited);
				pthread_mutex_unlock(&p->lock);
				break;
			}
			pthread_mutex_unlock(&p->lock);
			/* The node's status (Galera readiness, role, lag) is a
			 * round trip too: when due, it stands in for the ping. */
			if (old || (check ? !route_checkout(r, c, now, ping)
			                  : !ping_ok(c, r->name))) {
				drop(r, c);
				pthread_mutex_lock(&p->lock);
				continue;
			}
			pthread_mutex_lock(&p->lock);
			p->acquired++;
			hist_add(&p->wait, waited);
			pthread_mutex_unlock(&p->lock);
			break;
		}
		if (p->n_idle + p->n_used + p->n_opening < p->max) {
			uint64_t c0;
			p->n_opening++;
			pthread_mutex_unlock(&p->lock);
			c0 = clock_ns();
			rc = repo_connect(r, p, clock_coarse_ms() + p->timeout_ms, &c, err);
			c0 = clock_ns() - c0;
			pthread_mutex_lock(&p->lock);
			p->n_opening--;
			if (rc != DAL_OK) {
				if (p->pending)
					pthread_cond_signal(&p->freed); /* the slot is free again */
				free_repo = last_out(p);
				pthread_mutex_unlock(&p->lock);
				if (free_repo)
					repo_pool_gone(r);
				return rc;
			}
			hist_add(&p->create, c0);
			hist_add(&p->wait, waited + c0);
			p->created++;
			p->n_used++;
			p->acquired++;
			pthread_mutex_unlock(&p->lock);
			break;
		}
		/* Full: wait for a release, up to pool_timeout. Only waiting
		 * reads the clock. */
		if (!t0)
			t0 = clock_ns();
		p->pending++;
		{
			uint64_t deadline_ns = t0 + (uint64_t)p->timeout_ms * 1000000u;
			struct timespec ts = deadline_ts(deadline_ns);
			int w = 0;
			while (!p->idle && !p->closing && w != ETIMEDOUT &&
			       p->n_idle + p->n_used + p->n_opening >= p->max)
				w = pthread_cond_timedwait(&p->freed, &p->lock, &ts);
			p->pending--;
			waited = clock_ns() - t0;
			if (w == ETIMEDOUT && !p->idle && !p->closing &&
			    p->n_idle + p->n_used + p->n_opening >= p->max) {
				unsigned used = p->n_used;
				p->timeouts++;
				pthread_mutex_unlock(&p->lock);
				return dal_error_set(err, DAL_ETIMEOUT, "HYT00", 0,
				                     "repository '%s': no connection free within "
				                     "pool_timeout = %.3g s (pool_size %u + max_overflow "
				                     "%u, %u in use)", r->name, p->timeout_ms / 1000.0,
				                     p->size, p->max - p->size, used);
			}
		}
	}
	route_note_acquired(c);
	c->acquired_ns = clock_ns();
	c->broken = 0;
	c->in_txn = 0;
	dal_error_clear(&c->err);
	*out = c;
	return DAL_OK;
}

void pool_release(dal_conn *c)
{
	dal_repo *r = c->repo;
	struct pool *p = c->pool;
	dal_conn *to_close = NULL;
	uint64_t used_ns, idle_since;
	int free_repo;

	/* Leave nothing of this user's session behind for the next one. */
	stmt_orphan_all(c);
	if (c->in_txn && !c->broken) {
		dal_error e;
		int rc = c->ops.rollback.fn ? c->ops.rollback.fn(c->ops.rollback.h, &e) : DAL_OK;
		if (rc != DAL_OK) {
			dal_log_emit(DAL_LOG_WARN, "%s: rolling back the transaction left open on a "
			             "released connection failed (%s: %s); closing it", r->name,
			             dal_code_name(rc), e.message);
			c->broken = 1;
		}
	}
	c->in_txn = 0;
	savepoint_reset(c);
	used_ns = clock_ns() - c->acquired_ns;
	idle_since = clock_coarse_ms();
	pthread_mutex_lock(&p->lock);
	hist_add(&p->use, used_ns);
	p->n_used--;
	if (p->closing || c->broken || p->n_idle >= p->size) {
		/* Broken, surplus (overflow beyond pool_size) or closing. */
		to_close = c;
		p->closed++;
	} else {
		c->idle_since_ms = idle_since;
		c->next = p->idle;
		p->idle = c;
		p->n_idle++;
	}
	if (p->pending)
		pthread_cond_signal(&p->freed);
	free_repo = last_out(p);
	pthread_mutex_unlock(&p->lock);
	if (to_close)
		repo_disconnect(to_close);
	if (free_repo)
		repo_pool_gone(r);
}

int pool_close(struct pool *p)
{
	dal_conn *idle;
	int free_repo;

	pthread_mutex_lock(&p->lock);
	p->closing = 1;
	idle = p->idle;
	p->idle = NULL;
	p->closed += p->n_idle;
	p->n_idle = 0;
	pthread_cond_broadcast(&p->freed);
	free_repo = last_out(p);
	pthread_mutex_unlock(&p->lock);
	while (idle) {
		dal_conn *next = idle->next;
		repo_disconnect(idle);
		idle = next;
	}
	return free_repo;
}

void pool_stats(struct pool *p, dal_pool_stats *out)
{
	pthread_mutex_lock(&p->lock);
	out->max = p->max;
	out->idle_max = p->size;
	out->idle = p->n_idle;
	out->used = p->n_used;
	out->pending = p->pending;
	out->timeouts = p->timeouts;
	out->created = p->created;
	out->closed = p->closed;
	out->acquired = p->acquired;
	pthread_mutex_unlock(&p->lock);
}

/* Copy one histogram into the export shape (bounds: OpenTelemetry's). */
static void hist_copy(const struct hist *h, struct pool_hist *out)
{
	out->count = h->count;
	out->sum_ns = h->sum_ns;
	out->n_buckets = telemetry_default_nbounds;
	for (unsigned i = 0; i <= telemetry_default_nbounds; i++)
		out->buckets[i] = h->buckets[i];
}

void pool_histograms(struct pool *p, struct pool_hist *wait, struct pool_hist *use,
                     struct pool_hist *create)
{
	pthread_mutex_lock(&p->lock);
	hist_copy(&p->wait, wait);
	hist_copy(&p->use, use);
	hist_copy(&p->create, create);
	pthread_mutex_unlock(&p->lock);
}

void pool_reset_stats(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->timeouts = p->created = p->closed = p->acquired = 0;
	memset(&p->wait, 0, sizeof p->wait);
	memset(&p->use, 0, sizeof p->use);
	memset(&p->create, 0, sizeof p->create);
	pthread_mutex_unlock(&p->lock);
}

int dal_repo_pool_stats(const dal_repo *r, dal_pool_stats *out)
{
	if (!out)
		return DAL_EMISUSE;
	memset(out, 0, sizeof *out);
	if (!r)
		return DAL_EMISUSE;
	pool_stats(r->pool, out);
	if (r->replicas) {
		dal_pool_stats rs;
		pool_stats(r->replicas, &rs);
		out->max += rs.max;
		out->idle_max += rs.idle_max;
		out->idle += rs.idle;
		out->used += rs.used;
		out->pending += rs.pending;
		out->timeouts += rs.timeouts;
		out->created += rs.created;
		out->closed += rs.closed;
		out->acquired += rs.acquired;
	}
	return DAL_OK;
}
