/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Host benchmark of the gwio ring: kmod/gwio_ring.h's producer and consumer
 * on two pinned threads over a memfd ring (the device's layout), drop-newest
 * policy.  The producer waits for room instead of dropping, so a run
 * measures the rate the ring sustains with zero loss, and the consumer
 * checks every record's content and sequence number to prove it.
 *
 * When it finds the ring empty the consumer pauses briefly (IDLE_SPINS)
 * before looking again, as a watermark-woken consumer would; one that
 * re-reads head flat out falls into one-record batches and the publish-
 * every-record figures swing by 5x from run to run.
 *
 * Variants: publish every record or every batch; the consumer copies
 * batches (gwio_ring_cons_read) or reads in place (gwio_ring_cons_peek); and
 * the same through libgwio's gwio_ring_read().  A last, informational run
 * overloads an overwrite ring to show what a slow consumer still gets.
 *
 * Output: one "bench NAME VALUE" line per figure, for scripts, plus a
 * human-readable line per run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libgwio.h"
#include "gwio_ring.h"

#ifndef IDLE_SPINS
#define IDLE_SPINS 16
#endif

enum consumer_kind { CONSUME_COPY, CONSUME_PEEK, CONSUME_LIBGWIO };

struct config {
	uint64_t records;
	unsigned int repeat;
	uint32_t ring_records;
	uint32_t publish_batch;
	uint32_t read_batch;
	int producer_cpu;
	int consumer_cpu;
};

struct run {
	const char *name;
	const struct config *cfg;
	uint32_t publish_every;
	enum consumer_kind consumer;
	enum gwio_overflow overflow;
	bool paced;			/* producer waits for room */

	struct gwio_memring *ring;
	int ready;			/* threads waiting at the start line */
	int producer_done;

	/* consumer results */
	uint64_t received;
	uint64_t errors;
	uint64_t lost;
	double seconds;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pin(int cpu, const char *who)
{
	cpu_set_t set;
	int err;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err)
		fprintf(stderr, "bench_ring: cannot pin %s to CPU %d: %s\n",
			who, cpu, strerror(err));
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * An empty ring: let records pile up before looking at head again.  A
 * consumer that re-reads head as fast as it can takes head's cache line
 * away from the producer at every publish and falls into reading one
 * record per call; a real consumer sleeps until a watermark instead.
 */
static inline void idle_wait(void)
{
	int i;

	for (i = 0; i < IDLE_SPINS; i++)
		cpu_relax();
}

/* Both threads start together so neither measures the other's startup. */
static void start_line(struct run *r)
{
	__atomic_add_fetch(&r->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE) < 2)
		cpu_relax();
}

static inline struct gwio_record make_rec(uint64_t i)
{
	struct gwio_record rec = {
		.ts_ns = i,
		.value = (uint32_t)i,
		.channel = (uint16_t)(i & 7),
		.kind = GWIO_KIND_SIM,
	};
	return rec;
}

static inline bool rec_ok(const struct gwio_record *rec, uint64_t i)
{
	return rec->ts_ns == i && rec->value == (uint32_t)i &&
	       rec->channel == (i & 7) && rec->kind == GWIO_KIND_SIM &&
	       rec->flags == 0;
}

static void *producer(void *arg)
{
	struct run *r = arg;
	struct gwio_ring_prod *p = gwio_memring_producer(r->ring);
	uint64_t i, n = r->cfg->records;
	uint32_t every = r->publish_every, pending = 0;

	pin(r->cfg->producer_cpu, "producer");
	start_line(r);
	for (i = 0; i < n; i++) {
		struct gwio_record rec = make_rec(i);

		if (r->paced && gwio_ring_prod_full(p)) {
			/* the consumer can only free what it can see */
			gwio_ring_prod_publish(p);
			pending = 0;
			while (gwio_ring_prod_full(p))
				cpu_relax();
		}
		gwio_ring_prod_push(p, &rec);
		if (++pending == every) {
			gwio_ring_prod_publish(p);
			pending = 0;
		}
	}
	gwio_ring_prod_publish(p);
	__atomic_store_n(&r->producer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* After the producer finished, one more empty look means "drained". */
static bool drained(struct run *r, bool *done_seen)
{
	if (*done_seen)
		return true;
	*done_seen = __atomic_load_n(&r->producer_done, __ATOMIC_ACQUIRE);
	return false;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	struct gwio_ring_prod *p = gwio_memring_producer(r->ring);
	uint32_t batch = r->cfg->read_batch;
	struct gwio_record *buf = calloc(batch, sizeof(*buf));
	struct gwio_ring *ring = NULL;
	struct gwio_ring_cons c;
	uint64_t expect = 0, errors = 0, received = 0, lost = 0;
	bool done_seen = false;
	double t0;

	if (!buf) {
		perror("bench_ring: calloc");
		exit(EXIT_FAILURE);
	}
	gwio_ring_cons_init(&c, (struct gwio_consumer *)p->cons, p->shared,
			    p->recs);
	if (r->consumer == CONSUME_LIBGWIO) {
		ring = gwio_ring_open_fd(gwio_memring_fd(r->ring), O_NONBLOCK);
		if (!ring) {
			perror("bench_ring: gwio_ring_open_fd");
			exit(EXIT_FAILURE);
		}
	}
	pin(r->cfg->consumer_cpu, "consumer");
	start_line(r);
	t0 = now_s();

	for (;;) {
		const struct gwio_record *recs = buf;
		uint64_t seq;
		u64 ring_seq;
		uint32_t i, n;

		switch (r->consumer) {
		case CONSUME_COPY:
			n = gwio_ring_cons_read(&c, buf, batch, &ring_seq);
			seq = ring_seq;
			break;
		case CONSUME_PEEK:
			seq = c.tail;
			n = gwio_ring_cons_peek(&c, &recs, batch);
			break;
		default: {
			ssize_t got = gwio_ring_read(ring, buf, batch, &seq);

			if (got < 0 && errno != EAGAIN) {
				perror("bench_ring: gwio_ring_read");
				exit(EXIT_FAILURE);
			}
			n = got < 0 ? 0 : (uint32_t)got;
			break;
		}
		}
		if (!n) {
			if (drained(r, &done_seen))
				break;
			idle_wait();
			continue;
		}
		if (r->overflow == GWIO_OVERFLOW_OVERWRITE) {
			/* what was taken back shows as a jump in seq */
			lost += seq - expect;
			expect = seq;
		} else if (seq != expect) {
			errors++;
			expect = seq;
		}
		for (i = 0; i < n; i++)
			errors += !rec_ok(&recs[i], expect + i);
		expect += n;
		received += n;
		if (r->consumer == CONSUME_PEEK) {
			gwio_ring_cons_skip(&c, n);
			gwio_ring_cons_release(&c);
		}
	}
	r->seconds = now_s() - t0;
	r->received = received;
	r->errors = errors;
	r->lost = lost;
	gwio_ring_close(ring);
	free(buf);
	return NULL;
}

static int run_one(struct run *r)
{
	pthread_t prod, cons;
	int err;

	r->ready = 0;
	r->producer_done = 0;
	r->ring = gwio_memring_create(r->cfg->ring_records, r->overflow,
				      CLOCK_MONOTONIC);
	if (!r->ring) {
		perror("bench_ring: gwio_memring_create");
		return -1;
	}
	err = pthread_create(&cons, NULL, consumer, r);
	if (!err)
		err = pthread_create(&prod, NULL, producer, r);
	if (err) {
		fprintf(stderr, "bench_ring: pthread_create: %s\n", strerror(err));
		exit(EXIT_FAILURE);
	}
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: bench_ring [-n RECORDS] [-k REPEAT] [-r RING_RECORDS]\n"
"                  [-p PUBLISH_BATCH] [-b READ_BATCH] [-P PRODUCER_CPU]\n"
"                  [-C CONSUMER_CPU]\n"
"Defaults: -n 200000000 -k 3 -r 4096 -p 64 -b 256 -P 0 -C 1 (CPU -1: no\n"
"pin).  Each variant runs REPEAT times; the figure is the median rate.\n"
"Exit status 1 if any run lost, reordered or corrupted a record.\n");
}

static bool parse_num(const char *s, long long min, long long max,
		      long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 0);
	return !errno && *s && !*end && *out >= min && *out <= max;
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.records = 200000000,
		.repeat = 3,
		.ring_records = 4096,
		.publish_batch = 64,
		.read_batch = 256,
		.producer_cpu = 0,
		.consumer_cpu = 1,
	};
#define RUN(n, every, how, policy, pace)				\
	{ .name = n, .cfg = &cfg, .publish_every = every,		\
	  .consumer = how, .overflow = policy, .paced = pace }
	struct run runs[] = {
		RUN("pub1_copy", 1, CONSUME_COPY, GWIO_OVERFLOW_DROP_NEWEST, true),
		RUN("pubN_copy", 0, CONSUME_COPY, GWIO_OVERFLOW_DROP_NEWEST, true),
		RUN("pub1_peek", 1, CONSUME_PEEK, GWIO_OVERFLOW_DROP_NEWEST, true),
		RUN("pubN_peek", 0, CONSUME_PEEK, GWIO_OVERFLOW_DROP_NEWEST, true),
		RUN("pubN_libgwio_read", 0, CONSUME_LIBGWIO,
		    GWIO_OVERFLOW_DROP_NEWEST, true),
		RUN("overwrite_overload", 0, CONSUME_COPY,
		    GWIO_OVERFLOW_OVERWRITE, false),
	};
#undef RUN
	double headline = 0;
	long long v;
	size_t i;
	int opt, status = EXIT_SUCCESS;

	while ((opt = getopt(argc, argv, "n:k:r:p:b:P:C:h")) != -1) {
		switch (opt) {
		case 'k':
			if (!parse_num(optarg, 1, 1000, &v))
				goto bad;
			cfg.repeat = (unsigned int)v;
			break;
		case 'n':
			if (!parse_num(optarg, 1, INT64_MAX, &v))
				goto bad;
			cfg.records = (uint64_t)v;
			break;
		case 'r':
			if (!parse_num(optarg, 2, 1 << 24, &v) || (v & (v - 1)))
				goto bad;
			cfg.ring_records = (uint32_t)v;
			break;
		case 'p':
			if (!parse_num(optarg, 1, 1 << 20, &v))
				goto bad;
			cfg.publish_batch = (uint32_t)v;
			break;
		case 'b':
			if (!parse_num(optarg, 1, 1 << 20, &v))
				goto bad;
			cfg.read_batch = (uint32_t)v;
			break;
		case 'P':
			if (!parse_num(optarg, -1, CPU_SETSIZE - 1, &v))
				goto bad;
			cfg.producer_cpu = (int)v;
			break;
		case 'C':
			if (!parse_num(optarg, -1, CPU_SETSIZE - 1, &v))
				goto bad;
			cfg.consumer_cpu = (int)v;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		goto bad_usage;

	printf("# %" PRIu64 " records x %u runs per variant, ring %u records, "
	       "publish batch %u, read batch %u, CPUs %d/%d\n", cfg.records,
	       cfg.repeat, cfg.ring_records, cfg.publish_batch, cfg.read_batch,
	       cfg.producer_cpu, cfg.consumer_cpu);
	fflush(stdout);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct run *r = &runs[i];
		double rates[1000], reach = 0, mrps;
		char name[64];
		unsigned int k;
		bool ok = true;

		if (!r->publish_every)
			r->publish_every = cfg.publish_batch;
		snprintf(name, sizeof(name), "%s", r->name);
		if (strstr(name, "pubN"))
			snprintf(name, sizeof(name), "pub%u%s", cfg.publish_batch,
				 r->name + 4);
		for (k = 0; k < cfg.repeat; k++) {
			struct gwio_ring_counters cnt, *sh = &cnt;

			if (run_one(r) < 0)
				return EXIT_FAILURE;
			gwio_ring_read_counters(gwio_memring_producer(r->ring)->shared,
						&cnt);
			rates[k] = (double)r->received / r->seconds / 1e6;
			if (r->paced && (r->errors || r->received != cfg.records ||
					 sh->produced != cfg.records ||
					 sh->dropped)) {
				fprintf(stderr, "bench_ring: %s: received %" PRIu64
					" of %" PRIu64 ", %" PRIu64 " errors, %llu "
					"dropped\n", name, r->received,
					cfg.records, r->errors,
					(unsigned long long)sh->dropped);
				ok = false;
			}
			/*
			 * overload: accounting is all there is to check.  ABI
			 * 2: every position delivered or lost, and the
			 * producer's dropped never more than the loss.
			 */
			if (!r->paced && (r->errors || r->lost < sh->dropped ||
					  r->received + r->lost !=
					  sh->produced)) {
				fprintf(stderr, "bench_ring: %s: accounting wrong\n",
					name);
				ok = false;
			}
			reach += (double)r->received / (double)cfg.records;
			gwio_memring_close(r->ring);
		}
		qsort(rates, cfg.repeat, sizeof(rates[0]), cmp_double);
		mrps = rates[cfg.repeat / 2];
		if (!ok)
			status = EXIT_FAILURE;

		if (r->paced) {
			printf("bench ring_host_mrps_%s %.2f\n", name, mrps);
			printf("%-20s %7.2f M records/s median (%.2f..%.2f), %s\n",
			       name, mrps, rates[0], rates[cfg.repeat - 1], ok ?
			       "zero loss, sequence and content verified" :
			       "FAILED");
			/* the headline: publish per batch, batch copies */
			if (!strcmp(r->name, "pubN_copy"))
				headline = ok ? mrps : 0;
		} else {
			printf("bench ring_host_mrps_%s_consumer %.2f\n", name, mrps);
			printf("%-20s %7.2f M records/s median (%.2f..%.2f) reach "
			       "the consumer of a flooded overwrite ring (%.1f%% "
			       "of offered), accounting %s\n", name, mrps,
			       rates[0], rates[cfg.repeat - 1],
			       100.0 * reach / cfg.repeat, ok ? "exact" : "WRONG");
		}
		fflush(stdout);
	}
	printf("bench ring_host_mrps %.2f\n", headline);
	return status;

bad:
	fprintf(stderr, "bench_ring: bad value '%s' for -%c\n", optarg, opt);
bad_usage:
	usage(stderr);
	return 2;
}
