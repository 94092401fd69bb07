/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * gwiod core pipeline: samples in, events out.
 *
 *   source --push(device, channel, ts, raw)--> point table --> scale -->
 *   deadband --> mode: raw batch | window statistics | downsample --> sink
 *
 * Sources (the gwio ring today; Modbus, BACnet later) only call
 * gwiod_pipeline_push() or gwiod_pipeline_push_records().  Sinks (JSON over
 * MQTT, Sparkplug B, a disk spool) only implement struct gwiod_sink.
 * Neither knows the other, so each new one is one new file.
 *
 * Devices are small dense integers the daemon hands out (gwio0 -> 0, a
 * Modbus unit -> 7, ...); the pipeline does not care what they are.  A
 * (device, channel) pair may feed several points, e.g. one publishing raw
 * batches and one publishing one-minute statistics.
 *
 * Time is the sample's own ts_ns, in the clock of the source (the ring's
 * clock for gwio): the pipeline never reads a clock and never re-stamps.
 * Whoever drives gwiod_pipeline_flush() converts "now" into that clock.
 *
 * Nothing here allocates after gwiod_pipeline_create(), and nothing is
 * thread-safe: one thread pushes, flushes and receives the events.
 */
#ifndef GWIOD_PIPELINE_H
#define GWIOD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/gwio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Device indices are array indices; this bounds the table. */
#define GWIOD_MAX_DEVICES	4096
/* A raw batch buffer is allocated per point at create time. */
#define GWIOD_MAX_BATCH_SAMPLES	65536

/* ------------------------------------------------------------ points */

/* Modes start at 1 so that a config nobody filled in is refused. */
enum gwiod_mode {
	/*
	 * Every sample that passes the deadband, in batches: a batch is
	 * emitted as soon as it holds batch_max_samples, or before a sample
	 * that is batch_max_span_ns or more after the batch's first sample
	 * would join it, or by gwiod_pipeline_flush() once "now" is that far.
	 */
	GWIOD_MODE_RAW = 1,
	/*
	 * Statistics over tumbling windows [k*W, (k+1)*W) of sample time,
	 * W = window_ns.  A window is emitted when a sample of a later window
	 * arrives, or by gwiod_pipeline_flush(now) once now >= its end,
	 * or early by gwiod_pipeline_drain() (with its nominal end still).
	 * Windows without samples emit nothing.
	 */
	GWIOD_MODE_WINDOW,
	/*
	 * The FIRST sample of each window [k*W, (k+1)*W), emitted the moment
	 * it arrives (no waiting for the window to end); the rest of that
	 * window is dropped.  First, not last, because last would have to
	 * wait for the window's end to know it was last.
	 */
	GWIOD_MODE_DOWNSAMPLE,
};

struct gwiod_point_config {
	const char *name;	/* required, UTF-8; copied */
	const char *unit;	/* UTF-8 or NULL (""); copied */

	/* source binding */
	uint32_t device;	/* < GWIOD_MAX_DEVICES */
	uint16_t channel;

	/*
	 * Engineering value = raw * scale + offset.  A scale of 0 is refused:
	 * it is what a forgotten field looks like, and a constant is not a
	 * measurement.  Decimal scale and offset (n / 10^k and m / 10^k,
	 * k <= 9) are applied as (raw * n + m) / 10^k, which for whole raw
	 * codes lands on the double nearest the decimal result: 3 codes at
	 * 0.1 give 0.3, not 0.30000000000000004.
	 * Values that scale to NaN or +-Inf are dropped (nonfinite).
	 */
	double scale;
	double offset;

	/*
	 * Report by exception, on the engineering value, before the mode: a
	 * sample passes if |value - last passed value| >= deadband, the
	 * change computed as |raw - last raw| * scale so that it is exact
	 * for decimal steps (two codes at scale 0.1 pass a 0.2 deadband).
	 * The first sample always passes; 0 lets every sample through.
	 * With a window mode the statistics describe only the samples that
	 * passed, so most window points want 0.
	 */
	double deadband;

	enum gwiod_mode mode;
	uint32_t batch_max_samples;	/* RAW: 1..GWIOD_MAX_BATCH_SAMPLES */
	uint64_t batch_max_span_ns;	/* RAW: > 0 */
	uint64_t window_ns;		/* WINDOW, DOWNSAMPLE: > 0 */

	void *user;		/* handed to the sink with every event */
};

/* What a sink knows about the point behind an event. */
struct gwiod_point_info {
	uint32_t id;		/* index in the config array given to create */
	const char *name;
	const char *unit;	/* "" when the config had none */
	enum gwiod_mode mode;
	void *user;
};

/* Per point; samples = nonfinite + filtered + late + what the mode kept. */
struct gwiod_point_stats {
	uint64_t samples;	/* offered to this point */
	uint64_t nonfinite;	/* scaled to NaN or +-Inf, dropped */
	uint64_t filtered;	/* held back by the deadband */
	uint64_t late;		/* for a window already emitted, dropped */
	uint64_t events;	/* handed to the sink */
	uint64_t event_errors;	/* of those, the sink said failed */
};

/* ------------------------------------------------------------ events */

struct gwiod_sample {
	uint64_t ts_ns;
	double value;		/* engineering units */
};

struct gwiod_window {
	uint64_t start_ns;	/* k * window_ns */
	uint64_t end_ns;	/* start_ns + window_ns, exclusive */
	uint64_t count;		/* >= 1: empty windows are never emitted */
	double mean;
	double min;
	double max;
	/* Sample standard deviation (divides by n - 1); 0 when count == 1. */
	double std;
	/*
	 * Sum of the values, computed from the raw values as (sum(raw) * n +
	 * count * m) / 10^k for a decimal scale n / 10^k and offset m / 10^k
	 * (struct gwiod_point_config), with a compensated sum of the raws: so
	 * for whole raw codes it is the double nearest the decimal result
	 * (3 pulses at 0.1 give 0.3), where adding the values would not.
	 */
	double sum;
	/*
	 * sum per second of the window's nominal length, end_ns - start_ns,
	 * also when gwiod_pipeline_drain() ends the window early: then rate
	 * * length is still sum, and the rates of two parts of one window
	 * (before and after a reload) add up to the whole window's.
	 */
	double rate;
	/* Earliest and latest sample time in the window (ties: arrival). */
	struct gwiod_sample first;
	struct gwiod_sample last;
};

enum gwiod_event_kind {
	GWIOD_EVENT_VALUE = 1,	/* one sample (downsample) */
	GWIOD_EVENT_BATCH,	/* raw samples */
	GWIOD_EVENT_WINDOW,	/* window statistics */
};

/*
 * Valid only during the sink's emit() call: batch.samples points into the
 * point's own buffer, which the next sample reuses.
 */
struct gwiod_event {
	enum gwiod_event_kind kind;
	const struct gwiod_point_info *point;
	union {
		struct gwiod_sample value;
		struct {
			const struct gwiod_sample *samples;
			size_t count;	/* >= 1 */
		} batch;
		struct gwiod_window window;
	};
};

/*
 * Called synchronously from push, flush and drain.  Return 0, or a
 * negative errno when the event is lost (counted in event_errors; the
 * pipeline does not retry: queueing and spooling are the sink's job).
 * A sink must not call back into the pipeline.
 */
struct gwiod_sink {
	int (*emit)(void *ctx, const struct gwiod_event *event);
	void *ctx;
};

/* ---------------------------------------------------------- pipeline */

struct gwiod_pipeline;

/*
 * Build a pipeline for @count points.  All memory is allocated here.
 * On failure returns NULL with errno set (EINVAL: a bad config, ENOMEM)
 * and, if @err is not NULL, a message naming the point in @err.
 */
struct gwiod_pipeline *gwiod_pipeline_create(
	const struct gwiod_point_config *points, size_t count,
	const struct gwiod_sink *sink, char *err, size_t err_size);

/* Emits nothing: call gwiod_pipeline_drain() first to keep open state. */
void gwiod_pipeline_destroy(struct gwiod_pipeline *pipeline);

/*
 * One sample from any source.  @raw is the source's value before scaling
 * (ADC code, register content, ...).  Samples for a (device, channel) no
 * point is bound to are counted as unmapped and dropped.
 */
void gwiod_pipeline_push(struct gwiod_pipeline *pipeline, uint32_t device,
			 uint16_t channel, uint64_t ts_ns, double raw);

/* A run of gwio ring records, all from @device. */
void gwiod_pipeline_push_records(struct gwiod_pipeline *pipeline,
				 uint32_t device,
				 const struct gwio_record *records,
				 size_t count);

/*
 * Time-driven close, so quiet channels still report: emit every window
 * with end <= @now_ns and every raw batch whose span limit @now_ns has
 * reached.  @now_ns is in the sources' clock; subtract any lateness you
 * want to allow, since a sample for an emitted window is then dropped.
 * Costs O(points).
 */
void gwiod_pipeline_flush(struct gwiod_pipeline *pipeline, uint64_t now_ns);

/* Emit everything open, whatever the time (shutdown, reconfiguration). */
void gwiod_pipeline_drain(struct gwiod_pipeline *pipeline);

size_t gwiod_pipeline_point_count(const struct gwiod_pipeline *pipeline);
/* NULL if @id >= point count. */
const struct gwiod_point_info *gwiod_pipeline_point(
	const struct gwiod_pipeline *pipeline, uint32_t id);
/* -1 (errno EINVAL) if @id >= point count. */
int gwiod_pipeline_point_stats(const struct gwiod_pipeline *pipeline,
			       uint32_t id, struct gwiod_point_stats *stats);
/* Samples no point was bound to. */
uint64_t gwiod_pipeline_unmapped(const struct gwiod_pipeline *pipeline);

/* ---------------------------------------------- building blocks */

/*
 * Running window statistics: Welford's update over deviations from the
 * first value, so neither the variance nor the mean of 1e9 + tiny noise
 * loses its digits (window.c says why).
 */
struct gwiod_stats {
	uint64_t count;
	double shift;		/* the first value */
	double mean_deviation;	/* mean of value - shift */
	double m2;		/* sum of squared deviations from the mean */
	double min;
	double max;
	struct gwiod_sample first;
	struct gwiod_sample last;
};

void gwiod_stats_reset(struct gwiod_stats *stats);
void gwiod_stats_add(struct gwiod_stats *stats, uint64_t ts_ns, double value);
double gwiod_stats_mean(const struct gwiod_stats *stats);
/* Sample standard deviation (n - 1); 0 for fewer than two samples. */
double gwiod_stats_std(const struct gwiod_stats *stats);

/* ----------------------------------------------------------- payload */

/* Window statistics a payload carries (a route's stats:); a mask. */
enum gwiod_stat {
	GWIOD_STAT_COUNT = 1u << 0,
	GWIOD_STAT_MEAN = 1u << 1,
	GWIOD_STAT_MIN = 1u << 2,
	GWIOD_STAT_MAX = 1u << 3,
	GWIOD_STAT_STD = 1u << 4,
	GWIOD_STAT_FIRST = 1u << 5,
	GWIOD_STAT_LAST = 1u << 6,
	GWIOD_STAT_SUM = 1u << 7,
	GWIOD_STAT_RATE = 1u << 8,
};
#define GWIOD_STATS_ALL		0x1ffu
/*
 * A route without stats: gets these, count to last.  Not sum and rate:
 * they mean something only for quantities that add up (pulses, energy),
 * and a sum of temperatures would only lengthen every message.
 */
#define GWIOD_STATS_DEFAULT	0x7fu

struct gwiod_payload_options {
	/*
	 * Added to every timestamp written, e.g. realtime - monotonic to
	 * publish epoch time; the event itself keeps the source clock.
	 */
	int64_t ts_offset_ns;
	/*
	 * Window members to write besides start and end; 0 means all, so
	 * that zeroed options give the complete payload.
	 */
	unsigned int window_stats;
};

/*
 * Encode @event as one JSON object (docs/payload.md) into @buf, like
 * snprintf: returns the length of the whole encoding without its NUL,
 * and the output is complete only if that is < @size (else call again
 * with a buffer of return + 1).  @buf may be NULL when @size is 0.
 * @options may be NULL.  -EINVAL for a malformed event, -EOVERFLOW if the
 * encoding would not fit an int.  Never allocates.
 */
int gwiod_payload_encode(const struct gwiod_event *event,
			 const struct gwiod_payload_options *options,
			 char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* GWIOD_PIPELINE_H */
