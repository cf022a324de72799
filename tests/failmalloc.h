/*
 * A failing allocator for the allocation-failure test (test_oom.c).
 *
 * failmalloc.c defines malloc, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, strdup and strndup in the test
 * program itself, so that every allocation of the process -- libdal, its
 * plugins, the client libraries and glibc's own (asprintf, fopen, dlopen,
 * getaddrinfo all call malloc) -- goes through them. strdup and strndup are
 * wrapped because AddressSanitizer's interceptors for them allocate without
 * calling malloc. The wrappers forward to the next definition
 * (dlsym(RTLD_NEXT): glibc's, or ASan's in a sanitizer build, which keeps
 * leak detection working).
 *
 * Nothing fails and nothing is counted until fm_arm(): the wrappers are
 * plain forwarders during the test framework's own setup.
 */
#ifndef DAL_TEST_FAILMALLOC_H
#define DAL_TEST_FAILMALLOC_H

/* HAVE_ASAN is defined in an AddressSanitizer build (GCC's
 * __SANITIZE_ADDRESS__, clang's __has_feature), where a failing run must
 * also not leak: LeakSanitizer's interface is then included. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/lsan_interface.h>
#endif

enum fm_mode {
	FM_ONCE, /* allocation nth fails, the ones after it succeed */
	FM_FROM  /* allocation nth and every later one fail */
};

/* Start counting allocations from 1, making allocation nth fail as mode
 * says; nth 0 only counts. */
void fm_arm(unsigned long nth, enum fm_mode mode);

/* Call fn (NULL: none) on every allocation made to fail, before it
 * returns NULL: e.g. to print the stack. fn must not allocate through these
 * functions while armed (the failing allocator is off during the call). */
void fm_on_fail(void (*fn)(unsigned long n));

/* Record the caller of each counted allocation (the code that called
 * malloc, strdup, ...) into callers[0..cap-1]; NULL stops recording. */
void fm_record(void **callers, unsigned long cap);

/* Stop counting and failing. */
void fm_disarm(void);

/* Allocations counted since fm_arm(), failed ones included. */
unsigned long fm_calls(void);

/* Allocations made to fail since fm_arm(). */
unsigned long fm_failures(void);

#endif
