// SPDX-License-Identifier: GPL-2.0
/*
 * gpiod_edges - the libgpiod side of the GPIO edge benchmark: request a
 * line of the simulated chip for both-edge events through libgpiod v1.6
 * (the GPIO character device's v1 line-event interface), read events with
 * gpiod_line_event_read_multiple() while the chip pulses the line, and
 * score them against the chip's edge log (edges_common.h).
 *
 *   gpiod_edges [-C gwio-test-gpio] -l 4 -p COUNT:PERIOD_NS
 *
 * The v1 interface counts nothing: an event the kernel's 16-entry FIFO
 * had no room for, or interrupts merged while the line's irq thread was
 * busy, are gone without a trace, so every loss is uncounted
 * (lost_counted 0).  The event type is decided by the level the irq
 * thread reads after the hard handler stamped the time.
 *
 * cpu_total adds the CPU time of gpiolib's irq thread for our request
 * ("irq/N-gwbench", /proc/PID/schedstat) to the process's own.
 */
#include "edges_common.h"

#include <getopt.h>
#include <gpiod.h>

#define LABEL "gwbench"

struct gd {
	struct gpiod_line *line;
	struct gpiod_line_event buf[64];
};

static int gd_wait(void *ctx, int ms)
{
	struct gd *g = ctx;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	return gpiod_line_event_wait(g->line, &ts);
}

static long gd_read(void *ctx, struct edges_run *r)
{
	struct gd *g = ctx;
	int n = gpiod_line_event_read_multiple(g->line, g->buf,
					       sizeof(g->buf) / sizeof(g->buf[0]));
	uint64_t rd = mono_ns();
	int i;

	for (i = 0; i < n; i++) {
		const struct gpiod_line_event *ev = &g->buf[i];

		edges_store(r, (uint64_t)ev->ts.tv_sec * 1000000000u +
			    (uint64_t)ev->ts.tv_nsec, rd,
			    ev->event_type == GPIOD_LINE_EVENT_RISING_EDGE,
			    false);
	}
	return n;
}

/* pid of the kernel thread "irq/N-LABEL", or -1 */
static int irq_thread_pid(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int pid = -1;

	if (!d)
		return -1;
	while ((de = readdir(d)) && pid < 0) {
		char path[300], comm[64] = "";
		size_t len;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			len = strlen(comm);
			if (!strncmp(comm, "irq/", 4) && len > strlen(LABEL) &&
			    !strcmp(comm + len - strlen(LABEL) - 1, "-" LABEL))
				pid = atoi(de->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return pid;
}

static uint64_t thread_cpu_ns(int pid)
{
	char path[64];
	uint64_t v = 0;

	if (pid < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	read_u64_file(path, &v);
	return v;
}

static void usage(void)
{
	fprintf(stderr,
"usage: gpiod_edges [-C CHIP_LABEL] -l LINE [options]\n"
"  -C CHIP_LABEL      gpiochip label (default gwio-test-gpio)\n"
EDGES_USAGE);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct gd g;
	struct edges_run r = { .line = -1 };
	const char *label = "gwio-test-gpio";
	struct gpiod_chip *chip;
	uint64_t th0, th1;
	int c, rc = 0, tpid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "C:" EDGES_OPTS)) != -1) {
		if (c == 'C')
			label = optarg;
		else if (edges_opt(&r, c, optarg) < 0)
			usage();
	}
	if (optind != argc || r.line < 0 ||
	    (!r.count && !r.max_events && !r.timeout_ms))
		usage();
	if (edges_init(&r) < 0)
		return 1;

	chip = gpiod_chip_open_by_label(label);
	if (!chip) {
		fprintf(stderr, "gpiochip '%s': %s\n", label, strerror(errno));
		return 1;
	}
	g.line = gpiod_chip_get_line(chip, (unsigned int)r.line);
	if (!g.line || gpiod_line_request_both_edges_events(g.line, LABEL) < 0) {
		fprintf(stderr, "line %d: %s\n", r.line, strerror(errno));
		return 1;
	}
	tpid = irq_thread_pid();
	th0 = thread_cpu_ns(tpid);

	if (edges_begin(&r) < 0 || edges_loop(&r, &g, gd_wait, gd_read) < 0)
		rc = 1;
	edges_end(&r);
	th1 = thread_cpu_ns(tpid);
	gpiod_line_release(g.line);
	gpiod_chip_close(chip);

	printf("consumer gpiod\n");
	printf("irq_thread %s\n", tpid < 0 ? "none" : "found");
	printf("irq_thread_cpu_ms %.2f\n", (double)(th1 - th0) / 1e6);
	if (edges_report(&r, 0, th1 - th0))
		rc = 1;
	return rc;
}
