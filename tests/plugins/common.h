/*
 * Loader test plugins: trivial slot implementations so that a registration
 * can pass validation, and a complete ABI 2.0 function table. They are
 * never connected to anything: every call reports DAL_EUNSUPPORTED.
 */
#ifndef DAL_TEST_PLUGIN_COMMON_H
#define DAL_TEST_PLUGIN_COMMON_H

#include <dal/plugin.h>

static int tp_connect(const struct dal_driver *d, const struct dal_connect_params *p,
                      dal_bconn **out, dal_error *err)
{
	(void)d;
	(void)p;
	(void)out;
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0, "test plugin: no connections");
}
static void tp_disconnect(dal_bconn *c) { (void)c; }
static int tp_conn(dal_bconn *c, dal_error *e) { (void)c; (void)e; return DAL_EUNSUPPORTED; }
__attribute__((unused)) static int tp_prepare(dal_bconn *c, const char *s, size_t l, unsigned n,
                                              dal_bstmt **o, dal_error *e)
{
	(void)c; (void)s; (void)l; (void)n; (void)o; (void)e;
	return DAL_EUNSUPPORTED;
}
static int tp_bind(dal_bstmt *s, unsigned p, const dal_value *v, dal_error *e)
{
	(void)s; (void)p; (void)v; (void)e;
	return DAL_EUNSUPPORTED;
}
static int tp_stmt(dal_bstmt *s, dal_error *e) { (void)s; (void)e; return DAL_EUNSUPPORTED; }
static void tp_finalize(dal_bstmt *s) { (void)s; }
static unsigned tp_ncols(dal_bstmt *s) { (void)s; return 0; }
static const char *tp_colname(dal_bstmt *s, unsigned c) { (void)s; (void)c; return ""; }
static void tp_colval(dal_bstmt *s, unsigned c, dal_value *v) { (void)s; (void)c; v->type = DAL_TYPE_NULL; }
static int64_t tp_affected(dal_bstmt *s) { (void)s; return 0; }

/* Every required slot, for designated initializers. */
#define TP_SLOTS                                                                  \
	.connect = tp_connect, .disconnect = tp_disconnect, .ping = tp_conn,      \
	.prepare = tp_prepare, .bind = tp_bind, .step = tp_stmt, .reset = tp_stmt, \
	.finalize = tp_finalize, .column_count = tp_ncols, .column_name = tp_colname, \
	.column_value = tp_colval, .rows_affected = tp_affected

#endif
