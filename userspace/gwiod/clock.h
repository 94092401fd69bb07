/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* gwiod's readings of the clocks, in the units it keeps time in. */
#ifndef GWIOD_CLOCK_H
#define GWIOD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t gwiod_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t gwiod_monotonic_ms(void)
{
	return gwiod_clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

#endif /* GWIOD_CLOCK_H */
