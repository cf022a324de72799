/*
 * Internal: the telemetry decorator.
 *
 * A struct telemetry owns a function table (`table`) of the same type as a
 * plugin's, whose slots time and count each call and then delegate to the
 * plugin's table. Optional slots the plugin lacks stay NULL in the decorator
 * too, so callers see exactly the plugin's capabilities.
 *
 * Hot-path cost: two monotonic clock reads per timed call, a histogram
 * bucket search over at most DAL_HISTOGRAM_MAX_BUCKETS bounds, plain
 * (relaxed atomic) counter updates inside a sequence lock, no locks, no
 * allocation. Fetch steps after the first are counted but not timed, so the
 * per-row cost stays a couple of increments; EXECUTE covers the first row.
 * Trace hooks cost one predictable branch when none are installed.
 */
#ifndef DAL_CORE_TELEMETRY_H
#define DAL_CORE_TELEMETRY_H

#include <dal/dal.h>
#include <dal/plugin.h>

struct telemetry;

/* connect() parameters as the core passes them: the decorator's connect
 * finds its telemetry through the enclosing struct. */
struct core_connect_params {
	struct dal_connect_params pub;
	struct telemetry *tel;
};

/* The OpenTelemetry default boundaries of db.client.operation.duration. */
extern const double telemetry_default_bounds[];
extern const unsigned telemetry_default_nbounds;

/*
 * Create a decorator around `inner`. Strings are copied. bounds (seconds,
 * strictly increasing, at most DAL_HISTOGRAM_MAX_BUCKETS) may be NULL for
 * the defaults. Returns NULL on allocation failure.
 */
struct telemetry *telemetry_new(const struct dal_driver *inner, const char *repo_name,
                                const char *backend, unsigned slow_query_ms,
                                const double *bounds, unsigned nbounds);

/* Record what the repository is connected to (after connect). */
int telemetry_set_target(struct telemetry *t, const char *system_name,
                         const char *db_namespace, const char *address, unsigned port);

/* The plugin's statement under a decorated one, and the plugin's table:
 * for the untimed column accessors. */
dal_bstmt *telemetry_stmt_inner(dal_bstmt *stmt);
const struct dal_driver *telemetry_inner(const struct telemetry *t);

/* The decorating table. Valid until telemetry_free(). */
const struct dal_driver *telemetry_table(const struct telemetry *t);

void telemetry_get(const struct telemetry *t, dal_op op, dal_op_stats *out);
void telemetry_reset(struct telemetry *t);
void telemetry_set_hooks(struct telemetry *t, const dal_trace_hooks *hooks, void *ud);
void telemetry_free(struct telemetry *t);

/* Labels for export (valid until telemetry_free). */
const char *telemetry_repo_name(const struct telemetry *t);
const char *telemetry_system_name(const struct telemetry *t);
const char *telemetry_namespace(const struct telemetry *t);

#endif
