// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Points: the (device, channel) -> point table, scaling and the deadband,
 * and the pipeline object that owns them.  The modes are in window.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_impl.h"

/*
 * One flat array per device, indexed by channel, holding the first point
 * of that channel's chain: lookup is two loads, no hashing.  Channels are
 * 16-bit, so even a device bound at channel 65535 costs only 256 KiB.
 */
struct device_table {
	uint32_t *first_point;
	uint32_t channel_count;	/* highest bound channel + 1 */
};

struct gwiod_pipeline {
	struct gwiod_point *points;
	size_t point_count;
	struct device_table *devices;
	uint32_t device_count;	/* highest bound device + 1 */
	struct gwiod_sink sink;
	uint64_t unmapped;

	/* Backing stores, one allocation each, carved up by create. */
	uint32_t *channel_slots;
	struct gwiod_sample *batch_samples;
	char *strings;
};

/* ------------------------------------------------------------ samples */

/*
 * Report by exception.  value - last = (raw - last_raw) * scale: the
 * offset cancels, so the change is computed from the raw values and never
 * suffers the rounding of two offset-shifted values.  For whole raw codes
 * and a decimal scale the result is the double nearest the decimal
 * change, so a change of two codes at scale 0.1 equals a 0.2 deadband and
 * passes, where 0.3 - 0.1 would give 0.19999999999999998 and fail.
 */
static inline bool passes_deadband(const struct gwiod_point *point,
				   double raw)
{
	double change;

	if (point->deadband == 0 || !point->has_reported)
		return true;
	change = fabs((raw - point->last_reported_raw) *
		      point->scale_numerator) / point->divisor;
	return change >= point->deadband;
}

static inline void feed_point(struct gwiod_point *point,
			      const struct gwiod_sink *sink,
			      uint64_t ts_ns, double raw)
{
	double value = (raw * point->scale_numerator +
			point->offset_numerator) / point->divisor;

	point->stats.samples++;
	/* A NaN would poison every statistic of its window and the deadband. */
	if (!isfinite(value)) {
		point->stats.nonfinite++;
		return;
	}
	if (!passes_deadband(point, raw)) {
		point->stats.filtered++;
		return;
	}
	point->last_reported_raw = raw;
	point->has_reported = true;
	gwiod_point_accept(point, sink, ts_ns, raw, value);
}

static inline void feed_chain(struct gwiod_pipeline *pipeline, uint32_t id,
			      uint64_t ts_ns, double raw)
{
	do {
		struct gwiod_point *point = &pipeline->points[id];

		feed_point(point, &pipeline->sink, ts_ns, raw);
		id = point->next_on_channel;
	} while (id != GWIOD_NO_POINT);
}

static inline uint32_t first_point_of(const struct device_table *device,
				      uint16_t channel)
{
	return channel < device->channel_count ?
		device->first_point[channel] : GWIOD_NO_POINT;
}

void gwiod_pipeline_push(struct gwiod_pipeline *pipeline, uint32_t device,
			 uint16_t channel, uint64_t ts_ns, double raw)
{
	uint32_t id = GWIOD_NO_POINT;

	if (device < pipeline->device_count)
		id = first_point_of(&pipeline->devices[device], channel);
	if (id == GWIOD_NO_POINT) {
		pipeline->unmapped++;
		return;
	}
	feed_chain(pipeline, id, ts_ns, raw);
}

void gwiod_pipeline_push_records(struct gwiod_pipeline *pipeline,
				 uint32_t device,
				 const struct gwio_record *records,
				 size_t count)
{
	const struct device_table *table;

	if (device >= pipeline->device_count) {
		pipeline->unmapped += count;
		return;
	}
	table = &pipeline->devices[device];
	for (size_t i = 0; i < count; i++) {
		const struct gwio_record *rec = &records[i];
		uint32_t id = first_point_of(table, rec->channel);

		if (id == GWIOD_NO_POINT) {
			pipeline->unmapped++;
			continue;
		}
		feed_chain(pipeline, id, rec->ts_ns, (double)rec->value);
	}
}

void gwiod_pipeline_flush(struct gwiod_pipeline *pipeline, uint64_t now_ns)
{
	for (size_t i = 0; i < pipeline->point_count; i++)
		gwiod_point_flush(&pipeline->points[i], &pipeline->sink, now_ns);
}

void gwiod_pipeline_drain(struct gwiod_pipeline *pipeline)
{
	for (size_t i = 0; i < pipeline->point_count; i++)
		gwiod_point_drain(&pipeline->points[i], &pipeline->sink);
}

size_t gwiod_pipeline_point_count(const struct gwiod_pipeline *pipeline)
{
	return pipeline->point_count;
}

const struct gwiod_point_info *gwiod_pipeline_point(
	const struct gwiod_pipeline *pipeline, uint32_t id)
{
	if (id >= pipeline->point_count)
		return NULL;
	return &pipeline->points[id].info;
}

int gwiod_pipeline_point_stats(const struct gwiod_pipeline *pipeline,
			       uint32_t id, struct gwiod_point_stats *stats)
{
	if (id >= pipeline->point_count) {
		errno = EINVAL;
		return -1;
	}
	*stats = pipeline->points[id].stats;
	return 0;
}

uint64_t gwiod_pipeline_unmapped(const struct gwiod_pipeline *pipeline)
{
	return pipeline->unmapped;
}

/* ------------------------------------------------------------- create */

/*
 * Names and units end up inside JSON strings, which must be UTF-8:
 * refusing bad bytes here keeps the encoder from having to repair them.
 */
static bool is_valid_utf8(const char *text)
{
	/* by lead byte: sequence length, its payload bits, smallest code */
	static const struct {
		unsigned char mask, lead;
		unsigned int length, min;
	} forms[] = {
		{ 0xe0, 0xc0, 2, 0x80 },
		{ 0xf0, 0xe0, 3, 0x800 },
		{ 0xf8, 0xf0, 4, 0x10000 },
	};
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		unsigned int code_point = *s, form = 0;

		if (*s++ < 0x80)
			continue;
		while (form < 3 && (code_point & forms[form].mask) !=
				   forms[form].lead)
			form++;
		if (form == 3)
			return false;	/* a stray continuation or 0xf8+ */
		code_point &= ~forms[form].mask & 0xffu;
		for (unsigned int i = 1; i < forms[form].length; i++) {
			if ((*s & 0xc0) != 0x80)
				return false;	/* also stops at the NUL */
			code_point = code_point << 6 | (*s++ & 0x3fu);
		}
		/* overlong forms, UTF-16 surrogates, beyond Unicode */
		if (code_point < forms[form].min || code_point > 0x10ffff ||
		    (code_point >= 0xd800 && code_point <= 0xdfff))
			return false;
	}
	return true;
}

static void set_error(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

static const char *check_config(const struct gwiod_point_config *cfg)
{
	if (!cfg->name || !cfg->name[0])
		return "name is required";
	if (!is_valid_utf8(cfg->name))
		return "name is not valid UTF-8";
	if (cfg->unit && !is_valid_utf8(cfg->unit))
		return "unit is not valid UTF-8";
	if (cfg->device >= GWIOD_MAX_DEVICES)
		return "device index too large";
	if (!isfinite(cfg->scale) || cfg->scale == 0)
		return "scale must be finite and non-zero";
	if (!isfinite(cfg->offset))
		return "offset must be finite";
	if (!isfinite(cfg->deadband) || cfg->deadband < 0)
		return "deadband must be finite and >= 0";
	switch (cfg->mode) {
	case GWIOD_MODE_RAW:
		if (cfg->batch_max_samples < 1 ||
		    cfg->batch_max_samples > GWIOD_MAX_BATCH_SAMPLES)
			return "batch_max_samples out of range";
		if (cfg->batch_max_span_ns == 0)
			return "batch_max_span_ns must be > 0";
		return NULL;
	case GWIOD_MODE_WINDOW:
	case GWIOD_MODE_DOWNSAMPLE:
		if (cfg->window_ns == 0)
			return "window_ns must be > 0";
		return NULL;
	}
	return "unknown mode";
}

static char *copy_string(char **arena, const char *text)
{
	char *copy = *arena;
	size_t len = strlen(text) + 1;

	memcpy(copy, text, len);
	*arena += len;
	return copy;
}

/*
 * Scales and offsets are mostly written as decimals (0.1, 273.15), which
 * binary cannot hold: 3 * 0.1 is 0.30000000000000004, and 1700 * 0.001 -
 * 1.5 is 0.19999999999999996.  Kept as integers over a common 10^k, raw *
 * n + m is exact for whole raw codes (below 2^53) and the one division
 * rounds to the double nearest the decimal result: 3 codes at 0.1 publish
 * as 0.3.  Anything else keeps scale and offset with divisor 1, which is
 * the plain formula at the cost of an exact division.
 */
static void split_decimal(struct gwiod_point *point, double scale,
			  double offset)
{
	double power = 1;

	for (int digits = 0; digits <= 9; digits++, power *= 10) {
		double n = nearbyint(scale * power);
		double m = nearbyint(offset * power);

		if (n / power == scale && m / power == offset) {
			point->scale_numerator = n;
			point->offset_numerator = m;
			point->divisor = power;
			return;
		}
	}
	point->scale_numerator = scale;
	point->offset_numerator = offset;
	point->divisor = 1;
}

static void init_point(struct gwiod_point *point,
		       const struct gwiod_point_config *cfg, uint32_t id,
		       char **strings, struct gwiod_sample **batch_samples)
{
	split_decimal(point, cfg->scale, cfg->offset);
	point->deadband = cfg->deadband;
	point->mode = cfg->mode;
	point->next_on_channel = GWIOD_NO_POINT;
	point->window_ns = cfg->window_ns;
	/* The window statistics and the batch share space: set one. */
	if (cfg->mode == GWIOD_MODE_WINDOW) {
		gwiod_stats_reset(&point->window);
		point->window_raw_shift = 0;
		point->window_raw_deviations = 0;
	}
	if (cfg->mode == GWIOD_MODE_RAW) {
		point->batch = *batch_samples;
		point->batch_count = 0;
		point->batch_capacity = cfg->batch_max_samples;
		point->batch_max_span_ns = cfg->batch_max_span_ns;
		*batch_samples += cfg->batch_max_samples;
	}
	point->info.id = id;
	point->info.name = copy_string(strings, cfg->name);
	point->info.unit = copy_string(strings, cfg->unit ? cfg->unit : "");
	point->info.mode = cfg->mode;
	point->info.user = cfg->user;
}

/* Zeroed, like calloc, and aligned as struct gwiod_point asks. */
static struct gwiod_point *alloc_points(size_t count)
{
	struct gwiod_point *points;

	if (count > SIZE_MAX / sizeof(*points))
		return NULL;
	points = aligned_alloc(GWIOD_POINT_ALIGN, count * sizeof(*points));
	if (points)
		memset(points, 0, count * sizeof(*points));
	return points;
}

struct gwiod_pipeline *gwiod_pipeline_create(
	const struct gwiod_point_config *points, size_t count,
	const struct gwiod_sink *sink, char *err, size_t err_size)
{
	struct gwiod_pipeline *pipeline;
	size_t strings_size = 0, batch_size = 0, slot_count = 0;
	uint32_t *next_slot;
	char *strings;
	struct gwiod_sample *batch_samples;

	if (!sink || !sink->emit || (count && !points) ||
	    count >= GWIOD_NO_POINT) {
		set_error(err, err_size, "no sink, or bad point array");
		errno = EINVAL;
		return NULL;
	}
	pipeline = calloc(1, sizeof(*pipeline));
	if (!pipeline)
		goto no_memory;
	pipeline->sink = *sink;
	pipeline->point_count = count;

	for (size_t i = 0; i < count; i++) {
		const struct gwiod_point_config *cfg = &points[i];
		const char *problem = check_config(cfg);

		if (problem) {
			set_error(err, err_size, "point %zu (%s): %s", i,
				  cfg->name ? cfg->name : "unnamed", problem);
			gwiod_pipeline_destroy(pipeline);
			errno = EINVAL;
			return NULL;
		}
		strings_size += strlen(cfg->name) + 1;
		strings_size += (cfg->unit ? strlen(cfg->unit) : 0) + 1;
		if (cfg->mode == GWIOD_MODE_RAW)
			batch_size += cfg->batch_max_samples;
		if (cfg->device >= pipeline->device_count)
			pipeline->device_count = cfg->device + 1;
	}

	pipeline->devices = calloc(pipeline->device_count + 1,
				   sizeof(*pipeline->devices));
	pipeline->points = alloc_points(count + 1);
	pipeline->strings = malloc(strings_size + 1);
	pipeline->batch_samples = calloc(batch_size + 1,
					 sizeof(*pipeline->batch_samples));
	if (!pipeline->devices || !pipeline->points || !pipeline->strings ||
	    !pipeline->batch_samples)
		goto no_memory;

	for (size_t i = 0; i < count; i++) {
		struct device_table *device =
			&pipeline->devices[points[i].device];

		if (points[i].channel >= device->channel_count)
			device->channel_count = points[i].channel + 1u;
	}
	for (uint32_t d = 0; d < pipeline->device_count; d++)
		slot_count += pipeline->devices[d].channel_count;
	pipeline->channel_slots = malloc((slot_count + 1) *
					 sizeof(*pipeline->channel_slots));
	if (!pipeline->channel_slots)
		goto no_memory;
	for (size_t s = 0; s < slot_count; s++)
		pipeline->channel_slots[s] = GWIOD_NO_POINT;
	next_slot = pipeline->channel_slots;
	for (uint32_t d = 0; d < pipeline->device_count; d++) {
		pipeline->devices[d].first_point = next_slot;
		next_slot += pipeline->devices[d].channel_count;
	}

	strings = pipeline->strings;
	batch_samples = pipeline->batch_samples;
	for (size_t i = 0; i < count; i++)
		init_point(&pipeline->points[i], &points[i], (uint32_t)i,
			   &strings, &batch_samples);

	/* Prepend in reverse so each chain runs in config order. */
	for (size_t i = count; i-- > 0;) {
		struct device_table *device =
			&pipeline->devices[points[i].device];
		uint32_t *first = &device->first_point[points[i].channel];

		pipeline->points[i].next_on_channel = *first;
		*first = (uint32_t)i;
	}
	return pipeline;

no_memory:
	set_error(err, err_size, "out of memory");
	gwiod_pipeline_destroy(pipeline);
	errno = ENOMEM;
	return NULL;
}

void gwiod_pipeline_destroy(struct gwiod_pipeline *pipeline)
{
	if (!pipeline)
		return;
	free(pipeline->channel_slots);
	free(pipeline->batch_samples);
	free(pipeline->strings);
	free(pipeline->points);
	free(pipeline->devices);
	free(pipeline);
}
