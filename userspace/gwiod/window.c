// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The modes: raw batches, window statistics and downsampling, each fed
 * only samples that passed scaling and the deadband (point.c).
 */
#include <math.h>

#include "pipeline_impl.h"

/* ------------------------------------------------------------ Welford */

void gwiod_stats_reset(struct gwiod_stats *stats)
{
	*stats = (struct gwiod_stats){ 0 };
}

void gwiod_stats_add(struct gwiod_stats *stats, uint64_t ts_ns, double value)
{
	double deviation, delta;

	stats->count++;
	if (stats->count == 1) {
		stats->shift = value;
		stats->mean_deviation = 0;
		stats->m2 = 0;
		stats->min = value;
		stats->max = value;
		stats->first = (struct gwiod_sample){ ts_ns, value };
		stats->last = stats->first;
		return;
	}
	/*
	 * Welford's update on deviations from the first value.  Welford
	 * alone keeps the variance of 1e9 + tiny noise (sum(x^2) - n*mean^2
	 * cancels to garbage), but its running mean of 1e9 still rounds to
	 * ulp(1e9) at every step and drifts; the deviations are small, so
	 * their mean rounds at their own scale.  For nearby values value -
	 * shift is exact.
	 */
	deviation = value - stats->shift;
	delta = deviation - stats->mean_deviation;
	stats->mean_deviation += delta / (double)stats->count;
	stats->m2 += delta * (deviation - stats->mean_deviation);
	if (value < stats->min)
		stats->min = value;
	if (value > stats->max)
		stats->max = value;
	/* Sources may interleave slightly out of order; time decides. */
	if (ts_ns < stats->first.ts_ns)
		stats->first = (struct gwiod_sample){ ts_ns, value };
	if (ts_ns >= stats->last.ts_ns)
		stats->last = (struct gwiod_sample){ ts_ns, value };
}

double gwiod_stats_mean(const struct gwiod_stats *stats)
{
	return stats->shift + stats->mean_deviation;
}

double gwiod_stats_std(const struct gwiod_stats *stats)
{
	if (stats->count < 2)
		return 0;
	return sqrt(stats->m2 / (double)(stats->count - 1));
}

/* ------------------------------------------------------------- events */

static void emit(struct gwiod_point *point, const struct gwiod_sink *sink,
		 const struct gwiod_event *event)
{
	point->stats.events++;
	if (sink->emit(sink->ctx, event) < 0)
		point->stats.event_errors++;
}

static void emit_window(struct gwiod_point *point,
			const struct gwiod_sink *sink)
{
	const struct gwiod_stats *stats = &point->window;
	struct gwiod_event event = {
		.kind = GWIOD_EVENT_WINDOW,
		.point = &point->info,
		.window = {
			.start_ns = point->window_start_ns,
			.end_ns = point->window_end_ns,
			.count = stats->count,
			.mean = gwiod_stats_mean(stats),
			.min = stats->min,
			.max = stats->max,
			.std = gwiod_stats_std(stats),
			.first = stats->first,
			.last = stats->last,
		},
	};

	point->emitted_until_ns = point->window_end_ns;
	gwiod_stats_reset(&point->window);
	emit(point, sink, &event);
}

static void emit_batch(struct gwiod_point *point,
		       const struct gwiod_sink *sink)
{
	struct gwiod_event event = {
		.kind = GWIOD_EVENT_BATCH,
		.point = &point->info,
		.batch = { point->batch, point->batch_count },
	};

	emit(point, sink, &event);
	point->batch_count = 0;
}

/* ---------------------------------------------------------- the modes */

/* Window k = [k*W, (k+1)*W) in the source clock, whatever the first ts. */
static void locate_window(struct gwiod_point *point, uint64_t ts_ns)
{
	point->window_start_ns = ts_ns - ts_ns % point->window_ns;
	point->window_end_ns = gwiod_add_saturating(point->window_start_ns,
						    point->window_ns);
}

static void accept_window(struct gwiod_point *point,
			  const struct gwiod_sink *sink,
			  uint64_t ts_ns, double value)
{
	if (point->window.count > 0) {
		if (ts_ns >= point->window_start_ns &&
		    ts_ns < point->window_end_ns) {
			gwiod_stats_add(&point->window, ts_ns, value);
			return;
		}
		if (ts_ns >= point->window_end_ns)
			emit_window(point, sink);
	}
	/* Emitted or behind the open window: it cannot be reopened. */
	if (ts_ns < point->emitted_until_ns ||
	    (point->window.count > 0 && ts_ns < point->window_start_ns)) {
		point->stats.late++;
		return;
	}
	locate_window(point, ts_ns);
	gwiod_stats_add(&point->window, ts_ns, value);
}

static void accept_downsample(struct gwiod_point *point,
			      const struct gwiod_sink *sink,
			      uint64_t ts_ns, double value)
{
	struct gwiod_event event = {
		.kind = GWIOD_EVENT_VALUE,
		.point = &point->info,
		.value = { ts_ns, value },
	};

	if (ts_ns < point->emitted_until_ns) {
		/* The window's first sample went out already. */
		if (ts_ns < point->window_start_ns)
			point->stats.late++;
		return;
	}
	locate_window(point, ts_ns);
	point->emitted_until_ns = point->window_end_ns;
	emit(point, sink, &event);
}

static void accept_raw(struct gwiod_point *point,
		       const struct gwiod_sink *sink,
		       uint64_t ts_ns, double value)
{
	if (point->batch_count > 0 && ts_ns >= point->batch_deadline_ns)
		emit_batch(point, sink);
	if (point->batch_count == 0)
		point->batch_deadline_ns =
			gwiod_add_saturating(ts_ns, point->batch_max_span_ns);
	point->batch[point->batch_count++] = (struct gwiod_sample){ ts_ns,
								    value };
	/* Full: send now rather than hold it until the next sample. */
	if (point->batch_count == point->batch_capacity)
		emit_batch(point, sink);
}

void gwiod_point_accept(struct gwiod_point *point,
			const struct gwiod_sink *sink,
			uint64_t ts_ns, double value)
{
	switch (point->mode) {
	case GWIOD_MODE_WINDOW:
		accept_window(point, sink, ts_ns, value);
		break;
	case GWIOD_MODE_RAW:
		accept_raw(point, sink, ts_ns, value);
		break;
	case GWIOD_MODE_DOWNSAMPLE:
		accept_downsample(point, sink, ts_ns, value);
		break;
	}
}

void gwiod_point_flush(struct gwiod_point *point,
		       const struct gwiod_sink *sink, uint64_t now_ns)
{
	switch (point->mode) {
	case GWIOD_MODE_WINDOW:
		if (point->window.count > 0 && now_ns >= point->window_end_ns)
			emit_window(point, sink);
		break;
	case GWIOD_MODE_RAW:
		if (point->batch_count > 0 &&
		    now_ns >= point->batch_deadline_ns)
			emit_batch(point, sink);
		break;
	case GWIOD_MODE_DOWNSAMPLE:
		break;	/* emits on arrival: nothing is ever pending */
	}
}

void gwiod_point_drain(struct gwiod_point *point,
		       const struct gwiod_sink *sink)
{
	switch (point->mode) {
	case GWIOD_MODE_WINDOW:
		if (point->window.count > 0)
			emit_window(point, sink);
		break;
	case GWIOD_MODE_RAW:
		if (point->batch_count > 0)
			emit_batch(point, sink);
		break;
	case GWIOD_MODE_DOWNSAMPLE:
		break;
	}
}
