// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gwio-simring: a gwio ring filled from userspace, for testing and
 * benchmarking consumers (gwiod) on machines without gwio.ko, and for
 * replaying captures made with `gwio-cat --record`.
 *
 * It creates a memory ring, prints the path a consumer opens
 * (/proc/PID/fd/N) on the first line of stdout, then produces: synthetic
 * counter/sine channels at a rate, or the records of a capture.  When done
 * it keeps the ring alive until SIGTERM/SIGINT so consumers can drain it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libgwio.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / 1000000000u),
		.tv_nsec = (long)(t % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR && !stop)
		;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gwio-simring [OPTION]...\n"
		"Fill a gwio memory ring from userspace; print its path first,\n"
		"and \"done\" on a second line once everything is produced.\n\n"
		"  -c, --channels=N     synthetic channels (default 1)\n"
		"  -r, --rate=HZ        samples per second per channel (default 1000);\n"
		"                       0 = as fast as the ring takes them\n"
		"  -n, --count=N        records to produce in all (default: until killed)\n"
		"  -w, --wave=KIND      counter (default) or sine (0..4095, 100 samples)\n"
		"  -s, --size=N         ring records, a power of two (default 65536)\n"
		"      --overwrite      overwrite-oldest policy (default drop-newest)\n"
		"      --replay=FILE    produce the records of a capture file instead\n"
		"      --exit           exit when done instead of waiting for a signal\n"
		"  -h, --help\n");
}

struct options {
	unsigned int channels;
	double rate;
	uint64_t count;
	int sine;
	uint32_t size;
	int overwrite;
	const char *replay;
	int exit_when_done;
};

static uint32_t wave_value(const struct options *o, uint64_t n)
{
	if (!o->sine)
		return (uint32_t)n;
	return (uint32_t)lround(2047.5 + 2047.5 * sin(2 * M_PI * (double)(n % 100) / 100));
}

/* Push one record, waiting (not dropping) while the ring is full. */
static void push(struct gwio_memring *ring, const struct gwio_record *rec,
		 int overwrite)
{
	while (!gwio_memring_push(ring, rec) && !overwrite && !stop) {
		gwio_memring_publish(ring);
		usleep(100);
	}
}

static int produce_synthetic(struct gwio_memring *ring, const struct options *o)
{
	struct gwio_record rec = { .kind = GWIO_KIND_SIM };
	uint64_t period = o->rate > 0 ? (uint64_t)(1e9 / o->rate) : 0;
	uint64_t t = now_ns(), total = 0, n = 0;
	unsigned int ch;

	while (!stop && (!o->count || total < o->count)) {
		if (period)
			sleep_until(t);
		for (ch = 0; ch < o->channels && (!o->count || total < o->count); ch++) {
			rec.ts_ns = period ? t : now_ns();
			rec.channel = (uint16_t)ch;
			rec.value = wave_value(o, n);
			push(ring, &rec, o->overwrite);
			total++;
		}
		n++;
		t += period;
		/* publish in batches: per record would cost the consumer cache misses */
		if (!period || (n & 63) == 0 || period >= 1000000)
			gwio_memring_publish(ring);
	}
	gwio_memring_publish(ring);
	return 0;
}

static int produce_replay(struct gwio_memring *ring, const struct options *o)
{
	struct gwio_capture_header header;
	struct gwio_capture_entry entries[256];
	struct gwio_capture *cap = gwio_capture_open(o->replay, &header);
	ssize_t n = 0, i;

	if (!cap) {
		fprintf(stderr, "gwio-simring: %s: %s\n", o->replay, strerror(errno));
		return 1;
	}
	while (!stop && (n = gwio_capture_read(cap, entries, 256)) > 0) {
		for (i = 0; i < n; i++)
			push(ring, &entries[i].rec, o->overwrite);
		gwio_memring_publish(ring);
	}
	gwio_capture_close(cap);
	if (n < 0) {
		fprintf(stderr, "gwio-simring: %s: %s\n", o->replay, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "channels", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "wave", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 's' },
		{ "overwrite", no_argument, NULL, 'O' },
		{ "replay", required_argument, NULL, 'R' },
		{ "exit", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct options o = { .channels = 1, .rate = 1000, .size = 65536 };
	struct gwio_memring *ring;
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:r:n:w:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.channels = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'r': o.rate = strtod(optarg, NULL); break;
		case 'n': o.count = strtoull(optarg, NULL, 0); break;
		case 'w': o.sine = !strcmp(optarg, "sine"); break;
		case 's': o.size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'O': o.overwrite = 1; break;
		case 'R': o.replay = optarg; break;
		case 'E': o.exit_when_done = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.channels || o.channels > 65535 || o.rate < 0) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	ring = gwio_memring_create(o.size, o.overwrite ? GWIO_OVERFLOW_OVERWRITE :
				   GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	if (!ring) {
		fprintf(stderr, "gwio-simring: creating a ring of %" PRIu32
			" records: %s\n", o.size, strerror(errno));
		return 1;
	}
	printf("/proc/%d/fd/%d\n", (int)getpid(), gwio_memring_fd(ring));
	fflush(stdout);

	ret = o.replay ? produce_replay(ring, &o) : produce_synthetic(ring, &o);
	/* lets a benchmark start its consumer on a full ring */
	printf("done\n");
	fflush(stdout);
	while (!stop && !o.exit_when_done)
		pause();
	gwio_memring_close(ring);
	return ret;
}
