// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A gwio ring as a source: /dev/gwioN, or a memory ring filled by a
 * userspace producer (gwio-simring) for tests, benchmarks and replays.
 *
 * Records are copied out in batches with gwio_ring_read() rather than
 * peeked in place, because an overwrite ring may change a peeked record
 * under us; the copy is a few ns per record against the pipeline's ~15.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libgwio.h"
#include "source.h"

/* 64 KiB of records per read: amortises the read, stays in L2. */
#define READ_BATCH	4096

struct gwio_source {
	struct gwio_ring *ring;
	char *path;
	struct gwio_record buf[READ_BATCH];
};

static int gwio_open(struct gwiod_source *src,
		     const struct gwiod_config_source *config,
		     char *err, size_t err_size)
{
	struct gwio_source *g = calloc(1, sizeof(*g));
	struct gwio_ring_info info;

	if (!g || !(g->path = strdup(config->gwio.device))) {
		free(g);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	g->ring = gwio_ring_open(g->path, O_NONBLOCK);
	if (!g->ring) {
		char why[512];

		gwio_ring_strerror(g->path, errno, why, sizeof(why));
		snprintf(err, err_size, "source %s: %s", config->name, why);
		free(g->path);
		free(g);
		return -1;
	}
	gwio_ring_get_info(g->ring, &info);
	/*
	 * Start acquisition; it stays on when gwiod exits so that a restart
	 * loses nothing that fits in the ring.  A memory ring has no switch.
	 */
	if (info.is_device && gwio_ring_start(g->ring) < 0) {
		snprintf(err, err_size, "source %s: starting %s: %s",
			 config->name, g->path, strerror(errno));
		gwio_ring_close(g->ring);
		free(g->path);
		free(g);
		return -1;
	}
	/* a memory ring's fd is always readable: drain it by tick */
	src->fd = info.is_device ? gwio_ring_fd(g->ring) : -1;
	src->clock_id = info.clock_id;
	src->priv = g;
	return 0;
}

static void gwio_close(struct gwiod_source *src)
{
	struct gwio_source *g = src->priv;

	gwio_ring_close(g->ring);
	free(g->path);
	free(g);
}

static bool gwio_same(const struct gwiod_source *src,
		      const struct gwiod_config_source *config)
{
	const struct gwio_source *g = src->priv;

	return !strcmp(g->path, config->gwio.device);
}

/* Unsigned arithmetic: wraps like the offset's two's complement intends. */
static void shift_timestamps(struct gwio_record *recs, size_t count,
			     int64_t offset_ns)
{
	uint64_t shift = (uint64_t)offset_ns;
	size_t i;

	for (i = 0; i < count; i++)
		recs[i].ts_ns += shift;
}

static long gwio_drain(struct gwiod_source *src,
		       struct gwiod_pipeline *pipeline, size_t budget)
{
	struct gwio_source *g = src->priv;
	size_t total = 0;
	ssize_t n;

	while (total < budget) {
		n = gwio_ring_read(g->ring, g->buf, READ_BATCH, NULL);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			return -1;
		}
		if (n == 0)
			break;
		if (src->ts_offset_ns)
			shift_timestamps(g->buf, (size_t)n, src->ts_offset_ns);
		gwiod_pipeline_push_records(pipeline, src->device, g->buf,
					    (size_t)n);
		total += (size_t)n;
		src->samples += (uint64_t)n;
		if (n < READ_BATCH)
			break;
	}
	return (long)total;
}

static int gwio_health(struct gwiod_source *src, char *buf, size_t size)
{
	struct gwio_source *g = src->priv;
	struct gwio_ring_stats st;

	if (gwio_ring_get_stats(g->ring, &st) < 0)
		return snprintf(buf, size, ",\"error\":\"%s\"",
				strerror(errno));
	return snprintf(buf, size,
			",\"produced\":%" PRIu64 ",\"dropped\":%" PRIu64
			",\"overruns\":%" PRIu64 ",\"lost\":%" PRIu64,
			st.produced, st.dropped, st.overruns, st.lost);
}

const struct gwiod_source_ops gwiod_source_gwio_ops = {
	.type = GWIOD_SOURCE_GWIO,
	.type_name = "gwio",
	.open = gwio_open,
	.close = gwio_close,
	.same = gwio_same,
	.drain = gwio_drain,
	.health = gwio_health,
};
