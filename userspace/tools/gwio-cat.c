// SPDX-License-Identifier: GPL-2.0-or-later
/* gwio-cat: print the records of a gwio ring. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libgwio.h"

enum format { FORMAT_TEXT, FORMAT_CSV, FORMAT_BINARY, FORMAT_NONE };

struct options {
	uint64_t count;		/* 0: no limit */
	int timeout_ms;		/* -1: none */
	enum format format;
	const char *record_path;
	bool check_seq;
	bool start;
	bool flush;
	bool channels;
	const char *device;
};

/* Exit statuses besides 0 and 1. */
#define EXIT_USAGE	2
#define EXIT_SEQ_GAP	3

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: gwio-cat [OPTION]... DEVICE\n"
"Print the records of a gwio ring (/dev/gwioN or a memory ring file).\n"
"\n"
"  -n, --count=COUNT     stop after COUNT records\n"
"  -t, --timeout=MS      stop after MS milliseconds; with -n, not getting\n"
"                        COUNT records by then is an error\n"
"  -f, --format=FORMAT   text (default): seq ts_ns channel kind value flags\n"
"                        csv: the same columns, numeric, with a header line\n"
"  -b, --binary          write raw struct gwio_record (16 bytes each)\n"
"  -q, --quiet           print no records (with --record, or to count)\n"
"      --record=FILE     also write a capture file (libgwio.h format)\n"
"      --check-seq       fail (exit 3) if any record was lost or dropped\n"
"      --start           start the device's sources, stop them at exit\n"
"      --flush           discard records already in the ring first\n"
"      --channels        list the ring's channels (index kind label), exit\n"
"  -h, --help            show this help\n"
"\n"
"At exit a summary goes to stderr:\n"
"  records=N lost=N produced=N dropped=N overruns=N\n"
"Exit status: 0 ok, 1 error, 2 usage, 3 --check-seq found a gap.\n"
"SIGINT and SIGTERM end the capture normally.\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return false;
	*out = strtoull(s, &end, 10);
	return !errno && *end == '\0';
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	enum { OPT_RECORD = 256, OPT_CHECK_SEQ, OPT_START, OPT_FLUSH,
	       OPT_CHANNELS };
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "binary", no_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "check-seq", no_argument, NULL, OPT_CHECK_SEQ },
		{ "start", no_argument, NULL, OPT_START },
		{ "flush", no_argument, NULL, OPT_FLUSH },
		{ "channels", no_argument, NULL, OPT_CHANNELS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*opt = (struct options){ .timeout_ms = -1, .format = FORMAT_TEXT };
	while ((c = getopt_long(argc, argv, "n:t:f:bqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_u64(optarg, &v) || !v) {
				fprintf(stderr, "gwio-cat: bad count '%s'\n", optarg);
				return -1;
			}
			opt->count = v;
			break;
		case 't':
			if (!parse_u64(optarg, &v) || v > INT_MAX) {
				fprintf(stderr, "gwio-cat: bad timeout '%s'\n", optarg);
				return -1;
			}
			opt->timeout_ms = (int)v;
			break;
		case 'f':
			if (!strcmp(optarg, "text")) {
				opt->format = FORMAT_TEXT;
			} else if (!strcmp(optarg, "csv")) {
				opt->format = FORMAT_CSV;
			} else {
				fprintf(stderr, "gwio-cat: unknown format '%s'\n", optarg);
				return -1;
			}
			break;
		case 'b':
			opt->format = FORMAT_BINARY;
			break;
		case 'q':
			opt->format = FORMAT_NONE;
			break;
		case OPT_RECORD:
			opt->record_path = optarg;
			break;
		case OPT_CHECK_SEQ:
			opt->check_seq = true;
			break;
		case OPT_START:
			opt->start = true;
			break;
		case OPT_CHANNELS:
			opt->channels = true;
			break;
		case OPT_FLUSH:
			opt->flush = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "gwio-cat: %s\n", optind == argc ?
			"missing DEVICE" : "only one DEVICE, please");
		usage(stderr);
		return -1;
	}
	opt->device = argv[optind];
	return 0;
}

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case GWIO_KIND_NONE: return "none";
	case GWIO_KIND_SIM: return "sim";
	case GWIO_KIND_EDGE: return "edge";
	case GWIO_KIND_ADC: return "adc";
	default: return NULL;
	}
}

static void print_record(enum format format, uint64_t seq,
			 const struct gwio_record *r)
{
	const char *kind = kind_name(r->kind);

	if (format == FORMAT_CSV) {
		printf("%" PRIu64 ",%" PRIu64 ",%u,%u,%u,%u\n", seq,
		       (uint64_t)r->ts_ns, r->channel, r->kind, r->value,
		       r->flags);
	} else if (kind) {
		printf("%" PRIu64 " %" PRIu64 " %u %s %u 0x%02x\n", seq,
		       (uint64_t)r->ts_ns, r->channel, kind, r->value,
		       r->flags);
	} else {
		/* a kind from a newer ABI minor: print it as a number */
		printf("%" PRIu64 " %" PRIu64 " %u %u %u 0x%02x\n", seq,
		       (uint64_t)r->ts_ns, r->channel, r->kind, r->value,
		       r->flags);
	}
}

/* Enough to see what happens without drowning the summary. */
#define MAX_GAP_REPORTS	10

struct cat_state {
	uint64_t records;
	uint64_t next_seq;	/* expected, for --check-seq */
	uint64_t gaps;
	bool seen_any;
};

static void report_gap(struct cat_state *st, const char *what, uint64_t n,
		       uint64_t seq)
{
	if (st->gaps++ < MAX_GAP_REPORTS) {
		if (n)
			fprintf(stderr, "gwio-cat: %" PRIu64 " %s before seq %"
				PRIu64 "\n", n, what, seq);
		else
			fprintf(stderr, "gwio-cat: %s before seq %" PRIu64
				"\n", what, seq);
	} else if (st->gaps == MAX_GAP_REPORTS + 1) {
		fprintf(stderr, "gwio-cat: more gaps, not shown\n");
	}
}

/* Returns false if --check-seq found a problem in this batch. */
static bool check_batch(struct cat_state *st, uint64_t first_seq,
			const struct gwio_record *recs, size_t n)
{
	bool ok = true;
	size_t i;

	if (st->seen_any && first_seq != st->next_seq) {
		report_gap(st, "records lost", first_seq - st->next_seq,
			   first_seq);
		ok = false;
	}
	for (i = 0; i < n; i++) {
		if (recs[i].flags & GWIO_REC_F_AFTER_DROP) {
			report_gap(st, "records dropped", 0, first_seq + i);
			ok = false;
		}
	}
	return ok;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Without -n, the timeout is how long to capture and @status stands; with
 * it, not having the records by then is a failure.
 */
static int timed_out(const struct options *opt, const struct cat_state *st,
		     int status)
{
	if (!opt->count)
		return status;
	fprintf(stderr, "gwio-cat: timed out after %d ms with %" PRIu64
		" of %" PRIu64 " records\n", opt->timeout_ms, st->records,
		opt->count);
	return EXIT_FAILURE;
}

/* Returns an exit status. */
static int cat(struct gwio_ring *ring, const struct options *opt,
	       struct gwio_capture *capture, struct cat_state *st)
{
	struct gwio_record buf[256];
	int64_t deadline = opt->timeout_ms < 0 ? -1 :
		now_ms() + opt->timeout_ms;
	int status = EXIT_SUCCESS;

	if (opt->format == FORMAT_CSV)
		printf("seq,ts_ns,channel,kind,value,flags\n");

	while (!stop_requested && (!opt->count || st->records < opt->count)) {
		size_t want = sizeof(buf) / sizeof(buf[0]);
		uint64_t first_seq;
		ssize_t n;
		int wait_ms = -1, ret;

		if (opt->count && opt->count - st->records < want)
			want = (size_t)(opt->count - st->records);
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			/* a busy ring must not keep us past the deadline */
			if (left <= 0)
				return timed_out(opt, st, status);
			wait_ms = (int)left;
		}
		ret = gwio_ring_wait(ring, wait_ms);
		if (ret < 0) {
			if (errno == EINTR)
				continue;	/* stop_requested decides */
			fprintf(stderr, "gwio-cat: waiting on %s: %s\n",
				opt->device, strerror(errno));
			return EXIT_FAILURE;
		}
		if (ret == 0)
			return timed_out(opt, st, status);
		n = gwio_ring_read(ring, buf, want, &first_seq);
		if (n < 0) {
			if (errno == EAGAIN)
				continue;	/* all of it turned out lost */
			fprintf(stderr, "gwio-cat: reading %s: %s\n",
				opt->device, strerror(errno));
			return EXIT_FAILURE;
		}
		if (opt->check_seq && !check_batch(st, first_seq, buf, (size_t)n))
			status = EXIT_SEQ_GAP;
		st->seen_any = true;
		st->next_seq = first_seq + (uint64_t)n;
		st->records += (uint64_t)n;

		if (opt->format == FORMAT_BINARY) {
			if (fwrite(buf, sizeof(buf[0]), (size_t)n, stdout) !=
			    (size_t)n)
				break;	/* reported below via ferror() */
		} else if (opt->format != FORMAT_NONE) {
			ssize_t i;

			for (i = 0; i < n; i++)
				print_record(opt->format, first_seq + (uint64_t)i,
					     &buf[i]);
		}
		if (capture && gwio_capture_write(capture, first_seq, buf,
						  (size_t)n) < 0) {
			fprintf(stderr, "gwio-cat: writing %s: %s\n",
				opt->record_path, strerror(errno));
			return EXIT_FAILURE;
		}
	}
	return status;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct cat_state st = { 0 };
	struct gwio_capture *capture = NULL;
	struct gwio_ring_stats stats;
	struct gwio_ring_info info;
	struct gwio_ring *ring;
	struct sigaction sa;
	int status;

	if (parse_options(argc, argv, &opt) < 0)
		return EXIT_USAGE;

	/* no SA_RESTART: a signal must get us out of poll() */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ring = gwio_ring_open(opt.device, O_NONBLOCK);
	if (!ring) {
		char why[512];

		gwio_ring_strerror(opt.device, errno, why, sizeof(why));
		fprintf(stderr, "gwio-cat: %s\n", why);
		return EXIT_FAILURE;
	}
	gwio_ring_get_info(ring, &info);

	if (opt.channels) {
		struct gwio_channel_desc desc;
		unsigned int i;

		for (i = 0; i <= UINT16_MAX; i++)
			if (!gwio_ring_channel(ring, (uint16_t)i, &desc))
				printf("%u %s %s\n", desc.index,
				       kind_name(desc.kind) ?
				       kind_name(desc.kind) : "unknown",
				       desc.label);
		gwio_ring_close(ring);
		return EXIT_SUCCESS;
	}
	if (opt.flush && gwio_ring_flush(ring) < 0) {
		fprintf(stderr, "gwio-cat: flushing %s: %s\n", opt.device,
			strerror(errno));
		gwio_ring_close(ring);
		return EXIT_FAILURE;
	}
	if (opt.record_path) {
		capture = gwio_capture_create(opt.record_path, &info);
		if (!capture) {
			fprintf(stderr, "gwio-cat: %s: %s\n", opt.record_path,
				strerror(errno));
			gwio_ring_close(ring);
			return EXIT_FAILURE;
		}
	}
	if (opt.start && gwio_ring_start(ring) < 0) {
		fprintf(stderr, "gwio-cat: starting %s: %s\n", opt.device,
			strerror(errno));
		status = EXIT_FAILURE;
	} else {
		status = cat(ring, &opt, capture, &st);
		if (opt.start && gwio_ring_stop(ring) < 0) {
			fprintf(stderr, "gwio-cat: stopping %s: %s\n",
				opt.device, strerror(errno));
			status = EXIT_FAILURE;
		}
	}

	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "gwio-cat: writing output: %s\n",
			strerror(errno));
		status = EXIT_FAILURE;
	}
	if (capture && gwio_capture_close(capture) < 0) {
		fprintf(stderr, "gwio-cat: writing %s: %s\n", opt.record_path,
			strerror(errno));
		status = EXIT_FAILURE;
	}
	gwio_ring_get_stats(ring, &stats);
	fprintf(stderr, "records=%" PRIu64 " lost=%" PRIu64 " produced=%"
		PRIu64 " dropped=%" PRIu64 " overruns=%" PRIu64 "\n",
		st.records, stats.lost, stats.produced, stats.dropped,
		stats.overruns);
	if (opt.check_seq && stats.lost && status == EXIT_SUCCESS)
		status = EXIT_SEQ_GAP;
	gwio_ring_close(ring);
	return status;
}
