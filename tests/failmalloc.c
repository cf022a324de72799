/*
 * The failing allocator of test_oom; see failmalloc.h.
 *
 * Until the real functions are found, allocations (dlsym's own, made while
 * resolving them) come from a small static arena that is never given back;
 * free() and realloc() recognise its blocks.
 */
#define _GNU_SOURCE
#include "failmalloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Exported so that every module's calls resolve here; not in failmalloc.h. */
void *malloc(size_t n);
void *calloc(size_t k, size_t n);
void *realloc(void *p, size_t n);
void *reallocarray(void *p, size_t k, size_t n);
void free(void *p);
int posix_memalign(void **out, size_t align, size_t n);
void *aligned_alloc(size_t align, size_t n);
void *memalign(size_t align, size_t n);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);
char *__strdup(const char *s);
char *__strndup(const char *s, size_t n);

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

static int resolving;

/* The bootstrap arena: each block is preceded by its size. */
static _Alignas(max_align_t) unsigned char arena[64 * 1024];
static size_t arena_used;

static int armed;
static unsigned long fail_at;
static enum fm_mode fail_mode;
static unsigned long calls, failures;
static void (*on_fail)(unsigned long n);
static void **rec;
static unsigned long rec_cap;

#define CALLER __builtin_return_address(0)

static void *arena_alloc(size_t n)
{
	size_t head = sizeof(max_align_t);
	size_t need = head + ((n + head - 1) / head) * head;
	unsigned char *p;

	if (need > sizeof arena - arena_used) {
		errno = ENOMEM;
		return NULL;
	}
	p = arena + arena_used;
	arena_used += need;
	memcpy(p, &n, sizeof n);
	return p + head;
}

static int in_arena(const void *p)
{
	return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof arena;
}

static size_t arena_size(const void *p)
{
	size_t n;

	memcpy(&n, (const unsigned char *)p - sizeof(max_align_t), sizeof n);
	return n;
}

static void resolve(void)
{
	resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
	resolving = 0;
}

/* 1 if the allocation being made for caller must fail. */
static int fail_now(void *caller)
{
	unsigned long n;

	if (!__atomic_load_n(&armed, __ATOMIC_RELAXED))
		return 0;
	n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	if (rec && n <= rec_cap)
		rec[n - 1] = caller;
	if (fail_at == 0 || n < fail_at || (fail_mode == FM_ONCE && n != fail_at))
		return 0;
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	if (on_fail) {
		__atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
		on_fail(n);
		__atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
	}
	errno = ENOMEM;
	return 1;
}

void fm_arm(unsigned long nth, enum fm_mode mode)
{
	if (!real_malloc)
		resolve();
	fail_at = nth;
	fail_mode = mode;
	__atomic_store_n(&calls, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&failures, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
}

void fm_record(void **callers, unsigned long cap)
{
	rec = callers;
	rec_cap = cap;
}

void fm_on_fail(void (*fn)(unsigned long n))
{
	on_fail = fn;
}

void fm_disarm(void)
{
	__atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
}

unsigned long fm_calls(void)
{
	return __atomic_load_n(&calls, __ATOMIC_RELAXED);
}

unsigned long fm_failures(void)
{
	return __atomic_load_n(&failures, __ATOMIC_RELAXED);
}

static void *do_malloc(size_t n, void *caller)
{
	if (!real_malloc) {
		if (resolving)
			return arena_alloc(n);
		resolve();
	}
	return fail_now(caller) ? NULL : real_malloc(n);
}

static void *do_realloc(void *p, size_t n, void *caller)
{
	if (p && in_arena(p)) {
		size_t old = arena_size(p);
		void *q = do_malloc(n ? n : 1, caller);

		if (q)
			memcpy(q, p, old < n ? old : n);
		return q;
	}
	if (!real_realloc) {
		if (resolving)
			return p ? NULL : arena_alloc(n);
		resolve();
	}
	if (p && n == 0)
		return real_realloc(p, n); /* a free */
	return fail_now(caller) ? NULL : real_realloc(p, n);
}

void *malloc(size_t n)
{
	return do_malloc(n, CALLER);
}

void *calloc(size_t k, size_t n)
{
	if (!real_calloc) {
		if (resolving) {
			if (n && k > SIZE_MAX / n)
				return NULL;
			return arena_alloc(k * n); /* static: already zero */
		}
		resolve();
	}
	return fail_now(CALLER) ? NULL : real_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	return do_realloc(p, n, CALLER);
}

void *reallocarray(void *p, size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return do_realloc(p, k * n, CALLER);
}

void free(void *p)
{
	if (!p || in_arena(p))
		return;
	if (!real_free)
		resolve();
	real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	if (!real_posix_memalign)
		resolve();
	return fail_now(CALLER) ? ENOMEM : real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	if (!real_aligned_alloc)
		resolve();
	return fail_now(CALLER) ? NULL : real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
	if (!real_memalign)
		resolve();
	return fail_now(CALLER) ? NULL : real_memalign(align, n);
}

static char *dup_n(const char *s, size_t n, void *caller)
{
	size_t len = strnlen(s, n);
	char *p = do_malloc(len + 1, caller);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *strdup(const char *s)
{
	return dup_n(s, SIZE_MAX, CALLER);
}

char *strndup(const char *s, size_t n)
{
	return dup_n(s, n, CALLER);
}

char *__strdup(const char *s)
{
	return dup_n(s, SIZE_MAX, CALLER);
}

char *__strndup(const char *s, size_t n)
{
	return dup_n(s, n, CALLER);
}
