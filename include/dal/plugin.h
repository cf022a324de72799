/*
 * libdal backend plugin SDK.
 *
 * This is the whole contract between the libdal core and a database backend.
 * A backend is a shared object named backend_<name>.so that exports exactly
 * one symbol: a const struct dal_plugin, declared with DAL_PLUGIN_DEFINE().
 * The core finds the file with libltdl, reads the struct, checks its ABI
 * version and size, verifies that every required slot of the function table
 * is set, and from then on calls the backend only through that table.
 *
 * What a backend never does: read the INI file or the environment (the core
 * hands it resolved, typed parameters in struct dal_connect_params), rewrite
 * placeholders (the core does that, see param_style), or allocate memory per
 * fetched row.
 *
 * Threading: the core never calls into one connection (and its statements)
 * from two threads at once. Different connections may be used concurrently,
 * so a backend must keep no unsynchronised global state.
 *
 * Applications do not need this header; see dal.h.
 */
#ifndef DAL_PLUGIN_H
#define DAL_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <dal/error.h>
#include <dal/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ABI version. A core accepts a plugin whose major equals its own and whose
 * minor is any value: newer minors only append slots at the end of the
 * structs, and the core reads no further than the plugin's struct_size. A
 * different major is refused with DAL_EPLUGIN_ABI.
 */
#define DAL_PLUGIN_ABI_MAJOR 1
#define DAL_PLUGIN_ABI_MINOR 0
#define DAL_PLUGIN_ABI_VERSION \
	((uint32_t)((DAL_PLUGIN_ABI_MAJOR << 16) | DAL_PLUGIN_ABI_MINOR))

/* The symbol the core asks libltdl for (after <module>_LTX_, see below). */
#define DAL_PLUGIN_SYMBOL "dal_plugin"

/* How the backend's SQL writes a parameter. The core rewrites the
 * application's ? and :name markers into this style before prepare(). */
enum dal_param_style {
	DAL_PARAM_QMARK = 0, /* ?, positional (SQLite, MySQL) */
	DAL_PARAM_DOLLAR = 1 /* $1, $2, ... (PostgreSQL) */
};

/* SQL lexical rules of the backend's dialect, so that the core's placeholder
 * rewriter skips exactly what the server treats as literals and comments.
 * '...' strings, "..." identifiers, -- and C comments are always understood. */
#define DAL_SYNTAX_BACKSLASH_ESCAPE (1u << 0) /* \' escapes inside '...' and "..." */
#define DAL_SYNTAX_HASH_COMMENT (1u << 1)     /* # starts a comment to end of line */
#define DAL_SYNTAX_BACKTICK (1u << 2)         /* `identifier` */
#define DAL_SYNTAX_DOLLAR_QUOTE (1u << 3)     /* $tag$ ... $tag$ strings, E'' strings */
#define DAL_SYNTAX_NESTED_COMMENT (1u << 4)   /* C comments nest */
#define DAL_SYNTAX_BRACKET_IDENT (1u << 5)    /* [identifier] */

/* Capability flags (DAL_CAP_*) are in <dal/types.h>. */

/*
 * A value crossing the plugin boundary, both ways.
 *
 * For TEXT and BLOB, ptr/len describe bytes owned by the side that produced
 * the value. Values given to bind() are valid only for the duration of the
 * call: the backend copies what it needs to keep. Values returned by
 * column_value() stay valid until the next step(), reset() or finalize() on
 * that statement. TEXT is UTF-8 and must be followed by a NUL byte at
 * ptr[len] (the core hands it to applications as a C string).
 */
typedef struct dal_value {
	dal_type type;
	union {
		int64_t i; /* INT64, and BOOL as 0 or 1 */
		double d;  /* DOUBLE */
		struct {
			const void *ptr;
			size_t len;
		} b; /* TEXT, BLOB */
	} u;
} dal_value;

/*
 * One backend-specific option: a key/value from the [<repo>.<backend>] INI
 * section or from a URL's query string. A backend must reject a key it does
 * not know with DAL_ECONFIG and a message naming the key, and say where it came
 * from (origin, e.g. "etc/dal.ini:14" or "DB_URL").
 */
typedef struct dal_option {
	const char *key;
	const char *value;
	const char *origin;
} dal_option;

/*
 * Resolved connection parameters, handed to connect(). Strings are NUL-terminated
 * and owned by the core; they are valid only during connect() (copy what you keep).
 * Unset strings are NULL, unset numbers 0.
 */
struct dal_connect_params {
	size_t struct_size;        /* sizeof(struct dal_connect_params) of the core */
	const char *repo_name;     /* repository name, for messages */
	const char *path;          /* file databases: absolute path or ":memory:" */
	const char *host;          /* server backends; may be a comma-separated list,
	                              each item with its own port: iterate with
	                              dal_host_next() */
	unsigned port;             /* 0 = backend default */
	const char *dbname;        /* database name */
	const char *user;
	const char *password;      /* never copy into a message */
	unsigned connect_timeout;  /* seconds, 0 = backend default */
	unsigned read_timeout;     /* seconds, 0 = none */
	unsigned write_timeout;    /* seconds, 0 = none */
	const dal_option *options; /* backend-specific options */
	size_t n_options;
};

/*
 * Opaque backend handles. A backend defines these structs privately.
 */
typedef struct dal_bconn dal_bconn;
typedef struct dal_bstmt dal_bstmt;

/*
 * The function table. The same type is implemented by backends and by the
 * core's telemetry decorator, which wraps one table in another.
 *
 * Conventions for every slot that returns int: DAL_OK (or DAL_ROW/DAL_DONE for
 * step) on success; on failure a negative dal_code, with *err filled in (see
 * dal_error_set()). err is never NULL. Slots marked (optional) may be NULL; the
 * core then reports DAL_EUNSUPPORTED or uses a fallback named below.
 */
struct dal_driver {
	/* Open a connection. On failure *out is untouched and nothing leaks. */
	int (*connect)(const struct dal_connect_params *params, dal_bconn **out,
	               dal_error *err);
	/* Close a connection. Every statement has been finalized before. */
	void (*disconnect)(dal_bconn *conn);
	/* Check that the connection is alive with one round trip (or the
	 * cheapest equivalent). */
	int (*ping)(dal_bconn *conn, dal_error *err);
	/* (optional) Run SQL that takes no parameters and returns no rows; may
	 * hold several statements if DAL_CAP_MULTI_STATEMENT. *affected gets the
	 * rows changed by the last statement, or 0. Fallback: prepare/step. */
	int (*exec)(dal_bconn *conn, const char *sql, int64_t *affected,
	            dal_error *err);
	/* Prepare one statement whose SQL is already in the backend's
	 * param_style with exactly nparams parameters. */
	int (*prepare)(dal_bconn *conn, const char *sql, size_t len,
	               unsigned nparams, dal_bstmt **out, dal_error *err);
	/* Bind parameter pos (1-based, <= nparams). The value is copied. */
	int (*bind)(dal_bstmt *stmt, unsigned pos, const dal_value *value,
	            dal_error *err);
	/* Execute on the first call after prepare/reset, then advance one row:
	 * DAL_ROW, DAL_DONE, or an error. */
	int (*step)(dal_bstmt *stmt, dal_error *err);
	/* Make the statement executable again, keeping bindings. Discards any
	 * unread rows. */
	int (*reset)(dal_bstmt *stmt, dal_error *err);
	/* Free the statement. Never fails. */
	void (*finalize)(dal_bstmt *stmt);
	/* Number of result columns (0 for statements that return no rows).
	 * Valid after prepare. */
	unsigned (*column_count)(dal_bstmt *stmt);
	/* Column name, valid until finalize. col is 0-based and < column_count. */
	const char *(*column_name)(dal_bstmt *stmt, unsigned col);
	/* Current row's value of column col (0-based), valid until the next
	 * step/reset/finalize. Called only after step returned DAL_ROW. Must not
	 * allocate per call. */
	void (*column_value)(dal_bstmt *stmt, unsigned col, dal_value *out);
	/* Rows inserted, updated or deleted by the last execution. */
	int64_t (*rows_affected)(dal_bstmt *stmt);
	/* (optional) Id generated by the most recent INSERT on this connection. */
	int (*last_insert_id)(dal_bconn *conn, int64_t *out, dal_error *err);
	/* (optional, with DAL_CAP_TRANSACTIONS) Transaction control.
	 * Fallback for a missing slot: DAL_EUNSUPPORTED. */
	int (*begin)(dal_bconn *conn, dal_error *err);
	int (*commit)(dal_bconn *conn, dal_error *err);
	int (*rollback)(dal_bconn *conn, dal_error *err);
	/* (optional) The server actually reached, e.g. "mariadb" when a mysql
	 * backend talks to MariaDB; used for telemetry. Static or valid until
	 * disconnect. Fallback: the plugin name. */
	const char *(*server_kind)(dal_bconn *conn);
	/* (optional) Server version as text, valid until disconnect. */
	const char *(*server_version)(dal_bconn *conn);
};

/*
 * The registration struct: the one symbol a plugin exports.
 *
 * abi_version and struct_size come first and never move, so that any core
 * can read them. Fill the rest with designated initializers.
 */
struct dal_plugin {
	uint32_t abi_version;       /* DAL_PLUGIN_ABI_VERSION */
	uint32_t struct_size;       /* sizeof(struct dal_plugin) */
	const char *name;           /* canonical type name: "sqlite" */
	const char *const *aliases; /* NULL-terminated, or NULL: {"pgsql", NULL} */
	const char *version;        /* the plugin's own version: "1.0.0" */
	const char *description;    /* one line, e.g. "SQLite 3 (libsqlite3 3.40.1)" */
	uint32_t capabilities;      /* DAL_CAP_* */
	uint32_t param_style;       /* enum dal_param_style */
	unsigned default_port;      /* 0 for embedded databases */
	uint32_t syntax;            /* DAL_SYNTAX_* flags of the SQL dialect */
	struct dal_driver driver;
};

/*
 * Define the registration symbol of module backend_<NAME>:
 *
 *     DAL_PLUGIN_DEFINE(backend_sqlite) = {
 *             .abi_version = DAL_PLUGIN_ABI_VERSION,
 *             .struct_size = sizeof(struct dal_plugin),
 *             .name = "sqlite",
 *             ...
 *     };
 *
 * The symbol is named <module>_LTX_dal_plugin, which libltdl looks up first;
 * this lets several backends be preloaded into one static binary without a
 * clash. Build the plugin with -fvisibility=hidden so that this is the only
 * exported symbol.
 */
#if defined(__GNUC__)
#define DAL_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DAL_PLUGIN_EXPORT
#endif
#define DAL_PLUGIN_DEFINE(module) \
	DAL_PLUGIN_EXPORT extern const struct dal_plugin module##_LTX_dal_plugin; \
	const struct dal_plugin module##_LTX_dal_plugin

/*
 * Fill *err: code, SQLSTATE (NULL gives "HY000"), native code and a printf-style
 * message. Returns code, so a backend can write `return dal_error_set(...)`.
 * Safe with err == NULL.
 */
DAL_API int dal_error_set(dal_error *err, int code, const char *sqlstate,
                          long native, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;

/* Clear *err to DAL_OK / "00000". */
DAL_API void dal_error_clear(dal_error *err);

/*
 * Look up a backend option by key in params (first match), or NULL.
 * Marks nothing: a backend checks for unknown keys itself.
 */
DAL_API const dal_option *dal_params_option(const struct dal_connect_params *params,
                                            const char *key);

/*
 * Parse a boolean option value: 1/0, on/off, true/false, yes/no (any case).
 * Returns DAL_OK and sets *out, or DAL_ECONFIG with a message naming the key
 * and origin.
 */
DAL_API int dal_option_bool(const dal_option *opt, int *out, dal_error *err);

/*
 * Parse an integer option value in [min, max]. Returns DAL_OK or DAL_ECONFIG
 * with a message naming the key, value and origin.
 */
DAL_API int dal_option_int(const dal_option *opt, long long min, long long max,
                           long long *out, dal_error *err);

/*
 * Take the next item off a host list, as found in dal_connect_params.host:
 * "db1", "db1:5433", "[::1]:5433", a bare IPv6 address "::1" (no port), or a
 * unix socket path "/run/postgresql" (no port). Items are separated by
 * commas; blanks around them are skipped.
 *
 * *list is advanced past the item. The host (without brackets) is copied
 * into host[size] and its port stored in *port, 0 when the item gives none
 * (use dal_connect_params.port, or the backend's default). Returns 1 for an
 * item, 0 at the end of the list, DAL_ECONFIG (with *err set) for an item
 * that is empty, too long for host[size], or has a bad port.
 */
DAL_API int dal_host_next(const char **list, char *host, size_t size, unsigned *port,
                          dal_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DAL_PLUGIN_H */
