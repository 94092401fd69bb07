/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Throughput of the gwiod core pipeline on one core: gwio_record arrays in
 * memory -> gwiod_pipeline_push_records() -> point lookup, scaling,
 * deadband, mode -> a sink that only counts.  No ring, no JSON: this is
 * the cost the pipeline adds per sample.
 *
 * The workload is one device with P channels sampled round-robin, one
 * record per microsecond of ring time (each channel at 1 MHz / P), values
 * a random walk of a 12-bit ADC code, scale 0.01 and a deadband of half a
 * code, so about a third of the samples (the repeats) are filtered.  The
 * records sit in a CHUNK-sized array replayed with timestamps moved
 * forward between passes (untimed), and gwiod_pipeline_flush() runs every
 * 100 ms of ring time, as the daemon would.
 *
 * Modes: window (1 s windows, the headline figure), raw (batches of up
 * to 1000 or 100 ms) and downsample (10 ms).  A last figure is the JSON
 * encoding rate of raw batches, for sizing the publisher.
 *
 * Output: "bench NAME VALUE" lines (million samples/s, median of -r runs)
 * plus one human-readable line per run.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"

#define CHUNK_RECORDS	(1u << 20)
#define RECORD_INTERVAL_NS	1000u		/* 1 M records/s */
#define FLUSH_EVERY_RECORDS	100000u		/* 100 ms of ring time */

struct config {
	uint64_t samples;
	uint32_t points;
	unsigned int repeat;
	const char *only;	/* one mode's name, or NULL for all */
};

struct counting_sink {
	uint64_t events;
	uint64_t samples;
	double checksum;	/* keeps the compiler from skipping work */
};

static int count_event(void *ctx, const struct gwiod_event *event)
{
	struct counting_sink *sink = ctx;

	sink->events++;
	switch (event->kind) {
	case GWIOD_EVENT_WINDOW:
		sink->samples += event->window.count;
		sink->checksum += event->window.mean;
		break;
	case GWIOD_EVENT_BATCH:
		sink->samples += event->batch.count;
		sink->checksum += event->batch.samples[0].value;
		break;
	case GWIOD_EVENT_VALUE:
		sink->samples++;
		sink->checksum += event->value.value;
		break;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static struct gwio_record *make_records(uint32_t points)
{
	struct gwio_record *recs = malloc(CHUNK_RECORDS * sizeof(*recs));
	uint32_t *level = calloc(points, sizeof(*level));
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	if (!recs || !level) {
		perror("malloc");
		exit(2);
	}
	for (uint32_t i = 0; i < points; i++)
		level[i] = 2048;
	for (uint32_t i = 0; i < CHUNK_RECORDS; i++) {
		uint32_t channel = i % points;

		/* -1, 0 or +1 code: a third of the samples repeat */
		level[channel] = (level[channel] + 4095 +
				  (uint32_t)(next_random(&seed) % 3)) & 4095;
		recs[i] = (struct gwio_record){
			.ts_ns = (uint64_t)i * RECORD_INTERVAL_NS,
			.value = level[channel],
			.channel = (uint16_t)channel,
			.kind = GWIO_KIND_ADC,
		};
	}
	free(level);
	return recs;
}

static struct gwiod_point_config *make_points(uint32_t count,
					      enum gwiod_mode mode)
{
	struct gwiod_point_config *cfg = calloc(count, sizeof(*cfg));
	static char names[65536][16];

	if (!cfg) {
		perror("calloc");
		exit(2);
	}
	for (uint32_t i = 0; i < count; i++) {
		snprintf(names[i], sizeof(names[i]), "p%" PRIu32, i);
		cfg[i] = (struct gwiod_point_config){
			.name = names[i], .unit = "V",
			.device = 0, .channel = (uint16_t)i,
			.scale = 0.01, .offset = -20.48, .deadband = 0.005,
			.mode = mode,
			.batch_max_samples = 1000,
			.batch_max_span_ns = 100000000,
			.window_ns = mode == GWIOD_MODE_DOWNSAMPLE ?
				     10000000 : 1000000000,
		};
	}
	return cfg;
}

/* Million samples/s through the pipeline for one run of @cfg->samples. */
static double run_pipeline(const struct config *cfg, enum gwiod_mode mode,
			   struct gwio_record *recs, const char *name)
{
	struct counting_sink counts = { 0 };
	const struct gwiod_sink sink = { count_event, &counts };
	struct gwiod_point_config *points = make_points(cfg->points, mode);
	struct gwiod_pipeline *pipeline;
	uint64_t done = 0, ring_time = 0;
	double busy = 0;
	char err[128];

	pipeline = gwiod_pipeline_create(points, cfg->points, &sink, err,
					 sizeof(err));
	if (!pipeline) {
		fprintf(stderr, "gwiod_pipeline_create: %s\n", err);
		exit(2);
	}
	while (done < cfg->samples) {
		uint64_t left = cfg->samples - done;
		uint32_t chunk = left < CHUNK_RECORDS ? (uint32_t)left
						      : CHUNK_RECORDS;
		double start;

		/* Untimed: the next pass happens later in ring time. */
		for (uint32_t i = 0; i < chunk; i++)
			recs[i].ts_ns = ring_time + (uint64_t)i *
						    RECORD_INTERVAL_NS;

		start = now_s();
		for (uint32_t at = 0; at < chunk; at += FLUSH_EVERY_RECORDS) {
			uint32_t n = chunk - at < FLUSH_EVERY_RECORDS ?
				     chunk - at : FLUSH_EVERY_RECORDS;

			gwiod_pipeline_push_records(pipeline, 0, recs + at, n);
			gwiod_pipeline_flush(pipeline,
					     recs[at + n - 1].ts_ns);
		}
		busy += now_s() - start;
		done += chunk;
		ring_time += (uint64_t)chunk * RECORD_INTERVAL_NS;
	}
	gwiod_pipeline_drain(pipeline);

	{
		uint64_t filtered = 0;
		struct gwiod_point_stats st;

		for (uint32_t i = 0; i < cfg->points; i++) {
			gwiod_pipeline_point_stats(pipeline, i, &st);
			filtered += st.filtered;
		}
		printf("%-10s %" PRIu64 " samples over %" PRIu32
		       " points in %.3f s: %.1f M samples/s; %" PRIu64
		       " filtered, %" PRIu64 " events (checksum %.6g)\n",
		       name, done, cfg->points, busy, done / busy / 1e6,
		       filtered, counts.events, counts.checksum);
	}
	gwiod_pipeline_destroy(pipeline);
	free(points);
	return done / busy / 1e6;
}

/* Million samples/s encoded as JSON in 1000-sample raw batches. */
static double run_payload(void)
{
	enum { BATCH = 1000 };
	static struct gwiod_sample samples[BATCH];
	static char buf[BATCH * 64];
	const struct gwiod_point_info info = { .name = "p1", .unit = "V" };
	const struct gwiod_event event = {
		.kind = GWIOD_EVENT_BATCH, .point = &info,
		.batch = { samples, BATCH },
	};
	uint64_t encoded = 0, bytes = 0;
	double start, elapsed;

	for (int i = 0; i < BATCH; i++)
		samples[i] = (struct gwiod_sample){
			1700000000000000000ull + i * 100000ull,
			(i * 7 % 4096) * 0.01 - 20.48,
		};
	start = now_s();
	do {
		for (int rep = 0; rep < 50; rep++) {
			int len = gwiod_payload_encode(&event, NULL, buf,
						       sizeof(buf));

			if (len < 0 || (size_t)len >= sizeof(buf)) {
				fprintf(stderr, "encode failed: %d\n", len);
				exit(2);
			}
			bytes += (uint64_t)len;
			encoded += BATCH;
		}
		elapsed = now_s() - start;
	} while (elapsed < 0.5);
	printf("payload    %" PRIu64 " samples as JSON batches of %d in "
	       "%.3f s: %.2f M samples/s, %.1f bytes/sample\n",
	       encoded, BATCH, elapsed, encoded / elapsed / 1e6,
	       (double)bytes / encoded);
	return encoded / elapsed / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), compare_doubles);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-n samples] [-p points] [-r repeat] [-m mode]\n"
		"  -n  samples per run (default 100000000)\n"
		"  -p  points, one per channel (default 1000, max 65536)\n"
		"  -r  runs per figure, median reported (default 1)\n"
		"  -m  window, raw, downsample or payload (default: all)\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *figure;
		enum gwiod_mode mode;
	} modes[] = {
		{ "window", "pipeline_msps", GWIOD_MODE_WINDOW },
		{ "raw", "pipeline_msps_raw", GWIOD_MODE_RAW },
		{ "downsample", "pipeline_msps_downsample",
		  GWIOD_MODE_DOWNSAMPLE },
	};
	struct config cfg = { .samples = 100000000, .points = 1000,
			      .repeat = 1 };
	struct gwio_record *recs;
	double *results;
	int opt;

	while ((opt = getopt(argc, argv, "n:p:r:m:")) != -1) {
		switch (opt) {
		case 'n':
			cfg.samples = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			cfg.points = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			cfg.repeat = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			cfg.only = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!cfg.samples || !cfg.points || cfg.points > 65536 || !cfg.repeat)
		usage(argv[0]);

	recs = make_records(cfg.points);
	results = calloc(cfg.repeat, sizeof(*results));
	if (!results)
		return 2;
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		if (cfg.only && strcmp(cfg.only, modes[m].name))
			continue;
		for (unsigned int r = 0; r < cfg.repeat; r++)
			results[r] = run_pipeline(&cfg, modes[m].mode, recs,
						  modes[m].name);
		printf("bench %s %.1f\n", modes[m].figure,
		       median(results, cfg.repeat));
	}
	if (!cfg.only || !strcmp(cfg.only, "payload")) {
		for (unsigned int r = 0; r < cfg.repeat; r++)
			results[r] = run_payload();
		printf("bench payload_batch_msps %.2f\n",
		       median(results, cfg.repeat));
	}
	free(results);
	free(recs);
	return 0;
}
