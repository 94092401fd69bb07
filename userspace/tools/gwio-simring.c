// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gwio-simring: a gwio ring filled from userspace, for testing and
 * benchmarking consumers (gwiod) on machines without gwio.ko, and for
 * replaying captures made with `gwio-cat --record`.
 *
 * It creates a memory ring, prints the path a consumer opens
 * (/proc/PID/fd/N) on the first line of stdout, then produces: synthetic
 * channels at a rate (counter, sine, ramp or square, one waveform per
 * channel), or the records of a capture.  When done
 * it keeps the ring alive until SIGTERM/SIGINT so consumers can drain it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libgwio.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / 1000000000u),
		.tv_nsec = (long)(t % 1000000000u),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR && !stop)
		;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gwio-simring [OPTION]...\n"
		"Fill a gwio memory ring from userspace; print its path first,\n"
		"and \"done\" on a second line once everything is produced.\n\n"
		"  -c, --channels=N     synthetic channels, 1..65535 (default 1)\n"
		"  -r, --rate=HZ        samples per second per channel (default 1000);\n"
		"                       0 = as fast as the ring takes them\n"
		"  -n, --count=N        records to produce in all (default: until killed)\n"
		"  -w, --wave=WAVE[,WAVE]...\n"
		"                       one waveform per channel, the last one repeated\n"
		"                       for the channels after it (default counter)\n"
		"  -s, --size=N         ring records, a power of two (default 65536)\n"
		"      --overwrite      overwrite-oldest policy (default drop-newest)\n"
		"      --replay=FILE    produce the records of a capture file instead\n"
		"      --exit           exit when done instead of waiting for a signal\n"
		"  -h, --help\n\n"
		"WAVE is KIND[:MIN:MAX[:PERIOD]], values from MIN to MAX (default\n"
		"0:4095, a 12-bit ADC) repeating every PERIOD (default 100 samples;\n"
		"a number of samples, or with -r a time: 500ms, 20s, 5m):\n"
		"  counter  the sample's number (MIN, MIN+1, ... MAX, MIN, ...; default\n"
		"           0 up to 2^32-1), so that a consumer sees every gap; no PERIOD\n"
		"  sine     a sine between MIN and MAX, starting halfway up\n"
		"  ramp     MIN rising to MAX, then back to MIN\n"
		"  square   MAX for the first half of each period, MIN for the second\n"
		"e.g. -c 2 -r 10 -w sine:900:1100:5m,square:0:1:20s\n");
}

enum wave_kind { WAVE_COUNTER, WAVE_SINE, WAVE_RAMP, WAVE_SQUARE };

static const char *const wave_names[] = {
	[WAVE_COUNTER] = "counter",
	[WAVE_SINE] = "sine",
	[WAVE_RAMP] = "ramp",
	[WAVE_SQUARE] = "square",
};

#define WAVE_KINDS	(sizeof(wave_names) / sizeof(wave_names[0]))
#define DEFAULT_PERIOD	100

struct wave {
	enum wave_kind kind;
	uint32_t min, max;
	uint64_t period;	/* samples; resolved from period_s once -r is known */
	double period_s;	/* > 0: given as a time */
};

struct options {
	unsigned int channels;
	double rate;
	uint64_t count;
	struct wave *waves;	/* one per channel once resolved */
	size_t wave_count;
	const char *wave_arg;
	uint32_t size;
	int overwrite;
	const char *replay;
	int exit_when_done;
};

static uint32_t wave_value(const struct wave *w, uint64_t n)
{
	uint64_t k = n % w->period;
	double span = (double)w->max - (double)w->min;

	switch (w->kind) {
	case WAVE_COUNTER:
		return w->min + (uint32_t)(n % ((uint64_t)w->max - w->min + 1));
	case WAVE_SINE:
		return w->min + (uint32_t)lround(span * (0.5 + 0.5 *
			sin(2 * M_PI * (double)k / (double)w->period)));
	case WAVE_RAMP:
		return w->min + (uint32_t)lround(span * (double)k /
						 (double)(w->period - 1));
	case WAVE_SQUARE:
		return 2 * k < w->period ? w->max : w->min;
	}
	return 0;
}

/* Every refusal says what was wrong and what would do. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	va_list ap;

	fputs("gwio-simring: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'gwio-simring --help' for more information.\n", stderr);
	return -1;
}

/* Decimal digits only: strtoull would take "-1", " 5" and "0x10". */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end && *out <= max;
}

static int parse_rate(const char *s, double *rate)
{
	char *end;

	errno = 0;
	*rate = strtod(s, &end);
	/* decimal only: strtod would also take hex ("0x10") */
	if (!*s || *end || errno || !isfinite(*rate) || *rate < 0 ||
	    (*s < '0' || *s > '9') || strpbrk(s, "xX"))
		return bad("-r %s: not a rate in samples per second (e.g. 1000, "
			   "or 0.5; -r 0 for as fast as the ring takes them)", s);
	if (*rate > 1e9)
		return bad("-r %s: at most 1000000000 samples per second "
			   "(-r 0 for as fast as the ring takes them)", s);
	/* a period that does not fit 64-bit nanoseconds would become 0: flat out */
	if (*rate > 0 && *rate < 1e-3)
		return bad("-r %s: at least 0.001 samples per second "
			   "(-r 0 for as fast as the ring takes them)", s);
	return 0;
}

/* A period: samples ("100"), or a time with a unit ("500ms", "20s", "5m"). */
static int parse_period(const char *s, struct wave *w, const char *item)
{
	static const struct { const char *unit; double s; } units[] = {
		{ "ms", 1e-3 }, { "s", 1 }, { "m", 60 },
	};
	char *end;
	double v;
	size_t i;

	if (parse_u64(s, UINT64_MAX, &w->period)) {
		if (w->period < 2)
			return bad("-w %s: a period of %s sample%s: a waveform needs at least 2",
				   item, s, w->period == 1 ? "" : "s");
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*s >= '0' && *s <= '9' && !errno && isfinite(v) && v > 0)
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].unit)) {
				w->period_s = v * units[i].s;
				return 0;
			}
	return bad("-w %s: period '%s' is neither a number of samples (100) nor a time (500ms, 20s, 5m)",
		   item, s);
}

static int parse_value(const char *s, uint32_t *v, const char *what,
		       const char *item)
{
	uint64_t u;

	if (!parse_u64(s, UINT32_MAX, &u))
		return bad("-w %s: %s '%s' is not a whole number from 0 to 4294967295",
			   item, what, s);
	*v = (uint32_t)u;
	return 0;
}

/* One WAVE: KIND[:MIN:MAX[:PERIOD]]; @item is modified. */
static int parse_wave(char *item, struct wave *w)
{
	char copy[256], *field[5];
	size_t n = 0, k;

	snprintf(copy, sizeof(copy), "%s", item);
	field[n++] = item;
	for (char *p = item; *p && n < 5; p++)
		if (*p == ':') {
			*p = '\0';
			field[n++] = p + 1;
		}
	for (k = 0; k < WAVE_KINDS && strcmp(field[0], wave_names[k]); k++)
		;
	if (k == WAVE_KINDS)
		return bad("-w %s: unknown waveform '%s'; there are counter, sine, ramp and square",
			   copy, field[0]);
	*w = (struct wave){
		.kind = (enum wave_kind)k, .min = 0,
		.max = k == WAVE_COUNTER ? UINT32_MAX : 4095,
		.period = DEFAULT_PERIOD,
	};
	if (n == 2 || n > 4)
		return bad("-w %s: expected %s, %s:MIN:MAX or %s:MIN:MAX:PERIOD",
			   copy, field[0], field[0], field[0]);
	if (n >= 3 && (parse_value(field[1], &w->min, "MIN", copy) < 0 ||
		       parse_value(field[2], &w->max, "MAX", copy) < 0))
		return -1;
	if (n >= 3 && w->min >= w->max)
		return bad("-w %s: MIN (%s) must be below MAX (%s)", copy,
			   field[1], field[2]);
	if (n == 4) {
		if (k == WAVE_COUNTER)
			return bad("-w %s: a counter has no period: it counts from MIN to MAX and starts again",
				   copy);
		return parse_period(field[3], w, copy);
	}
	return 0;
}

/* Once -c and -r are known: one wave per channel, periods in samples. */
static int resolve_waves(struct options *o)
{
	char *list = strdup(o->wave_arg ? o->wave_arg : "counter");
	char *item, *save = NULL;
	struct wave *w;
	size_t n = 0;
	unsigned int ch;

	w = calloc(o->channels, sizeof(*w));
	if (!list || !w) {
		free(list);
		free(w);
		return bad("out of memory");
	}
	for (char *p = list; *p; p++)
		n += *p == ',';
	if (n + 1 > o->channels) {
		bad("-w %s: %zu waveforms for %u channel%s (-c)", o->wave_arg,
		    n + 1, o->channels, o->channels == 1 ? "" : "s");
		goto fail;
	}
	if (!*list || *list == ',' || strstr(list, ",,") ||
	    list[strlen(list) - 1] == ',') {
		bad("-w %s: an empty waveform between commas", o->wave_arg);
		goto fail;
	}
	n = 0;
	for (item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if (parse_wave(item, &w[n]) < 0)
			goto fail;
		if (w[n].period_s > 0) {
			double samples = w[n].period_s * o->rate;

			if (o->rate == 0) {
				bad("-w %s: a period in time needs a rate: -r HZ, or give it in samples",
				    o->wave_arg);
				goto fail;
			}
			if (samples < 2 || samples > 1e18) {
				bad("-w %s: the period is %.3g sample%s at %g Hz: a waveform needs at least 2",
				    o->wave_arg, samples, samples == 1 ? "" : "s",
				    o->rate);
				goto fail;
			}
			w[n].period = (uint64_t)llround(samples);
		}
		n++;
	}
	for (ch = (unsigned int)n; ch < o->channels; ch++)
		w[ch] = w[n - 1];
	free(list);
	o->waves = w;
	o->wave_count = o->channels;
	return 0;

fail:
	free(list);
	free(w);
	return -1;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "channels", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "wave", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 's' },
		{ "overwrite", no_argument, NULL, 'O' },
		{ "replay", required_argument, NULL, 'R' },
		{ "exit", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *synthetic = NULL;	/* an option --replay leaves no use for */
	uint64_t v;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:r:n:w:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_u64(optarg, UINT64_MAX, &v) || !v || v > 65535)
				return bad("-c %s: the number of channels must be a whole number from 1 to 65535",
					   optarg);
			o->channels = (unsigned int)v;
			synthetic = "-c";
			break;
		case 'r':
			if (parse_rate(optarg, &o->rate) < 0)
				return -1;
			synthetic = "-r";
			break;
		case 'n':
			if (!parse_u64(optarg, UINT64_MAX, &o->count) || !o->count)
				return bad("-n %s: the number of records must be a whole number from 1 (leave -n out to produce until killed)",
					   optarg);
			synthetic = "-n";
			break;
		case 'w':
			o->wave_arg = optarg;
			synthetic = "-w";
			break;
		case 's':
			if (!parse_u64(optarg, UINT64_MAX, &v) || !v ||
			    (v & (v - 1)) || v > (1u << 26))
				return bad("-s %s: the ring size must be a power of two from 1 to 67108864 records (e.g. 1024, 65536)",
					   optarg);
			o->size = (uint32_t)v;
			break;
		case 'O': o->overwrite = 1; break;
		case 'R':
			if (!*optarg)
				return bad("--replay: no file named");
			o->replay = optarg;
			break;
		case 'E': o->exit_when_done = 1; break;
		case 'h': usage(stdout); exit(0);
		default:
			/* getopt said what was wrong */
			fputs("Try 'gwio-simring --help' for more information.\n", stderr);
			return -1;
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (o->replay && synthetic)
		return bad("--replay produces the capture's records as they are: %s does not apply to it",
			   synthetic);
	return o->replay ? 0 : resolve_waves(o);
}

/* Push one record, waiting (not dropping) while the ring is full. */
static void push(struct gwio_memring *ring, const struct gwio_record *rec,
		 int overwrite)
{
	while (!gwio_memring_push(ring, rec) && !overwrite && !stop) {
		gwio_memring_publish(ring);
		usleep(100);
	}
}

static int produce_synthetic(struct gwio_memring *ring, const struct options *o)
{
	struct gwio_record rec = { .kind = GWIO_KIND_SIM };
	uint64_t period = o->rate > 0 ? (uint64_t)(1e9 / o->rate) : 0;
	uint64_t t = now_ns(), total = 0, n = 0;
	unsigned int ch;

	while (!stop && (!o->count || total < o->count)) {
		if (period)
			sleep_until(t);
		for (ch = 0; ch < o->channels && (!o->count || total < o->count); ch++) {
			rec.ts_ns = period ? t : now_ns();
			rec.channel = (uint16_t)ch;
			rec.value = wave_value(&o->waves[ch], n);
			push(ring, &rec, o->overwrite);
			total++;
		}
		n++;
		t += period;
		/* publish in batches: per record would cost the consumer cache misses */
		if (!period || (n & 63) == 0 || period >= 1000000)
			gwio_memring_publish(ring);
	}
	gwio_memring_publish(ring);
	return 0;
}

static int produce_replay(struct gwio_memring *ring, const struct options *o,
			  struct gwio_capture *cap)
{
	struct gwio_capture_entry entries[256];
	ssize_t n = 0, i;

	while (!stop && (n = gwio_capture_read(cap, entries, 256)) > 0) {
		for (i = 0; i < n; i++)
			push(ring, &entries[i].rec, o->overwrite);
		gwio_memring_publish(ring);
	}
	if (n < 0) {
		fprintf(stderr, "gwio-simring: reading %s: %s\n", o->replay,
			errno == EPROTO ? "not a gwio capture file (or one from another machine)" :
			strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { .channels = 1, .rate = 1000, .size = 65536 };
	struct gwio_capture_header header;
	struct gwio_capture *cap = NULL;
	struct gwio_memring *ring;
	struct sigaction sa = { .sa_handler = on_signal };
	int ret;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* before the ring exists: a consumer must never wait on a bad replay */
	if (o.replay) {
		cap = gwio_capture_open(o.replay, &header);
		if (!cap) {
			fprintf(stderr, "gwio-simring: --replay %s: %s\n", o.replay,
				errno == EPROTO ? "not a gwio capture file (or one from another machine)" :
				strerror(errno));
			return 1;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	ring = gwio_memring_create(o.size, o.overwrite ? GWIO_OVERFLOW_OVERWRITE :
				   GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	if (!ring) {
		fprintf(stderr, "gwio-simring: creating a ring of %" PRIu32
			" records: %s\n", o.size, strerror(errno));
		gwio_capture_close(cap);
		free(o.waves);
		return 1;
	}
	printf("/proc/%d/fd/%d\n", (int)getpid(), gwio_memring_fd(ring));
	fflush(stdout);

	ret = cap ? produce_replay(ring, &o, cap) : produce_synthetic(ring, &o);
	gwio_capture_close(cap);
	free(o.waves);
	if (ret || stop) {
		/* a signal cut production short: no "done", it is not */
		gwio_memring_close(ring);
		return ret;
	}
	/* lets a benchmark start its consumer on a full ring */
	printf("done\n");
	fflush(stdout);
	while (!stop && !o.exit_when_done)
		pause();
	gwio_memring_close(ring);
	return 0;
}
