/*
 * Internal: the fault-injection layer, for tests.
 *
 * A layer (layer.h) placed right above the plugin that makes chosen calls
 * fail as if the database had failed them: rule {slot, nth, times, code}
 * makes calls nth .. nth+times-1 of that slot (counted per repository, from
 * 1) return `code` with a message "injected fault: ..." and a SQLSTATE
 * fitting the code, without reaching the plugin. Everything else passes
 * through. An injected commit failure rolls the transaction below back, as
 * a failed COMMIT does on every supported server. Error-path tests use it
 * instead of a broken server; it is not reachable through the public API or
 * the configuration.
 */
#ifndef DAL_CORE_FAULT_H
#define DAL_CORE_FAULT_H

#include <stddef.h>

#include <dal/dal.h>
#include <dal/plugin.h>

enum fault_slot {
	FAULT_CONNECT,
	FAULT_PING,
	FAULT_EXEC,
	FAULT_PREPARE,
	FAULT_BIND,
	FAULT_STEP,
	FAULT_RESET,
	FAULT_BEGIN,
	FAULT_COMMIT,
	FAULT_ROLLBACK,
	FAULT__COUNT
};

struct fault_rule {
	enum fault_slot slot;
	unsigned nth;   /* first failing call, 1-based */
	unsigned times; /* consecutive failing calls; 0 = every call from nth on */
	int code;       /* negative dal_code to return */
};

struct fault;

/* 1 if every rule is well formed (a known slot, nth >= 1, a negative code)
 * and there are at most 8. */
int fault_rules_valid(const struct fault_rule *rules, size_t n);

/* A layer around `inner` applying rules (copied; at most 8). NULL on
 * allocation failure or a bad rule. */
struct fault *fault_new(const struct dal_driver *inner, const struct fault_rule *rules,
                        size_t n);

/* The layer's table. Valid until fault_free(). */
const struct dal_driver *fault_table(struct fault *f);

/* Calls of slot seen so far (failed or not). */
unsigned fault_calls(const struct fault *f, enum fault_slot slot);

/* NULL is a no-op. */
void fault_free(struct fault *f);

/* The slot's name ("step"), or NULL. */
const char *fault_slot_name(enum fault_slot slot);

/*
 * dal_repo_open() with the fault-injection layer installed below telemetry
 * (n_faults 0: exactly dal_repo_open()). Defined in repo.c.
 */
int repo_open_faulty(dal_repo **out, const dal_config *cfg, const char *name,
                     const char *url, const struct fault_rule *faults, size_t n_faults,
                     dal_error *err);

/* The fault layer of repo, or NULL. */
struct fault *repo_fault(const dal_repo *repo);

#endif
