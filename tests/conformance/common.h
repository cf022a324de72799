/*
 * Shared declarations of the conformance suite: what the run knows about the
 * repository under test (struct conf), the per-backend SQL spellings (struct
 * dialect), the case registry every area file fills in (struct conf_case,
 * struct conf_area) and the helpers the tests use.
 *
 * Tests go through the public API (dal.h) only. Whether a case runs is
 * decided in main.c from its registry entry, never inside the test: a case
 * that is registered runs its assertions in full.
 */
#ifndef DAL_CONFORMANCE_COMMON_H
#define DAL_CONFORMANCE_COMMON_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <dal/dal.h>

#include "../testutil.h"

/* ------------------------------------------------------------------------ */
/* The repository under test                                                 */
/* ------------------------------------------------------------------------ */

/* Conditions of the run that are not plugin capabilities (conf_case.needs). */
#define NEED_SHARED_DB (1u << 0)    /* two opens of the URL reach one database */
#define NEED_URL_PASSWORD (1u << 1) /* the URL holds a password */
#define NEED_TLS_DIR (1u << 2)      /* $DAL_TEST_TLS_DIR: the test servers' CA */
#define NEED_LOCALHOST (1u << 3)    /* the server answers over TCP by the name
                                       localhost (in its certificate) */
#define NEED_OUTSIDE_CERT (1u << 4) /* the server answers at an address that
                                       is not in its certificate:
                                       [::ffff:127.0.0.1] */
#define NEED_SERVER (1u << 5)       /* a plugin of kind server
                                       (DAL_KIND_SERVER), not a file */
#define NEED_NO_SANITIZER (1u << 8) /* a build without ASan/TSan (whose
                                       allocators abort instead of failing) */
#define NEED_GENERATED_KEY (1u << 9) /* the plugin declares a way to read a
                                        generated key back: RETURNING or a
                                        last insert id */
#define NEED_UPSERT (1u << 10)      /* the plugin declares an upsert form */

/* CONF_SANITIZER: this suite is built with AddressSanitizer or
 * ThreadSanitizer. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CONF_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CONF_SANITIZER 1
#endif

/* Filled in by main() before any test runs (each test runs in its own
 * process, forked after that). */
struct conf {
	const char *url;         /* $DAL_TEST_URL; never printed (password) */
	const char *backend;     /* dal_repo_backend() */
	const char *server_kind; /* dal_repo_server_kind() */
	unsigned caps;           /* dal_repo_capabilities(): DAL_CAP_* */
	unsigned have;           /* NEED_* conditions that hold */
	const char *tls_dir;     /* $DAL_TEST_TLS_DIR, or NULL */
	unsigned kind;           /* the plugin's declared kind: 0 file, 1 server */
};
extern struct conf conf;

/*
 * How a backend spells what SQL does not standardise, and which dialect
 * features a generic test may additionally exercise. Chosen by backend name
 * in common.c; a backend without an entry gets standard SQL spellings.
 */
struct dialect {
	const char *backend;     /* dal_repo_backend(), NULL for the fallback */
	const char *blob;        /* a column type for up to a few MiB of bytes */
	const char *serial;      /* an auto-increment BIGINT primary key */
	char q;                  /* identifier quote */
	int bool_is_integer;     /* BOOLEAN is an integer type (MySQL TINYINT(1)) */
	int cast_operator;       /* expr::type casts (PostgreSQL) */
	int native_codes;        /* errors carry a non-zero native error code */
	const char *otel_system; /* db.system.name; NULL: the server kind */
	const char *tls_option;  /* the older, backend-specific name of the
	                            tls_mode option (ssl_mode, sslmode) */
	const char *tls_legacy_ca;          /* ... of tls_ca */
	const char *tls_legacy_verify_full; /* its spelling of verify-full */
	const char *tls_version_sql;        /* the server's word on the session: a
	                                       row whose last column is the TLS
	                                       protocol, '' (or NULL) when the
	                                       session is not encrypted */
	int session_attrs;       /* target_session_attrs (libpq host lists) */
	const char *slow_sql;    /* well over 25 ms, one text parameter */
	const char *long_sql;    /* runs for seconds unless stopped (cancel,
	                            statement_timeout); no parameters, one row */
};
extern const struct dialect *dl;

/* The dialect of backend (never NULL). */
const struct dialect *dialect_for(const char *backend);

/* ------------------------------------------------------------------------ */
/* Case registry                                                             */
/* ------------------------------------------------------------------------ */

/*
 * One test case and what it needs to apply. main.c registers it with Check
 * only if the plugin declares every capability in caps, none in caps_absent,
 * the run has every NEED_* condition in needs and, for a case about one
 * backend's own features, dal_repo_backend() is backend. The name and the
 * function come from the Check test (START_TEST).
 */
struct conf_case {
	const TTest *const *test; /* &test_name */
	unsigned caps;            /* DAL_CAP_* required */
	unsigned caps_absent;     /* DAL_CAP_* that must not be declared */
	unsigned needs;           /* NEED_* required */
	const char *backend;      /* NULL: any backend */
};

#define CASE(t, caps, absent, needs) {&(t), (caps), (absent), (needs), NULL}
#define BACKEND_CASE(be, t, caps, needs) {&(t), (caps), 0, (needs), (be)}

/* The cases of one file: one Check test case (TCase) per area. */
struct conf_area {
	const char *name;
	const struct conf_case *cases; /* ends with {NULL} */
};

extern const struct conf_area conf_connection, conf_statements, conf_placeholders,
	conf_types, conf_transactions, conf_errors, conf_streaming, conf_telemetry,
	conf_server, conf_cancel, conf_tls, conf_sqlite, conf_mysql, conf_pgsql;
extern const struct conf_area conf_savepoints, conf_rows, conf_stmtlog;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* A call on connection c; its error is in dal_conn_error(c). */
#define CK_CONN(c, call)                                                          \
	do {                                                                          \
		int rc_ = (call);                                                     \
		ck_assert_msg(rc_ == DAL_OK, "%s -> %s: %s", #call, dal_code_name(rc_), \
		              dal_conn_error(c)->message);                            \
	} while (0)

/* A call on the shared repository that reports into dal_error e. */
#define CK_ERR(e, call)                                                           \
	do {                                                                          \
		int rc_ = (call);                                                     \
		ck_assert_msg(rc_ == DAL_OK, "%s -> %s: %s", #call, dal_code_name(rc_), \
		              (e).message);                                           \
	} while (0)

/* A call that reports nothing but its code (dal_repo_stats()). */
#define CK_OK(call)                                                               \
	do {                                                                          \
		int rc_ = (call);                                                     \
		ck_assert_msg(rc_ == DAL_OK, "%s -> %s", #call, dal_code_name(rc_));  \
	} while (0)

#define CK_STMT(s, call)                                                          \
	do {                                                                          \
		int rc_ = (call);                                                     \
		ck_assert_msg(rc_ == DAL_OK, "%s -> %s: %s", #call, dal_code_name(rc_), \
		              dal_stmt_error(s)->message);                            \
	} while (0)

#define CK_STEP(s, want)                                                          \
	do {                                                                          \
		int rc_ = dal_stmt_step(s);                                           \
		ck_assert_msg(rc_ == (want), "step -> %s, wanted %s: %s",             \
		              dal_code_name(rc_), dal_code_name(want),                \
		              dal_stmt_error(s)->message);                            \
	} while (0)

/*
 * A non-NULL pointer that is never a valid handle: out-parameters start as
 * POISON before a call that must fail, so that checking them for NULL
 * afterwards tests that the call cleared them (dal.h: "On failure *out is
 * NULL") rather than the test's own initialisation. Never dereferenced.
 */
extern char conf_poison;
#define POISON ((void *)&conf_poison)

/* Open a URL (or the one under test), failing the test if it does not open. */
dal_repo *open_url(const char *u);
dal_repo *open_repo(void);

/*
 * Connection-level work happens on a dal_conn acquired from the repository.
 * A test opens its repository and acquires one connection (open_conn(),
 * open_conn_url()), does its work on that connection and ends with
 * close_conn(): release, then close. acquire() fails the test if the pool
 * gives no connection.
 *
 * While a test holds its connection it makes no one-shot call on the same
 * repository (dal_repo_exec(), dal_repo_ping()): for a database private to
 * its connection (sqlite::memory:) the pool holds exactly one, and such a
 * call would wait for pool_timeout.
 */
dal_conn *acquire(dal_repo *r);
dal_conn *open_conn(dal_repo **r);
dal_conn *open_conn_url(const char *u, dal_repo **r);
void close_conn(dal_repo *r, dal_conn *c);

/* Format SQL into one of a few static buffers (tests are single-threaded);
 * the rotation lets one sqlf() result be an argument of the next. */
const char *sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void exec_ok(dal_conn *c, const char *sql);
dal_stmt *prep(dal_conn *c, const char *sql);

/* A table name no other test or concurrent run uses. */
const char *table_name(char *buf, size_t size, const char *tag);
/* Create table `name` with the given column list; drop it. */
void create_table(dal_conn *c, const char *name, const char *cols);
void drop_table(dal_conn *c, const char *name);

/* Run a one-row, one-column query and return its integer / its text (copied
 * into buf). */
int64_t query_int(dal_conn *c, const char *sql);
const char *query_text(dal_conn *c, const char *sql, char *buf, size_t size);

/*
 * Prepare and run sql, expecting a failure: a backend may report it at
 * prepare (SQLite, MySQL) or at the first step (a server that defers the
 * round trip). Copies the error into *err and returns its code.
 */
int expect_failure(dal_conn *c, const char *sql, dal_error *err);

/* Seconds since *a (CLOCK_MONOTONIC). */
double elapsed_s(const struct timespec *a);

/* The parts of a server URL scheme://[user[:pass]@]host[:port][/db][?query]. */
struct url_parts {
	char scheme[32], user[128], pass[128], host[256], db[128], query[512];
};

/* Split a server URL (fails the test if it is not scheme://...). */
void url_split(const char *u, struct url_parts *p);
/* Rebuild it with another password (NULL: none) and host, adding
 * extra_query; malloc'd. */
char *url_build(const struct url_parts *p, const char *pass, const char *host,
                const char *extra_query);
/* The URL under test with query options appended; malloc'd. */
char *url_with_query(const char *query);
/* Open the server URL under test on host (NULL: its own) with extra query
 * options; returns the code, *out the repository or NULL. */
int open_with(const char *host, const char *extra, dal_repo **out, dal_error *err);
/* The host:port of the URL under test with the host replaced ("localhost",
 * "[::ffff:127.0.0.1]"), into buf. */
const char *same_port(const char *host, char *buf, size_t size);

#endif /* DAL_CONFORMANCE_COMMON_H */
