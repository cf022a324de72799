/*
 * Internal: read/write routing and node checks (route.c). The pool
 * (pool.c) calls these hooks; repo.c calls the connection ones.
 */
#ifndef DAL_CORE_ROUTE_H
#define DAL_CORE_ROUTE_H

#include <stdint.h>

#include <dal/dal.h>

struct route;
struct route_node;

/* A repository's routing state (per-node figures, replicas' health). NULL
 * on allocation failure. */
struct route *route_new(void);
void route_free(struct route *rt);

/* A connection just made by repo_connect(): note its node, and for the
 * replica pool check the node (role, lag) before it is used. DAL_OK, or
 * the reason it must not be used (the caller closes it). */
int route_conn_new(dal_repo *r, dal_conn *c, dal_error *err);

/* A connection about to be closed. */
void route_conn_gone(dal_conn *c);

/* 1 when the node status of c is due at this checkout (now: coarse ms):
 * the backend has something to check and the last check is old enough. */
int route_check_due(const dal_conn *c, uint64_t now);

/* Ask c's node what it is now; 1 when c may be handed out, 0 when it must
 * be replaced (lost, not ready, no longer of its pool's role, or lagging).
 * ping: a pre-ping was due too (done here if the status asked nothing).
 * Runs without the pool's lock (a round trip). */
int route_checkout(dal_repo *r, dal_conn *c, uint64_t now, int ping);

/* Count a checkout on c's node. */
void route_note_acquired(dal_conn *c);

/* The per-node figures of dal_repo_pool_nodes(). */
size_t route_nodes(const struct route *rt, dal_pool_node *out, size_t max);

#endif
