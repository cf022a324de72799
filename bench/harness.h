/*
 * The benchmark harness shared by every stack's driver program.
 *
 * A driver program (bench_raw.c, bench_dal.c, bench_dbi.c, ...) measures one
 * database access stack. It implements the stack_* functions declared below;
 * the harness owns everything else: option parsing, the schema, the data set,
 * the fixed-seed sequence of point-select keys, the clock, the checksums and
 * the output lines that bench/run parses. Keeping all of that here is what
 * makes the numbers of different stacks comparable: they run the same SQL on
 * the same rows and must print the same checksums.
 *
 * Output, one line per workload (bench/run greps for these):
 *   RESULT stack=<s> backend=<b> workload=<W> n=<ops> ns_per_op=<x> checksum=<hex>
 * or, when the stack cannot run on this backend at all:
 *   SKIP stack=<s> backend=<b> reason=<text>
 * A driver exits 0 after RESULT lines, 3 after SKIP, 1 on a failure.
 *
 * This is not a library: it has no error paths worth recovering from, so a
 * failing database call ends the process with a message (bench_fail).
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the payload blob of every row. */
#define BENCH_PAYLOAD 100
/* Longest generated name, with its NUL. */
#define BENCH_NAME_MAX 24

enum bench_backend { BENCH_SQLITE, BENCH_MYSQL, BENCH_PGSQL };

/* A server's connection parameters, split out of a URL for stacks that want
 * them one by one. Percent-decoded, NUL-terminated. */
struct bench_server {
	char host[128];
	unsigned port;
	char user[64];
	char password[128];
	char dbname[64];
};

struct bench_ctx {
	enum bench_backend backend;
	const char *backend_name; /* sqlite, mysql, pgsql */
	const char *variant;      /* --variant: a stack's own mode, or "" */
	const char *stack;        /* the name printed: stack_name, or stack_name-variant */
	const char *url;          /* --url: a libdal-style URL (sqlite:PATH, mysql://..., postgresql://...) */
	const char *path;         /* SQLite: the database file */
	struct bench_server srv;  /* servers: the URL's parts */
	void *h;                  /* the stack's own state */
};

/* The running checksum of a workload: an order-independent sum of per-row
 * hashes, so that a scan may return rows in any order. */
typedef struct bench_sum {
	uint64_t v;
} bench_sum;

/* ---- the data set: row `id` (1..N) is a pure function of id ------------- */

/* Writes the name of row id into buf (BENCH_NAME_MAX bytes), returns its length. */
size_t bench_row_name(int64_t id, char *buf);
/* The score: a multiple of 1/4, exact in binary and in short decimal, so
 * stacks that move doubles as text still agree on the checksum. */
double bench_row_score(int64_t id);
/* The payload: BENCH_PAYLOAD bytes including NULs and high bytes, so a stack
 * that treats it as a C string is caught by the checksum. */
void bench_row_payload(int64_t id, unsigned char *buf);

/* Fold one row read back from the database into sum. */
void bench_sum_row(bench_sum *sum, int64_t id, const char *name, size_t name_len,
                   double score, const void *payload, size_t payload_len);
/* Fold one inserted row (W1) into sum. */
void bench_sum_insert(bench_sum *sum, int64_t id, int64_t affected);

/* Decode a PostgreSQL text-format bytea ("\x00ff...") into out (at most cap
 * bytes); returns the decoded length. For stacks that only see text. */
size_t bench_unhex_bytea(const char *text, size_t len, unsigned char *out, size_t cap);

/* Encode blob as a SQL literal for the backend (X'..' or '\x..'::bytea) into
 * out; for stacks without parameter binding. Returns the length. */
size_t bench_blob_literal(enum bench_backend b, const unsigned char *p, size_t n, char *out);

/* Print a message and exit(1). */
void bench_fail(const struct bench_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* The SQL every stack runs, in `?` form; stacks that need $1 or another
 * style translate with bench_sql_numbered(). */
extern const char *const bench_sql_insert; /* (id, name, score, payload) */
extern const char *const bench_sql_point;  /* ... WHERE id = ? */
extern const char *const bench_sql_scan;   /* every row, every column */

/* sql with each `?` replaced by "$1", "$2", ... (or by prefix followed by
 * the number). Returns a static buffer. */
const char *bench_sql_numbered(const char *sql, const char *prefix);

/* ---- helpers for programs with their own main() ------------------------- */

/* bench_pool.c has its own main() (threads, several stacks in one process)
 * and links harness.c compiled with -DBENCH_NO_MAIN: everything above, and
 * these, without main() and without the stack_* functions below (except
 * stack_name, which bench_fail() prints). */

/* CREATE TABLE bench_t in the backend's dialect. */
const char *bench_create_sql(enum bench_backend b);
/* Split c->url (a server URL) into c->srv. */
void bench_split_url(struct bench_ctx *c);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);
/* count point-select keys in 1..rows: a splitmix64 sequence from seed.
 * W2 uses bench_point_ids(n, n, BENCH_POINT_SEED). malloc'ed. */
#define BENCH_POINT_SEED 0x5eed5eed5eedULL
int64_t *bench_point_ids(long count, long rows, uint64_t seed);

/* ---- what a driver program implements ----------------------------------- */

/* The stack's name as printed ("raw", "dal", "dbi", ...). */
extern const char *const stack_name;

/* Connect. On failure write why into why (size bytes) and return nonzero:
 * the harness prints SKIP with that reason. */
int stack_open(struct bench_ctx *c, char *why, size_t size);
/* Run one statement without parameters or results (DDL, BEGIN...). */
void stack_exec(struct bench_ctx *c, const char *sql);
/* W1: insert rows 1..n in one transaction, binding where the stack can. */
void stack_insert(struct bench_ctx *c, long n, bench_sum *sum);
/* W2: one point select per id in ids[0..n), reading every column. */
void stack_point(struct bench_ctx *c, const int64_t *ids, long n, bench_sum *sum);
/* W3: read the whole table once, every column of every row; return the
 * number of rows read. */
long stack_scan(struct bench_ctx *c, bench_sum *sum);
void stack_close(struct bench_ctx *c);

#endif
