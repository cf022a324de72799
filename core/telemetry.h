/*
 * Internal: the telemetry layer.
 *
 * A struct telemetry owns a function table (`table`) of the same type as a
 * plugin's, a layer in the sense of layer.h: its slots time and count each
 * call and then forward it to the table below. Slots it does not measure
 * (binds, column reads, rows_affected, last_insert_id, server info) are NULL
 * and pass through; optional slots the tables below lack stay NULL too, so
 * callers see exactly the plugin's capabilities.
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

/* The OpenTelemetry default boundaries of db.client.operation.duration. */
extern const double telemetry_default_bounds[];
extern const unsigned telemetry_default_nbounds;

/*
 * Create the layer around `inner`. Strings are copied. bounds (seconds,
 * strictly increasing, at most DAL_HISTOGRAM_MAX_BUCKETS) may be NULL for
 * the defaults. Returns NULL on allocation failure.
 */
struct telemetry *telemetry_new(const struct dal_driver *inner, const char *repo_name,
                                const char *backend, unsigned slow_query_ms,
                                const double *bounds, unsigned nbounds);

/* Record what the repository is connected to (after connect). */
int telemetry_set_target(struct telemetry *t, const char *system_name,
                         const char *db_namespace, const char *address, unsigned port);

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
