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

/* Inlined into the window mode, where it runs for every sample. */
static inline void stats_add(struct gwiod_stats *stats, uint64_t ts_ns,
			     double value)
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

void gwiod_stats_add(struct gwiod_stats *stats, uint64_t ts_ns, double value)
{
	stats_add(stats, ts_ns, value);
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

/* ------------------------------------------------------- sum and rate */

/*
 * The raw sum, like the mean, over deviations from the window's first
 * value: sum(raw) = count * shift + sum(raw - shift).  Whole raw codes
 * (every gwio record) add up exactly either way, up to 2^53; for a source
 * with fractional raws around a large value (1e9 + noise) the deviations
 * are small and their sum rounds at their own scale, where a plain sum
 * would round at ulp(n * 1e9) with every sample.  One subtraction and one
 * addition, no branch: the window mode is instruction-bound, and a
 * compensated sum (TwoSum) cost it 6 %.
 */
static inline void start_raw_sum(struct gwiod_point *point, double raw)
{
	point->window_raw_shift = raw;
	point->window_raw_deviations = 0;
}

static inline void add_raw(struct gwiod_point *point, double raw)
{
	point->window_raw_deviations += raw - point->window_raw_shift;
}

/*
 * sum = (sum(raw) * n + count * m) / divisor, the point's own scaling
 * applied once to the whole window: for whole raw codes and a decimal
 * scale the numerator is exact and the one division rounds to the double
 * nearest the decimal sum.  Adding the scaled values instead would round
 * at every pulse (1000 pulses at 0.0025 l: 2.499999999999958), and even an
 * exact sum of them keeps each value's representation error (three times
 * the double 0.1 is 0.30000000000000004).
 *
 * rate = numerator * 1e9 / (divisor * length_ns), the length being the
 * nominal end_ns - start_ns (pipeline.h says why): for a whole numerator
 * below 2^53 / 5^9 (4.6e9) and divisor * length_ns below 2^53 (a 1 h
 * window at scale 0.001 is 3.6e15) both products are exact, so the rate
 * too is one rounding from the decimal quotient.
 */
static void window_sum_rate(const struct gwiod_point *point, double *sum,
			    double *rate)
{
	double count = (double)point->window.count;
	double raw_sum = count * point->window_raw_shift +
			 point->window_raw_deviations;
	double numerator = raw_sum * point->scale_numerator +
			   count * point->offset_numerator;
	double length_ns = (double)(point->window_end_ns -
				    point->window_start_ns);

	*sum = numerator / point->divisor;
	/* The numerator can overflow where the sum itself does not. */
	if (!isfinite(*sum))
		*sum = count * gwiod_stats_mean(&point->window);
	*rate = numerator * 1e9 / (point->divisor * length_ns);
	if (!isfinite(*rate))
		*rate = *sum / (length_ns / 1e9);
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

	window_sum_rate(point, &event.window.sum, &event.window.rate);
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
			  uint64_t ts_ns, double raw, double value)
{
	if (point->window.count > 0) {
		if (ts_ns >= point->window_start_ns &&
		    ts_ns < point->window_end_ns) {
			stats_add(&point->window, ts_ns, value);
			add_raw(point, raw);
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
	stats_add(&point->window, ts_ns, value);
	start_raw_sum(point, raw);
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
			uint64_t ts_ns, double raw, double value)
{
	switch (point->mode) {
	case GWIOD_MODE_WINDOW:
		accept_window(point, sink, ts_ns, raw, value);
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
