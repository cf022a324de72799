/*
 * Internal: the layer contract, and how the core and the layers find the
 * table that answers a slot.
 *
 * A layer is a struct dal_driver that wraps the table below it (`inner`),
 * keeps its per-repository data in `state` (connect() receives the table as
 * `self`), and wraps connections and statements in objects of its own when
 * it implements any of their slots:
 *
 *  - A layer that implements any connection slot implements connect() and
 *    disconnect(), and conn_inner() to hand out the connection it wraps.
 *    Likewise prepare(), finalize() and stmt_inner() for statement slots. A
 *    layer that does neither sees no connections (or statements) at all.
 *  - A NULL slot in a layer passes the call through: the core (for its own
 *    calls) and the layer above (for the calls it forwards) go down to the
 *    first table that implements the slot, unwrapping the handle at each
 *    layer on the way. The plugin at the bottom has no inner table; there a
 *    NULL optional slot means "unsupported".
 *
 * Every slot is resolved once, when a connection is made or a statement
 * prepared (struct conn_ops, struct stmt_ops; layer.c): by the core for its
 * own calls, and by each layer for the calls it forwards to the table below.
 * So a passed-through slot costs nothing per call (binds and column reads go
 * straight to the plugin unless a layer implements them), and forwarding
 * costs one indirect call.
 */
#ifndef DAL_CORE_LAYER_H
#define DAL_CORE_LAYER_H

#include <dal/plugin.h>

/* From table d (and its connection h), go down to the first table that
 * implements `slot`, unwrapping h on the way. Leaves d at the bottom table
 * when none does (then d->slot is NULL). */
#define LAYER_FIND_CONN(d, h, slot)                            \
	for (; !(d)->slot && (d)->inner; (d) = (d)->inner)     \
		if ((d)->conn_inner)                           \
			(h) = (d)->conn_inner(h)

/* The same for a statement handle. */
#define LAYER_FIND_STMT(d, h, slot)                            \
	for (; !(d)->slot && (d)->inner; (d) = (d)->inner)     \
		if ((d)->stmt_inner)                           \
			(h) = (d)->stmt_inner(h)

/* 1 if some table from d down implements slot: a layer sets an optional
 * slot only then, so that the core sees the plugin's capabilities. */
#define LAYER_BELOW_HAS(d, slot)                                       \
	({                                                             \
		const struct dal_driver *d_ = (d);                     \
		while (!d_->slot && d_->inner)                         \
			d_ = d_->inner;                                \
		d_->slot != NULL;                                      \
	})

/* The first table from d down that implements connect(). */
static inline const struct dal_driver *layer_connector(const struct dal_driver *d)
{
	while (!d->connect && d->inner)
		d = d->inner;
	return d;
}

#endif
