/*
 * libdal backend plugin SDK (plugin ABI 2).
 *
 * This is the whole contract between the libdal core and a database backend.
 * A backend is a shared object named backend_<name>.so that exports exactly
 * one symbol, its entry point, declared with DAL_PLUGIN_ENTRY(). The core
 * finds the file with libltdl, calls the entry point with the ABI version it
 * speaks, checks the registration it gets back (ABI version, exact struct
 * sizes, required slots) and from then on calls the backend only through its
 * function table. docs/abi.md states the compatibility rules.
 *
 * The registration declares everything the core needs to know about the
 * backend: its type name and aliases (which are also its URL schemes),
 * whether it is a file or a server database, its default port or file, its
 * SQL dialect and its options. The core has no list of backends.
 *
 * What a backend never does: read the INI file or the environment (the core
 * hands it resolved, typed parameters in struct dal_connect_params), rewrite
 * placeholders (the core does that, see param_style), or allocate memory per
 * fetched row.
 *
 * Threading: the core never calls into one connection (and its statements)
 * from two threads at once. Different connections may be used concurrently,
 * so a backend must keep no unsynchronised global state. connect() may run
 * on several threads at once (the pool opens connections on demand); the
 * entry point runs once, under the loader's lock. The one exception to
 * "one thread per connection" is cancel(), documented at its slot.
 *
 * Ownership: what the core passes in (connect parameters, SQL, bound
 * values, options) is valid only during the call: copy what you keep. What
 * a slot returns (names, values, version strings) stays the backend's, valid
 * for as long as the slot says. Handles a slot creates are freed only by
 * their slot (finalize(), disconnect()).
 *
 * Building: `cc -o backend_NAME.so NAME.c $(pkg-config --cflags --libs
 * libdal-plugin)`. docs/writing-a-backend.md is the guide, the installed
 * examples/backend_template/ a complete backend to start from, and
 * dal-conformance(1) the suite a backend must pass on its capabilities.
 *
 * Applications do not need this header; see dal.h.
 */
#ifndef DAL_PLUGIN_H
#define DAL_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <dal/dialect.h>
#include <dal/error.h>
#include <dal/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ABI version, major << 16 | minor. A core loads a plugin of its own major
 * and any minor: a minor only appends members at the end of struct
 * dal_plugin and struct dal_driver, and each struct's size is exact for its
 * version (docs/abi.md). A different major is refused with DAL_EPLUGIN_ABI.
 */
#define DAL_PLUGIN_ABI_MAJOR 2
#define DAL_PLUGIN_ABI_MINOR 1
#define DAL_PLUGIN_ABI_VERSION \
	((uint32_t)((DAL_PLUGIN_ABI_MAJOR << 16) | DAL_PLUGIN_ABI_MINOR))
/* The major and the minor of an ABI version number. */
#define DAL_ABI_MAJOR_OF(v) ((unsigned)((v) >> 16))
#define DAL_ABI_MINOR_OF(v) ((unsigned)((v) & 0xffffu))

/* The symbol the core asks libltdl for (after <module>_LTX_, see below). */
#define DAL_PLUGIN_SYMBOL "dal_plugin_init"

/* ------------------------------------------------------------------------ */
/* Dialect                                                                   */
/* ------------------------------------------------------------------------ */

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

/* What kind of database a backend reaches; it decides how a URL and the
 * generic settings map onto struct dal_connect_params. */
enum dal_backend_kind {
	/* A database in a local file: URL "scheme:FILE" or "scheme:///FILE",
	 * setting `path` (DB_NAME too); no host, port, user or password. */
	DAL_KIND_FILE = 0,
	/* A database server: URL "scheme://user:pass@host:port/dbname",
	 * settings host, port, name, user, password. */
	DAL_KIND_SERVER = 1
};

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

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * One backend-specific option: a key/value from the [<repo>.<backend>] INI
 * section or from a URL's query string, with where it came from (origin,
 * e.g. "etc/dal.ini:14" or "DB_URL"). Strongest source first: of a key given
 * twice, the first occurrence wins.
 */
typedef struct dal_option {
	const char *key;
	const char *value;
	const char *origin;
} dal_option;

/* The type of a declared option, checked by dal_options_parse(). */
enum dal_option_type {
	DAL_OPTION_TEXT = 0,   /* any text */
	DAL_OPTION_BOOL = 1,   /* 1/0, on/off, true/false, yes/no */
	DAL_OPTION_INT = 2,    /* decimal integer in [min, max] */
	DAL_OPTION_CHOICE = 3  /* one of choices[], any case */
};

/*
 * The declaration of one backend option, in the registration's option
 * table: dal_options_parse() checks a connection's options against it.
 * Keys are lower-case; a key whose name contains "pass" is a secret, and
 * the core never shows its value.
 */
struct dal_option_spec {
	const char *key;
	uint32_t type;               /* enum dal_option_type */
	const char *default_value;   /* as text; NULL: none (the driver's own) */
	const char *const *choices;  /* CHOICE: NULL-terminated */
	long long min, max;          /* INT */
	const char *help;            /* one line */
};

/* A parsed option, filled by dal_options_parse() per spec. */
struct dal_option_value {
	const dal_option *given; /* the option given, or NULL: the default */
	const char *text;        /* given->value, else the spec's default (may be NULL) */
	long long i;             /* BOOL (0/1) and INT */
	int choice;              /* CHOICE: index into choices, -1 when no value */
};

/* ------------------------------------------------------------------------ */
/* Connection parameters                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Resolved connection parameters, handed to connect(). Strings are
 * NUL-terminated and owned by the core; they are valid only during connect()
 * (copy what you keep). Unset strings are NULL, unset numbers 0. Members are
 * only ever appended; struct_size says how many this core filled.
 */
struct dal_connect_params {
	size_t struct_size;        /* sizeof(struct dal_connect_params) of the core */
	const char *repo_name;     /* repository name, for messages */
	const char *path;          /* DAL_KIND_FILE: absolute path, or a name the
	                              backend gives a meaning (":memory:") */
	const char *host;          /* DAL_KIND_SERVER; may be a comma-separated
	                              list, each item with its own port: iterate
	                              with dal_host_next() */
	unsigned port;             /* 0 = the registration's default_port */
	const char *dbname;        /* database name */
	const char *user;
	const char *password;      /* never copy into a message */
	unsigned connect_timeout;  /* seconds, 0 = backend default */
	unsigned read_timeout;     /* seconds, 0 = none */
	unsigned write_timeout;    /* seconds, 0 = none */
	const dal_option *options; /* backend-specific options, strongest first */
	size_t n_options;
	unsigned statement_timeout_ms; /* a statement running longer is stopped
	                                  by the server (or the backend) and
	                                  fails with DAL_ETIMEOUT; 0 = none */
	/* ABI 2.1 */
	unsigned role;             /* which node of the host list the core wants
	                              (enum dal_node_role): DAL_NODE_ANY (0) the
	                              first that accepts; DAL_NODE_PRIMARY one that
	                              accepts writes; DAL_NODE_REPLICA preferably a
	                              read-only replica, else any. A backend that
	                              cannot tell roles at connect time may treat
	                              every node as DAL_NODE_ANY (the core checks
	                              roles with node_status()) */
};

/*
 * The role of a database node (dal_connect_params.role, struct
 * dal_node_status). ABI 2.1.
 */
enum dal_node_role {
	DAL_NODE_ANY = 0,     /* in a request: any node; in a status: unknown */
	DAL_NODE_PRIMARY = 1, /* accepts writes (every Synced Galera node does) */
	DAL_NODE_REPLICA = 2  /* read-only: a standby or replica */
};

/* What the core asks node_status() for (flags). ABI 2.1. */
#define DAL_NODE_WANT_ROLE (1u << 0) /* fill role */
#define DAL_NODE_WANT_LAG (1u << 1)  /* fill lag_ms on a replica */

/*
 * What node_status() reports about the node a connection reached. ABI 2.1.
 * The core zeroes it and sets lag_ms to -1 before the call.
 */
struct dal_node_status {
	unsigned role;    /* enum dal_node_role; DAL_NODE_ANY: not known */
	int ready;        /* 1: serves queries now; 0: it does not (a Galera
	                     node that is not Synced, ...): the core replaces
	                     the connection */
	int checked;      /* 1 when this call asked the server (a round trip);
	                     0 when nothing was configured or wanted and nothing
	                     was asked (then the core does not call it again at
	                     checkout for this connection) */
	int64_t lag_ms;   /* how far a replica's data is behind its primary, by
	                     the server's own measure; -1: not known */
	char detail[128]; /* why not ready, e.g. "wsrep_local_state_comment =
	                     Donor/Desynced"; for messages */
};

/* ------------------------------------------------------------------------ */
/* The function table                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Opaque handles. Each table that creates them defines the structs
 * privately (a plugin its own, a layer its own wrapper).
 */
typedef struct dal_bconn dal_bconn;
typedef struct dal_bstmt dal_bstmt;

/* batch->failed_row when no row failed, or the backend cannot say which. */
#define DAL_BATCH_ROW_UNKNOWN ((size_t)-1)

/*
 * The rows of one execute_batch() call (ABI 2.1). The core fills the first
 * members; the backend sets failed_row and affected.
 */
struct dal_batch {
	size_t nrows;   /* rows to execute, >= 1 */
	unsigned npos;  /* parameters per row: the statement's nparams */
	/* Fill vals[0 .. npos-1] with row r's value of each parameter
	 * position (vals[0] is position 1), r < nrows. TEXT and BLOB bytes
	 * stay valid and unchanged until execute_batch() returns, so a
	 * backend may send them without copying; TEXT is not NUL-terminated
	 * (use len). Cheap: call it once per row as the row is sent. */
	void (*row)(const struct dal_batch *batch, size_t r, dal_value *vals);
	const void *source; /* the core's, for row() */
	/* 1: no transaction is open on the connection. The backend makes the
	 * batch all or nothing by its own means (a transaction of its own, or
	 * an implicit one such as a PostgreSQL pipeline's up to its Sync) and
	 * commits it before returning DAL_OK; after a failure nothing of it
	 * remains. 0: the core has opened a transaction or a savepoint around
	 * the call and ends it; do not commit. */
	int autocommit;
	/* Set by the backend: */
	size_t failed_row;  /* index of the failed row, DAL_BATCH_ROW_UNKNOWN */
	int64_t affected;   /* rows changed by the rows executed successfully */
};

/*
 * The function table. The same type is implemented by backends and by the
 * core's layers (telemetry, fault injection), each of which wraps the table
 * below it. Every slot receives the object it belongs to: connect() the
 * table itself (`self`, whose `state` a layer uses), connection slots the
 * connection that table's connect() made, statement slots the statement that
 * table's prepare() made.
 *
 * Conventions for every slot that returns int: DAL_OK (or DAL_ROW/DAL_DONE
 * for step) on success; on failure a negative dal_code, with *err filled in
 * (see dal_error_set()). err is never NULL. Slots marked (optional) may be
 * NULL in a plugin; the core then reports DAL_EUNSUPPORTED or uses the
 * fallback named. In a layer, a NULL slot passes the call through to the
 * table below (docs/abi.md, "Layers").
 *
 * Members are only appended, in minor versions; struct_size is exact.
 */
struct dal_driver {
	uint32_t abi_version; /* DAL_PLUGIN_ABI_VERSION */
	uint32_t struct_size; /* sizeof(struct dal_driver) */

	/* Layers only; a plugin leaves both NULL. inner: the table this one
	 * wraps. state: the layer's own data, for connect(). */
	const struct dal_driver *inner;
	void *state;

	/* ---- connections ---- */

	/* Open a connection. On failure *out is untouched and nothing leaks.
	 * May run on several threads at once. Errors: DAL_ECONNECT (the
	 * server cannot be reached: the core retries it with backoff),
	 * DAL_EAUTH, DAL_ETIMEOUT (connect_timeout), DAL_ECONFIG (a bad option
	 * or parameter, naming it), DAL_ENOMEM. Never a password in *err. */
	int (*connect)(const struct dal_driver *self, const struct dal_connect_params *params,
	               dal_bconn **out, dal_error *err);
	/* Close a connection and free it. Every statement has been finalized
	 * before. Cannot fail; must also work (and not block for long) when the
	 * server is gone. */
	void (*disconnect)(dal_bconn *conn);
	/* Check that the connection is alive with one round trip (or the
	 * cheapest equivalent). DAL_ECONNECT when it is lost: the pool then
	 * discards the connection (disconnect()). */
	int (*ping)(dal_bconn *conn, dal_error *err);
	/* (optional) Run SQL that takes no parameters and returns no rows; may
	 * hold several statements if DAL_CAP_MULTI_STATEMENT. *affected gets the
	 * rows changed by the last statement, or 0. Fallback: prepare/step. */
	int (*exec)(dal_bconn *conn, const char *sql, int64_t *affected, dal_error *err);
	/* Prepare one statement whose SQL is already in the backend's
	 * param_style with exactly nparams parameters. sql[len] is NUL; sql is
	 * valid during the call only. The statement belongs to conn and is
	 * finalized before conn is disconnected. On failure *out is untouched.
	 * Errors as the server reports them (DAL_ESYNTAX, DAL_ENOTFOUND, ...;
	 * a backend that defers the round trip reports them at the first
	 * step instead). */
	int (*prepare)(dal_bconn *conn, const char *sql, size_t len, unsigned nparams,
	               dal_bstmt **out, dal_error *err);
	/* (optional, with DAL_CAP_TRANSACTIONS) Transaction control.
	 * Fallback for a missing slot: DAL_EUNSUPPORTED. */
	int (*begin)(dal_bconn *conn, dal_error *err);
	int (*commit)(dal_bconn *conn, dal_error *err);
	int (*rollback)(dal_bconn *conn, dal_error *err);
	/* (optional, with DAL_CAP_LAST_INSERT_ID) Id generated by the most
	 * recent INSERT on this connection. */
	int (*last_insert_id)(dal_bconn *conn, int64_t *out, dal_error *err);
	/* (optional) The server actually reached, as an OpenTelemetry
	 * db.system.name ("mariadb" when a mysql backend talks to MariaDB).
	 * Static or valid until disconnect. Fallback: the plugin name. */
	const char *(*server_kind)(dal_bconn *conn);
	/* (optional) Server version as text, valid until disconnect. */
	const char *(*server_version)(dal_bconn *conn);
	/* (optional) Ask the server to stop what conn is running now. Called
	 * from ANOTHER thread than the one using conn, at any moment (also
	 * when nothing runs: then it does nothing): make it safe for that. The
	 * interrupted call fails as it would on a server-side cancel (the core
	 * reports it as DAL_ECANCELED); conn stays usable. Fallback:
	 * DAL_EUNSUPPORTED. */
	int (*cancel)(dal_bconn *conn, dal_error *err);
	/* (optional) The connection's encryption, e.g. "TLSv1.3
	 * TLS_AES_256_GCM_SHA384", or NULL when it is not encrypted. Static or
	 * valid until disconnect. Fallback: not encrypted. */
	const char *(*tls_info)(dal_bconn *conn);
	/* Layers only: the connection of the table below that conn wraps. */
	dal_bconn *(*conn_inner)(dal_bconn *conn);

	/* ---- statements ---- */

	/* Bind parameter pos (1-based, <= nparams; else DAL_EMISUSE). The
	 * value is valid during the call only: copy it. Called after prepare,
	 * after reset, or after step returned DAL_DONE or an error (never
	 * with rows unread: the core refuses that itself); a binding stays
	 * until replaced. */
	int (*bind)(dal_bstmt *stmt, unsigned pos, const dal_value *value, dal_error *err);
	/* Execute on the first call after prepare/reset, then advance one row:
	 * DAL_ROW, DAL_DONE, or an error (DAL_ECONSTRAINT, DAL_EBUSY, ...,
	 * with the server's SQLSTATE; DAL_ECONNECT or DAL_EOUTCOME when the
	 * connection was lost before or while the statement ran). Must not
	 * allocate per row. */
	int (*step)(dal_bstmt *stmt, dal_error *err);
	/* Make the statement executable again, keeping bindings. Discards any
	 * unread rows. */
	int (*reset)(dal_bstmt *stmt, dal_error *err);
	/* Free the statement, with any unread rows. Never fails. */
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
	/* Layers only: the statement of the table below that stmt wraps. */
	dal_bstmt *(*stmt_inner)(dal_bstmt *stmt);

	/* ABI 2.1 */

	/* (optional) Execute stmt, a statement without result columns, once
	 * per row of batch (struct dal_batch), in row order, as fast as the
	 * backend allows (a pipeline, array binding, COPY, a prepared loop),
	 * all or nothing as batch->autocommit says (a transaction of the
	 * backend's own, or the core's around the call). Stop at the first
	 * row that fails: return its error with batch->failed_row set to its
	 * index, or to DAL_BATCH_ROW_UNKNOWN when the backend cannot tell which
	 * row it was (the core then finds it by replaying the rows one at a
	 * time after rolling back). batch->affected gets the rows changed by
	 * the rows that succeeded. The statement's single-row bindings are
	 * undefined afterwards (the application binds again before the next
	 * step). A backend that finds it cannot batch this statement after
	 * all (a server without bulk execution) returns DAL_EUNSUPPORTED
	 * before sending anything, and the core binds and steps each row.
	 * Fallback (NULL slot): the same. */
	int (*execute_batch)(dal_bstmt *stmt, struct dal_batch *batch, dal_error *err);
	/* (optional) bind() for TEXT and BLOB values whose bytes the caller
	 * keeps valid and unchanged during every execution of stmt until
	 * parameter pos is bound again or stmt is finalized (between two
	 * executions they may change or die: the caller binds again before
	 * the next; dal.h, dal_stmt_bind_text_static()). The backend may keep
	 * the pointer instead of a copy (SQLite's SQLITE_STATIC), and must not
	 * read it outside an execution. Other types are never passed.
	 * Fallback: bind(), which copies. */
	int (*bind_static)(dal_bstmt *stmt, unsigned pos, const dal_value *value,
	                   dal_error *err);
	/* (optional) Execute the n statements stmts[0..n-1] (distinct, of one
	 * connection, each ready to execute with its bindings) without waiting
	 * for one result before sending the next (PostgreSQL's pipeline
	 * mode), and keep each result for its statement: the next step() of
	 * each returns its first row, DAL_DONE or its error, as if that step
	 * had executed it (dal.h, dal_conn_pipeline(), says what a failure
	 * does to the others). Returns DAL_OK, or an error that belongs to no
	 * statement (the connection was lost, nothing could be sent).
	 * Fallback: each statement executes at its first step, one after
	 * another. */
	int (*execute_pipelined)(dal_bstmt *const *stmts, size_t n, dal_error *err);
	/* (optional) Write a consistent copy of conn's whole database to the
	 * file path (which the slot creates or replaces), while other
	 * connections may go on writing, and check the copy's integrity before
	 * returning DAL_OK. For embedded databases (SQLite: the online backup
	 * API and PRAGMA integrity_check). Fallback: DAL_EUNSUPPORTED. */
	int (*backup)(dal_bconn *conn, const char *path, dal_error *err);
	/* (optional) Replace conn's whole database with the one in the file
	 * path, after checking that file's integrity; other connections see
	 * the restored database. Fallback: DAL_EUNSUPPORTED. */
	int (*restore)(dal_bconn *conn, const char *path, dal_error *err);
	/* (optional) The server this connection reached: host name, address
	 * or unix socket path, and its TCP port in *port (0 for a socket).
	 * Needs no round trip. Static or valid until disconnect. Used for
	 * server.address / server.port of spans and the pool's per-node
	 * figures. Fallback: the repository's configured host. */
	const char *(*server_address)(dal_bconn *conn, unsigned *port);
	/* (optional) What the node is now (struct dal_node_status), asked of
	 * the server in at most one round trip: want says what the core needs
	 * (DAL_NODE_WANT_*); readiness checks the backend was configured for
	 * (Galera's wsrep_check) are always made. With nothing configured
	 * and nothing wanted, answer DAL_OK with checked = 0 without a round
	 * trip. A failure is reported like ping()'s (DAL_ECONNECT when the
	 * connection is lost). Fallback: roles unknown, no readiness check. */
	int (*node_status)(dal_bconn *conn, unsigned want, struct dal_node_status *out,
	                   dal_error *err);
	/* ABI 2.2 and later append optional slots here. */
};

/* ------------------------------------------------------------------------ */
/* The registration                                                          */
/* ------------------------------------------------------------------------ */

/*
 * What a plugin's entry point returns. abi_version and struct_size come
 * first and never move. Fill the rest with designated initializers.
 */
struct dal_plugin {
	uint32_t abi_version;       /* DAL_PLUGIN_ABI_VERSION */
	uint32_t struct_size;       /* sizeof(struct dal_plugin) */
	const char *name;           /* canonical type name and URL scheme: "pgsql";
	                               lower-case letters, digits and '_' */
	const char *const *aliases; /* other type names, also URL schemes;
	                               NULL-terminated, or NULL */
	const char *version;        /* the plugin's own version: "1.0.0" */
	const char *description;    /* one line, e.g. "SQLite 3 (libsqlite3 3.40.1)" */
	uint32_t capabilities;      /* DAL_CAP_* */
	uint32_t kind;              /* enum dal_backend_kind */
	unsigned default_port;      /* DAL_KIND_SERVER: the port used when none
	                               is given; 0 for DAL_KIND_FILE */
	const char *default_path;   /* DAL_KIND_FILE: the file used when none is
	                               given ("dal.db", relative to the current
	                               directory), or NULL: a path is required */
	uint32_t param_style;       /* enum dal_param_style */
	uint32_t syntax;            /* DAL_SYNTAX_* flags of the SQL dialect */
	const char *ident_quote;    /* identifier quotes, opening and closing:
	                               "\"\"", "``" or "[]" */
	const struct dal_option_spec *options; /* the backend's options, for
	                                          dal_options_parse() */
	size_t n_options;
	const struct dal_driver *driver;        /* the function table */
	/* ABI 2.1 */
	/* The SQL dialect family the backend speaks, for layers that build
	 * SQL beyond what the application writes (migrations, db-reset):
	 * "sqlite", "mysql" or "postgresql" when the server accepts that
	 * family's SQL and catalog (a plugin for a wire-compatible server
	 * declares the family it is compatible with), else the plugin's own
	 * lower-case name. NULL (and every 2.0 plugin): not declared; such
	 * layers then refuse what needs dialect knowledge with
	 * DAL_EUNSUPPORTED. Read by applications through dal_repo_dialect(). */
	const char *dialect;
	/* The dialect's SQL facts (<dal/dialect.h>): lock, catalog, column
	 * description, column types, shell catalog and backup hints, for the
	 * layers that build SQL; those layers know no dialect by name. NULL
	 * (every 2.0 plugin, and a 2.1 plugin built before this member): none,
	 * and each layer falls back to standard SQL or refuses with
	 * DAL_EUNSUPPORTED as the member's comment says. */
	const struct dal_sql_facts *sql;
	/* Later minors append members here. */
};

/*
 * The entry point's type. core_abi is the DAL_PLUGIN_ABI_VERSION of the
 * core that loads the plugin: a plugin may adapt to an older core or
 * refuse it. Return the registration (static storage, valid while the
 * plugin is loaded), or NULL after dal_error_set(err, DAL_EPLUGIN_ABI, ...)
 * with a message saying what the plugin needs. Called once per process
 * (more is harmless), under the loader's lock.
 */
typedef const struct dal_plugin *dal_plugin_init_fn(uint32_t core_abi, dal_error *err);

/*
 * Define the entry point of module backend_<NAME>:
 *
 *     static const struct dal_plugin registration = {
 *             .abi_version = DAL_PLUGIN_ABI_VERSION,
 *             .struct_size = sizeof(struct dal_plugin),
 *             .name = "sqlite",
 *             ...
 *     };
 *
 *     DAL_PLUGIN_ENTRY(backend_sqlite)
 *     {
 *             return dal_plugin_accept(core_abi, &registration, err);
 *     }
 *
 * The symbol is named <module>_LTX_dal_plugin_init, which libltdl looks up
 * first; this lets several backends be preloaded into one static binary
 * without a clash. Build the plugin with -fvisibility=hidden so that this is
 * the only exported symbol.
 */
#if defined(__GNUC__)
#define DAL_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DAL_PLUGIN_EXPORT
#endif
#define DAL_PLUGIN_ENTRY(module)                                                  \
	DAL_PLUGIN_EXPORT const struct dal_plugin *module##_LTX_dal_plugin_init(   \
		uint32_t core_abi, dal_error *err);                                \
	const struct dal_plugin *module##_LTX_dal_plugin_init(uint32_t core_abi,  \
	                                                       dal_error *err)

/* ------------------------------------------------------------------------ */
/* The plugin kit: helpers exported by libdal for every backend              */
/* ------------------------------------------------------------------------ */

/*
 * The usual entry point body: return reg if the core's major version is the
 * one this plugin was built for, else NULL with DAL_EPLUGIN_ABI in *err
 * naming both versions. A core of an older minor is accepted: it reads only
 * the members it knows.
 */
DAL_API const struct dal_plugin *dal_plugin_accept(uint32_t core_abi,
                                                   const struct dal_plugin *reg,
                                                   dal_error *err);

/* The ABI version this libdal speaks (DAL_PLUGIN_ABI_VERSION of its build). */
DAL_API uint32_t dal_plugin_abi(void);

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
 * Log a line through the application's log sink (dal_log_set(); nothing
 * without one): for what the client library reports on the side, such as
 * server notices. level is a dal_log_level (0 debug .. 3 error). Never log
 * a password.
 */
DAL_API void dal_plugin_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/*
 * Parse params->options against a backend's option table. For each spec i,
 * out[i] gets the option given (the first occurrence of its key) or the
 * spec's default, checked and converted by type. Errors (DAL_ECONFIG, the
 * message naming the origin, the key and the backend): a key not in specs
 * ("unknown <backend> option 'k' (known: a, b, c)"), a value that is not a
 * boolean, an integer in range, or one of the choices. out[] points into
 * params and specs: valid as long as both are (params: during connect()).
 */
DAL_API int dal_options_parse(const struct dal_connect_params *params, const char *backend,
                              const struct dal_option_spec *specs, size_t n_specs,
                              struct dal_option_value *out, dal_error *err);

/*
 * Look up a backend option by key in params (the first, strongest, match),
 * or NULL. Points into params: valid during connect().
 */
DAL_API const dal_option *dal_params_option(const struct dal_connect_params *params,
                                            const char *key);

/* Where an option came from, for messages: its origin, or "option". */
DAL_API const char *dal_option_origin(const dal_option *opt);

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

/*
 * Deferred releases: handles a backend cannot free yet (a server statement
 * that cannot be closed while another statement's result is being read off
 * the connection), kept until the connection is free. Zero-initialise;
 * dal_defer_push() keeps item (DAL_ENOMEM if it cannot: the caller then
 * frees it some other way), dal_defer_drain() calls fn on every item kept,
 * oldest first (fn must not push to the same list), and empties the
 * list, dal_defer_free() releases the list's
 * own memory (drain first).
 */
typedef struct dal_defer_list {
	void **items;
	size_t n, cap;
} dal_defer_list;

DAL_API int dal_defer_push(dal_defer_list *list, void *item);
DAL_API void dal_defer_drain(dal_defer_list *list, void (*fn)(void *item, void *ud), void *ud);
DAL_API void dal_defer_free(dal_defer_list *list);

#ifdef __cplusplus
}
#endif
#endif /* DAL_PLUGIN_H */
