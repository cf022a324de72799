/*
 * Internal: the connection pool of a repository (pool.c).
 */
#ifndef DAL_CORE_POOL_H
#define DAL_CORE_POOL_H

#include <stdint.h>

#include <dal/dal.h>

struct pool;
struct dal_settings;

/* A histogram of durations, OpenTelemetry's default bounds (telemetry.h). */
struct pool_hist {
	uint64_t count, sum_ns;
	unsigned n_buckets;
	uint64_t buckets[DAL_HISTOGRAM_MAX_BUCKETS + 1];
};

/* A pool sized by s (pool_size, max_overflow, pool_timeout, idle_timeout,
 * max_lifetime, pre_ping). private_db: the database lives inside one
 * connection (a file-kind path that names no file, e.g. ":memory:"), so the
 * pool holds one. NULL on allocation failure. */
struct pool *pool_new(const struct dal_settings *s, int private_db);
void pool_free(struct pool *p);

/* Put a connection made at open time on the idle stack. */
void pool_add_idle(struct pool *p, dal_conn *c);

/* dal_conn_acquire() (from r->pool) and dal_conn_release() (to the pool
 * the connection came from). */
int pool_acquire(dal_repo *r, dal_conn **out, dal_error *err);
void pool_release(dal_conn *c);

/* Acquire from pool p of r: r->pool or r->replicas (route.c). */
int pool_acquire_from(dal_repo *r, struct pool *p, dal_conn **out, dal_error *err);

/* Start closing: idle connections are closed now, acquired ones when
 * released. Returns 1 when nothing is left and the caller must call
 * repo_pool_gone(), 0 when the last release will. */
int pool_close(struct pool *p);

void pool_stats(struct pool *p, dal_pool_stats *out);
void pool_histograms(struct pool *p, struct pool_hist *wait, struct pool_hist *use,
                     struct pool_hist *create);
void pool_reset_stats(struct pool *p);

#endif
