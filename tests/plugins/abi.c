/*
 * Loader test plugins for the ABI rules of docs/abi.md, one source built
 * several times with different -D flags (tests/Makefile.am), each imitating
 * a plugin built against another <dal/plugin.h>:
 *
 *   TP_NAME        the backend name, and the module (backend_TP_NAME)
 *   TP_MAJOR, TP_MINOR   the ABI version the plugin claims (both structs)
 *   TP_REG_EXTRA   bytes added to (or, negative, taken from) the
 *                  registration's size: a newer minor's members, or a
 *                  mismatched header
 *   TP_DRV_EXTRA   the same for the function table
 *   TP_NEED_MINOR  refuse a core of an older minor (version negotiation)
 *   TP_DIALECT     a value in the 2.1 member `dialect`, which a plugin
 *                  claiming 2.0 has beyond its struct_size: never read
 *   TP_FILL_21     set the 2.1 slots in memory although struct_size leaves
 *                  them out (an older minor's table followed by other data):
 *                  the core must not read them
 *   TP_REG_2_0, TP_REG_2_1_NOSQL   the registration ends where 2.0's did
 *                  (before `dialect`), or where 2.1's did before `sql`
 *   TP_SQL_SIZE    declare SQL facts (`sql`) of this struct_size, with a
 *                  session lock; with TP_REG_2_1_NOSQL they lie beyond the
 *                  registration's size: never read
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#ifndef TP_REG_EXTRA
#define TP_REG_EXTRA 0
#endif
#ifndef TP_DRV_EXTRA
#define TP_DRV_EXTRA 0
#endif
/* TP_REG_2_0: the registration of ABI 2.0, which ended before 2.1's
 * `dialect`; TP_REG_2_1_NOSQL: 2.1's as first built, before `sql`. */
#ifdef TP_REG_2_0
#undef TP_REG_EXTRA
#define TP_REG_EXTRA (-(int)(sizeof(struct dal_plugin) - offsetof(struct dal_plugin, dialect)))
#endif
#ifdef TP_REG_2_1_NOSQL
#undef TP_REG_EXTRA
#define TP_REG_EXTRA (-(int)(sizeof(struct dal_plugin) - offsetof(struct dal_plugin, sql)))
#endif
/* TP_DRV_2_0: the function table of ABI 2.0, which ended before the 2.1
 * slots (execute_batch is the first). */
#ifdef TP_DRV_2_0
#undef TP_DRV_EXTRA
#define TP_DRV_EXTRA (-(int)(sizeof(struct dal_driver) - offsetof(struct dal_driver, execute_batch)))
#endif
#define TP_VERSION ((uint32_t)((TP_MAJOR << 16) | TP_MINOR))
#define STR2(x) #x
#define STR(x) STR2(x)
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

static const char *const aliases[] = {STR(TP_NAME) "_alias", NULL};

#ifdef TP_FILL_21
static const char *tp_address(dal_bconn *c, unsigned *port)
{
	(void)c;
	*port = 1;
	return "not-to-be-read";
}
#endif

/* A newer header's structs: ours, then members this core does not know. */
static const struct {
	struct dal_driver base;
	void *future[4];
} driver = {
	.base = {
		.abi_version = TP_VERSION,
		.struct_size = (uint32_t)((int)sizeof(struct dal_driver) + TP_DRV_EXTRA),
		TP_SLOTS,
#ifdef TP_FILL_21
		.server_address = tp_address,
#endif
	},
};

#ifdef TP_SQL_SIZE
static const struct dal_sql_facts tp_sql = {
	.struct_size = TP_SQL_SIZE,
	.lock = DAL_SQL_LOCK_SESSION,
	.try_lock = "SELECT 1",
	.unlock = "SELECT 1",
	/* Beyond a struct_size of offsetof(catalog): never read. */
	.catalog = "SELECT 'beyond its size'",
};
#endif

static const struct {
	struct dal_plugin base;
	void *future[4];
} registration = {
	.base = {
		.abi_version = TP_VERSION,
		.struct_size = (uint32_t)((int)sizeof(struct dal_plugin) + TP_REG_EXTRA),
		.name = STR(TP_NAME),
		.aliases = aliases,
		.version = "9.9.9",
		.description = "loader test plugin claiming ABI " STR(TP_MAJOR) "." STR(TP_MINOR),
		.capabilities = DAL_CAP_EMBEDDED,
		.kind = DAL_KIND_FILE,
		.driver = &driver.base,
#ifdef TP_DIALECT
		.dialect = TP_DIALECT,
#endif
#ifdef TP_SQL_SIZE
		.sql = &tp_sql,
#endif
	},
};

/* One more level so that CAT() expands before DAL_PLUGIN_ENTRY pastes. */
#define ENTRY(module) DAL_PLUGIN_ENTRY(module)
ENTRY(CAT(backend_, TP_NAME))
{
#ifdef TP_NEED_MINOR
	if (DAL_ABI_MINOR_OF(core_abi) < TP_NEED_MINOR) {
		dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		              "needs a core of plugin ABI 2.%d or newer, got %u.%u", TP_NEED_MINOR,
		              DAL_ABI_MAJOR_OF(core_abi), DAL_ABI_MINOR_OF(core_abi));
		return NULL;
	}
#endif
	(void)core_abi;
	(void)err;
	return &registration.base;
}
