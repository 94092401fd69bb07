/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Tests of the gwiod core pipeline (userspace/gwiod): scaling, deadband,
 * the point table, raw batches, window statistics, downsampling and the
 * JSON payloads.
 *
 * Every event any test receives is also encoded and run through a small
 * JSON validator, so payload validity is checked on everything the
 * pipeline can produce, not only on hand-made events.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* ------------------------------------------------------- test helpers */

#define MAX_EVENTS	4096
#define MAX_SAMPLES	(1 << 16)
#define JSON_BUF	(1 << 21)

/* Events as the sink saw them, with batch samples copied out. */
struct recorder {
	struct gwiod_event events[MAX_EVENTS];
	size_t count;
	struct gwiod_sample samples[MAX_SAMPLES];
	size_t sample_count;
	int emit_result;	/* what emit() returns */
	char json[JSON_BUF];
};

static struct recorder *rec;

static bool json_is_valid(const char *text);

static int record_event(void *ctx, const struct gwiod_event *event)
{
	struct recorder *r = ctx;
	struct gwiod_event *copy;
	int len;

	assert_true(r->count < MAX_EVENTS);
	copy = &r->events[r->count++];
	*copy = *event;
	if (event->kind == GWIOD_EVENT_BATCH) {
		assert_true(r->sample_count + event->batch.count <= MAX_SAMPLES);
		memcpy(&r->samples[r->sample_count], event->batch.samples,
		       event->batch.count * sizeof(*event->batch.samples));
		copy->batch.samples = &r->samples[r->sample_count];
		r->sample_count += event->batch.count;
	}

	len = gwiod_payload_encode(event, NULL, r->json, sizeof(r->json));
	assert_true(len > 0 && (size_t)len < sizeof(r->json));
	assert_int_equal(strlen(r->json), len);
	if (!json_is_valid(r->json))
		fail_msg("invalid JSON: %s", r->json);
	return r->emit_result;
}

static int setup_recorder(void **state)
{
	(void)state;
	rec = calloc(1, sizeof(*rec));
	return rec ? 0 : -1;
}

static int teardown_recorder(void **state)
{
	(void)state;
	free(rec);
	rec = NULL;
	return 0;
}

static struct gwiod_pipeline *make_pipeline(
	const struct gwiod_point_config *points, size_t count)
{
	const struct gwiod_sink sink = { record_event, rec };
	char err[160] = "";
	struct gwiod_pipeline *p;

	p = gwiod_pipeline_create(points, count, &sink, err, sizeof(err));
	if (!p)
		fail_msg("gwiod_pipeline_create: %s", err);
	return p;
}

static struct gwiod_point_config raw_point(uint16_t channel,
					   uint32_t max_samples,
					   uint64_t max_span_ns)
{
	return (struct gwiod_point_config){
		.name = "raw", .unit = "V", .channel = channel, .scale = 1,
		.mode = GWIOD_MODE_RAW, .batch_max_samples = max_samples,
		.batch_max_span_ns = max_span_ns,
	};
}

static struct gwiod_point_config window_point(uint16_t channel,
					      uint64_t window_ns)
{
	return (struct gwiod_point_config){
		.name = "win", .unit = "V", .channel = channel, .scale = 1,
		.mode = GWIOD_MODE_WINDOW, .window_ns = window_ns,
	};
}

static struct gwiod_point_config downsample_point(uint16_t channel,
						  uint64_t window_ns)
{
	return (struct gwiod_point_config){
		.name = "down", .unit = "V", .channel = channel, .scale = 1,
		.mode = GWIOD_MODE_DOWNSAMPLE, .window_ns = window_ns,
	};
}

/* A raw point that emits every sample: shows exactly what passed. */
static struct gwiod_point_config passthrough_point(double scale,
						   double offset,
						   double deadband)
{
	struct gwiod_point_config cfg = raw_point(0, 1, 1);

	cfg.scale = scale;
	cfg.offset = offset;
	cfg.deadband = deadband;
	return cfg;
}

static void push(struct gwiod_pipeline *p, uint64_t ts_ns, double raw)
{
	gwiod_pipeline_push(p, 0, 0, ts_ns, raw);
}

static const struct gwiod_event *event_at(size_t i)
{
	assert_true(i < rec->count);
	return &rec->events[i];
}

static const struct gwiod_window *window_at(size_t i)
{
	assert_int_equal(event_at(i)->kind, GWIOD_EVENT_WINDOW);
	return &event_at(i)->window;
}

static double single_value_at(size_t i)
{
	const struct gwiod_event *e = event_at(i);

	assert_int_equal(e->kind, GWIOD_EVENT_BATCH);
	assert_int_equal(e->batch.count, 1);
	return e->batch.samples[0].value;
}

static struct gwiod_point_stats stats_of(struct gwiod_pipeline *p,
					 uint32_t id)
{
	struct gwiod_point_stats stats;

	assert_int_equal(gwiod_pipeline_point_stats(p, id, &stats), 0);
	return stats;
}

/* Bit-exact, so that -0.0 and 0.0 differ and NaN equals itself. */
static void assert_same_double(double actual, double expected)
{
	if (memcmp(&actual, &expected, sizeof(double)))
		fail_msg("got %.17g, expected %.17g", actual, expected);
}

static void assert_close(double actual, double expected, double rel_tol)
{
	double err = fabs(actual - expected);
	double bound = rel_tol * fmax(fabs(expected), DBL_MIN);

	if (!(err <= bound))
		fail_msg("got %.17g, expected %.17g (relative error %.3g > %.3g)",
			 actual, expected, err / fmax(fabs(expected), DBL_MIN),
			 rel_tol);
}

/* splitmix64: a fixed, portable sequence for every run. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double random_unit(uint64_t *state)
{
	return (double)(next_random(state) >> 11) * 0x1p-52 - 1.0;
}

/* ------------------------------------------------ a tiny JSON checker */

/*
 * RFC 8259 grammar, nothing more: enough to say a payload is one valid
 * JSON value.  Each parse_* returns the position after what it parsed, or
 * NULL.
 */
static const char *parse_value(const char *s, int depth);

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static const char *parse_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;	/* includes the terminating NUL */
		if (*s++ != '\\')
			continue;
		if (*s == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!strchr("0123456789abcdefABCDEF", s[i]) ||
				    !s[i])
					return NULL;
			s += 5;
		} else if (*s && strchr("\"\\/bfnrt", *s)) {
			s++;
		} else {
			return NULL;
		}
	}
	return s + 1;
}

static const char *parse_digits(const char *s)
{
	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		s++;
	return s;
}

static const char *parse_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else
		s = parse_digits(s);
	if (s && *s == '.')
		s = parse_digits(s + 1);
	if (!s)
		return NULL;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		s = parse_digits(s);
	}
	return s;
}

static const char *parse_members(const char *s, int depth, char close,
				 bool keyed)
{
	s = skip_space(s);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (keyed) {
			s = parse_string(skip_space(s));
			if (!s)
				return NULL;
			s = skip_space(s);
			if (*s++ != ':')
				return NULL;
		}
		s = parse_value(s, depth + 1);
		if (!s)
			return NULL;
		s = skip_space(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *parse_value(const char *s, int depth)
{
	if (depth > 64)
		return NULL;
	s = skip_space(s);
	switch (*s) {
	case '{':
		return parse_members(s + 1, depth, '}', true);
	case '[':
		return parse_members(s + 1, depth, ']', false);
	case '"':
		return parse_string(s);
	case 't':
		return strncmp(s, "true", 4) ? NULL : s + 4;
	case 'f':
		return strncmp(s, "false", 5) ? NULL : s + 5;
	case 'n':
		return strncmp(s, "null", 4) ? NULL : s + 4;
	default:
		return parse_number(s);
	}
}

static bool json_is_valid(const char *text)
{
	const char *end = parse_value(text, 0);

	return end && *skip_space(end) == '\0';
}

static void test_json_checker_itself(void **state)
{
	(void)state;
	assert_true(json_is_valid("{\"a\":[1,-0,2.5e-3,true,null,\"x\\u00e9\"]}"));
	assert_true(json_is_valid("[]"));
	assert_false(json_is_valid("{\"a\":nan}"));
	assert_false(json_is_valid("{\"a\":inf}"));
	assert_false(json_is_valid("{\"a\":1,}"));
	assert_false(json_is_valid("{\"a\":01}"));
	assert_false(json_is_valid("{\"a\":1."));
	assert_false(json_is_valid("\"tab\there\""));
	assert_false(json_is_valid("[1] [2]"));
}

/* ------------------------------------------------------------ scaling */

static void test_scaling_linear(void **state)
{
	struct gwiod_point_config cfg = passthrough_point(0.25, -10, 0);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 1, 0);
	push(p, 2, 40);
	push(p, 3, 4294967295.0);	/* largest gwio raw value */
	assert_int_equal(rec->count, 3);
	assert_same_double(single_value_at(0), -10);
	assert_same_double(single_value_at(1), 0);
	assert_same_double(single_value_at(2), 1073741813.75);
	gwiod_pipeline_destroy(p);
}

static void test_scaling_negative_scale(void **state)
{
	struct gwiod_point_config cfg = passthrough_point(-2, 100, 0);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 1, 0);
	push(p, 2, 75);
	assert_same_double(single_value_at(0), 100);
	assert_same_double(single_value_at(1), -50);
	gwiod_pipeline_destroy(p);
}

/*
 * A decimal scale lands on the double nearest the decimal result, which
 * a plain multiply misses: 3 * 0.1 == 0.30000000000000004.
 */
static void test_scaling_decimal_is_exact(void **state)
{
	struct gwiod_point_config cfg = passthrough_point(0.1, 0, 0);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	assert_true(3 * 0.1 != 0.3);	/* what the test guards against */
	push(p, 1, 3);
	push(p, 2, 7);
	push(p, 3, 123456789);
	assert_same_double(single_value_at(0), 0.3);
	assert_same_double(single_value_at(1), 0.7);
	assert_same_double(single_value_at(2), 12345678.9);
	assert_string_equal(rec->json,
		"{\"point\":\"raw\",\"unit\":\"V\",\"ts\":3,"
		"\"samples\":[[3,12345678.9]]}");
	gwiod_pipeline_destroy(p);

	/* and with an offset, millivolts to volts minus a bias */
	rec->count = 0;
	cfg = passthrough_point(0.001, -1.5, 0);
	p = make_pipeline(&cfg, 1);
	push(p, 1, 1700);
	assert_same_double(single_value_at(0), 0.2);
	gwiod_pipeline_destroy(p);
}

/* Scales that are not decimals still follow raw * scale + offset. */
static void test_scaling_binary_fraction(void **state)
{
	const double scale = 3.3 / 4096;	/* 12-bit ADC, 3.3 V */
	struct gwiod_point_config cfg = passthrough_point(scale, 0.5, 0);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 1, 4095);
	assert_close(single_value_at(0), 4095 * (3.3L / 4096) + 0.5, 1e-15);
	gwiod_pipeline_destroy(p);
}

static void test_nonfinite_dropped(void **state)
{
	struct gwiod_point_config cfg = passthrough_point(1e300, 0, 0);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	struct gwiod_point_stats stats;

	(void)state;
	push(p, 1, NAN);
	push(p, 2, INFINITY);
	push(p, 3, 1e10);		/* 1e310 overflows to +Inf */
	push(p, 4, 2);
	assert_int_equal(rec->count, 1);
	assert_same_double(single_value_at(0), 2e300);
	stats = stats_of(p, 0);
	assert_int_equal(stats.samples, 4);
	assert_int_equal(stats.nonfinite, 3);
	gwiod_pipeline_destroy(p);
}

/* ----------------------------------------------------------- deadband */

/* Which of @raws pass, as a string of 'y'/'n', for readable asserts. */
static void deadband_pattern(struct gwiod_pipeline *p, const double *raws,
			     size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		size_t before = rec->count;

		push(p, i + 1, raws[i]);
		out[i] = rec->count > before ? 'y' : 'n';
	}
	out[n] = '\0';
}

static void test_deadband_first_sample_passes(void **state)
{
	struct gwiod_point_config cfg = passthrough_point(1, 0, 1e9);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 1, 5);
	push(p, 2, 6);
	assert_int_equal(rec->count, 1);
	assert_same_double(single_value_at(0), 5);
	assert_int_equal(stats_of(p, 0).filtered, 1);
	gwiod_pipeline_destroy(p);
}

static void test_deadband_exact_edge_passes(void **state)
{
	static const double raws[] = { 10, 10.25, 10.5, 11, 10.5000001 };
	struct gwiod_point_config cfg = passthrough_point(1, 0, 0.5);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	char got[8];

	(void)state;
	deadband_pattern(p, raws, 5, got);
	/* 10.5 - 10 == 0.5 passes; 11 - 10.5 == 0.5 passes; then < 0.5 */
	assert_string_equal(got, "ynyyn");
	gwiod_pipeline_destroy(p);
}

/*
 * The deadband is measured against the last value that PASSED, so a slow
 * drift of sub-deadband steps is reported once it adds up.
 */
static void test_deadband_measures_from_last_reported(void **state)
{
	static const double raws[] = { 0, 3, 6, 9, 11, 12 };
	struct gwiod_point_config cfg = passthrough_point(0.1, 0, 0.5);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	char got[8];

	(void)state;
	deadband_pattern(p, raws, 6, got);
	assert_string_equal(got, "ynynyn");
	gwiod_pipeline_destroy(p);
}

/*
 * Decimal steps through an offset: as plain doubles, r * 0.1 - 40 and
 * (r + 2) * 0.1 - 40 are sometimes less than 0.2 apart, yet a change of
 * two codes must pass a 0.2 deadband every time, and one code never.
 */
static void test_deadband_decimal_steps_with_offset(void **state)
{
	enum { CODES = 2000 };
	struct gwiod_point_config cfg = passthrough_point(0.1, -40, 0.2);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	static char got[CODES + 1], want[CODES + 1];
	static double raws[CODES];
	int naive_misses = 0;

	(void)state;
	for (int r = 0; r < CODES; r++) {
		raws[r] = r;
		want[r] = r % 2 ? 'n' : 'y';
		if (r >= 2 && fabs((r * 0.1 - 40) - ((r - 2) * 0.1 - 40)) < 0.2)
			naive_misses++;
	}
	assert_true(naive_misses > 0);
	deadband_pattern(p, raws, CODES, got);
	want[CODES] = '\0';
	assert_string_equal(got, want);
	assert_same_double(single_value_at(0), -40);
	assert_same_double(single_value_at(51), -29.8);
	gwiod_pipeline_destroy(p);
}

static void test_deadband_negative_values(void **state)
{
	/* values: -1, -1.4, -1.5, -1.0, 0.0, -0.5 */
	static const double raws[] = { -1, -1.4, -1.5, -1.0, 0.0, -0.5 };
	struct gwiod_point_config cfg = passthrough_point(1, 0, 0.5);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	char got[8];

	(void)state;
	deadband_pattern(p, raws, 6, got);
	assert_string_equal(got, "ynyyyy");
	gwiod_pipeline_destroy(p);

	/* a negative scale flips signs but not distances */
	rec->count = 0;
	cfg = passthrough_point(-0.5, 0, 1);
	p = make_pipeline(&cfg, 1);
	{
		static const double codes[] = { 10, 11, 12, 8, 7 };

		deadband_pattern(p, codes, 5, got);
	}
	assert_string_equal(got, "ynyyn");
	gwiod_pipeline_destroy(p);
}

static void test_deadband_zero_passes_repeats(void **state)
{
	static const double raws[] = { 7, 7, 7 };
	struct gwiod_point_config cfg = passthrough_point(1, 0, 0);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	char got[4];

	(void)state;
	deadband_pattern(p, raws, 3, got);
	assert_string_equal(got, "yyy");
	gwiod_pipeline_destroy(p);
}

/* The deadband runs before the mode: a window sees only what passed. */
static void test_deadband_before_window(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 100);
	struct gwiod_pipeline *p;

	(void)state;
	cfg.deadband = 5;
	p = make_pipeline(&cfg, 1);
	push(p, 0, 0);
	push(p, 10, 1);		/* filtered */
	push(p, 20, 5);
	push(p, 30, 6);		/* filtered */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 1);
	assert_int_equal(window_at(0)->count, 2);
	assert_same_double(window_at(0)->mean, 2.5);
	gwiod_pipeline_destroy(p);
}

/* ---------------------------------------------------- the point table */

static void test_table_routes_by_device_and_channel(void **state)
{
	struct gwiod_point_config cfg[4] = {
		raw_point(3, 1, 1), raw_point(0, 1, 1),
		raw_point(3, 1, 1), raw_point(700, 1, 1),
	};
	struct gwiod_pipeline *p;

	(void)state;
	cfg[0].name = "d0c3";
	cfg[1].name = "d2c0";
	cfg[1].device = 2;
	cfg[2].name = "d2c3";
	cfg[2].device = 2;
	cfg[3].name = "d0c700";
	p = make_pipeline(cfg, 4);

	gwiod_pipeline_push(p, 2, 3, 1, 1);
	gwiod_pipeline_push(p, 0, 700, 2, 2);
	gwiod_pipeline_push(p, 0, 3, 3, 3);
	gwiod_pipeline_push(p, 2, 0, 4, 4);
	assert_int_equal(rec->count, 4);
	assert_string_equal(event_at(0)->point->name, "d2c3");
	assert_string_equal(event_at(1)->point->name, "d0c700");
	assert_string_equal(event_at(2)->point->name, "d0c3");
	assert_string_equal(event_at(3)->point->name, "d2c0");
	assert_int_equal(event_at(3)->point->id, 1);

	/* unbound channel, channel past the table, device past the table */
	gwiod_pipeline_push(p, 0, 1, 5, 5);
	gwiod_pipeline_push(p, 0, 701, 5, 5);
	gwiod_pipeline_push(p, 0, 65535, 5, 5);
	gwiod_pipeline_push(p, 1, 3, 5, 5);	/* device with no points */
	gwiod_pipeline_push(p, 3, 0, 5, 5);
	gwiod_pipeline_push(p, 4000, 0, 5, 5);
	assert_int_equal(rec->count, 4);
	assert_int_equal(gwiod_pipeline_unmapped(p), 6);

	assert_int_equal(gwiod_pipeline_point_count(p), 4);
	assert_string_equal(gwiod_pipeline_point(p, 3)->name, "d0c700");
	assert_null(gwiod_pipeline_point(p, 4));
	gwiod_pipeline_destroy(p);
}

/* One channel, two points, two modes: both get every sample, in order. */
static void test_table_two_points_one_channel(void **state)
{
	struct gwiod_point_config cfg[2] = {
		raw_point(5, 2, 1000), window_point(5, 1000),
	};
	struct gwiod_pipeline *p;

	(void)state;
	cfg[1].scale = 10;
	p = make_pipeline(cfg, 2);
	gwiod_pipeline_push(p, 0, 5, 100, 1);
	gwiod_pipeline_push(p, 0, 5, 200, 2);
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 2);
	assert_int_equal(event_at(0)->kind, GWIOD_EVENT_BATCH);
	assert_int_equal(event_at(0)->batch.count, 2);
	assert_same_double(window_at(1)->mean, 15);
	assert_int_equal(stats_of(p, 0).samples, 2);
	assert_int_equal(stats_of(p, 1).samples, 2);
	gwiod_pipeline_destroy(p);
}

static void test_push_records_matches_push(void **state)
{
	const struct gwio_record records[] = {
		{ .ts_ns = 10, .value = 4, .channel = 1, .kind = GWIO_KIND_ADC },
		{ .ts_ns = 11, .value = 9, .channel = 2, .kind = GWIO_KIND_ADC },
		{ .ts_ns = 12, .value = 4294967295u, .channel = 1,
		  .kind = GWIO_KIND_ADC, .flags = GWIO_REC_F_AFTER_DROP },
	};
	struct gwiod_point_config cfg = raw_point(1, 8, 1000);
	struct gwiod_pipeline *p;

	(void)state;
	cfg.device = 1;
	cfg.scale = 0.5;
	p = make_pipeline(&cfg, 1);
	gwiod_pipeline_push_records(p, 1, records, 3);
	gwiod_pipeline_push_records(p, 0, records, 3);	/* no such device */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 1);
	assert_int_equal(event_at(0)->batch.count, 2);
	assert_int_equal(event_at(0)->batch.samples[0].ts_ns, 10);
	assert_same_double(event_at(0)->batch.samples[0].value, 2);
	assert_int_equal(event_at(0)->batch.samples[1].ts_ns, 12);
	assert_same_double(event_at(0)->batch.samples[1].value,
			   2147483647.5);
	assert_int_equal(gwiod_pipeline_unmapped(p), 4);
	gwiod_pipeline_destroy(p);
}

static void expect_config_error(struct gwiod_point_config cfg,
				const char *message_part)
{
	const struct gwiod_sink sink = { record_event, rec };
	char err[160] = "";

	errno = 0;
	assert_null(gwiod_pipeline_create(&cfg, 1, &sink, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	if (!strstr(err, message_part))
		fail_msg("error \"%s\" lacks \"%s\"", err, message_part);
}

/* @cfg as @good with one field changed must be refused, saying why. */
#define REJECTS(field, value, message_part)				\
	do {								\
		cfg = good;						\
		cfg.field = value;					\
		expect_config_error(cfg, message_part);			\
	} while (0)

static void test_config_rejected(void **state)
{
	struct gwiod_point_config good = window_point(0, 10), cfg;
	const struct gwiod_sink no_emit = { NULL, NULL };

	(void)state;
	REJECTS(name, NULL, "name");
	REJECTS(name, "", "name");
	REJECTS(name, "bad\xc3(", "UTF-8");
	REJECTS(name, "overlong\xc0\xaf", "UTF-8");
	REJECTS(unit, "surrogate\xed\xa0\x80", "UTF-8");
	REJECTS(unit, "past U+10FFFF \xf4\x90\x80\x80", "UTF-8");
	REJECTS(unit, "stray \x80", "UTF-8");
	REJECTS(unit, "cut short \xe2\x82", "UTF-8");
	REJECTS(device, GWIOD_MAX_DEVICES, "device");
	REJECTS(scale, 0, "scale");
	REJECTS(scale, NAN, "scale");
	REJECTS(offset, INFINITY, "offset");
	REJECTS(deadband, -1, "deadband");
	REJECTS(mode, 0, "mode");
	REJECTS(window_ns, 0, "window_ns");
	cfg = raw_point(0, 0, 10);
	expect_config_error(cfg, "batch_max_samples");
	cfg = raw_point(0, GWIOD_MAX_BATCH_SAMPLES + 1, 10);
	expect_config_error(cfg, "batch_max_samples");
	cfg = raw_point(0, 10, 0);
	expect_config_error(cfg, "batch_max_span_ns");

	errno = 0;
	assert_null(gwiod_pipeline_create(&good, 1, &no_emit, NULL, 0));
	assert_int_equal(errno, EINVAL);

	/* valid UTF-8 goes through untouched */
	cfg = good;
	cfg.name = "Temp\xc3\xa9rature \xf0\x9f\x8c\xa1";
	cfg.unit = "\xc2\xb0" "C";
	gwiod_pipeline_destroy(make_pipeline(&cfg, 1));
}

/* Strings are copied: the config may be freed after create. */
static void test_config_strings_copied(void **state)
{
	char name[] = "pump1", unit[] = "bar";
	struct gwiod_point_config cfg = passthrough_point(1, 0, 0);
	struct gwiod_pipeline *p;

	(void)state;
	cfg.name = name;
	cfg.unit = unit;
	cfg.user = &cfg;
	p = make_pipeline(&cfg, 1);
	memset(name, 'x', sizeof(name) - 1);
	memset(unit, 'x', sizeof(unit) - 1);
	push(p, 1, 1);
	assert_string_equal(event_at(0)->point->name, "pump1");
	assert_string_equal(event_at(0)->point->unit, "bar");
	assert_ptr_equal(event_at(0)->point->user, &cfg);
	assert_int_equal(event_at(0)->point->mode, GWIOD_MODE_RAW);
	gwiod_pipeline_destroy(p);

	/* no unit: "" */
	rec->count = 0;
	cfg.name = "n";
	cfg.unit = NULL;
	p = make_pipeline(&cfg, 1);
	push(p, 1, 1);
	assert_string_equal(event_at(0)->point->unit, "");
	gwiod_pipeline_destroy(p);
}

static int failing_sink_result = -EIO;

static void test_sink_errors_counted(void **state)
{
	struct gwiod_point_config cfg = passthrough_point(1, 0, 0);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	struct gwiod_point_stats stats;

	(void)state;
	push(p, 1, 1);
	rec->emit_result = failing_sink_result;
	push(p, 2, 2);
	push(p, 3, 3);
	stats = stats_of(p, 0);
	assert_int_equal(stats.events, 3);
	assert_int_equal(stats.event_errors, 2);
	assert_int_equal(gwiod_pipeline_point_stats(p, 1, &stats), -1);
	assert_int_equal(errno, EINVAL);
	gwiod_pipeline_destroy(p);
}

/* ------------------------------------------------------ window stats */

/*
 * Two passes in long double over the same doubles: the reference.  The
 * sum is compensated (Neumaier) and the squares corrected for the mean's
 * rounding: where long double is only a double (armhf), the plain sum and
 * squares of values near 1e9 are themselves off by more than the
 * tolerances below.
 */
struct reference_stats {
	long double mean;
	long double std;	/* sample, n - 1 */
	double min;
	double max;
};

static struct reference_stats reference_of(const double *x, size_t n)
{
	struct reference_stats ref = { 0, 0, x[0], x[0] };
	long double sum = 0, comp = 0, squares = 0, dev = 0;

	for (size_t i = 0; i < n; i++) {
		long double t = sum + x[i];

		if (fabsl(sum) >= fabsl((long double)x[i]))
			comp += (sum - t) + x[i];
		else
			comp += (x[i] - t) + sum;
		sum = t;
		ref.min = fmin(ref.min, x[i]);
		ref.max = fmax(ref.max, x[i]);
	}
	ref.mean = (sum + comp) / n;
	for (size_t i = 0; i < n; i++) {
		squares += (x[i] - ref.mean) * (x[i] - ref.mean);
		dev += x[i] - ref.mean;
	}
	/* the corrected two-pass formula: what the mean's rounding adds */
	squares -= dev * dev / n;
	ref.std = n > 1 ? sqrtl(squares / (n - 1)) : 0;
	return ref;
}

/*
 * Welford's mean is within a few ulps of the largest magnitude (each
 * step rounds once); its standard deviation only loses what the mean's
 * rounding feeds in, second order in the mean's error.
 */
static void assert_matches_reference(const struct gwiod_window *w,
				     const double *x, size_t n,
				     double std_rel_tol)
{
	struct reference_stats ref = reference_of(x, n);
	double magnitude = fmax(fabs(ref.min), fabs(ref.max));

	assert_int_equal(w->count, n);
	if (!(fabs(w->mean - (double)ref.mean) <= 8 * DBL_EPSILON * magnitude))
		fail_msg("mean %.17g, reference %.17Lg", w->mean, ref.mean);
	assert_same_double(w->min, ref.min);
	assert_same_double(w->max, ref.max);
	assert_close(w->std, (double)ref.std, std_rel_tol);
}

static void test_window_stats_match_reference(void **state)
{
	enum { PER_WINDOW = 1000, WINDOWS = 5 };
	const uint64_t window_ns = 1000000;
	static double values[WINDOWS][PER_WINDOW];
	struct gwiod_point_config cfg = window_point(0, window_ns);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	uint64_t seed = 1;

	(void)state;
	for (int w = 0; w < WINDOWS; w++) {
		for (int i = 0; i < PER_WINDOW; i++) {
			/* scaled differently per window: 1e-3 .. 1e9 */
			double spread = pow(10, 3 * w - 3);

			values[w][i] = spread * (5 + random_unit(&seed));
			push(p, w * window_ns + i * (window_ns / PER_WINDOW),
			     values[w][i]);
		}
	}
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, WINDOWS);
	for (int w = 0; w < WINDOWS; w++) {
		const struct gwiod_window *win = window_at(w);

		assert_matches_reference(win, values[w], PER_WINDOW, 1e-13);
		assert_int_equal(win->start_ns, w * window_ns);
		assert_int_equal(win->end_ns, (w + 1) * window_ns);
		assert_int_equal(win->first.ts_ns, w * window_ns);
		assert_same_double(win->first.value, values[w][0]);
		assert_int_equal(win->last.ts_ns,
				 w * window_ns + (PER_WINDOW - 1) * 1000);
		assert_same_double(win->last.value, values[w][PER_WINDOW - 1]);
	}
	gwiod_pipeline_destroy(p);
}

/*
 * 1e9 + noise of 0.01: sum(x^2) reaches 1e23, whose rounding (~1e7)
 * dwarfs the variance (~3e-5), so the naive formula returns noise or a
 * negative variance.  A plain Welford mean also drifts here, by ~40 ulps
 * of 1e9.  The pipeline must match the reference on both.
 */
static void test_window_stats_large_offset(void **state)
{
	enum { N = 100000 };
	static double values[N];
	struct gwiod_point_config cfg = window_point(0, UINT64_C(1) << 40);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	double naive_sum = 0, naive_squares = 0, naive_var;
	struct reference_stats ref;
	uint64_t seed = 42;

	(void)state;
	for (int i = 0; i < N; i++) {
		values[i] = 1e9 + 0.01 * random_unit(&seed);
		naive_sum += values[i];
		naive_squares += values[i] * values[i];
		push(p, i, values[i]);
	}
	gwiod_pipeline_drain(p);
	ref = reference_of(values, N);
	naive_var = (naive_squares - naive_sum * naive_sum / N) / (N - 1);

	/* The data set is hard: the naive formula is off by orders. */
	assert_true(!(fabs(naive_var - (double)(ref.std * ref.std)) <
		      (double)(ref.std * ref.std)));
	assert_int_equal(rec->count, 1);
	assert_matches_reference(window_at(0), values, N, 1e-11);
	gwiod_pipeline_destroy(p);
}

static void test_window_std_small_counts(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 100);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 0, 42);			/* n == 1: std 0, not NaN */
	push(p, 100, 1);		/* n == 2: sample std, |a-b|/sqrt(2) */
	push(p, 150, 3);
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 2);
	assert_int_equal(window_at(0)->count, 1);
	assert_same_double(window_at(0)->std, 0);
	assert_same_double(window_at(0)->mean, 42);
	assert_same_double(window_at(0)->min, 42);
	assert_same_double(window_at(0)->max, 42);
	assert_close(window_at(1)->std, sqrt(2), 1e-15);
	assert_same_double(window_at(1)->mean, 2);
	gwiod_pipeline_destroy(p);
}

/* first/last follow time, not arrival, within a window. */
static void test_window_first_last_by_time(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 1000);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 500, 5);
	push(p, 200, 2);		/* earlier: becomes first */
	push(p, 900, 9);
	push(p, 700, 7);		/* not the latest */
	push(p, 900, 10);		/* same time as the latest: wins */
	gwiod_pipeline_drain(p);
	assert_int_equal(window_at(0)->first.ts_ns, 200);
	assert_same_double(window_at(0)->first.value, 2);
	assert_int_equal(window_at(0)->last.ts_ns, 900);
	assert_same_double(window_at(0)->last.value, 10);
	assert_same_double(window_at(0)->min, 2);
	assert_same_double(window_at(0)->max, 10);
	gwiod_pipeline_destroy(p);
}

/*
 * Windows are [k*W, (k+1)*W) of sample time: a sample exactly at k*W
 * opens window k and closes k-1; one at k*W - 1 is still in k-1.  The
 * first sample does not define the grid.
 */
static void test_window_boundaries_aligned(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 1000);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 1234, 1);		/* window 1: [1000, 2000) */
	push(p, 1999, 2);
	assert_int_equal(rec->count, 0);
	push(p, 2000, 3);		/* exactly at 2*W: window 2 */
	assert_int_equal(rec->count, 1);
	assert_int_equal(window_at(0)->start_ns, 1000);
	assert_int_equal(window_at(0)->end_ns, 2000);
	assert_int_equal(window_at(0)->count, 2);
	assert_int_equal(window_at(0)->first.ts_ns, 1234);
	push(p, 2999, 4);
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 2);
	assert_int_equal(window_at(1)->start_ns, 2000);
	assert_int_equal(window_at(1)->count, 2);
	assert_same_double(window_at(1)->mean, 3.5);
	gwiod_pipeline_destroy(p);
}

static void test_window_gap_emits_no_empty_windows(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 10);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 5, 1);			/* window 0 */
	push(p, 57, 2);			/* window 5: 1..4 are empty */
	push(p, 1000003, 3);		/* window 100000 */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 3);
	assert_int_equal(window_at(0)->start_ns, 0);
	assert_int_equal(window_at(1)->start_ns, 50);
	assert_int_equal(window_at(1)->end_ns, 60);
	assert_int_equal(window_at(2)->start_ns, 1000000);
	gwiod_pipeline_destroy(p);
}

/*
 * flush(now) closes a window once now >= its end, so a channel that went
 * quiet still reports; a sample for that window arriving afterwards is
 * late and dropped rather than emitting the window twice.
 */
static void test_window_time_driven_flush(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 1000);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 3100, 1);
	push(p, 3200, 2);
	gwiod_pipeline_flush(p, 3999);
	assert_int_equal(rec->count, 0);
	gwiod_pipeline_flush(p, 4000);
	assert_int_equal(rec->count, 1);
	assert_int_equal(window_at(0)->start_ns, 3000);
	assert_int_equal(window_at(0)->count, 2);
	gwiod_pipeline_flush(p, 9000);	/* nothing open: nothing */
	assert_int_equal(rec->count, 1);

	push(p, 3900, 5);		/* for the emitted window */
	assert_int_equal(stats_of(p, 0).late, 1);
	push(p, 4000, 6);		/* the next window is fine */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 2);
	assert_int_equal(window_at(1)->start_ns, 4000);
	assert_int_equal(window_at(1)->count, 1);
	gwiod_pipeline_drain(p);	/* drained: nothing left */
	assert_int_equal(rec->count, 2);
	gwiod_pipeline_destroy(p);
}

/*
 * Flushing without an open window does not declare later windows closed:
 * a delayed sample for a window nothing was emitted for is still taken.
 */
static void test_window_flush_does_not_drop_unemitted(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 100);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	gwiod_pipeline_flush(p, 1000);
	push(p, 250, 1);
	gwiod_pipeline_flush(p, 1000);
	assert_int_equal(rec->count, 1);
	assert_int_equal(window_at(0)->start_ns, 200);
	assert_int_equal(stats_of(p, 0).late, 0);
	gwiod_pipeline_destroy(p);
}

/* A sample behind the open window cannot reopen an older one. */
static void test_window_late_sample_dropped(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 100);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 50, 1);
	push(p, 150, 2);		/* closes [0, 100) */
	push(p, 99, 3);			/* late for an emitted window */
	push(p, 350, 4);		/* closes [100, 200) */
	push(p, 250, 5);		/* behind the open [300, 400) */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 3);
	assert_int_equal(window_at(1)->count, 1);
	assert_int_equal(window_at(2)->count, 1);
	assert_same_double(window_at(2)->mean, 4);
	assert_int_equal(stats_of(p, 0).late, 2);
	gwiod_pipeline_destroy(p);
}

/* The last window of the clock does not wrap its end. */
static void test_window_end_of_clock(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 1000);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, UINT64_MAX - 1, 1);
	gwiod_pipeline_flush(p, UINT64_MAX);
	assert_int_equal(rec->count, 1);
	assert_int_equal(window_at(0)->start_ns,
			 UINT64_MAX - UINT64_MAX % 1000);
	assert_int_equal(window_at(0)->end_ns, UINT64_MAX);
	gwiod_pipeline_destroy(p);
}

/* ------------------------------------------------------- sum and rate */

#define SECOND	UINT64_C(1000000000)

/* A flow meter: one record of value 1 per pulse, scale = litres/pulse. */
static struct gwiod_point_config meter_point(double scale, uint64_t window_ns)
{
	struct gwiod_point_config cfg = window_point(0, window_ns);

	cfg.name = "flow";
	cfg.unit = "l";
	cfg.scale = scale;
	return cfg;
}

/*
 * 1000 pulses at 0.0025 l are 2.5 l.  Adding the values gives
 * 2.499999999999958 (and even an exact sum of the doubles 0.0025 drifts
 * by 35 pulses), so the sum must come from the raw codes.
 */
static void test_window_sum_rate_of_pulses(void **state)
{
	struct gwiod_point_config cfg = meter_point(0.0025, 60 * SECOND);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	double naive = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		push(p, 60 * SECOND + (uint64_t)i * 50000000, 1);
		naive += 0.0025;
	}
	for (int i = 0; i < 35; i++)
		push(p, 120 * SECOND + (uint64_t)i * SECOND, 1);
	gwiod_pipeline_drain(p);
	assert_true(naive != 2.5);	/* the trap the test is about */
	assert_int_equal(rec->count, 2);
	assert_int_equal(window_at(0)->count, 1000);
	assert_same_double(window_at(0)->sum, 2.5);
	assert_same_double(window_at(0)->rate, 2.5 / 60);
	assert_same_double(window_at(0)->mean, 0.0025);
	assert_same_double(window_at(1)->sum, 0.0875);
	/* the decimal quotient, not the double 0.0875 / 60 one ulp off */
	assert_same_double(window_at(1)->rate, 875.0 / 600000);
	assert_true(0.0875 / 60 != 875.0 / 600000);
	gwiod_pipeline_destroy(p);
}

/* scale = 60 / pulses per litre: rate is then l/min, sum l*60. */
static void test_window_rate_per_minute_scale(void **state)
{
	const double pulses_per_litre = 450;
	struct gwiod_point_config cfg = meter_point(60 / pulses_per_litre,
						    SECOND);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	/* 30 pulses in a second: 30 / 450 l/s = 4 l/min */
	for (int i = 0; i < 30; i++)
		push(p, 5 * SECOND + (uint64_t)i * (SECOND / 30), 1);
	gwiod_pipeline_flush(p, 6 * SECOND);
	assert_int_equal(rec->count, 1);
	assert_close(window_at(0)->rate, 4, 4 * DBL_EPSILON);
	assert_same_double(window_at(0)->rate, window_at(0)->sum);
	gwiod_pipeline_destroy(p);
}

/*
 * Scale and offset: (raw * n + m) / 10^k summed is (sum(raw) * n +
 * count * m) / 10^k.  0 + 0.1 + 0.2 added as doubles is
 * 0.30000000000000004; the window's sum is 0.3.
 */
static void test_window_sum_rate_with_scale_offset(void **state)
{
	struct gwiod_point_config cfg = window_point(0, 1000000);
	struct gwiod_pipeline *p;
	const struct gwiod_window *w;

	(void)state;
	cfg.scale = 0.1;
	cfg.offset = -40;
	p = make_pipeline(&cfg, 1);
	push(p, 0, 400);		/* 0 */
	push(p, 1, 401);		/* 0.1 */
	push(p, 2, 402);		/* 0.2 */
	push(p, 1000000, 395);		/* next window: -0.5 */
	push(p, 1000001, 394);		/* -0.6 */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 2);
	w = window_at(0);
	assert_true(w->first.value + 0.1 + 0.2 != 0.3);
	assert_same_double(w->sum, 0.3);
	assert_same_double(w->rate, 300);	/* per second of 1 ms */
	w = window_at(1);
	assert_same_double(w->sum, -1.1);
	assert_same_double(w->rate, -1100);

	/* a negative scale and no offset */
	gwiod_pipeline_destroy(p);
	rec->count = 0;
	cfg.scale = -0.25;
	cfg.offset = 0;
	p = make_pipeline(&cfg, 1);
	push(p, 10, 3);
	push(p, 20, 5);
	gwiod_pipeline_drain(p);
	assert_same_double(window_at(0)->sum, -2);
	assert_same_double(window_at(0)->rate, -2000);
	gwiod_pipeline_destroy(p);
}

/*
 * Fractional raws around 1e9, as another source may deliver: the sum
 * (like the mean) is taken over deviations from the first value, so it
 * lands within an ulp of the exact sum; a plain running sum of 1e14
 * rounds at 1/64 with every sample.
 */
static void test_window_sum_large_offset(void **state)
{
	enum { N = 100000 };
	struct gwiod_point_config cfg = window_point(0, UINT64_C(1) << 40);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	long double deviations = 0, exact;
	double naive = 0, got;
	uint64_t seed = 7;

	(void)state;
	for (int i = 0; i < N; i++) {
		double x = 1e9 + 0.01 * random_unit(&seed);

		deviations += x - 1e9;	/* exact: x and 1e9 are close */
		naive += x;
		push(p, i, x);
	}
	gwiod_pipeline_drain(p);
	exact = 1e9L * N + deviations;
	got = window_at(0)->sum;
	if (!(fabsl(got - exact) <= exact * DBL_EPSILON))
		fail_msg("sum %.17g, exact %.17Lg", got, exact);
	assert_true(fabsl(naive - exact) > fabsl(got - exact));
	assert_close(window_at(0)->rate, got / ((UINT64_C(1) << 40) / 1e9),
		     2 * DBL_EPSILON);
	gwiod_pipeline_destroy(p);
}

/*
 * A reload or shutdown publishes the open window early (drain), with its
 * nominal end; rate divides by that nominal length, so rate * length is
 * the sum and the two parts of a window cut by a reload add up.
 */
static void test_window_rate_early_end_uses_nominal_length(void **state)
{
	struct gwiod_point_config cfg = meter_point(1, 10 * SECOND);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 21 * SECOND, 1);
	push(p, 22 * SECOND, 1);
	push(p, 23 * SECOND, 1);
	gwiod_pipeline_flush(p, 24 * SECOND);	/* not over yet */
	assert_int_equal(rec->count, 0);
	gwiod_pipeline_drain(p);		/* the reload */
	gwiod_pipeline_destroy(p);
	assert_int_equal(rec->count, 1);
	assert_int_equal(window_at(0)->start_ns, 20 * SECOND);
	assert_int_equal(window_at(0)->end_ns, 30 * SECOND);
	assert_same_double(window_at(0)->sum, 3);
	assert_same_double(window_at(0)->rate, 0.3);	/* 3 / 10 s */

	/* the new pipeline takes the rest of the same window */
	p = make_pipeline(&cfg, 1);
	push(p, 26 * SECOND, 1);
	push(p, 29 * SECOND, 1);
	gwiod_pipeline_flush(p, 30 * SECOND);
	assert_int_equal(rec->count, 2);
	assert_int_equal(window_at(1)->start_ns, 20 * SECOND);
	assert_same_double(window_at(1)->sum, 2);
	assert_same_double(window_at(1)->rate, 0.2);
	assert_same_double(window_at(0)->rate + window_at(1)->rate, 0.5);
	gwiod_pipeline_destroy(p);
}

/*
 * No pulses, no window: like count, sum and rate are never published
 * for an empty window (no zeros), and a window after a gap starts from
 * nothing and divides by its own length, not by the gap.
 */
static void test_window_sum_rate_empty_windows(void **state)
{
	struct gwiod_point_config cfg = meter_point(0.5, SECOND);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	gwiod_pipeline_flush(p, 10 * SECOND);	/* nothing at all */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 0);
	push(p, SECOND + 1, 1);
	push(p, SECOND + 2, 1);
	gwiod_pipeline_flush(p, 2 * SECOND);
	gwiod_pipeline_flush(p, 5 * SECOND);	/* 2..5 s are empty */
	push(p, 5 * SECOND, 1);
	gwiod_pipeline_flush(p, 9 * SECOND);
	assert_int_equal(rec->count, 2);
	assert_int_equal(window_at(0)->start_ns, SECOND);
	assert_same_double(window_at(0)->sum, 1);
	assert_same_double(window_at(0)->rate, 1);
	assert_int_equal(window_at(1)->start_ns, 5 * SECOND);
	assert_int_equal(window_at(1)->count, 1);
	assert_same_double(window_at(1)->sum, 0.5);
	assert_same_double(window_at(1)->rate, 0.5);
	gwiod_pipeline_destroy(p);
}

/* Late, filtered and nonfinite samples are not in the sum either. */
static void test_window_sum_only_accepted_samples(void **state)
{
	struct gwiod_point_config cfg = meter_point(1, 100);
	struct gwiod_pipeline *p;

	(void)state;
	cfg.deadband = 2;
	p = make_pipeline(&cfg, 1);
	push(p, 10, 10);
	push(p, 20, 11);		/* filtered: changed by 1 < 2 */
	push(p, 30, INFINITY);		/* nonfinite */
	push(p, 40, 13);
	push(p, 150, 20);		/* closes [0, 100) */
	push(p, 50, 30);		/* late */
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 2);
	assert_int_equal(window_at(0)->count, 2);
	assert_same_double(window_at(0)->sum, 23);
	assert_same_double(window_at(0)->rate, 23e7);	/* per 100 ns */
	assert_same_double(window_at(1)->sum, 20);
	gwiod_pipeline_destroy(p);
}

/* ----------------------------------------------------------- raw mode */

static void test_raw_batch_count_limit(void **state)
{
	struct gwiod_point_config cfg = raw_point(0, 4, UINT64_MAX);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	for (int i = 0; i < 10; i++)
		push(p, i, i);
	/* full batches go out at once, not on the next sample */
	assert_int_equal(rec->count, 2);
	assert_int_equal(event_at(0)->batch.count, 4);
	assert_int_equal(event_at(1)->batch.count, 4);
	assert_int_equal(event_at(1)->batch.samples[0].ts_ns, 4);
	assert_same_double(event_at(1)->batch.samples[3].value, 7);
	gwiod_pipeline_drain(p);
	assert_int_equal(rec->count, 3);
	assert_int_equal(event_at(2)->batch.count, 2);
	assert_int_equal(event_at(2)->batch.samples[1].ts_ns, 9);
	gwiod_pipeline_destroy(p);
}

/*
 * A batch spans less than T of sample time: a sample at first + T or
 * later sends the batch without it and starts the next one.
 */
static void test_raw_batch_time_limit(void **state)
{
	struct gwiod_point_config cfg = raw_point(0, 1000, 100);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 1000, 1);
	push(p, 1050, 2);
	push(p, 1099, 3);
	assert_int_equal(rec->count, 0);
	push(p, 1100, 4);
	assert_int_equal(rec->count, 1);
	assert_int_equal(event_at(0)->batch.count, 3);
	assert_int_equal(event_at(0)->batch.samples[2].ts_ns, 1099);
	push(p, 5000, 5);		/* long gap: [1100] alone */
	assert_int_equal(rec->count, 2);
	assert_int_equal(event_at(1)->batch.count, 1);
	assert_int_equal(event_at(1)->batch.samples[0].ts_ns, 1100);
	gwiod_pipeline_destroy(p);
}

static void test_raw_batch_time_driven_flush(void **state)
{
	struct gwiod_point_config cfg = raw_point(0, 1000, 100);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	gwiod_pipeline_flush(p, 1000000);	/* empty: nothing */
	push(p, 1000, 1);
	push(p, 1010, 2);
	gwiod_pipeline_flush(p, 1099);
	assert_int_equal(rec->count, 0);
	gwiod_pipeline_flush(p, 1100);
	assert_int_equal(rec->count, 1);
	assert_int_equal(event_at(0)->batch.count, 2);
	push(p, 1120, 3);		/* a fresh batch, fresh deadline */
	gwiod_pipeline_flush(p, 1200);
	assert_int_equal(rec->count, 1);
	gwiod_pipeline_flush(p, 1220);
	assert_int_equal(rec->count, 2);
	gwiod_pipeline_destroy(p);
}

/* Many samples, a few batches: the point of batching a fast channel. */
static void test_raw_batch_fast_channel(void **state)
{
	enum { RATE_HZ = 10000, SECONDS = 2 };
	struct gwiod_point_config cfg = raw_point(0, 5000, 100000000);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);
	size_t total = 0;

	(void)state;
	for (int i = 0; i < RATE_HZ * SECONDS; i++)
		push(p, (uint64_t)i * (1000000000 / RATE_HZ), i & 4095);
	gwiod_pipeline_drain(p);
	/* 100 ms of 10 kHz is 1000 samples: the span limit wins */
	assert_int_equal(rec->count, 10 * SECONDS);
	for (size_t i = 0; i < rec->count; i++) {
		assert_int_equal(event_at(i)->batch.count, 1000);
		total += event_at(i)->batch.count;
	}
	assert_int_equal(total, RATE_HZ * SECONDS);
	gwiod_pipeline_destroy(p);
}

/* ---------------------------------------------------------- downsample */

static void test_downsample_first_of_window(void **state)
{
	struct gwiod_point_config cfg = downsample_point(0, 100);
	struct gwiod_pipeline *p = make_pipeline(&cfg, 1);

	(void)state;
	push(p, 130, 1);		/* first of [100, 200): out at once */
	assert_int_equal(rec->count, 1);
	push(p, 150, 2);
	push(p, 199, 3);
	assert_int_equal(rec->count, 1);
	push(p, 200, 4);		/* exactly at the boundary */
	push(p, 250, 5);
	push(p, 777, 6);		/* after empty windows */
	gwiod_pipeline_flush(p, 100000);
	gwiod_pipeline_drain(p);	/* nothing is ever pending */
	assert_int_equal(rec->count, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(event_at(i)->kind, GWIOD_EVENT_VALUE);
	assert_int_equal(event_at(0)->value.ts_ns, 130);
	assert_same_double(event_at(0)->value.value, 1);
	assert_int_equal(event_at(1)->value.ts_ns, 200);
	assert_same_double(event_at(1)->value.value, 4);
	assert_int_equal(event_at(2)->value.ts_ns, 777);

	push(p, 650, 7);		/* behind the last window: late */
	push(p, 790, 8);		/* same window as 777: dropped */
	assert_int_equal(rec->count, 3);
	assert_int_equal(stats_of(p, 0).late, 1);
	assert_int_equal(stats_of(p, 0).samples, 8);
	gwiod_pipeline_destroy(p);
}

/* ------------------------------------------------------------ payload */

static const struct gwiod_point_info t1 = {
	.id = 0, .name = "t1", .unit = "degC", .mode = GWIOD_MODE_WINDOW,
};

static void test_payload_value_exact(void **state)
{
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_VALUE, .point = &t1,
		.value = { 1500, 21.5 },
	};
	const char *want =
		"{\"point\":\"t1\",\"unit\":\"degC\",\"ts\":1500,\"value\":21.5}";
	char buf[256];

	(void)state;
	assert_int_equal(gwiod_payload_encode(&e, NULL, buf, sizeof(buf)),
			 strlen(want));
	assert_string_equal(buf, want);
}

static void test_payload_window_exact(void **state)
{
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_WINDOW, .point = &t1,
		.window = {
			.start_ns = 60000000000, .end_ns = 120000000000,
			.count = 3, .mean = 2, .min = 1, .max = 3, .std = 1,
			.sum = 6, .rate = 0.1,
			.first = { 60000000001, 1 },
			.last = { 119999999999, 3 },
		},
	};
	/* what a route without stats: gets */
	const struct gwiod_payload_options route_default = {
		.window_stats = GWIOD_STATS_DEFAULT,
	};
	char buf[512];

	(void)state;
	/* zeroed or no options: every member */
	gwiod_payload_encode(&e, NULL, buf, sizeof(buf));
	assert_string_equal(buf,
		"{\"point\":\"t1\",\"unit\":\"degC\",\"ts\":60000000000,"
		"\"window\":{\"start\":60000000000,\"end\":120000000000,"
		"\"count\":3,\"mean\":2,\"min\":1,\"max\":3,\"std\":1,"
		"\"sum\":6,\"rate\":0.1,"
		"\"first\":[60000000001,1],\"last\":[119999999999,3]}}");
	gwiod_payload_encode(&e, &route_default, buf, sizeof(buf));
	assert_string_equal(buf,
		"{\"point\":\"t1\",\"unit\":\"degC\",\"ts\":60000000000,"
		"\"window\":{\"start\":60000000000,\"end\":120000000000,"
		"\"count\":3,\"mean\":2,\"min\":1,\"max\":3,\"std\":1,"
		"\"first\":[60000000001,1],\"last\":[119999999999,3]}}");
}

/* A flow meter's route: stats: [count, sum, rate]. */
static void test_payload_window_sum_rate(void **state)
{
	const struct gwiod_payload_options meter = {
		.window_stats = GWIOD_STAT_RATE | GWIOD_STAT_COUNT |
				GWIOD_STAT_SUM,
	};
	const struct gwiod_point_info flow = {
		.id = 1, .name = "flow", .unit = "l", .mode = GWIOD_MODE_WINDOW,
	};
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_WINDOW, .point = &flow,
		.window = {
			.start_ns = 60000000000, .end_ns = 120000000000,
			.count = 1000, .mean = 0.0025, .min = 0.0025,
			.max = 0.0025, .sum = 2.5, .rate = 2.5 / 60,
			.first = { 60000000001, 0.0025 },
			.last = { 119999999999, 0.0025 },
		},
	};
	char buf[512];

	(void)state;
	gwiod_payload_encode(&e, &meter, buf, sizeof(buf));
	assert_string_equal(buf,
		"{\"point\":\"flow\",\"unit\":\"l\",\"ts\":60000000000,"
		"\"window\":{\"start\":60000000000,\"end\":120000000000,"
		"\"count\":1000,\"sum\":2.5,"
		"\"rate\":0.041666666666666664}}");
}

/* A route's stats: list picks members; start and end always stay. */
static void test_payload_window_stats_mask(void **state)
{
	const struct gwiod_payload_options some = {
		.window_stats = GWIOD_STAT_MEAN | GWIOD_STAT_LAST,
	};
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_WINDOW, .point = &t1,
		.window = {
			.start_ns = 0, .end_ns = 10, .count = 2, .mean = 1.5,
			.min = 1, .max = 2, .std = 0.5,
			.first = { 1, 1 }, .last = { 2, 2 },
		},
	};
	char buf[512];

	(void)state;
	gwiod_payload_encode(&e, &some, buf, sizeof(buf));
	assert_string_equal(buf,
		"{\"point\":\"t1\",\"unit\":\"degC\",\"ts\":0,"
		"\"window\":{\"start\":0,\"end\":10,\"mean\":1.5,"
		"\"last\":[2,2]}}");
}

static void test_payload_batch_exact(void **state)
{
	const struct gwiod_sample samples[] = {
		{ 10, 0.1 }, { 20, -(0.1 + 0.2) }, { 30, 1e300 },
		{ 40, 1.0 / 3 }, { 18446744073709551615u, -0.0 },
	};
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_BATCH, .point = &t1,
		.batch = { samples, 5 },
	};
	char buf[512];

	(void)state;
	gwiod_payload_encode(&e, NULL, buf, sizeof(buf));
	assert_string_equal(buf,
		"{\"point\":\"t1\",\"unit\":\"degC\",\"ts\":10,\"samples\":["
		"[10,0.1],[20,-0.30000000000000004],[30,1e+300],"
		"[40,0.3333333333333333],[18446744073709551615,-0]]}");
}

static void test_payload_ts_offset(void **state)
{
	const struct gwiod_payload_options epoch = {
		.ts_offset_ns = 1700000000000000000,
	};
	const struct gwiod_payload_options back = { .ts_offset_ns = -2000 };
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_VALUE, .point = &t1, .value = { 1500, 1 },
	};
	char buf[256];

	(void)state;
	gwiod_payload_encode(&e, &epoch, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"ts\":1700000000000001500,"));
	gwiod_payload_encode(&e, &back, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"ts\":-500,"));
	e.value.ts_ns = UINT64_MAX - 5;
	gwiod_payload_encode(&e, &epoch, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"ts\":18446744073709551615,"));
}

/* JSON has no NaN or Infinity: null keeps the payload parseable. */
static void test_payload_nonfinite_is_null(void **state)
{
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_WINDOW, .point = &t1,
		.window = {
			.start_ns = 0, .end_ns = 10, .count = 2,
			.mean = NAN, .min = -INFINITY, .max = INFINITY,
			.std = -NAN, .sum = INFINITY, .rate = NAN,
			.first = { 1, NAN }, .last = { 2, 1 },
		},
	};
	char buf[512];

	(void)state;
	gwiod_payload_encode(&e, NULL, buf, sizeof(buf));
	assert_true(json_is_valid(buf));
	assert_non_null(strstr(buf, "\"mean\":null,\"min\":null,"
				    "\"max\":null,\"std\":null,"
				    "\"sum\":null,\"rate\":null,"
				    "\"first\":[1,null]"));
}

static void test_payload_escapes_strings(void **state)
{
	const struct gwiod_point_info odd = {
		.name = "a\"b\\c\nd\x01\x1f/\xc3\xa9", .unit = "\t",
	};
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_VALUE, .point = &odd, .value = { 1, 2 },
	};
	char buf[256];

	(void)state;
	gwiod_payload_encode(&e, NULL, buf, sizeof(buf));
	assert_true(json_is_valid(buf));
	assert_string_equal(buf,
		"{\"point\":\"a\\\"b\\\\c\\nd\\u0001\\u001f/\xc3\xa9\","
		"\"unit\":\"\\t\",\"ts\":1,\"value\":2}");
}

/* snprintf contract: the full length always, the text only if it fits. */
static void test_payload_buffer_too_small(void **state)
{
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_VALUE, .point = &t1,
		.value = { 1500, 21.5 },
	};
	char buf[64];
	int need;

	(void)state;
	need = gwiod_payload_encode(&e, NULL, NULL, 0);
	assert_int_equal(need, 51);
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(gwiod_payload_encode(&e, NULL, buf, 10), need);
	assert_int_equal(strlen(buf), 9);	/* truncated, terminated */
	assert_int_equal(buf[10], 'X');		/* nothing past size */
	assert_int_equal(gwiod_payload_encode(&e, NULL, buf, need), need);
	assert_int_equal(strlen(buf), need - 1);
	assert_int_equal(gwiod_payload_encode(&e, NULL, buf, need + 1), need);
	assert_string_equal(buf,
		"{\"point\":\"t1\",\"unit\":\"degC\",\"ts\":1500,\"value\":21.5}");
}

static void test_payload_rejects_malformed(void **state)
{
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_BATCH, .point = &t1, .batch = { NULL, 0 },
	};
	char buf[64];

	(void)state;
	assert_int_equal(gwiod_payload_encode(&e, NULL, buf, sizeof(buf)),
			 -EINVAL);
	e.kind = 99;
	assert_int_equal(gwiod_payload_encode(&e, NULL, buf, sizeof(buf)),
			 -EINVAL);
	e.kind = GWIOD_EVENT_VALUE;
	e.point = NULL;
	assert_int_equal(gwiod_payload_encode(&e, NULL, buf, sizeof(buf)),
			 -EINVAL);
	e.point = &t1;
	assert_int_equal(gwiod_payload_encode(&e, NULL, NULL, 5), -EINVAL);
}

/* The number written for "value" in a one-value payload. */
static const char *encode_number(double value, char *buf, size_t size)
{
	struct gwiod_event e = {
		.kind = GWIOD_EVENT_VALUE, .point = &t1, .value = { 0, value },
	};
	char *number, *end;

	gwiod_payload_encode(&e, NULL, buf, size);
	number = strstr(buf, "\"value\":");
	assert_non_null(number);
	number += strlen("\"value\":");
	end = strchr(number, '}');
	assert_non_null(end);
	*end = '\0';
	return number;
}

static void test_payload_numbers_shortest_roundtrip(void **state)
{
	static const struct { double value; const char *text; } cases[] = {
		{ 0.1, "0.1" }, { 0.3, "0.3" }, { 1e-7, "1e-07" },
		{ 123456.789, "123456.789" }, { 0.1 + 0.2, "0.30000000000000004" },
		{ 2.0 / 3, "0.6666666666666666" }, { 1e21, "1e+21" },
		{ 9007199254740991.0, "9007199254740991" },
		{ -4294967295.0, "-4294967295" },
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ DBL_MIN, "2.2250738585072014e-308" },
		{ 0.0, "0" }, { -0.0, "-0" },
	};
	char buf[256];
	uint64_t seed = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(encode_number(cases[i].value, buf,
						  sizeof(buf)), cases[i].text);

	/* Random bit patterns: every finite double reads back identical. */
	for (int i = 0; i < 100000; i++) {
		uint64_t bits = next_random(&seed);
		double value, back;
		const char *text;

		memcpy(&value, &bits, sizeof(value));
		if (!isfinite(value))
			continue;
		text = encode_number(value, buf, sizeof(buf));
		assert_true(json_is_valid(text));
		back = strtod(text, NULL);
		assert_same_double(back, value);
		assert_true(strlen(text) <= 24);
	}
}

/* ------------------------------------------------------------- driver */

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_recorder, \
						 teardown_recorder)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_json_checker_itself),
		TEST(test_scaling_linear),
		TEST(test_scaling_negative_scale),
		TEST(test_scaling_decimal_is_exact),
		TEST(test_scaling_binary_fraction),
		TEST(test_nonfinite_dropped),
		TEST(test_deadband_first_sample_passes),
		TEST(test_deadband_exact_edge_passes),
		TEST(test_deadband_measures_from_last_reported),
		TEST(test_deadband_decimal_steps_with_offset),
		TEST(test_deadband_negative_values),
		TEST(test_deadband_zero_passes_repeats),
		TEST(test_deadband_before_window),
		TEST(test_table_routes_by_device_and_channel),
		TEST(test_table_two_points_one_channel),
		TEST(test_push_records_matches_push),
		TEST(test_config_rejected),
		TEST(test_config_strings_copied),
		TEST(test_sink_errors_counted),
		TEST(test_window_stats_match_reference),
		TEST(test_window_stats_large_offset),
		TEST(test_window_std_small_counts),
		TEST(test_window_first_last_by_time),
		TEST(test_window_boundaries_aligned),
		TEST(test_window_gap_emits_no_empty_windows),
		TEST(test_window_time_driven_flush),
		TEST(test_window_flush_does_not_drop_unemitted),
		TEST(test_window_late_sample_dropped),
		TEST(test_window_end_of_clock),
		TEST(test_window_sum_rate_of_pulses),
		TEST(test_window_rate_per_minute_scale),
		TEST(test_window_sum_rate_with_scale_offset),
		TEST(test_window_sum_large_offset),
		TEST(test_window_rate_early_end_uses_nominal_length),
		TEST(test_window_sum_rate_empty_windows),
		TEST(test_window_sum_only_accepted_samples),
		TEST(test_raw_batch_count_limit),
		TEST(test_raw_batch_time_limit),
		TEST(test_raw_batch_time_driven_flush),
		TEST(test_raw_batch_fast_channel),
		TEST(test_downsample_first_of_window),
		TEST(test_payload_value_exact),
		TEST(test_payload_window_exact),
		TEST(test_payload_window_sum_rate),
		TEST(test_payload_batch_exact),
		TEST(test_payload_ts_offset),
		TEST(test_payload_window_stats_mask),
		TEST(test_payload_nonfinite_is_null),
		TEST(test_payload_escapes_strings),
		TEST(test_payload_buffer_too_small),
		TEST(test_payload_rejects_malformed),
		TEST(test_payload_numbers_shortest_roundtrip),
	};

	return cmocka_run_group_tests_name("gwiod_pipeline", tests, NULL, NULL);
}
