/*
 * Scale-out: read/write routing between a repository's primary pool and
 * its replica pool, the node checks made when a connection is handed out,
 * and the per-node figures. The pools themselves are pool.c's; this file
 * decides which pool serves a checkout and whether a pooled connection's
 * node is still fit to serve (docs/scale-out.md).
 *
 * Node checks use the backend's node_status() slot (ABI 2.1): a Galera
 * node that is not Synced, a node of the primary pool that became a
 * replica, and a replica further behind than max_replica_lag are refused.
 * They run at most once a second per connection, when it is handed out, so
 * a busy pool pays one round trip per connection per second, an idle one
 * none; connections whose backend has nothing to check stop being asked.
 *
 * Locking: the node table grows under its own mutex (never shrinks, so a
 * connection's pointer into it stays valid); its counters are atomics.
 * The replicas' "down until" time is an atomic too.
 */
#define _GNU_SOURCE
#include "route.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "loader.h"
#include "pool.h"
#include "settings.h"

/* A connection's node is asked at most this often (at checkout). */
#define CHECK_EVERY_MS 1000
/* After the replicas failed a checkout, reads go to the primary for this
 * long before the replicas are tried again: a dead replica must not cost
 * every read a connect attempt. */
#define REPLICA_RETRY_MS 1000
#define MAX_NODES 32

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD(x, n) __atomic_add_fetch(&(x), (n), __ATOMIC_RELAXED)

struct route_node {
	char address[DAL_NODE_ADDRESS_SIZE];
	unsigned port;
	int replica_pool;
	unsigned open;               /* atomic */
	uint64_t acquired, rejected; /* atomic */
};

struct route {
	pthread_mutex_t lock; /* adding to nodes[] */
	unsigned n;           /* nodes in use; nodes[MAX_NODES] is "(other)" */
	struct route_node nodes[MAX_NODES + 1];
	uint64_t replicas_down_until; /* coarse ms, atomic */
};

struct route *route_new(void)
{
	struct route *rt = calloc(1, sizeof *rt);

	if (!rt)
		return NULL;
	pthread_mutex_init(&rt->lock, NULL);
	snprintf(rt->nodes[MAX_NODES].address, DAL_NODE_ADDRESS_SIZE, "(other)");
	return rt;
}

void route_free(struct route *rt)
{
	if (!rt)
		return;
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}

static struct route_node *node_of(struct route *rt, const char *address, unsigned port,
                                  int replica_pool)
{
	struct route_node *n = NULL;

	pthread_mutex_lock(&rt->lock);
	for (unsigned i = 0; i < rt->n && !n; i++)
		if (rt->nodes[i].port == port && rt->nodes[i].replica_pool == replica_pool &&
		    strcmp(rt->nodes[i].address, address) == 0)
			n = &rt->nodes[i];
	if (!n && rt->n < MAX_NODES) {
		n = &rt->nodes[rt->n];
		snprintf(n->address, sizeof n->address, "%s", address);
		n->port = port;
		n->replica_pool = replica_pool;
		/* Published after it is filled: readers copy nodes[0..n). */
		__atomic_store_n(&rt->n, rt->n + 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&rt->lock);
	return n ? n : &rt->nodes[MAX_NODES];
}

/* The address of c's server: the backend's answer, else the configured
 * host (the first of a list) or file. */
static const char *address_of(const dal_conn *c, unsigned *port, char *buf, size_t size)
{
	const struct dal_settings *s = c->repo->settings;
	const char *a = NULL, *list;

	*port = 0;
	if (c->ops.server_address.fn)
		a = c->ops.server_address.fn(c->ops.server_address.h, port);
	if (a)
		return a;
	if (c->repo->plugin->reg.kind == DAL_KIND_FILE)
		return s->path ? s->path : "";
	list = c->pool == c->repo->replicas ? s->value[SK_REPLICAS] : s->value[SK_HOST];
	if (list) {
		dal_error e;
		if (dal_host_next(&list, buf, size, port, &e) == 1) {
			if (!*port)
				*port = s->port;
			return buf;
		}
	}
	*port = s->port;
	return "localhost";
}

/* What c's pool needs to know of its node. */
static unsigned wanted(const dal_repo *r, const dal_conn *c)
{
	if (!r->replicas)
		return 0;
	if (c->pool == r->replicas)
		return DAL_NODE_WANT_ROLE | (r->settings->max_replica_lag_ms ? DAL_NODE_WANT_LAG : 0);
	return DAL_NODE_WANT_ROLE;
}

/*
 * Ask c's node what it is and decide whether c may serve its pool: DAL_OK,
 * or why not in *err. *asked: whether the server was asked (a round trip).
 */
static int node_check(dal_repo *r, dal_conn *c, uint64_t now, int *asked, dal_error *err)
{
	struct dal_node_status st;
	unsigned want = wanted(r, c);
	const char *addr = c->node->address;
	unsigned port = c->node->port;
	int replica = c->pool == r->replicas;
	int rc;

	*asked = 0;
	memset(&st, 0, sizeof st);
	st.lag_ms = -1;
	rc = c->ops.node_status.fn(c->ops.node_status.h, want, &st, err);
	c->checked_ms = now;
	if (rc != DAL_OK)
		return rc;
	*asked = st.checked;
	if (!st.checked && !want)
		c->node_check = 0; /* nothing configured to check here */
	if (!st.ready)
		return dal_error_set(err, DAL_ECONNECT, "08004", 0,
		                     "repository '%s': node %s:%u is not ready: %s", r->name, addr,
		                     port, st.detail[0] ? st.detail : "the backend says so");
	if (!replica && want && st.role == DAL_NODE_REPLICA)
		return dal_error_set(err, DAL_ECONNECT, "25006", 0,
		                     "repository '%s': node %s:%u is a read-only replica now, not "
		                     "a primary", r->name, addr, port);
	if (replica && r->settings->max_replica_lag_ms && st.role == DAL_NODE_REPLICA &&
	    st.lag_ms > (int64_t)r->settings->max_replica_lag_ms)
		return dal_error_set(err, DAL_EBUSY, "HY000", 0,
		                     "repository '%s': replica %s:%u is %lld ms behind its primary "
		                     "(max_replica_lag = %.3g s)", r->name, addr, port,
		                     (long long)st.lag_ms, r->settings->max_replica_lag_ms / 1000.0);
	return DAL_OK;
}

int route_conn_new(dal_repo *r, dal_conn *c, dal_error *err)
{
	char buf[DAL_NODE_ADDRESS_SIZE];
	unsigned port;
	const char *addr = address_of(c, &port, buf, sizeof buf);
	int asked, rc;

	c->node = node_of(r->route, addr, port, c->pool == r->replicas);
	ADD(c->node->open, 1);
	c->node_check = c->ops.node_status.fn != NULL;
	c->checked_ms = clock_coarse_ms();
	/* A replica is checked before its first use: it may lag already. (The
	 * primary's backend checked what it needed while connecting.) */
	if (c->node_check && c->pool == r->replicas &&
	    (rc = node_check(r, c, c->checked_ms, &asked, err)) != DAL_OK) {
		ADD(c->node->rejected, 1);
		return rc;
	}
	return DAL_OK;
}

void route_conn_gone(dal_conn *c)
{
	if (c->node)
		__atomic_sub_fetch(&c->node->open, 1, __ATOMIC_RELAXED);
}

int route_check_due(const dal_conn *c, uint64_t now)
{
	return c->node_check && now - c->checked_ms >= CHECK_EVERY_MS;
}

int route_checkout(dal_repo *r, dal_conn *c, uint64_t now, int ping)
{
	dal_error e;
	int asked, rc;

	rc = node_check(r, c, now, &asked, &e);
	if (rc == DAL_OK && !asked && ping)
		rc = c->ops.ping.fn(c->ops.ping.h, &e);
	if (rc == DAL_OK)
		return 1;
	/* Counted when the node answered and node_check() refused it. */
	if (rc == DAL_EBUSY || strcmp(e.sqlstate, "08004") == 0 ||
	    strcmp(e.sqlstate, "25006") == 0)
		ADD(c->node->rejected, 1);
	dal_log_emit(DAL_LOG_INFO, "%s: pooled connection to %s:%u failed its check at "
	             "checkout (%s: %s); replacing it", r->name, c->node->address, c->node->port,
	             dal_code_name(rc), e.message);
	return 0;
}

void route_note_acquired(dal_conn *c)
{
	if (c->node)
		ADD(c->node->acquired, 1);
}

size_t route_nodes(const struct route *rt, dal_pool_node *out, size_t max)
{
	unsigned n = __atomic_load_n(&rt->n, __ATOMIC_ACQUIRE);
	size_t k = 0;

	for (unsigned i = 0; i <= MAX_NODES; i++) {
		const struct route_node *nd = &rt->nodes[i];

		if (i >= n && i < MAX_NODES)
			continue;
		if (i == MAX_NODES && !LOAD(nd->acquired) && !LOAD(nd->open))
			break;
		if (k < max) {
			memset(&out[k], 0, sizeof out[k]);
			snprintf(out[k].address, sizeof out[k].address, "%s", nd->address);
			out[k].port = nd->port;
			out[k].replica_pool = nd->replica_pool;
			out[k].open = LOAD(nd->open);
			out[k].acquired = LOAD(nd->acquired);
			out[k].rejected = LOAD(nd->rejected);
		}
		k++;
	}
	return k;
}

/* ---- the public calls ---------------------------------------------------- */

int dal_conn_acquire_ro(dal_repo *r, dal_conn **out, dal_error *err)
{
	dal_error local;
	uint64_t now;
	int rc;

	if (!err)
		err = &local;
	dal_error_clear(err);
	if (!out)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_conn_acquire_ro: out is NULL");
	*out = NULL;
	if (!r)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_conn_acquire_ro: repo is NULL");
	if (!r->replicas)
		return pool_acquire(r, out, err);
	now = clock_coarse_ms();
	if (now >= LOAD(r->route->replicas_down_until)) {
		rc = pool_acquire_from(r, r->replicas, out, err);
		/* A configuration or authentication error is the operator's to
		 * see, not to be hidden by the fallback. */
		if (rc == DAL_OK || !dal_code_is_transient(rc))
			return rc;
		dal_log_emit(DAL_LOG_WARN, "%s: no usable replica (%s: %s); reading from the "
		             "primary, replicas tried again in %u ms", r->name, dal_code_name(rc),
		             err->message, REPLICA_RETRY_MS);
		__atomic_store_n(&r->route->replicas_down_until, now + REPLICA_RETRY_MS,
		                 __ATOMIC_RELAXED);
		dal_error_clear(err);
	}
	return pool_acquire(r, out, err);
}

const char *dal_conn_server_address(const dal_conn *c, unsigned *port)
{
	const char *a = NULL;
	unsigned p = 0;

	if (port)
		*port = 0;
	if (!c || c->repo->plugin->reg.kind == DAL_KIND_FILE)
		return NULL;
	if (c->ops.server_address.fn)
		a = c->ops.server_address.fn(c->ops.server_address.h, &p);
	if (!a && c->node) {
		a = c->node->address;
		p = c->node->port;
	}
	if (port)
		*port = p;
	return a;
}

int dal_repo_pool_nodes(const dal_repo *r, dal_pool_node *out, size_t max, size_t *n)
{
	if (n)
		*n = 0;
	if (!r || !n || (max && !out))
		return DAL_EMISUSE;
	*n = route_nodes(r->route, out, max);
	return DAL_OK;
}
