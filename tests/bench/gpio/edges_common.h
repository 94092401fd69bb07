/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edges_common.h - what gwio_edges.c and gpiod_edges.c share: driving the
 * simulated chip (tests/kmod/gwio-test-gpio, debugfs), the measurement
 * window (CPU time, system busy time), the end-of-train detection, and
 * the scoring of the events a consumer received against the chip's edge
 * log (the ground truth: every generated edge with its CLOCK_MONOTONIC
 * time and the level it left the line at).
 *
 * A consumer fills a struct edges_run: setup (open, request, map) is done
 * before edges_begin() and is not measured; between edges_begin() and
 * edges_end() it calls its wait/read functions through edges_loop(); its
 * own CPU time (getrusage, user + sys) is taken across that window.
 *
 * Output: "key value" lines on stdout (see edges_report()).
 */
#ifndef EDGES_COMMON_H
#define EDGES_COMMON_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CHIP_DEBUGFS "/sys/kernel/debug/gwio-test-gpio"

struct edge_event {
	uint64_t ts;		/* the event's own timestamp (kernel) */
	uint64_t rd;		/* CLOCK_MONOTONIC when userspace had it */
	uint8_t rising;		/* the consumer's classification */
	uint8_t flagged;	/* the consumer was told it may be wrong */
};

struct edges_run {
	/* options */
	int line;		/* chip line the train runs on */
	uint64_t count;		/* toggles in the train (0: no train) */
	uint64_t period_ns;
	uint64_t max_events;	/* stop after this many (0: train end) */
	int timeout_ms;		/* overall limit (0: derived from the train) */
	const char *dump;	/* optional: write events here */

	/* filled while running */
	struct edge_event *ev;
	uint64_t cap, n;	/* stored, capacity */
	uint64_t extra;		/* received beyond capacity (not stored) */
	uint64_t reads;		/* read calls that returned events */
	uint64_t waits;		/* wait calls */

	/* measurement window */
	struct timespec t0, t1;
	uint64_t cpu0_ns, cpu1_ns;
	uint64_t busy0_ms, busy1_ms;
	uint64_t train_end_ns;	/* when the chip said the train was over */
};

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
		1000000000u + ((uint64_t)ru.ru_utime.tv_usec +
			       (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/* All CPUs' non-idle time from /proc/stat, in ms. */
static inline uint64_t system_busy_ms(void)
{
	unsigned long long v[10] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	uint64_t busy;

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
		   &v[7]) < 7) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* user nice system [idle] [iowait] irq softirq steal */
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return busy * 1000u / (uint64_t)(hz > 0 ? hz : 100);
}

static inline int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -1;
	if (fputs(s, f) == EOF)
		ret = -1;
	if (fclose(f) == EOF)
		ret = -1;
	return ret;
}

static inline int read_u64_file(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

struct chip_line_stats {
	uint64_t edges, irqs, masked;
	int busy;
	uint64_t overruns;	/* chip-wide: timer periods caught up */
};

static inline int chip_stats(int line, struct chip_line_stats *st)
{
	char name[32], buf[256];
	FILE *f = fopen(CHIP_DEBUGFS "/stats", "r");
	int found = 0;

	if (!f)
		return -1;
	memset(st, 0, sizeof(*st));
	snprintf(name, sizeof(name), "line%d ", line);
	while (fgets(buf, sizeof(buf), f)) {
		int level;

		if (!strncmp(buf, "overruns ", 9))
			st->overruns = strtoull(buf + 9, NULL, 10);
		if (strncmp(buf, name, strlen(name)))
			continue;
		if (sscanf(buf + strlen(name), "level %d edges %" SCNu64
			   " irqs %" SCNu64 " masked %" SCNu64 " busy %d",
			   &level, &st->edges, &st->irqs, &st->masked,
			   &st->busy) == 5)
			found = 1;
	}
	fclose(f);
	return found ? 0 : -1;
}

static inline void edges_store(struct edges_run *r, uint64_t ts, uint64_t rd,
			       bool rising, bool flagged)
{
	if (r->n < r->cap)
		r->ev[r->n++] = (struct edge_event){ ts, rd, rising, flagged };
	else
		r->extra++;
}

static inline int edges_init(struct edges_run *r)
{
	r->cap = (r->count ? r->count : r->max_events) + 1024;
	if (r->max_events && r->max_events + 1024 > r->cap)
		r->cap = r->max_events + 1024;
	r->ev = calloc(r->cap, sizeof(*r->ev));
	if (!r->ev) {
		perror("calloc");
		return -1;
	}
	return 0;
}

/* Start of the measured window: clear the chip's log, start the train. */
static inline int edges_begin(struct edges_run *r)
{
	char buf[64];

	if (r->count && write_file(CHIP_DEBUGFS "/reset", "1") < 0) {
		perror(CHIP_DEBUGFS "/reset");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->busy0_ms = system_busy_ms();
	r->cpu0_ns = self_cpu_ns();
	if (r->count) {
		snprintf(buf, sizeof(buf), "%d %" PRIu64 " %" PRIu64 "\n",
			 r->line, r->count, r->period_ns);
		if (write_file(CHIP_DEBUGFS "/pulse", buf) < 0) {
			perror(CHIP_DEBUGFS "/pulse");
			return -1;
		}
	}
	return 0;
}

static inline void edges_end(struct edges_run *r)
{
	r->cpu1_ns = self_cpu_ns();
	r->busy1_ms = system_busy_ms();
	clock_gettime(CLOCK_MONOTONIC, &r->t1);
}

static volatile sig_atomic_t edges_stop;

static void edges_on_signal(int sig)
{
	(void)sig;
	edges_stop = 1;
}

/*
 * The consumer's two operations:
 *   wait(ctx, ms): 1 when events may be read, 0 on timeout, -1 on error;
 *   read(ctx, r): read what is there into r (edges_store()), return the
 *                 number read (0 is fine), -1 on error.
 * Runs until max_events arrived, or the train is over and nothing more
 * came for 50 ms (so the tail below any wakeup threshold is collected),
 * or the timeout.  Returns 0, or -1 on error or timeout.
 */
static inline int edges_loop(struct edges_run *r, void *ctx,
			     int (*wait)(void *, int),
			     long (*read)(void *, struct edges_run *))
{
	uint64_t start = mono_ns();
	uint64_t train_ns = r->count * r->period_ns;
	uint64_t limit_ns = r->timeout_ms ? (uint64_t)r->timeout_ms * 1000000u :
		train_ns + 20000000000u;
	uint64_t next_check = start + train_ns;
	bool over = !r->count;	/* no train: run to count or timeout */
	int quiet_ms = 50;

	signal(SIGINT, edges_on_signal);
	signal(SIGTERM, edges_on_signal);
	while (!edges_stop) {
		uint64_t now = mono_ns();
		int ret, ms;

		if (r->max_events && r->n + r->extra >= r->max_events)
			return 0;
		if (now - start > limit_ns) {
			if (!r->count && !r->max_events)
				return 0;	/* -t alone: a capture time */
			fprintf(stderr, "timed out with %" PRIu64 " events\n",
				r->n + r->extra);
			return -1;
		}
		if (!over && now >= next_check) {
			struct chip_line_stats st;

			if (chip_stats(r->line, &st) < 0) {
				perror(CHIP_DEBUGFS "/stats");
				return -1;
			}
			if (!st.busy) {
				over = true;
				r->train_end_ns = now;
			}
			next_check = now + 20000000u;
		}
		if (over && r->count)
			ms = quiet_ms;
		else
			ms = 20;
		r->waits++;
		ret = wait(ctx, ms);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			perror("wait");
			return -1;
		}
		if (ret == 0) {
			if (over && r->count)
				return 0;	/* train over and drained */
			continue;
		}
		ret = (int)read(ctx, r);
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("read");
			return -1;
		}
		if (ret > 0)
			r->reads++;
	}
	return 0;
}

struct chip_edge {
	uint64_t ts;
	int level;
};

/* The chip's log of generated edges on @line, in time order. */
static inline struct chip_edge *chip_edges(int line, uint64_t *n_out)
{
	FILE *f = fopen(CHIP_DEBUGFS "/edges", "r");
	struct chip_edge *e = NULL;
	uint64_t n = 0, cap = 0, ts;
	int l, level;

	*n_out = 0;
	if (!f)
		return NULL;
	while (fscanf(f, "%" SCNu64 " %d %d", &ts, &l, &level) == 3) {
		if (l != line)
			continue;
		if (n == cap) {
			struct chip_edge *ne;

			cap = cap ? cap * 2 : 65536;
			ne = realloc(e, cap * sizeof(*e));
			if (!ne) {
				free(e);
				fclose(f);
				return NULL;
			}
			e = ne;
		}
		e[n].ts = ts;
		e[n].level = level;
		n++;
	}
	fclose(f);
	*n_out = n;
	return e ? e : calloc(1, sizeof(*e));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static inline uint64_t pct(const uint64_t *v, uint64_t n, double p)
{
	uint64_t k;

	if (!n)
		return 0;
	k = (uint64_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static inline void print_dist(const char *name, uint64_t *v, uint64_t n)
{
	static const struct {
		const char *key;
		double p;
	} ps[] = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 },
		   { "p999", 99.9 } };
	size_t i;

	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%s_min %" PRIu64 "\n", name, v[0]);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		printf("%s_%s %" PRIu64 "\n", name, ps[i].key,
		       pct(v, n, ps[i].p));
	printf("%s_max %" PRIu64 "\n", name, v[n - 1]);
}

static inline double per_1k(uint64_t ns, uint64_t events)
{
	return events ? (double)ns / 1e6 * 1000.0 / (double)events : -1.0;
}

/*
 * Score the run against the chip's log and print it.
 * @counted_lost: losses the consumer's interface reported (ring drops);
 * @extra_cpu_ns: CPU spent on the consumer's behalf outside its process
 * (gpiolib's irq thread), added to cpu_total.
 * Returns the number of problems that are not measurements but bugs in
 * this harness or clocks (events before their edge, ...).
 */
static inline int edges_report(struct edges_run *r, uint64_t counted_lost,
			       uint64_t extra_cpu_ns)
{
	struct chip_line_stats st = { 0 };
	struct chip_edge *e;
	uint64_t ne, i, j = 0, events = r->n + r->extra;
	uint64_t mis = 0, mis_flagged = 0, flagged = 0, same = 0, early = 0;
	uint64_t dup = 0, last_j = UINT64_MAX, nonmono = 0;
	uint64_t gaps = 0, gap_max = 0, gap_big = 0;
	uint64_t *stamp = NULL, *deliv = NULL, nlat = 0;
	uint64_t cpu = r->cpu1_ns - r->cpu0_ns;
	uint64_t wall = (uint64_t)(r->t1.tv_sec - r->t0.tv_sec) * 1000000000u +
		(uint64_t)r->t1.tv_nsec - (uint64_t)r->t0.tv_nsec;
	uint64_t busy = r->busy1_ms - r->busy0_ms;
	int64_t lost;
	int problems = 0;

	if (r->count)
		chip_stats(r->line, &st);
	e = chip_edges(r->line, &ne);
	if (!e) {
		perror(CHIP_DEBUGFS "/edges");
		return 1;
	}
	stamp = malloc((r->n + 1) * sizeof(*stamp));
	deliv = malloc((r->n + 1) * sizeof(*deliv));
	if (!stamp || !deliv) {
		perror("malloc");
		return 1;
	}
	for (i = 0; i < r->n; i++) {
		const struct edge_event *ev = &r->ev[i];

		if (ev->flagged)
			flagged++;
		if (i && ev->rising == r->ev[i - 1].rising)
			same++;
		if (i && ev->ts < r->ev[i - 1].ts)
			nonmono++;
		if (!ne)
			continue;
		/* the edge that raised it: the last one at or before it */
		while (j + 1 < ne && e[j + 1].ts <= ev->ts)
			j++;
		if (e[j].ts > ev->ts) {
			early++;
			continue;
		}
		if (j == last_j)
			dup++;
		else {
			/* edges skipped since the previous event's edge */
			uint64_t gap = j - (last_j == UINT64_MAX ? 0 : last_j + 1);

			if (gap) {
				gaps++;
				if (gap > gap_max)
					gap_max = gap;
				if (gap >= 8)
					gap_big += gap;
			}
		}
		last_j = j;
		if ((e[j].level != 0) != (ev->rising != 0)) {
			mis++;
			if (ev->flagged)
				mis_flagged++;
		}
		stamp[nlat] = ev->ts - e[j].ts;
		deliv[nlat] = ev->rd > e[j].ts ? ev->rd - e[j].ts : 0;
		nlat++;
	}
	lost = (int64_t)ne - (int64_t)events;

	printf("generated %" PRIu64 "\n", ne);
	printf("chip_edges %" PRIu64 "\n", st.edges);
	printf("chip_irqs %" PRIu64 "\n", st.irqs);
	printf("chip_masked %" PRIu64 "\n", st.masked);
	printf("chip_overruns %" PRIu64 "\n", st.overruns);
	if (ne > 1)
		printf("achieved_edges_per_s %.0f\n", (double)(ne - 1) * 1e9 /
		       (double)(e[ne - 1].ts - e[0].ts));
	printf("events %" PRIu64 "\n", events);
	printf("lost %" PRId64 "\n", lost);
	printf("lost_counted %" PRIu64 "\n", counted_lost);
	printf("lost_uncounted %" PRId64 "\n", lost - (int64_t)counted_lost);
	printf("misclassified %" PRIu64 "\n", mis);
	printf("misclassified_uncounted %" PRIu64 "\n", mis - mis_flagged);
	printf("flagged %" PRIu64 "\n", flagged);
	printf("same_type_pairs %" PRIu64 "\n", same);
	printf("same_edge_events %" PRIu64 "\n", dup);
	printf("loss_gaps %" PRIu64 "\n", gaps);
	printf("loss_gap_max %" PRIu64 "\n", gap_max);
	printf("lost_in_gaps_of_8_plus %" PRIu64 "\n", gap_big);
	printf("reads %" PRIu64 "\n", r->reads);
	printf("waits %" PRIu64 "\n", r->waits);
	printf("wall_ms %.1f\n", (double)wall / 1e6);
	printf("cpu_ms %.2f\n", (double)cpu / 1e6);
	printf("cpu_ms_per_1k %.3f\n", per_1k(cpu, events));
	printf("cpu_total_ms %.2f\n", (double)(cpu + extra_cpu_ns) / 1e6);
	printf("cpu_total_ms_per_1k %.3f\n", per_1k(cpu + extra_cpu_ns, events));
	printf("sys_busy_ms %" PRIu64 "\n", busy);
	print_dist("stamp_lat_ns", stamp, nlat);
	print_dist("deliver_lat_ns", deliv, nlat);
	if (early) {
		fprintf(stderr, "%" PRIu64 " events stamped before any edge"
			" (clock not CLOCK_MONOTONIC?)\n", early);
		printf("events_before_edge %" PRIu64 "\n", early);
		problems++;
	}
	if (nonmono) {
		fprintf(stderr, "%" PRIu64 " timestamps went backwards\n",
			nonmono);
		problems++;
	}
	if (r->dump) {
		FILE *f = fopen(r->dump, "w");

		if (f) {
			for (i = 0; i < r->n; i++)
				fprintf(f, "%" PRIu64 " %" PRIu64 " %d %d\n",
					r->ev[i].ts, r->ev[i].rd,
					r->ev[i].rising, r->ev[i].flagged);
			fclose(f);
		}
	}
	free(stamp);
	free(deliv);
	free(e);
	return problems;
}

/* Common options: -l LINE -p COUNT:PERIOD_NS -n MAX -t MS -d DUMP */
static inline int edges_opt(struct edges_run *r, int c, const char *arg)
{
	char *end;

	switch (c) {
	case 'l':
		r->line = atoi(arg);
		return 0;
	case 'p':
		r->count = strtoull(arg, &end, 10);
		if (*end != ':')
			return -1;
		r->period_ns = strtoull(end + 1, &end, 10);
		return *end || !r->count || r->period_ns < 1000 ? -1 : 0;
	case 'n':
		r->max_events = strtoull(arg, NULL, 10);
		return 0;
	case 't':
		r->timeout_ms = atoi(arg);
		return 0;
	case 'd':
		r->dump = arg;
		return 0;
	}
	return -1;
}

#define EDGES_OPTS "l:p:n:t:d:"
#define EDGES_USAGE \
"  -l LINE            chip line the events come from (for scoring)\n" \
"  -p COUNT:PERIOD_NS drive a train of COUNT toggles on LINE through\n" \
"                     " CHIP_DEBUGFS "/pulse and run until it is over\n" \
"  -n MAX             stop after MAX events\n" \
"  -t MS              give up after MS milliseconds\n" \
"  -d FILE            write the events: ts_ns read_ns rising flagged\n"

#endif /* EDGES_COMMON_H */
