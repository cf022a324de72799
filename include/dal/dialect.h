/*
 * libdal dialect SQL facts: the SQL that layers building their own
 * statements (migrations, db-reset, copy, `dal backup`, `dal shell`) need
 * and that differs between SQL families, declared by each backend plugin
 * in its registration (member `sql` of struct dal_plugin, plugin ABI 2.1)
 * and read by those layers through dal_repo_sql_facts(). libdal itself
 * knows no SQL family by name: a plugin for a new database gets
 * migrations, a faithful copy, backup hints and the shell's catalog by
 * declaring these facts, without a change to libdal.
 *
 * A plugin declares one static struct dal_sql_facts. Every member is
 * optional: NULL (or 0) means "not declared", and each member says what a
 * layer then does: either it falls back to standard SQL (information_schema,
 * standard type names) or it refuses with DAL_EUNSUPPORTED and a message of
 * dal_repo_sql_unsupported(), naming the backend, its plugin file and the
 * missing member, e.g. "migrate up: migrations need a lock: backend 'fb'
 * (plugin /usr/lib/dal/backend_fb.so) declares no sql->try_lock".
 *
 * SQL text: plain statements the layer runs with dal_stmt_prepare() or
 * dal_conn_exec(), in the backend's own SQL. Where a member takes a value
 * it says how: `?` is a bound parameter (the core rewrites it for the
 * backend's param_style), `:name` a named one, `{x}` a token the layer
 * replaces before running the text. Results are read by position; the
 * documented column order is the contract, column names are free.
 *
 * Versioning: the struct starts with struct_size, set to
 * sizeof(struct dal_sql_facts) of the header the plugin was built with.
 * Members are only ever appended at the end (never removed, reordered or
 * given another meaning); the core copies a plugin's struct cut to its own
 * size and zero-extended, so a plugin built against an older header reads
 * every newer member as "not declared", and a newer plugin's extra members
 * are ignored. A struct_size below offsetof(struct dal_sql_facts, lock) or
 * above 65536 is refused when the plugin loads.
 *
 * Applications and layers: include <dal/dialect.h> (or <dal/plugin.h>,
 * which includes it). docs/writing-a-backend.md shows the shipped plugins'
 * facts (plugins/sqlite/dialect.c, plugins/mysql/dialect.c,
 * plugins/pgsql/dialect.c).
 */
#ifndef DAL_DIALECT_H
#define DAL_DIALECT_H

#include <stdint.h>

#include <dal/dal.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the migration layer keeps two migrators apart (member `lock`). */
enum dal_sql_lock {
	/* Not declared: migrations refuse with DAL_EUNSUPPORTED. */
	DAL_SQL_LOCK_NONE = 0,
	/* A lock held by the session: `try_lock` takes it without waiting,
	 * `unlock` releases it; the layer polls try_lock every 100 ms up to
	 * its lock timeout. Each migration then runs in a transaction of its
	 * own where the backend has DAL_CAP_TRANSACTIONAL_DDL. (PostgreSQL's
	 * advisory locks, MySQL's GET_LOCK.) */
	DAL_SQL_LOCK_SESSION = 1,
	/* No session lock: each migration runs in a transaction begun with
	 * `lock_begin`, which waits for (or fails with DAL_EBUSY on) another
	 * writer, and the layer reads the applied set again inside it; it
	 * ends it with COMMIT or ROLLBACK. (SQLite's BEGIN IMMEDIATE.) */
	DAL_SQL_LOCK_TRANSACTION = 2
};

/* Flags (member `flags`). */
/* Declared column types are free text with SQLite's type affinity: copy
 * reads a declared type it does not recognise as an exact number, where
 * elsewhere it reads one as text. */
#define DAL_SQL_FREE_TYPES 0x1u

/*
 * The facts. The text members are static strings, valid while the plugin
 * is loaded.
 */
struct dal_sql_facts {
	uint32_t struct_size; /* sizeof(struct dal_sql_facts) */
	uint32_t flags;       /* DAL_SQL_* */

	/* ---- Migrations (docs/migrations.md) ---------------------------- */
	uint32_t lock; /* enum dal_sql_lock; 0: migrations are refused */
	/* DAL_SQL_LOCK_SESSION: take the lock without waiting. One row, one
	 * integer column: 1 taken, 0 held by another session; NULL: no
	 * current database (DAL_ECONFIG). Name it after the current database
	 * (and schema), so that migrators of two databases on one server do
	 * not wait for each other. Required in that mode. */
	const char *try_lock;
	/* DAL_SQL_LOCK_SESSION: release it (rows, if any, are ignored).
	 * Required in that mode. */
	const char *unlock;
	/* DAL_SQL_LOCK_TRANSACTION: begin a transaction that holds the
	 * database's write lock ("BEGIN IMMEDIATE"). Required in that mode. */
	const char *lock_begin;
	/* DAL_SQL_LOCK_TRANSACTION, optional pair: read the connection's lock
	 * wait in milliseconds (one row, one integer column), and set it,
	 * with {ms} replaced by a decimal number of milliseconds. The layer
	 * sets its lock timeout for the duration of a run and restores the
	 * value read afterwards. NULL: the backend's own wait applies. */
	const char *lock_wait_get;
	const char *lock_wait_set;

	/* ---- The current database's objects (db-reset, copy) ------------ */
	/* Every table, view and sequence of the current database or schema,
	 * and nothing of another database on the same server: rows of three
	 * text columns (kind: "table", "view" or "sequence"; schema, as the
	 * layer writes it before the name in DROP kind IF EXISTS
	 * schema.name; name). NULL: db-reset refuses ("db-reset needs the
	 * catalog: ... declares no sql->catalog"); copy lists the tables of
	 * information_schema.tables of CURRENT_SCHEMA. */
	const char *catalog;
	/* Run on db-reset's connection before the DROPs (e.g. suspending
	 * foreign key checks), and after them whatever happened (restoring
	 * the session's setting). NULL: nothing. */
	const char *drop_prelude;
	const char *drop_postlude;

	/* ---- Copy: reading a table (docs/copy.md) ------------------------ */
	/* The columns of one table of the current database, `?` bound to the
	 * table's name: one row per column, in column order, of seven
	 * columns: name (text), declared type (text, as the catalog spells
	 * it, length included where there is one), not null (integer, 1 or
	 * 0), character length (integer or NULL), numeric precision and
	 * numeric scale (integers or NULL), position in the primary key
	 * (integer from 1, or 0 or NULL when not in it). No rows: no such
	 * table. NULL: the standard information_schema.columns and
	 * key_column_usage of CURRENT_SCHEMA. */
	const char *columns;

	/* ---- Copy: the target's column types (the mapping table of
	 * docs/copy.md). Each NULL member takes the standard name given. -- */
	const char *type_int64;        /* 64-bit integers: "BIGINT" */
	const char *type_double;       /* IEEE doubles: "DOUBLE PRECISION" */
	const char *type_boolean;      /* "BOOLEAN" */
	const char *type_text;         /* text without a usable length: "TEXT" */
	/* Text with a declared length n: written "<type_varchar>(n)" when n is
	 * at most varchar_max (0: any n), else type_text. Default "VARCHAR". */
	const char *type_varchar;
	uint32_t varchar_max;
	/* Text in a primary key, for backends whose keys need a bounded type:
	 * "<type_varchar>(n)" when the declared length n is 1 to
	 * key_varchar_max, else type_text_key ("VARCHAR(255)"). NULL: key
	 * columns are typed like the others. */
	const char *type_text_key;
	uint32_t key_varchar_max;
	const char *type_blob;         /* "BLOB" */
	const char *type_blob_key;     /* a blob in a primary key; NULL: type_blob */
	/* Exact decimals with precision p and scale s: "<type_decimal>(p,s)";
	 * default "NUMERIC". Without a precision: type_decimal_any ("NUMERIC"). */
	const char *type_decimal;
	const char *type_decimal_any;
	const char *type_timestamp;    /* date and time, microseconds: "TIMESTAMP" */
	/* Date and time with a time zone; NULL: kept as the text the source
	 * prints (offset included), typed like text. */
	const char *type_timestamp_tz;
	const char *type_date;         /* "DATE" */
	/* Appended to every CREATE TABLE copy writes, after the closing
	 * parenthesis (" DEFAULT CHARSET=utf8mb4"); NULL: nothing. */
	const char *create_table_suffix;

	/* ---- `dal shell` (\tables, \describe) ---------------------------- */
	/* The tables and views a user sees: rows of (name, type: "table",
	 * "view", ...), ordered by name. NULL: information_schema.tables
	 * outside information_schema and pg_catalog. */
	const char *shell_tables;
	/* The columns of one table: rows of (name, type, nullable: "YES" or
	 * "NO", position in the primary key or NULL), in column order; no
	 * rows: no such table. Parameters, each optional: :schema (NULL: the
	 * current one) and :table, or :name (the name as the user wrote it,
	 * for the server to resolve). NULL: information_schema.columns. */
	const char *shell_describe;

	/* ---- Backup hints (docs/backup.md), for a backend without the
	 * backup/restore slots ----------------------------------------------- */
	/* The tools a user runs instead, as the refusal of dal_repo_backup()
	 * and dal_repo_restore() names them ("pg_dump", "pg_restore or
	 * psql"). NULL: the refusal names none. */
	const char *backup_tool;
	const char *restore_tool;
	/* The commands `dal backup` / `dal restore` print for a server
	 * repository. Tokens, replaced by the repository's resolved setting
	 * quoted for a POSIX shell: {host}, {port}, {user}, {database} and
	 * {file} (the FILE argument). A part in [brackets] is printed only
	 * when every token in it has a value ("[ --port={port}]"). The
	 * password is never a token: see password_env. NULL: nothing is
	 * printed. */
	const char *backup_command;
	const char *restore_command;
	/* Where the tool reads the password, printed as the comment line
	 * "# password: <password_note>, never on the command line". */
	const char *password_note;
	/* The environment variable the tool reads a password from
	 * ("PGPASSWORD"): when the repository has a password_file the command
	 * is prefixed with NAME="$(cat 'FILE')". NULL: never. */
	const char *password_env;
	/* An option inserted after the command's first word when the
	 * repository has no password_file, for a tool that reads the password
	 * from a file of its own ("--defaults-extra-file=..."). NULL: none. */
	const char *password_option;

	/* Later versions append members here. */
};

/*
 * The SQL facts of the repository's plugin, with every member the plugin's
 * header version lacks read as NULL or 0; NULL when the plugin declares
 * none (every plugin of ABI 2.0, and those of 2.1 that leave `sql` NULL).
 * Valid until dal_repo_close(). repo NULL gives NULL.
 */
DAL_API const struct dal_sql_facts *dal_repo_sql_facts(const dal_repo *repo);

/*
 * Fill *err for a layer that needs a fact the repository's plugin does not
 * declare, and return DAL_EUNSUPPORTED: "<need>: backend '<name>' (plugin
 * <file>) declares no sql-><member>", or, when the plugin declares no facts
 * at all, "... declares no SQL facts (struct dal_sql_facts), so no
 * sql-><member>". need says what needed it ("migrate up: migrations need a
 * lock"); member is the member's name ("try_lock"). err may be NULL.
 */
DAL_API int dal_repo_sql_unsupported(const dal_repo *repo, const char *need,
                                     const char *member, dal_error *err);

#ifdef __cplusplus
}
#endif
#endif /* DAL_DIALECT_H */
