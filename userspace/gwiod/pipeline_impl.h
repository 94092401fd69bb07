/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What point.c (table, scaling, deadband) and window.c (the modes) share.
 * Not for sources or sinks: they see only pipeline.h.
 */
#ifndef GWIOD_PIPELINE_IMPL_H
#define GWIOD_PIPELINE_IMPL_H

#include "pipeline.h"

/* End of a point chain and of an unbound channel. */
#define GWIOD_NO_POINT	UINT32_MAX

/*
 * Points are 32-byte aligned, so their size is a multiple of 32 (288 on
 * LP64) and &points[id] is one lea and one shift: at 272 bytes it took
 * four instructions, for every sample.  gwiod_pipeline_create() allocates
 * them with aligned_alloc().
 */
#define GWIOD_POINT_ALIGN	32

struct gwiod_point {
	/* Read for every sample of the point's channel: keep them together. */
	/* value = (raw * scale_numerator + offset_numerator) / divisor */
	_Alignas(GWIOD_POINT_ALIGN) double scale_numerator;
	double offset_numerator;
	double divisor;
	double deadband;
	double last_reported_raw;	/* deadband reference */
	bool has_reported;
	enum gwiod_mode mode;
	uint32_t next_on_channel;	/* another point on the same channel */
	uint64_t window_ns;

	/*
	 * WINDOW: the open window is [window_start_ns, window_end_ns) while
	 * window.count > 0.  DOWNSAMPLE: the window whose first sample went
	 * out last.  Both: nothing before emitted_until_ns is accepted, so a
	 * window is never emitted twice.
	 */
	uint64_t window_start_ns;
	uint64_t window_end_ns;
	uint64_t emitted_until_ns;

	/*
	 * A point has one mode, so the window statistics and the raw batch
	 * share their space: a smaller point is fewer cache lines per sample.
	 */
	union {
		struct {	/* WINDOW */
			struct gwiod_stats window;
			/* the window's first raw value, as window.shift */
			double window_raw_shift;
			/* sum of raw - window_raw_shift over the window */
			double window_raw_deviations;
		};
		struct {	/* RAW */
			struct gwiod_sample *batch;	/* batch_capacity */
			uint32_t batch_count;
			uint32_t batch_capacity;
			uint64_t batch_max_span_ns;
			/* first sample's ts + span */
			uint64_t batch_deadline_ns;
		};
	};

	struct gwiod_point_stats stats;
	struct gwiod_point_info info;
};

/*
 * Mode stage, window.c: the sample passed scaling and the deadband.
 * @value is @raw scaled; the window sum is taken from @raw.
 */
void gwiod_point_accept(struct gwiod_point *point,
			const struct gwiod_sink *sink,
			uint64_t ts_ns, double raw, double value);
void gwiod_point_flush(struct gwiod_point *point,
		       const struct gwiod_sink *sink, uint64_t now_ns);
void gwiod_point_drain(struct gwiod_point *point,
		       const struct gwiod_sink *sink);

/* a + b, or UINT64_MAX instead of wrapping. */
static inline uint64_t gwiod_add_saturating(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

#endif /* GWIOD_PIPELINE_IMPL_H */
