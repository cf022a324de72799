/*
 * Clocks, sleeping and retry backoff with jitter, shared by connection
 * retries (repo.c) and the transaction runner (transact.c).
 *
 * Jitter must differ between processes started together (else they retry
 * in step, which is what jitter exists to prevent), so each thread's
 * generator is seeded from getrandom(), falling back to the clock and
 * thread address when the kernel has none to give.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t clock_coarse_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* xorshift64*: small and good enough for jitter; per thread, no locks. */
static __thread uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t x = rng_state;

	if (!x) {
		if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x || !x)
			x = clock_ns() ^ (uint64_t)(uintptr_t)&rng_state ^ 0x9E3779B97F4A7C15ull;
		if (!x)
			x = 1;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

unsigned backoff_ms(unsigned base_ms, unsigned cap_ms, unsigned attempt)
{
	unsigned shift = attempt > 0 ? attempt - 1 : 0;
	uint64_t ms = (uint64_t)base_ms << (shift < 20 ? shift : 20);

	if (cap_ms && ms > cap_ms)
		ms = cap_ms;
	/* Full jitter: anywhere in [0, ms]. */
	return ms ? (unsigned)(rng_next() % (ms + 1)) : 0;
}
