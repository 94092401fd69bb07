// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of gwio.ko's ring ABI, run by tests/vm/ring/run-tests.sh.
 *
 * Talks to /dev/gwioN with raw syscalls and the shared ring code, not
 * through libgwio, so that it checks what the kernel promises (rejected
 * mappings, exact drop accounting) rather than what the library hides.
 *
 * Usage: vmtest TEST [DEVICE]; prints "GWIO-TEST: PASS|FAIL name ..." and
 * "GWIO-BENCH: key value" lines.  Exit status 0 on pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "gwio_ring.h"

#define MAX_CH 16

static const char *test_name = "?";
static const char *dev_path = "/dev/gwio0";
static char sys_dir[128];
static int failures;

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("GWIO-TEST: FAIL %s ", test_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
}

#define CHECK(cond, ...) do { if (!(cond)) { fail(__VA_ARGS__); return; } } while (0)

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* sysfs helpers: "ATTR" under the device, "ch/ATTR" under channels/ */
static int sys_write(const char *attr, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", sys_dir, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void sys_set(const char *attr, const char *fmt, ...)
{
	char val[64];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	ret = sys_write(attr, val);
	if (ret)
		fail("writing %s to %s: %s", val, attr, strerror(-ret));
}

static uint64_t sys_u64(const char *attr)
{
	char path[256], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sys_dir, attr);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		fail("reading %s", path);
	if (f)
		fclose(f);
	return strtoull(buf, NULL, 0);
}

/*
 * A new, empty ring of @records, its counters at zero.  Writing the
 * current size changes nothing, so a different size goes first.
 */
static void ring_new(unsigned int records)
{
	sys_set("ring_records", "%u", records == 256 ? 512 : 256);
	sys_set("ring_records", "%u", records);
}

/* Channels 0..nr-1 at rate with wave; every other channel disabled. */
static void set_channels(int nr, unsigned int rate, const char *wave)
{
	char attr[64];
	int i;

	for (i = 0; i < MAX_CH; i++) {
		snprintf(attr, sizeof(attr), "channels/sim%d/enable", i);
		if (i >= nr) {
			sys_write(attr, "0");
			continue;
		}
		sys_set(attr, "1");
		snprintf(attr, sizeof(attr), "channels/sim%d/rate_hz", i);
		sys_set(attr, "%u", rate);
		snprintf(attr, sizeof(attr), "channels/sim%d/waveform", i);
		sys_set(attr, "%s", wave);
	}
}

struct ring {
	int fd;
	struct gwio_info info;
	void *cons_map;
	void *prod_map;
	struct gwio_producer *prod;
	struct gwio_ring_cons c;
};

static int ring_open(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (ioctl(r->fd, GWIO_IOC_INFO, &r->info))
		return -errno;
	r->cons_map = mmap(NULL, r->info.consumer_map_size,
			   PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
			   GWIO_CONSUMER_PGOFF * r->info.page_size);
	if (r->cons_map == MAP_FAILED)
		return -errno;
	r->prod_map = mmap(NULL, r->info.producer_map_size, PROT_READ,
			   MAP_SHARED, r->fd,
			   GWIO_PRODUCER_PGOFF * r->info.page_size);
	if (r->prod_map == MAP_FAILED)
		return -errno;
	r->prod = r->prod_map;
	gwio_ring_cons_init(&r->c, r->cons_map, r->prod,
			    (void *)((char *)r->prod_map + r->prod->data_offset));
	return 0;
}

/* The producer page's counters, read as a consumer must (stats_seq). */
static struct gwio_ring_counters cnt(const struct ring *r)
{
	struct gwio_ring_counters c;

	gwio_ring_read_counters(r->prod, &c);
	return c;
}

/*
 * Wait (bounded, 10 s) until @n records lie beyond the consumer's tail;
 * false if they did not.  Positions are free-running and start short of
 * the 32-bit wrap: only differences mean anything.
 */
static int wait_head(const struct ring *r, uint32_t n)
{
	const struct gwio_consumer *cons = r->cons_map;
	int i;

	for (i = 0; i < 1000; i++) {
		uint32_t head = __atomic_load_n(&r->prod->head, __ATOMIC_ACQUIRE);

		if (head - __atomic_load_n(&cons->tail, __ATOMIC_RELAXED) >= n)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/* Discard what is unread and start consuming at the head. */
static void ring_flush(struct ring *r)
{
	ioctl(r->fd, GWIO_IOC_FLUSH);
	gwio_ring_cons_init(&r->c, r->cons_map, r->prod,
			    (void *)((char *)r->prod_map + r->prod->data_offset));
}

static void ring_close(struct ring *r)
{
	munmap(r->prod_map, r->info.producer_map_size);
	munmap(r->cons_map, r->info.consumer_map_size);
	close(r->fd);
}

/* What a consumer learns from the counter waveform, channel by channel. */
struct tally {
	uint64_t received;
	uint64_t seq_gaps;		/* positions skipped (overwrite) */
	uint64_t next_seq;
	uint64_t value_gaps[MAX_CH];	/* samples missing per channel */
	uint32_t next_value[MAX_CH];
	uint64_t last_ts[MAX_CH];
	uint64_t period_err[MAX_CH];	/* ts steps not equal to the period */
	uint64_t nonmono;
	uint64_t after_drop_flags;
	int seen[MAX_CH];
	uint64_t period_ns;
};

static void tally_batch(struct tally *t, const struct gwio_record *recs,
			uint32_t n, uint64_t first_seq)
{
	uint32_t i;

	if (t->received && first_seq != t->next_seq)
		t->seq_gaps += first_seq - t->next_seq;
	t->next_seq = first_seq + n;
	for (i = 0; i < n; i++) {
		const struct gwio_record *r = &recs[i];
		unsigned int ch = r->channel;

		if (ch >= MAX_CH)
			continue;
		if (r->flags & GWIO_REC_F_AFTER_DROP)
			t->after_drop_flags++;
		if (t->seen[ch]) {
			t->value_gaps[ch] += r->value - t->next_value[ch];
			if (r->ts_ns <= t->last_ts[ch])
				t->nonmono++;
			else if (t->period_ns && t->last_ts[ch] &&
				 r->value == t->next_value[ch] &&
				 r->ts_ns - t->last_ts[ch] != t->period_ns)
				t->period_err[ch]++;
		}
		t->seen[ch] = 1;
		t->next_value[ch] = r->value + 1;
		t->last_ts[ch] = r->ts_ns;
	}
	t->received += n;
}

static uint64_t chan_events(int ch)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "channels/sim%d/events", ch);
	return sys_u64(attr);
}

/*
 * A counter channel's value is its sample number, so the samples it has
 * taken (its "events") say where its values start and end: gaps before
 * the first and after the last received record count too.
 */
static void tally_start(struct tally *t, int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		t->seen[i] = 1;
		t->next_value[i] = (uint32_t)chan_events(i);
	}
}

static void tally_finish(struct tally *t, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		t->value_gaps[i] += (uint32_t)chan_events(i) - t->next_value[i];
}

static uint64_t tally_value_gaps(const struct tally *t)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < MAX_CH; i++)
		sum += t->value_gaps[i];
	return sum;
}

/* Drain everything now readable; returns records read. */
static uint64_t drain(struct ring *r, struct tally *t)
{
	static struct gwio_record buf[4096];
	uint64_t total = 0;
	__u64 seq;
	uint32_t n;

	while ((n = gwio_ring_cons_read(&r->c, buf, 4096, &seq))) {
		tally_batch(t, buf, n, seq);
		gwio_ring_cons_release(&r->c);
		total += n;
	}
	gwio_ring_cons_release(&r->c);
	return total;
}

/* --------------------------------------------------------------- tests */

static void test_abi(void)
{
	struct ring r;
	void *p;
	int fd2;

	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	CHECK(r.info.abi_major == GWIO_ABI_MAJOR, "abi %u", r.info.abi_major);
	CHECK(r.prod->magic == GWIO_MAGIC, "magic %#x", r.prod->magic);
	CHECK(r.prod->record_size == sizeof(struct gwio_record), "record size");
	CHECK(r.prod->record_count == r.info.record_count, "record count");
	CHECK((r.prod->record_count & (r.prod->record_count - 1)) == 0, "pow2");
	/* 1.2: producer page, channel table (256 x 48 bytes), records */
	CHECK(r.prod->channel_table_offset == r.info.page_size,
	      "table offset %u", r.prod->channel_table_offset);
	CHECK(r.prod->channel_table_entries == 256, "table entries");
	CHECK(r.prod->data_offset >= r.prod->channel_table_offset +
	      256 * sizeof(struct gwio_channel_entry) &&
	      r.prod->data_offset % r.info.page_size == 0,
	      "data offset %u", r.prod->data_offset);
	/* whole pages, so that 16 and 64 KiB page kernels map small rings */
	CHECK(r.info.producer_map_size % r.info.page_size == 0 &&
	      r.info.producer_map_size >= r.prod->data_offset +
	      (uint64_t)r.info.record_count * 16 &&
	      r.info.producer_map_size < r.prod->data_offset +
	      (uint64_t)r.info.record_count * 16 + r.info.page_size,
	      "producer map size %llu",
	      (unsigned long long)r.info.producer_map_size);
	CHECK(r.info.channel_count >= 1, "channels");
	{
		const struct gwio_channel_entry *t = (const void *)
			((const char *)r.prod_map + r.prod->channel_table_offset);
		char want[16];
		uint32_t i;

		for (i = 0; i < r.info.channel_count; i++) {
			snprintf(want, sizeof(want), "sim%u", i);
			CHECK(t[i].flags == GWIO_CHANNEL_F_VALID &&
			      t[i].kind == GWIO_KIND_SIM &&
			      !strcmp(t[i].label, want),
			      "table slot %u: '%.32s' kind %u flags %u", i,
			      t[i].label, t[i].kind, t[i].flags);
		}
		CHECK(t[r.info.channel_count].flags == 0, "unused slot valid");
	}

	/* the producer page and records are never writable */
	p = mmap(NULL, r.info.page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 r.fd, GWIO_PRODUCER_PGOFF * r.info.page_size);
	CHECK(p == MAP_FAILED && errno == EPERM, "writable producer map: %s",
	      p == MAP_FAILED ? strerror(errno) : "allowed");
	CHECK(mprotect(r.prod_map, r.info.page_size, PROT_READ | PROT_WRITE) &&
	      errno == EACCES, "mprotect producer to RW allowed");
	p = mmap(NULL, r.info.page_size, PROT_READ, MAP_SHARED, r.fd,
		 7 * r.info.page_size);
	CHECK(p == MAP_FAILED && errno == EINVAL, "bad offset map allowed");
	p = mmap(NULL, 2 * r.info.page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 r.fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "2-page consumer map allowed");
	p = mmap(NULL, r.info.producer_map_size + r.info.page_size, PROT_READ,
		 MAP_SHARED, r.fd, GWIO_PRODUCER_PGOFF * r.info.page_size);
	CHECK(p == MAP_FAILED, "oversized producer map allowed");
	/* a private copy of the consumer page: tail writes the kernel never sees */
	p = mmap(NULL, r.info.page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 r.fd, GWIO_CONSUMER_PGOFF * r.info.page_size);
	CHECK(p == MAP_FAILED && errno == EINVAL, "private consumer map: %s",
	      p == MAP_FAILED ? strerror(errno) : "allowed");
	CHECK(ioctl(r.fd, _IO(GWIO_IOC_MAGIC, 0x7f)) < 0 && errno == ENOTTY,
	      "unknown ioctl accepted");
	/* ABI 2.0 left 'G' (xen gntdev/gntalloc, sgi-gru): 1.x's numbers fail */
	CHECK(ioctl(r.fd, _IO('G', 0x02)) < 0 && errno == ENOTTY,
	      "ABI 1.x GWIO_IOC_START accepted");
	CHECK(ioctl(r.fd, _IO('G', 0x04)) < 0 && errno == ENOTTY,
	      "ABI 1.x GWIO_IOC_FLUSH accepted");

	/* one consumer: the second opener is refused, and can open later */
	fd2 = open(dev_path, O_RDWR);
	CHECK(fd2 < 0 && errno == EBUSY, "second open: %s",
	      fd2 < 0 ? strerror(errno) : "allowed");
	ring_close(&r);
	fd2 = open(dev_path, O_RDWR);
	CHECK(fd2 >= 0, "reopen after close: %s", strerror(errno));
	close(fd2);
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/* Consumer keeps up: no gaps, exact periods, monotonic timestamps. */
static void test_sequence(void)
{
	struct tally t = { .period_ns = 1000000000ull / 20000 };
	uint64_t t0, produced0, dropped0;
	struct pollfd pfd;
	struct ring r;

	sys_set("enable", "0");
	set_channels(4, 20000, "counter");
	sys_set("watermark", "512");
	sys_set("timeout_us", "5000");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ring_flush(&r);
	produced0 = cnt(&r).produced;
	dropped0 = cnt(&r).dropped;
	tally_start(&t, 4);
	CHECK(ioctl(r.fd, GWIO_IOC_START) == 0, "start: %s", strerror(errno));
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	t0 = now_ns(CLOCK_MONOTONIC);
	while (now_ns(CLOCK_MONOTONIC) - t0 < 2000000000ull) {
		poll(&pfd, 1, 100);
		drain(&r, &t);
	}
	ioctl(r.fd, GWIO_IOC_STOP);
	drain(&r, &t);
	tally_finish(&t, 4);
	CHECK(t.received > 20000, "only %" PRIu64 " records", t.received);
	CHECK(cnt(&r).dropped == dropped0, "kernel dropped %llu",
	      (unsigned long long)(cnt(&r).dropped - dropped0));
	CHECK(t.seq_gaps == 0 && r.c.lost == 0, "sequence gaps %" PRIu64,
	      t.seq_gaps);
	CHECK(tally_value_gaps(&t) == 0, "value gaps %" PRIu64,
	      tally_value_gaps(&t));
	CHECK(t.nonmono == 0, "%" PRIu64 " non-monotonic timestamps", t.nonmono);
	CHECK(t.period_err[0] + t.period_err[3] == 0, "period errors");
	CHECK(cnt(&r).produced - produced0 == t.received,
	      "produced %llu received %" PRIu64,
	      (unsigned long long)(cnt(&r).produced - produced0), t.received);
	printf("GWIO-TEST: PASS %s records=%" PRIu64 "\n", test_name, t.received);
	ring_close(&r);
}

/* Timestamps come from the chosen clock. */
static void test_clock(const char *name, clockid_t clk)
{
	struct gwio_record rec;
	struct ring r;
	uint64_t before, after;
	__u64 seq;
	struct pollfd pfd;
	uint32_t n;

	sys_set("enable", "0");
	sys_set("clock", "%s", name);
	set_channels(1, 1000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	CHECK(r.prod->clock_id == clk, "clock_id %d", r.prod->clock_id);
	ring_flush(&r);
	before = now_ns(clk);
	ioctl(r.fd, GWIO_IOC_START);
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	poll(&pfd, 1, 2000);
	n = gwio_ring_cons_read(&r.c, &rec, 1, &seq);
	after = now_ns(clk);
	ioctl(r.fd, GWIO_IOC_STOP);
	CHECK(n == 1, "no record within 2 s");
	CHECK(rec.ts_ns >= before && rec.ts_ns <= after,
	      "ts %llu outside [%" PRIu64 ", %" PRIu64 "]",
	      (unsigned long long)rec.ts_ns, before, after);
	ring_close(&r);
	sys_set("clock", "monotonic");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * The consumer stops; the ring overflows; afterwards every record is
 * accounted for: received + dropped == produced, and the counter values
 * show exactly the dropped ones missing.
 */
static void test_overrun(int overwrite)
{
	struct tally t = { 0 };
	struct ring r;
	uint64_t produced, dropped, lost, seq0;

	sys_set("enable", "0");
	sys_set("overflow", overwrite ? "overwrite" : "drop-newest");
	ring_new(256);
	set_channels(2, 10000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	CHECK(r.info.record_count == 256, "ring_records not applied");
	tally_start(&t, 2);
	ioctl(r.fd, GWIO_IOC_START);
	sleep_ms(100);
	drain(&r, &t);			/* consumer was keeping up ... */
	sleep_ms(500);			/* ... then stalls: ~10000 records */
	drain(&r, &t);
	sleep_ms(50);
	drain(&r, &t);
	ioctl(r.fd, GWIO_IOC_STOP);
	drain(&r, &t);
	tally_finish(&t, 2);

	produced = cnt(&r).produced;
	dropped = cnt(&r).dropped;
	lost = r.c.lost;
	/* sequence numbers are positions: a new ring's start short of the wrap */
	seq0 = (uint32_t)(r.prod->head - produced);
	CHECK(dropped > 5000, "dropped only %" PRIu64, dropped);
	CHECK(cnt(&r).overruns >= 1, "overruns %llu",
	      (unsigned long long)cnt(&r).overruns);
	if (overwrite) {
		/*
		 * ABI 2: every record is stored, and each is delivered or
		 * lost, as the consumer counts; the producer's dropped never
		 * exceeds that (docs/abi.md), and the consumer's sequence
		 * moved by exactly what it received and lost, across the wrap.
		 */
		CHECK(produced == t.received + lost,
		      "produced %" PRIu64 " != received %" PRIu64 " + lost %"
		      PRIu64, produced, t.received, lost);
		CHECK(tally_value_gaps(&t) == lost,
		      "missing samples %" PRIu64 " != lost %" PRIu64,
		      tally_value_gaps(&t), lost);
		CHECK(dropped <= lost &&
		      t.next_seq - seq0 == t.received + lost,
		      "consumer lost %" PRIu64 " < dropped %" PRIu64,
		      lost, dropped);
	} else {
		CHECK(produced == t.received + dropped,
		      "produced %" PRIu64 " != received %" PRIu64 " + dropped %"
		      PRIu64, produced, t.received, dropped);
		CHECK(tally_value_gaps(&t) == dropped,
		      "missing samples %" PRIu64 " != dropped %" PRIu64,
		      tally_value_gaps(&t), dropped);
		CHECK(t.seq_gaps == 0 && lost == 0, "sequence gap");
		/* the last overrun may still be going on when we stop */
		CHECK(cnt(&r).overruns - t.after_drop_flags <= 1,
		      "AFTER_DROP flags %" PRIu64 " vs overruns %llu",
		      t.after_drop_flags,
		      (unsigned long long)cnt(&r).overruns);
	}
	ring_close(&r);
	printf("GWIO-TEST: PASS %s produced=%" PRIu64 " dropped=%" PRIu64 "\n",
	       test_name, produced, dropped);
}

/* Woken by the watermark with >= watermark records, by the timeout with fewer. */
static void test_wakeup(void)
{
	struct pollfd pfd;
	struct ring r;
	uint64_t avail, t0, waited;
	int ret;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(4096);
	set_channels(1, 10000, "counter");
	sys_set("watermark", "1000");
	sys_set("timeout_us", "0");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ioctl(r.fd, GWIO_IOC_START);
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 5000);
	avail = gwio_ring_cons_avail(&r.c);
	CHECK(ret == 1 && avail >= 1000, "watermark wake: ret %d avail %" PRIu64,
	      ret, avail);
	ioctl(r.fd, GWIO_IOC_STOP);
	ring_flush(&r);
	ring_close(&r);

	/* 50 records/s cannot reach the watermark: the 20 ms timeout wakes */
	sys_set("timeout_us", "20000");
	set_channels(1, 50, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ioctl(r.fd, GWIO_IOC_START);
	pfd.fd = r.fd;
	t0 = now_ns(CLOCK_MONOTONIC);
	ret = poll(&pfd, 1, 5000);
	waited = now_ns(CLOCK_MONOTONIC) - t0;
	avail = gwio_ring_cons_avail(&r.c);
	ioctl(r.fd, GWIO_IOC_STOP);
	CHECK(ret == 1 && avail >= 1 && avail < 1000,
	      "timeout wake: ret %d avail %" PRIu64, ret, avail);
	CHECK(waited >= 20000000ull, "woke after %" PRIu64 " ns", waited);
	ring_close(&r);

	/* nothing produced, nothing waiting: poll times out */
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ring_flush(&r);
	pfd.fd = r.fd;
	ret = poll(&pfd, 1, 100);
	CHECK(ret == 0, "idle poll returned %d", ret);
	ring_close(&r);
	sys_set("watermark", "256");
	sys_set("timeout_us", "10000");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/* read() fallback: same records, same accounting, -EINVAL for short buffers. */
static void test_read(void)
{
	struct gwio_record buf[256];
	struct tally t = { 0 };
	uint64_t t0, seq = 0;
	void *bad;
	ssize_t n;
	int fd;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(16384);
	set_channels(2, 5000, "counter");
	fd = open(dev_path, O_RDWR);
	CHECK(fd >= 0, "open: %s", strerror(errno));
	ioctl(fd, GWIO_IOC_FLUSH);
	CHECK(read(fd, buf, 8) < 0 && errno == EINVAL, "short read allowed");
	tally_start(&t, 2);
	ioctl(fd, GWIO_IOC_START);
	/* a faulting buffer gets EFAULT and costs no record (gaps checked) */
	sleep_ms(50);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	bad = mmap(NULL, sizeof(buf), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	n = read(fd, bad, sizeof(buf));
	CHECK(n < 0 && errno == EFAULT, "read into a bad buffer: %zd %s", n,
	      strerror(errno));
	munmap(bad, sizeof(buf));
	fcntl(fd, F_SETFL, 0);
	t0 = now_ns(CLOCK_MONOTONIC);
	while (now_ns(CLOCK_MONOTONIC) - t0 < 1000000000ull) {
		n = read(fd, buf, sizeof(buf));
		CHECK(n > 0 && n % 16 == 0, "read returned %zd: %s", n,
		      strerror(errno));
		tally_batch(&t, buf, n / 16, seq);
		seq += n / 16;
	}
	ioctl(fd, GWIO_IOC_STOP);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		tally_batch(&t, buf, n / 16, seq);
		seq += n / 16;
	}
	CHECK(n < 0 && errno == EAGAIN, "nonblocking empty read: %zd %s", n,
	      strerror(errno));
	tally_finish(&t, 2);
	CHECK(t.received > 5000, "only %" PRIu64 " records", t.received);
	CHECK(tally_value_gaps(&t) == 0, "value gaps");
	close(fd);
	printf("GWIO-TEST: PASS %s records=%" PRIu64 "\n", test_name, t.received);
}

/*
 * The consumer page is the consumer's to scribble on: a tail ahead of head
 * or far behind it must only cost that consumer records, counted as drops.
 */
static void test_hostile_tail(void)
{
	struct gwio_consumer *cons;
	uint64_t dropped0;
	uint32_t head, head0;
	struct tally t = { 0 };
	struct ring r;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(1024);
	set_channels(1, 10000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	cons = r.cons_map;
	dropped0 = cnt(&r).dropped;
	head0 = __atomic_load_n(&r.prod->head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&cons->tail, head0 + 100000, __ATOMIC_RELEASE);
	ioctl(r.fd, GWIO_IOC_START);
	sleep_ms(200);
	/* the producer trusts its cached tail until the ring looks full */
	CHECK(cnt(&r).dropped > dropped0, "tail ahead of head: no drops");
	head = r.prod->head;
	CHECK(head - head0 <= r.info.record_count, "tail ahead of head: %" PRIu32
	      " records stored", head - head0);
	/* nothing a consumer cannot read counts as unread */
	CHECK(sys_u64("statistics/unread") == 0, "unread %" PRIu64
	      " with a tail ahead of head", sys_u64("statistics/unread"));
	__atomic_store_n(&cons->tail, UINT32_MAX, __ATOMIC_RELEASE);
	sleep_ms(100);
	CHECK(r.prod->head == head, "tail at UINT64_MAX: records stored");
	ioctl(r.fd, GWIO_IOC_STOP);
	ring_flush(&r);
	/* slow enough that a late wakeup under emulation cannot fill the ring */
	set_channels(1, 1000, "counter");
	tally_start(&t, 1);
	ioctl(r.fd, GWIO_IOC_START);
	sleep_ms(100);
	ioctl(r.fd, GWIO_IOC_STOP);
	drain(&r, &t);
	tally_finish(&t, 1);
	CHECK(t.received > 20, "after repair: %" PRIu64 " records", t.received);
	CHECK(tally_value_gaps(&t) == 0, "after repair: gaps");
	ring_close(&r);
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * Issue 9, defect 2: a tail written beyond head through the mapping, then
 * read().  The read must not spin: it starts again at head (counted in
 * statistics/tail_resets), waits for new records and returns them, and
 * is killable throughout; unread never shows garbage.
 */
static void test_hostile_read(void)
{
	struct gwio_record buf[64];
	struct gwio_consumer *cons;
	uint64_t resets0;
	uint32_t head;
	struct ring r;
	pid_t pid;
	int status = -1, i;
	ssize_t n;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(256);
	sys_set("watermark", "1");
	sys_set("timeout_us", "10000");
	set_channels(1, 1000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	cons = r.cons_map;
	ring_flush(&r);
	resets0 = sys_u64("statistics/tail_resets");
	head = __atomic_load_n(&r.prod->head, __ATOMIC_ACQUIRE);
	/* far enough ahead that head cannot catch up during the test */
	__atomic_store_n(&cons->tail, head + (1u << 30), __ATOMIC_RELEASE);
	CHECK(sys_u64("statistics/unread") == 0, "unread %" PRIu64,
	      sys_u64("statistics/unread"));
	ioctl(r.fd, GWIO_IOC_START);
	pid = fork();
	if (pid == 0) {
		alarm(20);
		n = read(r.fd, buf, sizeof(buf));
		_exit(n > 0 && n % 16 == 0 ? 0 : 1);
	}
	for (i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
		sleep_ms(100);
	if (i == 50) {
		/* still in read(): it must at least die when killed */
		kill(pid, SIGKILL);
		for (i = 0; i < 30 && waitpid(pid, &status, WNOHANG) == 0; i++)
			sleep_ms(100);
		ioctl(r.fd, GWIO_IOC_STOP);
		CHECK(0, "read() after a hostile tail did not return within 5 s%s",
		      i == 30 ? ", and ignored SIGKILL" : "");
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "read() after a hostile tail: status %#x", status);
	CHECK(sys_u64("statistics/tail_resets") == resets0 + 1,
	      "tail_resets %" PRIu64 " want %" PRIu64,
	      sys_u64("statistics/tail_resets"), resets0 + 1);
	/* far behind, nonblocking: records or EAGAIN, never a spin */
	head = __atomic_load_n(&r.prod->head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&cons->tail, head - (1u << 30), __ATOMIC_RELEASE);
	fcntl(r.fd, F_SETFL, O_NONBLOCK);
	n = read(r.fd, buf, sizeof(buf));
	CHECK(n > 0 || errno == EAGAIN, "nonblocking read: %zd %s", n,
	      strerror(errno));
	CHECK(sys_u64("statistics/unread") <= 256, "unread %" PRIu64,
	      sys_u64("statistics/unread"));
	ioctl(r.fd, GWIO_IOC_STOP);
	ring_close(&r);
	sys_set("watermark", "256");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * Issue 9, defect 5: read() into a faulting buffer on a full ring while
 * the producer keeps going.  Nothing may be claimed and handed back over
 * slots the producer reused: unread never exceeds the ring, and a final
 * drain sees every counter value once, in order, with exactly the
 * dropped ones missing.
 */
static void test_read_fault(const char *policy)
{
	struct gwio_record buf[256];
	struct tally t = { 0 };
	uint64_t t0, unread, max_unread = 0, faults = 0, dropped0, lost;
	struct gwio_ring_counters c;
	void *bad;
	ssize_t n;
	int fd;

	sys_set("enable", "0");
	sys_set("overflow", "%s", policy);
	ring_new(256);
	set_channels(1, 20000, "counter");
	fd = open(dev_path, O_RDWR | O_NONBLOCK);
	CHECK(fd >= 0, "open: %s", strerror(errno));
	ioctl(fd, GWIO_IOC_FLUSH);
	dropped0 = sys_u64("statistics/dropped");
	lost = sys_u64("statistics/read_lost");
	tally_start(&t, 1);
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ioctl(fd, GWIO_IOC_START);
	sleep_ms(50);			/* full */
	t0 = now_ns(CLOCK_MONOTONIC);
	while (now_ns(CLOCK_MONOTONIC) - t0 < 1000000000ull) {
		n = read(fd, bad, 4096);
		if (n < 0 && errno == EFAULT)
			faults++;
		else if (n >= 0 || errno != EAGAIN)
			break;
		if (faults % 64 == 0) {
			unread = sys_u64("statistics/unread");
			if (unread > max_unread)
				max_unread = unread;
		}
	}
	ioctl(fd, GWIO_IOC_STOP);
	munmap(bad, 4096);
	unread = sys_u64("statistics/unread");
	if (unread > max_unread)
		max_unread = unread;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		tally_batch(&t, buf, n / 16, t.next_seq);
	tally_finish(&t, 1);
	close(fd);
	lost = sys_u64("statistics/read_lost") - lost;
	CHECK(faults > 100, "only %" PRIu64 " faulting reads", faults);
	/* overwrite: each faulting batch stays claimed, and is counted */
	CHECK(strcmp(policy, "overwrite") ? lost == 0 : lost >= faults,
	      "read_lost %" PRIu64 " after %" PRIu64 " faults", lost, faults);
	CHECK(max_unread <= 256, "unread reached %" PRIu64 " in a ring of 256",
	      max_unread);
	CHECK(t.nonmono == 0, "%" PRIu64 " records out of order or repeated",
	      t.nonmono);
	if (!strcmp(policy, "drop-newest")) {
		c.dropped = sys_u64("statistics/dropped") - dropped0;
		CHECK(tally_value_gaps(&t) == c.dropped,
		      "missing %" PRIu64 " != dropped %" PRIu64,
		      tally_value_gaps(&t), c.dropped);
	}
	printf("GWIO-TEST: PASS %s faults=%" PRIu64 " received=%" PRIu64 "\n",
	       test_name, faults, t.received);
}

/*
 * Overwrite policy: read() publishes tail before its copy to user space
 * (the validation needs it).  A faulting buffer used to get it put back,
 * over slots the producer had cached as free and reused unannounced.  Now
 * the batch stays claimed: tail never goes back, and the records are
 * counted in statistics/read_lost.
 */
static void test_read_fault_claimed(void)
{
	struct gwio_consumer *cons;
	uint64_t unread, lost0;
	uint32_t tail0;
	struct ring r;
	void *bad;
	ssize_t n;

	sys_set("enable", "0");
	sys_set("overflow", "overwrite");
	ring_new(256);
	set_channels(1, 10000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	cons = r.cons_map;
	ioctl(r.fd, GWIO_IOC_START);
	CHECK(wait_head(&r, 512), "no records");
	ioctl(r.fd, GWIO_IOC_STOP);
	unread = sys_u64("statistics/unread");
	lost0 = sys_u64("statistics/read_lost");
	CHECK(unread == 256, "unread %" PRIu64 " in a lapped ring of 256",
	      unread);
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fcntl(r.fd, F_SETFL, O_NONBLOCK);
	tail0 = __atomic_load_n(&cons->tail, __ATOMIC_ACQUIRE);
	n = read(r.fd, bad, 16 * sizeof(struct gwio_record));
	munmap(bad, 4096);
	CHECK(n < 0 && errno == EFAULT, "read into a bad buffer: %zd %s", n,
	      strerror(errno));
	/* one batch of 16, from a ring behind head: forward, never back */
	CHECK(__atomic_load_n(&cons->tail, __ATOMIC_ACQUIRE) ==
	      r.prod->head - 256 + 16,
	      "tail %" PRIu32 " after the fault, head %" PRIu32 " (was %"
	      PRIu32 ")", cons->tail, r.prod->head, tail0);
	CHECK(sys_u64("statistics/unread") == unread - 16, "unread %" PRIu64,
	      sys_u64("statistics/unread"));
	CHECK(sys_u64("statistics/read_lost") == lost0 + 16,
	      "read_lost %" PRIu64 " want %" PRIu64,
	      sys_u64("statistics/read_lost"), lost0 + 16);
	ring_close(&r);
	sys_set("overflow", "drop-newest");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * GWIO_IOC_FLUSH while a read() is between loading tail and storing it:
 * the read used to store its older tail after the flush, moving tail back
 * over records the flush discarded (and the producer had reused).  The
 * read is held in its copy to user space by a userfaultfd page, so the
 * interleaving is certain; the flush must wait for it.
 */
struct flush_race {
	int fd;
	void *page;
	ssize_t nread;
	int flush_ret;
	pid_t flusher;
	int started, done;
};

static void *race_reader(void *arg)
{
	struct flush_race *fr = arg;

	fr->nread = read(fr->fd, fr->page, 32 * sizeof(struct gwio_record));
	return NULL;
}

static void *race_flusher(void *arg)
{
	struct flush_race *fr = arg;

	__atomic_store_n(&fr->flusher, (pid_t)syscall(SYS_gettid),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&fr->started, 1, __ATOMIC_RELEASE);
	fr->flush_ret = ioctl(fr->fd, GWIO_IOC_FLUSH);
	__atomic_store_n(&fr->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Is thread @tid asleep inside ioctl()?  (/proc: "running" otherwise) */
static int asleep_in_ioctl(pid_t tid)
{
	char path[64], buf[128] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] >= '0' && buf[0] <= '9' && atol(buf) == SYS_ioctl;
}

static void test_flush_during_read(void)
{
	struct flush_race fr = { .nread = -2 };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_copy copy = { 0 };
	pthread_t reader, flusher;
	struct uffd_msg msg;
	struct pollfd pfd;
	struct ring r;
	uint32_t head, tail0;
	size_t ps;
	char *src;
	int uffd, i;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(256);
	set_channels(1, 10000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ps = r.info.page_size;
	ring_flush(&r);
	ioctl(r.fd, GWIO_IOC_START);
	CHECK(wait_head(&r, 100), "no records");
	ioctl(r.fd, GWIO_IOC_STOP);
	head = __atomic_load_n(&r.prod->head, __ATOMIC_ACQUIRE);
	tail0 = ((struct gwio_consumer *)r.cons_map)->tail;
	CHECK(head - tail0 >= 64 && head - tail0 <= 256, "unread %" PRIu32,
	      head - tail0);

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	CHECK(uffd >= 0, "userfaultfd: %s", strerror(errno));
	CHECK(ioctl(uffd, UFFDIO_API, &api) == 0, "UFFDIO_API: %s",
	      strerror(errno));
	fr.fd = r.fd;
	fr.page = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = calloc(1, ps);
	CHECK(fr.page != MAP_FAILED && src, "buffers");
	reg.range.start = (uintptr_t)fr.page;
	reg.range.len = ps;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	CHECK(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0, "UFFDIO_REGISTER: %s",
	      strerror(errno));
	fcntl(r.fd, F_SETFL, O_NONBLOCK);
	CHECK(pthread_create(&reader, NULL, race_reader, &fr) == 0, "reader");

	/* the read() has loaded tail and waits in its copy to user space */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 10000) == 1 &&
	      read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	      msg.event == UFFD_EVENT_PAGEFAULT,
	      "the read() never reached its copy out");
	CHECK(pthread_create(&flusher, NULL, race_flusher, &fr) == 0,
	      "flusher");
	/* the flush has either run, or is waiting for the read() */
	for (i = 0; i < 10000; i++) {
		if (__atomic_load_n(&fr.done, __ATOMIC_ACQUIRE) ||
		    (__atomic_load_n(&fr.started, __ATOMIC_ACQUIRE) &&
		     asleep_in_ioctl(__atomic_load_n(&fr.flusher,
						     __ATOMIC_ACQUIRE))))
			break;
		sleep_ms(1);
	}
	/* let the read() go on, then both finish */
	copy.dst = (uintptr_t)fr.page;
	copy.src = (uintptr_t)src;
	copy.len = ps;
	CHECK(ioctl(uffd, UFFDIO_COPY, &copy) == 0, "UFFDIO_COPY: %s",
	      strerror(errno));
	pthread_join(reader, NULL);
	pthread_join(flusher, NULL);
	CHECK(i < 10000, "the flush neither ran nor waited");
	CHECK(fr.nread == 32 * (ssize_t)sizeof(struct gwio_record),
	      "read returned %zd", fr.nread);
	CHECK(fr.flush_ret == 0, "flush: %s", strerror(errno));
	/* the flush came last: nothing unread, tail at head */
	CHECK(((struct gwio_consumer *)r.cons_map)->tail == head &&
	      sys_u64("statistics/unread") == 0,
	      "tail %" PRIu32 " head %" PRIu32 ": the read() moved it back "
	      "over the flush", ((struct gwio_consumer *)r.cons_map)->tail,
	      head);
	close(uffd);
	munmap(fr.page, ps);
	free(src);
	ring_close(&r);
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * overflow and clock describe every record and consumers cache them:
 * refused while the ring is mapped (as ring_records is), and a change
 * starts the ring over, so no record is left under a header that does
 * not describe it.
 */
static void test_config_while_mapped(void)
{
	struct ring r;
	uint64_t produced;
	uint32_t head0, head1;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	sys_set("clock", "monotonic");
	ring_new(256);
	set_channels(1, 10000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ioctl(r.fd, GWIO_IOC_START);
	CHECK(wait_head(&r, 32), "no records");
	ioctl(r.fd, GWIO_IOC_STOP);
	CHECK(sys_write("overflow", "overwrite") == -EBUSY,
	      "overflow changed while mapped");
	CHECK(sys_write("clock", "boottime") == -EBUSY,
	      "clock changed while mapped");
	CHECK(sys_write("ring_records", "512") == -EBUSY,
	      "ring resized while mapped");
	CHECK(r.prod->overflow == GWIO_OVERFLOW_DROP_NEWEST &&
	      r.prod->clock_id == CLOCK_MONOTONIC, "header changed");
	/*
	 * The current values are no change: accepted while mapped and
	 * enabled (a boot script that writes its settings every time), the
	 * ring and its counters untouched.
	 */
	head0 = __atomic_load_n(&r.prod->head, __ATOMIC_ACQUIRE);
	produced = sys_u64("statistics/produced");
	ioctl(r.fd, GWIO_IOC_START);
	CHECK(sys_write("overflow", "drop-newest") == 0,
	      "current overflow refused while mapped and enabled");
	CHECK(sys_write("clock", "monotonic") == 0,
	      "current clock refused while mapped and enabled");
	CHECK(sys_write("ring_records", "256") == 0,
	      "current ring_records refused while mapped and enabled");
	CHECK(sys_u64("enable") == 1, "a no-op write stopped the device");
	ioctl(r.fd, GWIO_IOC_STOP);
	head1 = __atomic_load_n(&r.prod->head, __ATOMIC_ACQUIRE);
	/* a reset would zero produced and take head back */
	CHECK(sys_u64("statistics/produced") >= produced &&
	      (int32_t)(head1 - head0) >= 0,
	      "a no-op write reset the ring: head %" PRIu32 " -> %" PRIu32
	      ", produced %" PRIu64 " -> %" PRIu64, head0, head1,
	      produced, sys_u64("statistics/produced"));
	ring_close(&r);

	/* unmapped: the change is made, and the ring is empty and new */
	CHECK(sys_write("overflow", "overwrite") == 0, "overflow refused");
	CHECK(sys_u64("statistics/produced") == 0 &&
	      sys_u64("statistics/unread") == 0,
	      "records left under the new policy: produced %" PRIu64
	      " unread %" PRIu64, sys_u64("statistics/produced"),
	      sys_u64("statistics/unread"));
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	/* a new ring starts 4096 short of the wrap (docs/abi.md) */
	CHECK(r.prod->overflow == GWIO_OVERFLOW_OVERWRITE &&
	      r.prod->head == UINT32_MAX - 4095 &&
	      ((struct gwio_consumer *)r.cons_map)->tail == r.prod->head &&
	      r.prod->oldest == r.prod->head - r.prod->record_count,
	      "overflow %u head %u", r.prod->overflow, r.prod->head);
	ioctl(r.fd, GWIO_IOC_START);
	CHECK(wait_head(&r, 32), "no records");
	ioctl(r.fd, GWIO_IOC_STOP);
	ring_close(&r);
	produced = sys_u64("statistics/produced");
	/* the same value again changes nothing */
	CHECK(sys_write("overflow", "overwrite") == 0 &&
	      sys_u64("statistics/produced") == produced, "repeat reset");
	CHECK(sys_write("clock", "boottime") == 0 &&
	      sys_u64("statistics/produced") == 0, "clock change kept records");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	CHECK(r.prod->clock_id == CLOCK_BOOTTIME &&
	      r.prod->head == UINT32_MAX - 4095,
	      "clock_id %d head %u", r.prod->clock_id, r.prod->head);
	ring_close(&r);
	sys_set("clock", "monotonic");
	sys_set("overflow", "drop-newest");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * A watermark left above the ring by a resize (sysfs, or the device
 * tree's gwio,ring-records) would never be reached, and with timeout_us 0
 * nothing else wakes: the resize lowers it, and the wake test is capped
 * at the ring.
 */
static void test_watermark_resize(void)
{
	struct pollfd pfd;
	struct ring r;
	int ret;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(4096);
	sys_set("watermark", "4096");
	sys_set("timeout_us", "0");
	ring_new(256);
	CHECK(sys_u64("watermark") <= 256, "watermark %" PRIu64
	      " above a ring of 256", sys_u64("watermark"));
	set_channels(1, 10000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ring_flush(&r);
	ioctl(r.fd, GWIO_IOC_START);
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 10000);
	ioctl(r.fd, GWIO_IOC_STOP);
	CHECK(ret == 1 && (pfd.revents & POLLIN),
	      "poll did not wake: ret %d, unread %" PRIu64 " dropped %" PRIu64,
	      ret, sys_u64("statistics/unread"), sys_u64("statistics/dropped"));
	ring_close(&r);
	sys_set("watermark", "256");
	sys_set("timeout_us", "10000");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * An overwrite consumer lapped by 2^31 + 1 (the kernel sees exactly this
 * when the tail is written so): poll() must wake it (EPOLLIN, and EPOLLPRI
 * for "resync"), unread shows a ring, the consumer half resyncs to head -
 * size and counts the loss, and read() resyncs too.  Before, the tail was
 * "invalid": unread 0, no wakeup, ever.
 */
static void test_lapped_horizon(void)
{
	static struct gwio_record buf[256];
	const uint32_t lap = (1u << 31) + 1;
	struct gwio_consumer *cons;
	uint64_t resets0;
	struct pollfd pfd;
	struct ring r;
	uint32_t head, i, n;
	__u64 seq;
	ssize_t got;
	int ret;

	sys_set("enable", "0");
	sys_set("overflow", "overwrite");
	ring_new(256);
	set_channels(1, 10000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	cons = r.cons_map;
	ioctl(r.fd, GWIO_IOC_START);
	CHECK(wait_head(&r, 512), "no records");
	ioctl(r.fd, GWIO_IOC_STOP);
	head = __atomic_load_n(&r.prod->head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&cons->tail, head - lap, __ATOMIC_RELEASE);
	CHECK(sys_u64("statistics/unread") == 256, "unread %" PRIu64,
	      sys_u64("statistics/unread"));
	pfd.fd = r.fd;
	pfd.events = POLLIN | POLLPRI;
	ret = poll(&pfd, 1, 10000);
	CHECK(ret == 1 && (pfd.revents & POLLIN) && (pfd.revents & POLLPRI),
	      "lapped beyond the horizon: poll %d revents %#x", ret,
	      pfd.revents);

	/* libgwio's consumer half */
	gwio_ring_cons_init(&r.c, r.cons_map, r.prod,
			    (void *)((char *)r.prod_map + r.prod->data_offset));
	n = gwio_ring_cons_read(&r.c, buf, 256, &seq);
	CHECK(n == 256 && r.c.resyncs == 1 && r.c.lost == lap - 256,
	      "resync: %" PRIu32 " records, lost %llu, resyncs %llu", n,
	      (unsigned long long)r.c.lost, (unsigned long long)r.c.resyncs);
	for (i = 1; i < n; i++)
		CHECK(buf[i].value == buf[0].value + i, "record %u: %u", i,
		      buf[i].value);
	CHECK(cons->tail == head, "tail %" PRIu32 " head %" PRIu32,
	      cons->tail, head);
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 0) == 0, "caught up, poll revents %#x",
	      pfd.revents);

	/* the kernel's read() resyncs the same way, and counts it */
	resets0 = sys_u64("statistics/tail_resets");
	__atomic_store_n(&cons->tail, head - lap, __ATOMIC_RELEASE);
	fcntl(r.fd, F_SETFL, O_NONBLOCK);
	got = read(r.fd, buf, sizeof(buf));
	CHECK(got == (ssize_t)sizeof(buf), "read %zd: %s", got,
	      strerror(errno));
	CHECK(buf[255].value == buf[0].value + 255, "read: values %u..%u",
	      buf[0].value, buf[255].value);
	CHECK(sys_u64("statistics/tail_resets") == resets0 + 1,
	      "tail_resets %" PRIu64, sys_u64("statistics/tail_resets"));
	CHECK(cons->tail == head, "read: tail %" PRIu32, cons->tail);
	ring_close(&r);
	sys_set("overflow", "drop-newest");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * The timeout armed while a consumer waited is cancelled when the
 * watermark wakes it, and a wakeup is counted only when someone sleeps:
 * it used to fire later for nobody and count a second one.
 */
static void test_wakeup_count(void)
{
	struct pollfd pfd;
	uint64_t w0;
	struct ring r;
	int ret;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(4096);
	set_channels(1, 1000, "counter");
	sys_set("watermark", "20");
	sys_set("timeout_us", "100000");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ring_flush(&r);
	w0 = sys_u64("statistics/wakeups");
	ioctl(r.fd, GWIO_IOC_START);
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 10000);
	ioctl(r.fd, GWIO_IOC_STOP);
	CHECK(ret == 1, "poll %d", ret);
	/* three times the timeout: a timer left armed has fired by now */
	sleep_ms(300);
	CHECK(sys_u64("statistics/wakeups") - w0 == 1,
	      "%" PRIu64 " wakeups for one poll()",
	      sys_u64("statistics/wakeups") - w0);
	ring_close(&r);
	sys_set("watermark", "256");
	sys_set("timeout_us", "10000");
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/* Hold a mapping (or sit in poll) until killed: for rmmod/resize tests. */
static void hold(int in_poll)
{
	struct pollfd pfd;
	struct ring r;

	if (ring_open(&r)) {
		perror("hold: open");
		exit(1);
	}
	printf("holding\n");
	fflush(stdout);
	pfd.fd = r.fd;
	pfd.events = POLLIN;
	for (;;) {
		if (in_poll) {
			poll(&pfd, 1, -1);
			if (pfd.revents & (POLLHUP | POLLERR))
				exit(0);
			drain(&r, &(struct tally){ 0 });
		} else {
			pause();
		}
	}
}

/*
 * Edge-triggered epoll (as tokio/mio register) and a consumer that drains
 * through the mapping: after every drain, new records past the watermark
 * raise a new event, and so does the timeout below it.
 */
static void test_epoll_edge(void)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
	struct tally t = { 0 };
	struct ring r;
	int ep, i, events = 0;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(4096);
	sys_set("watermark", "256");
	sys_set("timeout_us", "0");
	set_channels(1, 2000, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ep = epoll_create1(0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, r.fd, &ev) == 0, "epoll_ctl: %s",
	      strerror(errno));
	tally_start(&t, 1);
	ioctl(r.fd, GWIO_IOC_START);
	/* 256 records at 2 kHz are 128 ms: 5 s is far beyond any event */
	for (i = 0; i < 5; i++) {
		if (epoll_wait(ep, &out, 1, 5000) != 1)
			break;
		events++;
		drain(&r, &t);
	}
	CHECK(events == 5, "edge-triggered epoll: %d events of 5, then none "
	      "with %" PRIu64 " records produced", events, cnt(&r).produced);
	/* below the watermark only the timeout can wake it */
	ioctl(r.fd, GWIO_IOC_STOP);
	drain(&r, &t);
	sys_set("timeout_us", "20000");
	set_channels(1, 20, "counter");
	ioctl(r.fd, GWIO_IOC_START);
	CHECK(epoll_wait(ep, &out, 1, 5000) == 1,
	      "edge-triggered epoll: no event from the timeout");
	ioctl(r.fd, GWIO_IOC_STOP);
	drain(&r, &t);
	tally_finish(&t, 1);
	sys_set("timeout_us", "10000");
	close(ep);
	ring_close(&r);
	printf("GWIO-TEST: PASS %s\n", test_name);
}

/*
 * Throughput: every channel at rate/channels Hz, an epoll consumer that
 * wakes on the watermark; reports records/s, drops and syscalls per 1000.
 */
static void bench(unsigned int rate, int channels, unsigned int seconds)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct tally t = { 0 };
	uint64_t t0, t1, calls = 0;
	struct ring r;
	int ep;

	sys_set("enable", "0");
	sys_set("overflow", "drop-newest");
	ring_new(262144);
	sys_set("watermark", "16384");
	sys_set("timeout_us", "20000");
	set_channels(channels, rate / channels, "counter");
	CHECK(ring_open(&r) == 0, "open/map: %s", strerror(errno));
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, r.fd, &ev);
	tally_start(&t, channels);
	ioctl(r.fd, GWIO_IOC_START);
	t0 = now_ns(CLOCK_MONOTONIC);
	do {
		epoll_wait(ep, &out, 1, 1000);
		calls++;
		drain(&r, &t);
		t1 = now_ns(CLOCK_MONOTONIC);
	} while (t1 - t0 < seconds * 1000000000ull);
	ioctl(r.fd, GWIO_IOC_STOP);
	calls += 2;
	drain(&r, &t);
	tally_finish(&t, channels);
	printf("GWIO-BENCH: vm_rate_target %u\n", rate);
	printf("GWIO-BENCH: vm_records %" PRIu64 "\n", t.received);
	printf("GWIO-BENCH: vm_records_per_s %.0f\n",
	       t.received * 1e9 / (double)(t1 - t0));
	printf("GWIO-BENCH: vm_dropped %llu\n",
	       (unsigned long long)cnt(&r).dropped);
	printf("GWIO-BENCH: vm_syscalls_per_1000 %.3f\n",
	       t.received ? calls * 1000.0 / t.received : 0.0);
	printf("GWIO-BENCH: vm_wakeups %llu\n",
	       (unsigned long long)cnt(&r).wakeups);
	CHECK(tally_value_gaps(&t) == cnt(&r).dropped, "accounting");
	printf("GWIO-TEST: PASS %s\n", test_name);
	close(ep);
	ring_close(&r);
}

int main(int argc, char **argv)
{
	const char *test;

	if (argc < 2) {
		fprintf(stderr, "usage: vmtest TEST [DEVICE]\n");
		return 2;
	}
	test = test_name = argv[1];
	if (argc > 2)
		dev_path = argv[2];
	snprintf(sys_dir, sizeof(sys_dir), "/sys/class/gwio/%s",
		 strrchr(dev_path, '/') + 1);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(test, "abi"))
		test_abi();
	else if (!strcmp(test, "sequence"))
		test_sequence();
	else if (!strcmp(test, "clock-monotonic"))
		test_clock("monotonic", CLOCK_MONOTONIC);
	else if (!strcmp(test, "clock-boottime"))
		test_clock("boottime", CLOCK_BOOTTIME);
	else if (!strcmp(test, "clock-realtime"))
		test_clock("realtime", CLOCK_REALTIME);
	else if (!strcmp(test, "clock-tai"))
		test_clock("tai", CLOCK_TAI);
	else if (!strcmp(test, "overrun-drop-newest"))
		test_overrun(0);
	else if (!strcmp(test, "overrun-overwrite"))
		test_overrun(1);
	else if (!strcmp(test, "wakeup"))
		test_wakeup();
	else if (!strcmp(test, "read"))
		test_read();
	else if (!strcmp(test, "hostile-tail"))
		test_hostile_tail();
	else if (!strcmp(test, "hostile-read"))
		test_hostile_read();
	else if (!strcmp(test, "read-fault-drop-newest"))
		test_read_fault("drop-newest");
	else if (!strcmp(test, "read-fault-overwrite"))
		test_read_fault("overwrite");
	else if (!strcmp(test, "read-fault-claimed"))
		test_read_fault_claimed();
	else if (!strcmp(test, "flush-during-read"))
		test_flush_during_read();
	else if (!strcmp(test, "config-while-mapped"))
		test_config_while_mapped();
	else if (!strcmp(test, "watermark-resize"))
		test_watermark_resize();
	else if (!strcmp(test, "lapped-horizon"))
		test_lapped_horizon();
	else if (!strcmp(test, "wakeup-count"))
		test_wakeup_count();
	else if (!strcmp(test, "epoll-edge"))
		test_epoll_edge();
	else if (!strcmp(test, "hold-map"))
		hold(0);
	else if (!strcmp(test, "hold-poll"))
		hold(1);
	else if (!strcmp(test, "bench"))
		bench(argc > 3 ? atoi(argv[3]) : 1000000, 4,
		      argc > 4 ? atoi(argv[4]) : 3);
	else {
		fprintf(stderr, "unknown test %s\n", test);
		return 2;
	}
	return failures ? 1 : 0;
}
