/*
 * The benchmark harness: main(), the schema, the data set, the key sequence,
 * timing and checksums. See harness.h for what a driver program provides and
 * what the output looks like.
 *
 * Under valgrind --tool=callgrind each workload is bracketed by zeroing and
 * dumping the counters (callgrind's client requests, no-ops otherwise), so
 * bench/run reads one instruction count per workload, setup excluded.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

const char *const bench_sql_insert =
	"INSERT INTO bench_t (id, name, score, payload) VALUES (?, ?, ?, ?)";
const char *const bench_sql_point = "SELECT id, name, score, payload FROM bench_t WHERE id = ?";
const char *const bench_sql_scan = "SELECT id, name, score, payload FROM bench_t";

/* The same logical schema in each dialect; the blob column type is each
 * server's usual one for 100 bytes. */
static const char *const create_sql[] = {
	[BENCH_SQLITE] = "CREATE TABLE bench_t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	                 "score DOUBLE NOT NULL, payload BLOB NOT NULL)",
	[BENCH_MYSQL] = "CREATE TABLE bench_t (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, "
	                "score DOUBLE NOT NULL, payload BLOB NOT NULL) ENGINE=InnoDB",
	[BENCH_PGSQL] = "CREATE TABLE bench_t (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, "
	                "score DOUBLE PRECISION NOT NULL, payload BYTEA NOT NULL)",
};

const char *bench_create_sql(enum bench_backend b)
{
	return create_sql[b];
}

static struct bench_ctx *current; /* for bench_fail() from anywhere */

void bench_fail(const struct bench_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c)
		c = current;
	fprintf(stderr, "bench %s/%s: ", c ? c->stack : stack_name,
	        c ? c->backend_name : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- data set ----------------------------------------------------------- */

size_t bench_row_name(int64_t id, char *buf)
{
	/* Hand-rolled rather than snprintf: generating the data must cost far
	 * less than the stacks being measured, or it dilutes their ratios. */
	char tmp[20];
	size_t n = 0, k = 0;
	uint64_t v = (uint64_t)id;

	memcpy(buf, "name-", 5);
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		buf[5 + k++] = tmp[--n];
	buf[5 + k] = '\0';
	return 5 + k;
}

double bench_row_score(int64_t id)
{
	return (double)(id % 4000) * 0.25;
}

void bench_row_payload(int64_t id, unsigned char *buf)
{
	for (int j = 0; j < BENCH_PAYLOAD; j++)
		buf[j] = (unsigned char)(id * 7 + j * 13);
}

/* ---- checksums ---------------------------------------------------------- */

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* A word-at-a-time fold of bytes: touches every byte, costs ~n/8 steps. */
static uint64_t fold_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = n, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

void bench_sum_row(bench_sum *sum, int64_t id, const char *name, size_t name_len,
                   double score, const void *payload, size_t payload_len)
{
	uint64_t h = mix((uint64_t)id);

	h ^= fold_bytes(name, name_len) * 3;
	h ^= (uint64_t)(int64_t)(score * 4.0) * 5;
	h ^= fold_bytes(payload, payload_len) * 7;
	sum->v += mix(h);
}

void bench_sum_insert(bench_sum *sum, int64_t id, int64_t affected)
{
	sum->v += mix((uint64_t)id ^ ((uint64_t)affected << 40));
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

size_t bench_unhex_bytea(const char *text, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (len < 2 || text[0] != '\\' || text[1] != 'x') {
		/* Not hex form: already raw bytes. */
		n = len < cap ? len : cap;
		memcpy(out, text, n);
		return n;
	}
	for (size_t i = 2; i + 1 < len && n < cap; i += 2)
		out[n++] = (unsigned char)(hexval(text[i]) << 4 | hexval(text[i + 1]));
	return n;
}

size_t bench_blob_literal(enum bench_backend b, const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	if (b == BENCH_PGSQL) {
		memcpy(out, "'\\x", 3);
		k = 3;
	} else {
		memcpy(out, "X'", 2);
		k = 2;
	}
	for (size_t i = 0; i < n; i++) {
		out[k++] = hex[p[i] >> 4];
		out[k++] = hex[p[i] & 15];
	}
	out[k++] = '\'';
	if (b == BENCH_PGSQL) {
		memcpy(out + k, "::bytea", 7);
		k += 7;
	}
	out[k] = '\0';
	return k;
}

const char *bench_sql_numbered(const char *sql, const char *prefix)
{
	static char buf[512];
	size_t k = 0;
	unsigned i = 0;

	for (; *sql && k < sizeof buf - 16; sql++) {
		if (*sql == '?')
			k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%u", prefix, ++i);
		else
			buf[k++] = *sql;
	}
	buf[k] = '\0';
	return buf;
}

/* ---- options ------------------------------------------------------------ */

static void pct_decode(char *dst, size_t cap, const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			dst[k++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			dst[k++] = s[i];
		}
	}
	dst[k] = '\0';
}

/* scheme://user:password@host:port/dbname[?...] into c->srv. */
void bench_split_url(struct bench_ctx *c)
{
	const char *p = strstr(c->url, "://"), *at, *end, *colon, *slash, *q;

	if (!p)
		bench_fail(c, "--url %s: expected scheme://user:password@host:port/db", c->url);
	p += 3;
	q = p + strcspn(p, "?");
	slash = memchr(p, '/', (size_t)(q - p));
	end = slash ? slash : q;
	at = NULL;
	for (const char *s = p; s < end; s++)
		if (*s == '@')
			at = s;
	if (at) {
		colon = memchr(p, ':', (size_t)(at - p));
		pct_decode(c->srv.user, sizeof c->srv.user, p, (size_t)((colon ? colon : at) - p));
		if (colon)
			pct_decode(c->srv.password, sizeof c->srv.password, colon + 1,
			           (size_t)(at - colon - 1));
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	pct_decode(c->srv.host, sizeof c->srv.host, p, (size_t)((colon ? colon : end) - p));
	c->srv.port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
	if (slash)
		pct_decode(c->srv.dbname, sizeof c->srv.dbname, slash + 1, (size_t)(q - slash - 1));
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The W2 keys: a fixed-seed splitmix64 sequence, the same for every stack,
 * computed before the clock starts. */
int64_t *bench_point_ids(long count, long rows, uint64_t seed)
{
	int64_t *ids = malloc((size_t)count * sizeof *ids);
	uint64_t s = seed;

	if (!ids)
		bench_fail(NULL, "out of memory");
	for (long i = 0; i < count; i++) {
		s += 0x9e3779b97f4a7c15ULL;
		ids[i] = (int64_t)(mix(s) % (uint64_t)rows) + 1;
	}
	return ids;
}

#ifndef BENCH_NO_MAIN

static void usage(void)
{
	fprintf(stderr,
	        "usage: bench_%s --backend sqlite|mysql|pgsql --url URL [--variant V]\n"
	        "       [-n ROWS] [--scan-reps R]\n"
	        "URL: sqlite:PATH, mysql://user:pass@host:port/db, postgresql://...\n",
	        stack_name);
	exit(2);
}

static void report(const struct bench_ctx *c, const char *w, long ops, uint64_t ns,
                   const bench_sum *sum)
{
	printf("RESULT stack=%s backend=%s workload=%s n=%ld ns_per_op=%.1f checksum=%016" PRIx64
	       "\n",
	       c->stack, c->backend_name, w, ops, ops ? (double)ns / (double)ops : 0.0, sum->v);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bench_ctx c = {.variant = "", .stack = stack_name};
	static char stackbuf[64], why[512];
	const char *backend = NULL;
	long n = 10000, reps = 5;
	bench_sum sum;
	uint64_t t0, ns;
	int64_t *ids;
	long rows;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--backend") == 0)
			backend = v;
		else if (strcmp(a, "--url") == 0)
			c.url = v;
		else if (strcmp(a, "--variant") == 0)
			c.variant = v;
		else if (strcmp(a, "-n") == 0)
			n = strtol(v, NULL, 10);
		else if (strcmp(a, "--scan-reps") == 0)
			reps = strtol(v, NULL, 10);
		else
			usage();
		i++;
	}
	if (!backend || !c.url || n < 1 || reps < 1)
		usage();
	if (strcmp(backend, "sqlite") == 0)
		c.backend = BENCH_SQLITE;
	else if (strcmp(backend, "mysql") == 0)
		c.backend = BENCH_MYSQL;
	else if (strcmp(backend, "pgsql") == 0)
		c.backend = BENCH_PGSQL;
	else
		usage();
	c.backend_name = backend;
	if (*c.variant) {
		snprintf(stackbuf, sizeof stackbuf, "%s-%s", stack_name, c.variant);
		c.stack = stackbuf;
	}
	if (c.backend == BENCH_SQLITE) {
		if (strncmp(c.url, "sqlite:", 7) != 0)
			usage();
		c.path = c.url + 7;
	} else {
		bench_split_url(&c);
	}
	current = &c;

	if (stack_open(&c, why, sizeof why) != 0) {
		for (char *p = why; *p; p++)
			if (*p == '\n')
				*p = ' ';
		printf("SKIP stack=%s backend=%s reason=%s\n", c.stack, backend, why);
		return 3;
	}
	/* SQLite: the settings libdal applies by default, for every stack, and
	 * a page cache that holds the whole table: otherwise point selects
	 * measure read() calls into the OS cache, not the stacks. */
	if (c.backend == BENCH_SQLITE) {
		stack_exec(&c, "PRAGMA journal_mode=WAL");
		stack_exec(&c, "PRAGMA synchronous=NORMAL");
		stack_exec(&c, "PRAGMA cache_size=-262144");
	}
	stack_exec(&c, "DROP TABLE IF EXISTS bench_t");
	stack_exec(&c, create_sql[c.backend]);
	ids = bench_point_ids(n, n, BENCH_POINT_SEED);

	/* W1: insert n rows in one transaction. */
	sum.v = 0;
	CALLGRIND_ZERO_STATS;
	t0 = bench_now_ns();
	stack_insert(&c, n, &sum);
	ns = bench_now_ns() - t0;
	CALLGRIND_DUMP_STATS_AT("W1");
	report(&c, "W1", n, ns, &sum);
	/* SQLite: move the inserted pages from the WAL into the database file,
	 * so that reads measure the B-tree and not the WAL index lookup. */
	if (c.backend == BENCH_SQLITE)
		stack_exec(&c, "PRAGMA wal_checkpoint(TRUNCATE)");

	/* W2: n point selects by primary key. */
	sum.v = 0;
	CALLGRIND_ZERO_STATS;
	t0 = bench_now_ns();
	stack_point(&c, ids, n, &sum);
	ns = bench_now_ns() - t0;
	CALLGRIND_DUMP_STATS_AT("W2");
	report(&c, "W2", n, ns, &sum);

	/* W3: full scans; ns per row. */
	sum.v = 0;
	rows = 0;
	CALLGRIND_ZERO_STATS;
	t0 = bench_now_ns();
	for (long r = 0; r < reps; r++)
		rows += stack_scan(&c, &sum);
	ns = bench_now_ns() - t0;
	CALLGRIND_DUMP_STATS_AT("W3");
	if (rows != n * reps)
		bench_fail(&c, "W3 read %ld rows, expected %ld", rows, n * reps);
	report(&c, "W3", rows, ns, &sum);

	/* More workloads (copy, ...) go here, each bracketed the same way and
	 * reported under its own W<k> name. The pool has its own program
	 * (bench_pool.c): it needs threads and several stacks side by side. */
	free(ids);
	stack_close(&c);
	return 0;
}
#endif /* BENCH_NO_MAIN */
