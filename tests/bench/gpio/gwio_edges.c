// SPDX-License-Identifier: GPL-2.0
/*
 * gwio_edges - the gwio side of the GPIO edge benchmark: read one edge
 * channel of a gwio device through libgwio (mmap ring, poll wakeups at the
 * device's watermark/timeout) while the simulated chip pulses its line,
 * and score what arrived against the chip's edge log.
 *
 *   gwio_edges [-D /dev/gwio0] [-c both0] -l 0 -p COUNT:PERIOD_NS
 *   gwio_edges -B -l 5 -p COUNT:PERIOD_NS    # baseline: no consumer
 *
 * A record is classified by its RISING/FALLING flag; GWIO_REC_F_GLITCH
 * says the level read in the handler contradicts it (counted by the
 * driver).  Losses the ring counted: producer `dropped` (delta) plus
 * what this handle skipped.  Prints "key value" lines (edges_common.h).
 */
#include "edges_common.h"

#include <fcntl.h>
#include <getopt.h>
#include <libgwio.h>

struct gw {
	struct gwio_ring *ring;
	int channel;
	uint64_t other;		/* records of other channels */
	uint64_t after_drop;
	struct gwio_record buf[1024];
};

static int gw_wait(void *ctx, int ms)
{
	struct gw *g = ctx;

	return gwio_ring_wait(g->ring, ms);
}

static long gw_read(void *ctx, struct edges_run *r)
{
	struct gw *g = ctx;
	long total = 0;

	for (;;) {
		ssize_t n = gwio_ring_read(g->ring, g->buf,
					   sizeof(g->buf) / sizeof(g->buf[0]),
					   NULL);
		uint64_t rd = mono_ns();
		ssize_t i;

		if (n < 0)
			return errno == EAGAIN ? total : -1;
		for (i = 0; i < n; i++) {
			const struct gwio_record *rec = &g->buf[i];

			if (rec->channel != g->channel) {
				g->other++;
				continue;
			}
			if (rec->flags & GWIO_REC_F_AFTER_DROP)
				g->after_drop++;
			edges_store(r, rec->ts_ns, rd,
				    rec->flags & GWIO_REC_F_RISING,
				    rec->flags & GWIO_REC_F_GLITCH);
		}
		total += n;
		if ((size_t)n < sizeof(g->buf) / sizeof(g->buf[0]))
			return total;
	}
}

static int baseline_wait(void *ctx, int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	(void)ctx;
	nanosleep(&ts, NULL);
	return 0;
}

static long baseline_read(void *ctx, struct edges_run *r)
{
	(void)ctx;
	(void)r;
	return 0;
}

static uint64_t chan_attr(const char *dev, const char *chan, const char *attr)
{
	char path[256];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "/sys/class/gwio/%s/channels/%s/%s",
		 dev, chan, attr);
	read_u64_file(path, &v);
	return v;
}

static void usage(void)
{
	fprintf(stderr,
"usage: gwio_edges [-B] [-D DEVICE] [-c CHANNEL] [options]\n"
"  -D DEVICE          gwio device (default /dev/gwio0)\n"
"  -c CHANNEL         channel name in sysfs (default both0)\n"
"  -B                 baseline: drive the train, consume nothing\n"
EDGES_USAGE);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct gw g;
	struct edges_run r = { 0 };
	const char *dev = "/dev/gwio0", *chan = "both0", *devname;
	struct gwio_ring_stats s0, s1;
	uint64_t ov0, ov1, gl0, gl1, counted;
	bool baseline = false;
	int c, rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "BD:c:" EDGES_OPTS)) != -1) {
		switch (c) {
		case 'B':
			baseline = true;
			break;
		case 'D':
			dev = optarg;
			break;
		case 'c':
			chan = optarg;
			break;
		default:
			if (edges_opt(&r, c, optarg) < 0)
				usage();
		}
	}
	if (optind != argc || (!r.count && !r.max_events && !r.timeout_ms))
		usage();
	if (edges_init(&r) < 0)
		return 1;

	if (baseline) {
		if (edges_begin(&r) < 0 ||
		    edges_loop(&r, NULL, baseline_wait, baseline_read) < 0)
			return 1;
		edges_end(&r);
		printf("consumer none\n");
		return edges_report(&r, 0, 0) ? 1 : 0;
	}

	devname = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	g.channel = (int)chan_attr(devname, chan, "index");
	g.ring = gwio_ring_open(dev, O_NONBLOCK);
	if (!g.ring) {
		perror(dev);
		return 1;
	}
	if (gwio_ring_flush(g.ring) < 0 || gwio_ring_start(g.ring) < 0) {
		perror("flush/start");
		return 1;
	}
	gwio_ring_get_stats(g.ring, &s0);
	ov0 = chan_attr(devname, chan, "overruns");
	gl0 = chan_attr(devname, chan, "glitches");

	if (edges_begin(&r) < 0 || edges_loop(&r, &g, gw_wait, gw_read) < 0)
		rc = 1;
	edges_end(&r);

	gwio_ring_get_stats(g.ring, &s1);
	ov1 = chan_attr(devname, chan, "overruns");
	gl1 = chan_attr(devname, chan, "glitches");
	gwio_ring_stop(g.ring);
	gwio_ring_close(g.ring);

	/* one active channel: the ring's drops are this channel's */
	counted = (s1.dropped - s0.dropped) + (s1.lost - s0.lost);
	printf("consumer gwio\n");
	printf("ring_dropped %" PRIu64 "\n", s1.dropped - s0.dropped);
	printf("ring_lost %" PRIu64 "\n", s1.lost - s0.lost);
	printf("ring_wakeups %" PRIu64 "\n", s1.wakeups - s0.wakeups);
	printf("chan_overruns %" PRIu64 "\n", ov1 - ov0);
	printf("chan_glitches %" PRIu64 "\n", gl1 - gl0);
	printf("after_drop_records %" PRIu64 "\n", g.after_drop);
	printf("other_channel_records %" PRIu64 "\n", g.other);
	if (edges_report(&r, counted, 0))
		rc = 1;
	return rc;
}
