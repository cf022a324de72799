/*
 * Resolving slots through a stack of layers (see layer.h): once per
 * connection or statement, for the core's own calls and for each layer's
 * calls to the table below it.
 */
#include "internal.h"
#include "layer.h"

/* Resolve the connection's slots through the layers (see layer.h). */
void conn_ops_resolve(struct conn_ops *ops, const struct dal_driver *top, dal_bconn *conn)
{
#define RESOLVE(slot)                                          \
	do {                                                   \
		const struct dal_driver *d_ = top;             \
		dal_bconn *h_ = conn;                          \
		LAYER_FIND_CONN(d_, h_, slot);                 \
		ops->slot.fn = d_->slot;                       \
		ops->slot.h = h_;                              \
	} while (0)
	ops->top = top;
	ops->conn = conn;
	RESOLVE(disconnect);
	RESOLVE(ping);
	RESOLVE(begin);
	RESOLVE(commit);
	RESOLVE(rollback);
	RESOLVE(exec);
	RESOLVE(prepare);
	RESOLVE(last_insert_id);
	RESOLVE(server_kind);
	RESOLVE(server_version);
	RESOLVE(cancel);
	RESOLVE(tls_info);
	RESOLVE(backup);
	RESOLVE(restore);
#undef RESOLVE
	{
		const struct dal_driver *d = top;
		dal_bconn *h = conn;
		LAYER_FIND_CONN(d, h, prepare);
		ops->prepare.d = d;
	}
}

void stmt_ops_resolve(struct stmt_ops *ops, const struct dal_driver *top, dal_bstmt *top_h)
{
#define RESOLVE(slot)                                          \
	do {                                                   \
		const struct dal_driver *d_ = top;             \
		dal_bstmt *h_ = top_h;                         \
		LAYER_FIND_STMT(d_, h_, slot);                 \
		ops->slot.fn = d_->slot;                       \
		ops->slot.h = h_;                              \
	} while (0)
	RESOLVE(bind);
	RESOLVE(step);
	RESOLVE(reset);
	RESOLVE(finalize);
	RESOLVE(column_count);
	RESOLVE(column_name);
	RESOLVE(column_value);
	RESOLVE(rows_affected);
	RESOLVE(execute_batch);
	RESOLVE(bind_static);
	RESOLVE(execute_pipelined);
#undef RESOLVE
}
