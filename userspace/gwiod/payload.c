// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * JSON encoding of pipeline events: the format is docs/payload.md.
 *
 * Output goes through a writer that keeps counting past the end of the
 * caller's buffer, so one pass both fills what fits and tells the caller
 * how much a complete encoding needs.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

struct json_writer {
	char *buf;
	size_t size;
	size_t len;		/* of the whole encoding, may exceed size */
	int64_t ts_offset_ns;
};

static void put_bytes(struct json_writer *w, const char *bytes, size_t n)
{
	if (w->len < w->size) {
		size_t room = w->size - w->len;

		memcpy(w->buf + w->len, bytes, n < room ? n : room);
	}
	w->len += n;
}

static void put_text(struct json_writer *w, const char *text)
{
	put_bytes(w, text, strlen(text));
}

static void put_char(struct json_writer *w, char c)
{
	put_bytes(w, &c, 1);
}

static void put_u64(struct json_writer *w, uint64_t n)
{
	char digits[20];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	put_bytes(w, digits + i, sizeof(digits) - i);
}

static void put_i64(struct json_writer *w, int64_t n)
{
	if (n < 0) {
		put_char(w, '-');
		put_u64(w, 0 - (uint64_t)n);
	} else {
		put_u64(w, (uint64_t)n);
	}
}

/*
 * Exact for any offset: a positive one saturates instead of wrapping, a
 * negative one may take a timestamp below zero.
 */
static void put_ts(struct json_writer *w, uint64_t ts_ns)
{
	uint64_t shift;

	if (w->ts_offset_ns >= 0) {
		shift = (uint64_t)w->ts_offset_ns;
		put_u64(w, ts_ns > UINT64_MAX - shift ? UINT64_MAX
						       : ts_ns + shift);
		return;
	}
	/* |INT64_MIN| does not fit an int64_t, but does a uint64_t. */
	shift = 0 - (uint64_t)w->ts_offset_ns;
	if (ts_ns >= shift) {
		put_u64(w, ts_ns - shift);
	} else {
		put_char(w, '-');
		put_u64(w, shift - ts_ns);
	}
}

/*
 * %g writes the locale's decimal separator; JSON wants '.'.  gwiod never
 * calls setlocale() for LC_NUMERIC, but a library it links might.
 */
static void force_decimal_point(char *text)
{
	for (; *text; text++)
		if (*text == ',')
			*text = '.';
}

/*
 * The fewest of 15, 16 or 17 significant digits that read back as the
 * same double: 17 always do, and a value with a shorter exact form gets
 * it from %.15g, which drops trailing zeros.  So 0.1 is "0.1", not
 * 0.10000000000000001, while the double next to 0.3 keeps its
 * 0.30000000000000004 (anything shorter would publish another number).
 * JSON has no NaN or Infinity: those are written as null.
 */
static void put_double(struct json_writer *w, double value)
{
	char text[32];

	if (!isfinite(value)) {
		put_text(w, "null");
		return;
	}
	/* Whole numbers (raw ADC codes, counters) skip printf entirely. */
	if (fabs(value) < 9007199254740992.0 && value == trunc(value)) {
		if (value == 0 && signbit(value))
			put_text(w, "-0");
		else
			put_i64(w, (int64_t)value);
		return;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, value);
		if (digits == 17 || strtod(text, NULL) == value)
			break;
	}
	force_decimal_point(text);
	put_text(w, text);
}

/* Names and units were checked for UTF-8 when the pipeline was built. */
static void put_string(struct json_writer *w, const char *text)
{
	static const char hex[] = "0123456789abcdef";

	put_char(w, '"');
	for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
		switch (*s) {
		case '"':
			put_text(w, "\\\"");
			break;
		case '\\':
			put_text(w, "\\\\");
			break;
		case '\n':
			put_text(w, "\\n");
			break;
		case '\r':
			put_text(w, "\\r");
			break;
		case '\t':
			put_text(w, "\\t");
			break;
		default:
			if (*s < 0x20) {
				char escape[] = { '\\', 'u', '0', '0',
						  hex[*s >> 4], hex[*s & 15] };

				put_bytes(w, escape, sizeof(escape));
			} else {
				put_char(w, (char)*s);
			}
		}
	}
	put_char(w, '"');
}

/* [ts,value], the shape of every sample in every payload. */
static void put_sample(struct json_writer *w, const struct gwiod_sample *s)
{
	put_char(w, '[');
	put_ts(w, s->ts_ns);
	put_char(w, ',');
	put_double(w, s->value);
	put_char(w, ']');
}

static void put_key(struct json_writer *w, const char *key)
{
	put_char(w, ',');
	put_string(w, key);
	put_char(w, ':');
}

static void put_window(struct json_writer *w, const struct gwiod_window *win,
		       unsigned int stats)
{
	put_text(w, "{\"start\":");
	put_ts(w, win->start_ns);
	put_key(w, "end");
	put_ts(w, win->end_ns);
	if (stats & GWIOD_STAT_COUNT) {
		put_key(w, "count");
		put_u64(w, win->count);
	}
	if (stats & GWIOD_STAT_MEAN) {
		put_key(w, "mean");
		put_double(w, win->mean);
	}
	if (stats & GWIOD_STAT_MIN) {
		put_key(w, "min");
		put_double(w, win->min);
	}
	if (stats & GWIOD_STAT_MAX) {
		put_key(w, "max");
		put_double(w, win->max);
	}
	if (stats & GWIOD_STAT_STD) {
		put_key(w, "std");
		put_double(w, win->std);
	}
	if (stats & GWIOD_STAT_SUM) {
		put_key(w, "sum");
		put_double(w, win->sum);
	}
	if (stats & GWIOD_STAT_RATE) {
		put_key(w, "rate");
		put_double(w, win->rate);
	}
	if (stats & GWIOD_STAT_FIRST) {
		put_key(w, "first");
		put_sample(w, &win->first);
	}
	if (stats & GWIOD_STAT_LAST) {
		put_key(w, "last");
		put_sample(w, &win->last);
	}
	put_char(w, '}');
}

int gwiod_payload_encode(const struct gwiod_event *event,
			 const struct gwiod_payload_options *options,
			 char *buf, size_t size)
{
	struct json_writer w = { .buf = buf, .size = size };
	unsigned int stats = GWIOD_STATS_ALL;

	if (!event || !event->point || !event->point->name ||
	    !event->point->unit || (!buf && size))
		return -EINVAL;
	if (event->kind == GWIOD_EVENT_BATCH &&
	    (!event->batch.samples || event->batch.count == 0))
		return -EINVAL;
	if (options) {
		w.ts_offset_ns = options->ts_offset_ns;
		if (options->window_stats)
			stats = options->window_stats & GWIOD_STATS_ALL;
	}

	put_text(&w, "{\"point\":");
	put_string(&w, event->point->name);
	put_key(&w, "unit");
	put_string(&w, event->point->unit);
	put_key(&w, "ts");
	switch (event->kind) {
	case GWIOD_EVENT_VALUE:
		put_ts(&w, event->value.ts_ns);
		put_key(&w, "value");
		put_double(&w, event->value.value);
		break;
	case GWIOD_EVENT_BATCH:
		put_ts(&w, event->batch.samples[0].ts_ns);
		put_key(&w, "samples");
		put_char(&w, '[');
		for (size_t i = 0; i < event->batch.count; i++) {
			if (i)
				put_char(&w, ',');
			put_sample(&w, &event->batch.samples[i]);
		}
		put_char(&w, ']');
		break;
	case GWIOD_EVENT_WINDOW:
		put_ts(&w, event->window.start_ns);
		put_key(&w, "window");
		put_window(&w, &event->window, stats);
		break;
	default:
		return -EINVAL;
	}
	put_char(&w, '}');

	if (size)
		buf[w.len < size ? w.len : size - 1] = '\0';
	if (w.len > INT_MAX)
		return -EOVERFLOW;
	return (int)w.len;
}
