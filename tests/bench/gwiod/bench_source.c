// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_source: samples/s from a userspace-filled gwio ring through
 * gwiod's own ring source (source_gwio.c: gwio_ring_read, the clock
 * offset) into the pipeline's windows, on one core.
 *
 *   bench_source [SAMPLES_MILLIONS] [POINTS]     (default 50, 1000)
 *
 * One thread: fill a memory ring (untimed), drain it through the source
 * (timed), again until SAMPLES are done.  1 M records per round at 1 us
 * apart, channels round-robin, one-second windows with all statistics.
 * The sink only counts, so what is timed is gwiod's read side and the
 * aggregation, not the broker.
 *
 * Output: "bench gwiod_ring_windows_msps X" plus a line of detail.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gwio_ring.h"
#include "libgwio.h"
#include "pipeline.h"
#include "source.h"

#define ROUND_RECORDS	(1u << 20)
#define RECORD_NS	1000u

struct counting_sink {
	uint64_t events;
	uint64_t samples;
};

static int count_event(void *ctx, const struct gwiod_event *e)
{
	struct counting_sink *c = ctx;

	c->events++;
	c->samples += e->window.count;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t total = (argc > 1 ? strtoull(argv[1], NULL, 0) : 50) * 1000000u;
	uint32_t points = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1000;
	struct counting_sink counts = { 0 };
	const struct gwiod_sink sink = { count_event, &counts };
	struct gwiod_point_config *cfg;
	struct gwiod_config_source scfg = {
		.name = "bench", .type = GWIOD_SOURCE_GWIO,
	};
	struct gwiod_pipeline *pipeline;
	struct gwiod_source *src;
	struct gwio_memring *ring;
	struct gwio_ring_prod *prod;
	static char names[65536][16];
	char path[64], err[256];
	uint64_t done = 0, t = 0;
	double busy = 0;

	if (!points || points > 65535) {
		fprintf(stderr, "bench_source: 1..65535 points\n");
		return 2;
	}
	ring = gwio_memring_create(ROUND_RECORDS, GWIO_OVERFLOW_DROP_NEWEST,
				   CLOCK_MONOTONIC);
	cfg = calloc(points, sizeof(*cfg));
	if (!ring || !cfg) {
		perror("bench_source: setup");
		return 2;
	}
	prod = gwio_memring_producer(ring);
	for (uint32_t i = 0; i < points; i++) {
		snprintf(names[i], sizeof(names[i]), "p%" PRIu32, i);
		cfg[i] = (struct gwiod_point_config){
			.name = names[i], .unit = "V", .channel = (uint16_t)i,
			.scale = 0.001, .mode = GWIOD_MODE_WINDOW,
			.window_ns = 1000000000,
		};
	}
	pipeline = gwiod_pipeline_create(cfg, points, &sink, err, sizeof(err));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", gwio_memring_fd(ring));
	scfg.gwio.device = path;
	src = pipeline ? gwiod_source_open(&scfg, err, sizeof(err)) : NULL;
	if (!src) {
		fprintf(stderr, "bench_source: %s\n", err);
		return 2;
	}

	while (done < total) {
		struct gwio_record rec = { .kind = GWIO_KIND_ADC };
		uint64_t round = 0;
		double start;
		long n;

		for (uint32_t i = 0; i < ROUND_RECORDS && done + round < total;
		     i++, round++) {
			rec.ts_ns = t;
			rec.channel = (uint16_t)(i % points);
			rec.value = i & 4095;
			if (!gwio_ring_prod_push(prod, &rec))
				break;
			t += RECORD_NS;
		}
		gwio_ring_prod_publish(prod);

		start = now_s();
		do {
			n = src->ops->drain(src, pipeline, ROUND_RECORDS);
		} while (n > 0);
		gwiod_pipeline_flush(pipeline, t + src->ts_offset_ns);
		busy += now_s() - start;
		if (n < 0) {
			perror("bench_source: drain");
			return 1;
		}
		done += round;
	}
	gwiod_pipeline_drain(pipeline);
	if (counts.samples != done || src->samples != done) {
		fprintf(stderr, "bench_source: %" PRIu64 " samples in, %"
			PRIu64 " read, %" PRIu64 " in windows\n", done,
			src->samples, counts.samples);
		return 1;
	}
	printf("source+windows %" PRIu64 " samples over %" PRIu32
	       " points in %.3f s: %.1f M samples/s, %" PRIu64 " windows\n",
	       done, points, busy, (double)done / busy / 1e6, counts.events);
	printf("bench gwiod_ring_windows_msps %.1f\n", (double)done / busy / 1e6);
	gwiod_source_close(src);
	gwiod_pipeline_destroy(pipeline);
	gwio_memring_close(ring);
	free(cfg);
	return 0;
}
