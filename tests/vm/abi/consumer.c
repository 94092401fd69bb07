// SPDX-License-Identifier: GPL-2.0
/*
 * consumer.c - a clean-room consumer of the gwio ring, written from
 * kmod/uapi/gwio.h, docs/abi.md and docs/sysfs.md only (no libgwio, no
 * kmod/gwio_ring.h): does the documentation suffice to write one?
 *
 *   consumer all                 every test below, each in its own process
 *   consumer TEST...             just those (names as printed)
 *   consumer hold DEV SECONDS    map /dev/gwioDEV and sleep (rmmod test)
 *   consumer pollhold DEV SECONDS  the same, asleep in poll()
 *
 * Prints "GWIO-TEST: PASS name" / "GWIO-TEST: FAIL name reason" (the VM
 * payload contract, tests/vm/README.md), "GWIO-INFO: ..." for what the
 * docs left open and the run found out, and "GWIO-BENCH: key value".
 *
 * Expects gwio.ko loaded with two synthetic devices: gwio0 with 4
 * channels, gwio1 with 2 (sim_channels=4,2).  Every device is left
 * stopped.  Where a doc left a choice, the guess is commented "DOC:".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uapi/gwio.h"

#define MAXCH 256
#define SYS "/sys/class/gwio"

/* abi.md's offset table: the same layout on every ABI */
_Static_assert(sizeof(struct gwio_record) == 16, "record");
_Static_assert(sizeof(struct gwio_consumer) == 64, "consumer page");
_Static_assert(__builtin_offsetof(struct gwio_producer, head) == 64, "head");
_Static_assert(__builtin_offsetof(struct gwio_producer, oldest) == 68, "oldest");
_Static_assert(__builtin_offsetof(struct gwio_producer, stats_seq) == 128, "stats_seq");
_Static_assert(__builtin_offsetof(struct gwio_producer, produced) == 136, "produced");
_Static_assert(__builtin_offsetof(struct gwio_producer, dropped) == 144, "dropped");
_Static_assert(__builtin_offsetof(struct gwio_producer, overruns) == 152, "overruns");
_Static_assert(__builtin_offsetof(struct gwio_producer, wakeups) == 160, "wakeups");
_Static_assert(sizeof(struct gwio_producer) == 192, "producer header");
_Static_assert(sizeof(struct gwio_channel_entry) == 48, "channel entry");
_Static_assert(sizeof(struct gwio_info) == 72, "GWIO_IOC_INFO");

/* ------------------------------------------------------------------ */
/* reporting                                                          */

static const char *cur_test = "?";
static int cur_failed;

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
	va_list ap;

	printf("GWIO-INFO: %s: ", cur_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The first failure of a test is its verdict; later ones are INFO. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!cur_failed)
		printf("GWIO-TEST: FAIL %s %s\n", cur_test, buf);
	else
		printf("GWIO-INFO: %s: also: %s\n", cur_test, buf);
	cur_failed = 1;
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fail("%s", buf);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
	uint32_t x = rnd_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rnd_state = x;
}

/* ------------------------------------------------------------------ */
/* sysfs                                                              */

static int sys_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/* 0, or the errno of the write (sysfs stores answer in write()). */
static int sys_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e = 0;

	if (fd < 0)
		return errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		e = errno;
	else if ((size_t)n != strlen(val))
		e = EIO;
	if (close(fd) < 0 && !e)
		e = errno;
	return e;
}

static char *dpath(int dev, const char *attr)
{
	static char p[4][256];
	static int i;

	i = (i + 1) & 3;
	snprintf(p[i], sizeof(p[i]), SYS "/gwio%d/%s", dev, attr);
	return p[i];
}

static uint64_t dget(int dev, const char *attr)
{
	char buf[128];
	int e = sys_read(dpath(dev, attr), buf, sizeof(buf));

	if (e)
		die("read %s: %s", dpath(dev, attr), strerror(-e));
	return strtoull(buf, NULL, 0);
}

static void dset(int dev, const char *attr, const char *val)
{
	int e = sys_write(dpath(dev, attr), val);

	if (e)
		die("write '%s' to %s: %s", val, dpath(dev, attr), strerror(e));
}

static void dsetu(int dev, const char *attr, uint64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	dset(dev, attr, b);
}

/* the chosen one of "[a] b c" */
static void dchoice(int dev, const char *attr, char *out, size_t len)
{
	char buf[256], *a, *b;

	if (sys_read(dpath(dev, attr), buf, sizeof(buf)))
		die("read %s", dpath(dev, attr));
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b)
		die("%s: no [choice] in '%s'", attr, buf);
	*b = 0;
	snprintf(out, len, "%s", a + 1);
}

struct chan {
	char label[64];
	unsigned index;
};

struct devinfo {
	int n;
	int nch;
	struct chan ch[MAXCH];
};

static void dev_channels(int dev, struct devinfo *d)
{
	char path[512], buf[64];
	DIR *dir;
	struct dirent *e;

	d->n = dev;
	d->nch = 0;
	snprintf(path, sizeof(path), SYS "/gwio%d/channels", dev);
	dir = opendir(path);
	if (!dir)
		die("opendir %s: %s", path, strerror(errno));
	while ((e = readdir(dir)) && d->nch < MAXCH) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strnlen(e->d_name, sizeof(d->ch[0].label));

		if (len >= sizeof(d->ch[0].label))
			die("channel name %.40s... too long", e->d_name);
		memcpy(d->ch[d->nch].label, e->d_name, len + 1);
		snprintf(path, sizeof(path), SYS "/gwio%d/channels/%s/index", dev, d->ch[d->nch].label);
		if (sys_read(path, buf, sizeof(buf)))
			die("read %s", path);
		d->ch[d->nch].index = (unsigned)strtoul(buf, NULL, 0);
		d->nch++;
	}
	closedir(dir);
}

static char *cpath(int dev, const char *label, const char *attr)
{
	static char p[4][320];
	static int i;

	i = (i + 1) & 3;
	snprintf(p[i], sizeof(p[i]), SYS "/gwio%d/channels/%s/%s", dev, label, attr);
	return p[i];
}

static uint64_t cget(int dev, const char *label, const char *attr)
{
	char buf[64];

	if (sys_read(cpath(dev, label, attr), buf, sizeof(buf)))
		die("read %s", cpath(dev, label, attr));
	return strtoull(buf, NULL, 0);
}

static void cset(int dev, const char *label, const char *attr, uint64_t v)
{
	char b[32];
	int e;

	snprintf(b, sizeof(b), "%" PRIu64, v);
	e = sys_write(cpath(dev, label, attr), b);
	if (e)
		die("write %s to %s: %s", b, cpath(dev, label, attr), strerror(e));
}

/*
 * A known state: stopped, every channel enabled with the counter waveform
 * at RATE, the given overflow policy, a fresh ring of RECORDS (a resize
 * empties it and zeroes the counters: written twice so that it is a
 * resize even if the size was already RECORDS - DOC: does writing the
 * current size count as a resize?).  Must be called with nothing mapped.
 */
static void dev_setup(int dev, struct devinfo *d, unsigned records,
		      const char *overflow, unsigned rate, unsigned watermark,
		      unsigned timeout_us)
{
	int i;

	dset(dev, "enable", "0");
	dset(dev, "overflow", overflow);
	dsetu(dev, "watermark", 1);
	dsetu(dev, "ring_records", records == 256 ? 512 : 256);
	dsetu(dev, "ring_records", records);
	dsetu(dev, "watermark", watermark);
	dsetu(dev, "timeout_us", timeout_us);
	dev_channels(dev, d);
	for (i = 0; i < d->nch; i++) {
		int e = sys_write(cpath(dev, d->ch[i].label, "waveform"), "counter");

		if (e)
			die("waveform counter: %s", strerror(e));
		cset(dev, d->ch[i].label, "cycle", 1000000);
		cset(dev, d->ch[i].label, "rate_hz", rate);
		cset(dev, d->ch[i].label, "enable", 1);
	}
}

/* ------------------------------------------------------------------ */
/* the ring                                                           */

static inline uint32_t ld_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t ld_rlx(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void st_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

struct counters {
	uint64_t produced, dropped, overruns, wakeups;
	uint32_t seq;
	unsigned retries;
};

struct ring {
	int fd, dev;
	struct gwio_info info;
	struct gwio_consumer *cons;
	struct gwio_producer *prod;
	const struct gwio_record *recs;
	size_t cons_len, prod_len;
	uint32_t count, mask;
	uint32_t tail;		/* own copy of the published tail */
	uint64_t seq;		/* 64-bit position of tail (ours) */
	int overwrite;
	const struct gwio_channel_entry *table;
};

static uint64_t count64(const struct gwio_count *c)
{
	return (uint64_t)ld_rlx(&c->hi) << 32 | ld_rlx(&c->lo);
}

/* abi.md "Counters": seqcount; retry while odd or changed. */
static void read_counters(const struct ring *r, struct counters *c)
{
	const struct gwio_producer *p = r->prod;
	uint32_t s1, s2;

	c->retries = 0;
	for (;;) {
		s1 = ld_acq(&p->stats_seq);
		if (s1 & 1) {
			c->retries++;
			continue;
		}
		c->produced = count64(&p->produced);
		c->dropped = count64(&p->dropped);
		c->overruns = count64(&p->overruns);
		c->wakeups = count64(&p->wakeups);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = ld_rlx(&p->stats_seq);
		if (s1 == s2)
			break;
		c->retries++;
	}
	c->seq = s1;
}

static int info_ioctl(int fd, struct gwio_info *i)
{
	memset(i, 0xa5, sizeof(*i));
	return ioctl(fd, GWIO_IOC_INFO, i);
}

/*
 * Open and map /dev/gwioDEV the documented way.  Returns 0, or -errno of
 * the open (EBUSY when another consumer has it); any other problem is a
 * test failure.
 */
static int ring_open(struct ring *r, int dev)
{
	char path[64];
	const struct gwio_producer *p;
	long pg = sysconf(_SC_PAGESIZE);
	void *m;

	memset(r, 0, sizeof(*r));
	r->dev = dev;
	snprintf(path, sizeof(path), "/dev/gwio%d", dev);
	/* DOC: the docs never say which open flags; the consumer page is
	 * mapped writable and shared, so O_RDWR. */
	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	if (info_ioctl(r->fd, &r->info))
		die("GWIO_IOC_INFO: %s", strerror(errno));
	if (r->info.abi_major != GWIO_ABI_MAJOR)
		die("ABI major %u, built for %u: refusing", r->info.abi_major, GWIO_ABI_MAJOR);
	if (r->info.record_size != sizeof(struct gwio_record))
		die("record size %u, built for %zu: refusing", r->info.record_size,
		    sizeof(struct gwio_record));
	if (r->info.page_size != (uint32_t)pg)
		die("info.page_size %u, sysconf %ld", r->info.page_size, pg);
	r->count = r->info.record_count;
	if (!r->count || (r->count & (r->count - 1)) || r->count > 1u << 31)
		die("record_count %u is not a power of two <= 2^31", r->count);
	r->mask = r->count - 1;

	r->cons_len = r->info.consumer_map_size;
	m = mmap(NULL, r->cons_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		 (off_t)GWIO_CONSUMER_PGOFF * pg);
	if (m == MAP_FAILED)
		die("mmap consumer page (%zu bytes): %s", r->cons_len, strerror(errno));
	r->cons = m;
	r->prod_len = r->info.producer_map_size;
	m = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, r->fd,
		 (off_t)GWIO_PRODUCER_PGOFF * pg);
	if (m == MAP_FAILED)
		die("mmap producer (%zu bytes): %s", r->prod_len, strerror(errno));
	r->prod = m;
	p = r->prod;
	if (p->magic != GWIO_MAGIC)
		die("magic %#x", p->magic);
	if (p->abi_major != r->info.abi_major || p->abi_minor != r->info.abi_minor)
		die("producer page ABI %u.%u, INFO %u.%u", p->abi_major, p->abi_minor,
		    r->info.abi_major, r->info.abi_minor);
	if (p->record_size != r->info.record_size || p->record_count != r->count)
		die("producer page geometry %u x %u, INFO %u x %u", p->record_count,
		    p->record_size, r->count, r->info.record_size);
	if (p->data_offset < sizeof(*p) ||
	    (uint64_t)p->data_offset + (uint64_t)r->count * 16 > r->prod_len)
		die("data_offset %u + %u records outside the %zu-byte mapping",
		    p->data_offset, r->count, r->prod_len);
	if (p->data_offset % 16)
		die("data_offset %u not record-aligned", p->data_offset);
	r->recs = (const void *)((const char *)m + p->data_offset);
	if (p->channel_table_offset) {
		uint64_t end = (uint64_t)p->channel_table_offset +
			       (uint64_t)p->channel_table_entries *
				       sizeof(struct gwio_channel_entry);

		if (p->channel_table_offset < sizeof(*p) || end > p->data_offset)
			die("channel table %u+%u entries not between header and data_offset %u",
			    p->channel_table_offset, p->channel_table_entries, p->data_offset);
		r->table = (const void *)((const char *)m + p->channel_table_offset);
	}
	r->overwrite = p->overflow == GWIO_OVERFLOW_OVERWRITE;
	r->tail = ld_acq(&r->cons->tail);
	r->seq = r->tail;
	return 0;
}

static void ring_close(struct ring *r)
{
	if (r->prod)
		munmap(r->prod, r->prod_len);
	if (r->cons)
		munmap((void *)r->cons, r->cons_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void ring_open_or_die(struct ring *r, int dev)
{
	int e = ring_open(r, dev);

	if (e)
		die("open /dev/gwio%d: %s", dev, strerror(-e));
}

/* FLUSH, then take the tail the kernel wrote as our start. */
static void ring_flush(struct ring *r)
{
	uint32_t h;

	if (ioctl(r->fd, GWIO_IOC_FLUSH))
		die("GWIO_IOC_FLUSH: %s", strerror(errno));
	r->tail = ld_acq(&r->cons->tail);
	h = ld_acq(&r->prod->head);
	if ((uint32_t)(h - r->tail) > r->count)
		fail("after FLUSH tail %u is not within a ring of head %u", r->tail, h);
	r->seq = r->tail;
}

static uint32_t unread(const struct ring *r)
{
	return ld_acq(&r->prod->head) - r->tail;
}

/* ------------------------------------------------------------------ */
/* the checker: the counter waveform per channel                      */

struct chstate {
	int have;
	uint32_t first, last;
	uint64_t first_seq, last_seq, n, gaps;
	uint64_t ts;
	uint64_t max_dts, jump_ts;	/* the largest ts step, and the ts after it */
	uint32_t jump_d;		/* value step there */
};

struct chk {
	int dropnewest;
	uint32_t mod;		/* counter modulus, 0: 2^32 */
	uint64_t period_ns;	/* 1e9 / rate_hz when exact, else 0 */
	uint32_t nch;		/* valid channel indices: < nch */
	uint64_t delivered, lost, gaps, flags_after_drop;
	uint64_t last_flag_seq;
	int have_flag;
	uint64_t dups, backwards, unflagged_gaps, bad_kind, bad_chan, bad_ts, odd_spacing, odd_flags;
	uint64_t ts_future;
	struct chstate c[MAXCH];
	char first_err[256];
};

/* learned by abi-waveform, in a page shared with the test processes */
struct shared_result {
	int counter_wraps;	/* the counter waveform wraps at "cycle" */
	int learned;
};
static struct shared_result *g_res;
static uint32_t g_counter_mod;	/* modulus of the checkers (0: 2^32) */
static const char *pass_name;	/* a test may pass under another name */

static void chk_init(struct chk *k, const struct ring *r, uint32_t nch, unsigned rate)
{
	memset(k, 0, sizeof(*k));
	k->dropnewest = !r->overwrite;
	k->mod = g_counter_mod;
	k->nch = nch;
	k->period_ns = 1000000000u % rate ? 0 : 1000000000u / rate;
}

static void chk_err(struct chk *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void chk_err(struct chk *k, const char *fmt, ...)
{
	va_list ap;

	if (k->first_err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(k->first_err, sizeof(k->first_err), fmt, ap);
	va_end(ap);
}

static uint32_t vdelta(const struct chk *k, uint32_t a, uint32_t b)
{
	if (k->mod)
		return (a + k->mod - b % k->mod) % k->mod;
	return a - b;
}

static void chk_record(struct chk *k, uint64_t seq, const struct gwio_record *rec)
{
	struct chstate *c;
	uint32_t d;

	k->delivered++;
	if (rec->channel >= k->nch) {
		k->bad_chan++;
		chk_err(k, "seq %" PRIu64 ": channel %u", seq, rec->channel);
		return;
	}
	if (rec->kind != GWIO_KIND_SIM) {
		k->bad_kind++;
		chk_err(k, "seq %" PRIu64 ": kind %u", seq, rec->kind);
	}
	if (rec->flags & GWIO_REC_F_AFTER_DROP) {
		k->flags_after_drop++;
		k->last_flag_seq = seq;
		k->have_flag = 1;
		if (!k->dropnewest)
			k->odd_flags++;
	}
	if (rec->flags & ~GWIO_REC_F_AFTER_DROP)
		k->odd_flags++;
	c = &k->c[rec->channel];
	if (!c->have) {
		c->have = 1;
		c->first = rec->value;
		c->first_seq = seq;
	} else {
		d = vdelta(k, rec->value, c->last);
		if (d == 0) {
			k->dups++;
			chk_err(k, "ch %u: value %u twice (seq %" PRIu64 ", %" PRIu64 ")",
				rec->channel, rec->value, c->last_seq, seq);
		} else if (d > (k->mod ? k->mod / 2 : 1u << 31)) {
			k->backwards++;
			chk_err(k, "ch %u: value %u after %u (seq %" PRIu64 ")", rec->channel,
				rec->value, c->last, seq);
		} else {
			if (d > 1) {
				c->gaps += d - 1;
				k->gaps += d - 1;
				/* drop-newest: the first record stored after a run
				 * of drops carries AFTER_DROP, so one lies in
				 * (previous record of this channel, this one] */
				if (k->dropnewest &&
				    !(k->have_flag && k->last_flag_seq > c->last_seq)) {
					k->unflagged_gaps++;
					chk_err(k, "ch %u: %u missing before seq %" PRIu64
						   " and no AFTER_DROP since seq %" PRIu64,
						rec->channel, d - 1, seq, c->last_seq);
				}
			}
			if (rec->ts_ns > c->ts && rec->ts_ns - c->ts > c->max_dts) {
				c->max_dts = rec->ts_ns - c->ts;
				c->jump_ts = rec->ts_ns;
				c->jump_d = d;
			}
			if (rec->ts_ns <= c->ts) {
				k->bad_ts++;
				chk_err(k, "ch %u: ts %" PRIu64 " after %" PRIu64, rec->channel,
					(uint64_t)rec->ts_ns, c->ts);
			} else if (k->period_ns && rec->ts_ns - c->ts != (uint64_t)d * k->period_ns) {
				k->odd_spacing++;
			}
		}
	}
	c->last = rec->value;
	c->last_seq = seq;
	c->ts = rec->ts_ns;
	c->n++;
}

/* 0 when clean, else fails the test with the first problem. */
static int chk_verdict(struct chk *k, const char *what)
{
	if (k->first_err[0] || k->dups || k->backwards || k->bad_chan || k->bad_kind ||
	    k->unflagged_gaps || k->bad_ts) {
		fail("%s: %s (dups %" PRIu64 " backwards %" PRIu64 " unflagged gaps %" PRIu64
		     " bad ts %" PRIu64 " bad kind %" PRIu64 ")",
		     what, k->first_err, k->dups, k->backwards, k->unflagged_gaps, k->bad_ts,
		     k->bad_kind);
		return 1;
	}
	if (k->odd_flags)
		info("%s: %" PRIu64 " records with flags other than AFTER_DROP (or AFTER_DROP on an overwrite ring)",
		     what, k->odd_flags);
	if (k->odd_spacing)
		info("%s: %" PRIu64 " records whose ts is not value-delta * 1e9/rate after the last",
		     what, k->odd_spacing);
	return 0;
}

/* ------------------------------------------------------------------ */
/* reading batches                                                    */

#define BATCH 512

/*
 * drop-newest (abi.md "Memory ordering", consumer 1-3): acquire head, copy
 * tail..head, release tail + n.  Returns the records checked.
 */
static uint32_t read_dropnewest(struct ring *r, struct chk *k, uint32_t max)
{
	uint32_t h = ld_acq(&r->prod->head), n = h - r->tail, i;
	struct gwio_record buf[BATCH];

	if (n > r->count) {
		fail("drop-newest: head %u - tail %u = %u > record_count %u", h, r->tail, n,
		     r->count);
		r->tail = h;
		r->seq += n;
		st_rel(&r->cons->tail, h);
		return 0;
	}
	if (n > max)
		n = max;
	if (n > BATCH)
		n = BATCH;
	for (i = 0; i < n; i++)
		buf[i] = r->recs[(r->tail + i) & r->mask];
	r->tail += n;
	st_rel(&r->cons->tail, r->tail);
	for (i = 0; i < n; i++)
		chk_record(k, r->seq + i, &buf[i]);
	r->seq += n;
	return n;
}

/* a copy that may race with the producer rewriting the slot */
static void copy_racy(struct gwio_record *dst, const struct gwio_record *src)
{
	const uint32_t *s = (const uint32_t *)(const void *)src;
	uint32_t w[4];

	w[0] = ld_rlx(s);
	w[1] = ld_rlx(s + 1);
	w[2] = ld_rlx(s + 2);
	w[3] = ld_rlx(s + 3);
	memcpy(dst, w, sizeof(w));
}

/* is position a (mod 2^32) before b, both within a ring of each other */
static int before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * overwrite (abi.md "Overflow policies", consumer per batch): skip to the
 * newest of tail, head - record_count and oldest (counted lost), copy,
 * publish tail (release), full barrier, reload oldest and discard every
 * copy below it (lost).
 */
static uint32_t read_overwrite(struct ring *r, struct chk *k, uint32_t max, uint64_t *discarded)
{
	uint32_t h = ld_acq(&r->prod->head), o, start, n, i, bad;
	struct gwio_record buf[BATCH];

	start = r->tail;
	if ((uint32_t)(h - start) > r->count)
		start = h - r->count;
	o = ld_acq(&r->prod->oldest);
	/* DOC: "newest of" three positions modulo 2^32: an oldest that is
	 * not within a ring of head is ignored (never seen) */
	if ((uint32_t)(h - o) <= r->count && before(start, o))
		start = o;
	k->lost += start - r->tail;
	r->seq += start - r->tail;
	n = h - start;
	if (n > max)
		n = max;
	if (n > BATCH)
		n = BATCH;
	for (i = 0; i < n; i++)
		copy_racy(&buf[i], &r->recs[(start + i) & r->mask]);
	r->tail = start + n;
	st_rel(&r->cons->tail, r->tail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	o = ld_acq(&r->prod->oldest);
	bad = 0;
	if (before(start, o))
		bad = (uint32_t)(o - start) < n ? o - start : n;
	k->lost += bad;
	if (discarded)
		*discarded += bad;
	for (i = bad; i < n; i++)
		chk_record(k, r->seq + i, &buf[i]);
	r->seq += n;
	return n - bad;
}

static uint32_t read_batch(struct ring *r, struct chk *k, uint32_t max, uint64_t *discarded)
{
	return r->overwrite ? read_overwrite(r, k, max, discarded) : read_dropnewest(r, k, max);
}

static void start_dev(struct ring *r)
{
	if (ioctl(r->fd, GWIO_IOC_START))
		die("GWIO_IOC_START: %s", strerror(errno));
}

static void stop_dev(struct ring *r)
{
	if (ioctl(r->fd, GWIO_IOC_STOP))
		die("GWIO_IOC_STOP: %s", strerror(errno));
}

/*
 * Consume for SECONDS: read a batch, or poll() when there is none.
 * NAP_MS > 0 sleeps after every batch (a slow consumer: overruns).
 */
struct loopstats {
	uint64_t polls, poll_in, poll_timeouts, batches, discarded;
	uint64_t wm_violations;
	uint32_t min_unread_at_wake;
};

static void consume_loop(struct ring *r, struct chk *k, double seconds, unsigned nap_ms,
			 uint32_t watermark_check, struct loopstats *ls)
{
	double end = now_s() + seconds;
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

	ls->min_unread_at_wake = UINT32_MAX;
	while (now_s() < end) {
		uint32_t got = read_batch(r, k, BATCH, &ls->discarded);

		if (got || unread(r)) {
			ls->batches++;
			if (nap_ms)
				msleep(nap_ms);
			continue;
		}
		ls->polls++;
		/* poll timeout: an overwrite consumer that is lapped between
		 * its last batch and poll() is never readable (abi.md "A
		 * tail out of range"), so never sleep for long */
		int pr = poll(&pfd, 1, 200);

		if (pr < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pr == 0) {
			ls->poll_timeouts++;
			continue;
		}
		if (pr > 0 && (pfd.revents & POLLIN)) {
			uint32_t u = unread(r);

			ls->poll_in++;
			if (u < ls->min_unread_at_wake)
				ls->min_unread_at_wake = u;
			if (watermark_check && u < watermark_check)
				ls->wm_violations++;
		}
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			die("poll revents %#x", pfd.revents);
	}
}

/* after STOP: everything up to head (which no longer moves) */
static void drain(struct ring *r, struct chk *k, struct loopstats *ls)
{
	int i;

	for (i = 0; i < 100000 && unread(r); i++)
		read_batch(r, k, BATCH, &ls->discarded);
}

/* ------------------------------------------------------------------ */
/* tests                                                              */

static struct devinfo D0, D1;

static uint64_t events_sum(int dev, const struct devinfo *d, uint64_t *per)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < d->nch; i++) {
		uint64_t e = cget(dev, d->ch[i].label, "events");

		if (per)
			per[d->ch[i].index] = e;
		s += e;
	}
	return s;
}

/* reserved words must be zero (abi.md "Versioning") */
static int all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return 0;
	return 1;
}

static int test_info(void)
{
	struct ring r;
	struct counters c;
	char buf[64];
	const struct gwio_producer *p;
	int i;

	dev_setup(0, &D0, 4096, "drop-newest", 1000, 64, 10000);
	ring_open_or_die(&r, 0);
	p = r.prod;
	info("ABI %u.%u (built for %u.%u), page %u, %u records of %u, consumer map %" PRIu64
	     ", producer map %" PRIu64 ", data_offset %u, table %u x %u, channel_count %u, head %u oldest %u tail %u",
	     r.info.abi_major, r.info.abi_minor, GWIO_ABI_MAJOR, GWIO_ABI_MINOR, r.info.page_size,
	     r.count, r.info.record_size, (uint64_t)r.info.consumer_map_size,
	     (uint64_t)r.info.producer_map_size, p->data_offset, p->channel_table_offset,
	     p->channel_table_entries, r.info.channel_count, p->head, p->oldest, r.tail);
	CHECK(r.info.consumer_map_size == r.info.page_size, "consumer_map_size %" PRIu64 " != page",
	      (uint64_t)r.info.consumer_map_size);
	{
		uint64_t need = (uint64_t)p->data_offset + (uint64_t)r.count * r.info.record_size;
		uint64_t pg = r.info.page_size;

		CHECK(r.info.producer_map_size == (need + pg - 1) / pg * pg,
		      "producer_map_size %" PRIu64 " != data_offset + records (%" PRIu64
		      ") rounded up to a page",
		      (uint64_t)r.info.producer_map_size, need);
		CHECK(p->data_offset % pg == 0 && p->channel_table_offset % pg == 0,
		      "data_offset %u / channel table %u not on a page", p->data_offset,
		      p->channel_table_offset);
	}
	CHECK(r.info.producer_map_size % r.info.page_size == 0, "producer_map_size not whole pages");
	CHECK(r.count == dget(0, "ring_records"), "record_count %u, sysfs ring_records %" PRIu64,
	      r.count, dget(0, "ring_records"));
	CHECK(r.info.channel_count == (uint32_t)D0.nch, "channel_count %u, sysfs has %d channels",
	      r.info.channel_count, D0.nch);
	CHECK(all_zero(r.info.reserved, sizeof(r.info.reserved)), "gwio_info.reserved not zero");
	CHECK(all_zero(p->reserved0, sizeof(p->reserved0)), "producer reserved0 not zero");
	CHECK(all_zero(p->reserved1, sizeof(p->reserved1)), "producer reserved1 not zero");
	CHECK(all_zero(&p->reserved2, sizeof(p->reserved2)), "producer reserved2 not zero");
	CHECK(all_zero(p->reserved3, sizeof(p->reserved3)), "producer reserved3 not zero");
	CHECK(all_zero(r.cons->reserved, sizeof(r.cons->reserved)), "consumer reserved not zero");
	CHECK(p->overflow == GWIO_OVERFLOW_DROP_NEWEST, "overflow %u with sysfs drop-newest", p->overflow);
	dchoice(0, "clock", buf, sizeof(buf));
	CHECK(!strcmp(buf, "monotonic") && p->clock_id == CLOCK_MONOTONIC,
	      "sysfs clock %s, clock_id %d", buf, p->clock_id);
	CHECK(p->head == r.tail, "fresh ring: head %u tail %u", p->head, r.tail);
	read_counters(&r, &c);
	CHECK(!c.produced && !c.dropped && !c.overruns && !c.wakeups && !(c.seq & 1),
	      "fresh ring counters not zero (seq %u)", c.seq);
	/* the header's sizes and the mapped layout agree with the docs' table */
	CHECK((char *)&p->head - (char *)p == 64 && (char *)&p->stats_seq - (char *)p == 128,
	      "offsets");
	/* the consumer page: the rest of the mapping is ours too */
	for (i = 0; i < 3; i++)
		CHECK(ld_acq(&r.cons->tail) == r.tail, "tail moved");
	ring_close(&r);
	return 0;
}

static int test_channel_table(void)
{
	struct ring r;
	const struct gwio_channel_entry *t;
	char buf[64];
	unsigned i, valid = 0;
	int j;

	dev_setup(0, &D0, 4096, "drop-newest", 1000, 64, 10000);
	ring_open_or_die(&r, 0);
	if (!r.table)
		die("no channel table (channel_table_offset 0)");
	t = r.table;
	CHECK(r.prod->channel_table_entries == 256, "channel_table_entries %u (docs: 256)",
	      r.prod->channel_table_entries);
	for (i = 0; i < r.prod->channel_table_entries; i++) {
		if (!(t[i].flags & GWIO_CHANNEL_F_VALID)) {
			CHECK(t[i].flags == 0, "slot %u: flags %#x without VALID", i, t[i].flags);
			continue;
		}
		valid++;
		if (!memchr(t[i].label, 0, GWIO_LABEL_SIZE)) {
			fail("slot %u: label not NUL-terminated", i);
			continue;
		}
		CHECK(t[i].kind == GWIO_KIND_SIM, "slot %u (%s): kind %u", i, t[i].label, t[i].kind);
		for (j = 0; j < D0.nch; j++)
			if (!strcmp(D0.ch[j].label, t[i].label))
				break;
		if (j == D0.nch) {
			fail("slot %u: label '%s' not in sysfs channels/", i, t[i].label);
			continue;
		}
		CHECK(D0.ch[j].index == i, "'%s': table slot %u, sysfs index %u", t[i].label, i,
		      D0.ch[j].index);
		if (!sys_read(cpath(0, t[i].label, "type"), buf, sizeof(buf)))
			CHECK(!strcmp(buf, "sim"), "'%s': type %s", t[i].label, buf);
		if (!sys_read(cpath(0, t[i].label, "label"), buf, sizeof(buf)))
			CHECK(!strcmp(buf, t[i].label), "'%s': sysfs label %s", t[i].label, buf);
		CHECK(all_zero(&t[i].reserved0, 2) && all_zero(t[i].reserved1, 12),
		      "slot %u reserved not zero", i);
	}
	CHECK(valid == (unsigned)D0.nch, "%u valid slots, %d channels", valid, D0.nch);
	for (j = 0; j < D0.nch; j++)
		info("channel %u '%s'", D0.ch[j].index, D0.ch[j].label);
	ring_close(&r);
	return 0;
}

/*
 * The counter waveform: what value does a channel's first sample carry,
 * does "cycle" apply to it, what happens on re-enable?  sysfs.md only
 * says "counter = the sample's number, so gaps are visible".
 */
static int test_waveform(void)
{
	struct ring r;
	uint64_t ev0[MAXCH], ev1[MAXCH];
	struct gwio_record rec[64];
	uint32_t n = 0, h, i, maxv = 0;
	const char *l;
	double end;

	dev_setup(0, &D0, 4096, "drop-newest", 1000, 1, 0);
	l = D0.ch[0].label;
	for (i = 1; i < (uint32_t)D0.nch; i++)
		cset(0, D0.ch[i].label, "enable", 0);
	cset(0, l, "cycle", 10);
	events_sum(0, &D0, ev0);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	start_dev(&r);
	end = now_s() + 20;
	while (n < 40 && now_s() < end) {
		h = ld_acq(&r.prod->head);
		while (r.tail != h && n < 64) {
			rec[n++] = r.recs[r.tail & r.mask];
			r.tail++;
		}
		st_rel(&r.cons->tail, r.tail);
		msleep(5);
	}
	stop_dev(&r);
	events_sum(0, &D0, ev1);
	if (n < 40)
		die("only %u records in 20 s at 1000 Hz", n);
	for (i = 0; i < n; i++)
		if (rec[i].value > maxv)
			maxv = rec[i].value;
	info("channel '%s' (index %u), cycle 10: first values %u %u %u %u %u %u %u %u %u %u %u %u, "
	     "events before %" PRIu64 " after %" PRIu64 ", max value of %u: %u",
	     l, D0.ch[0].index, rec[0].value, rec[1].value, rec[2].value, rec[3].value,
	     rec[4].value, rec[5].value, rec[6].value, rec[7].value, rec[8].value, rec[9].value,
	     rec[10].value, rec[11].value, ev0[D0.ch[0].index], ev1[D0.ch[0].index], n, maxv);
	for (i = 0; i < n; i++)
		CHECK(rec[i].channel == D0.ch[0].index, "record of a disabled channel %u",
		      rec[i].channel);
	g_res->learned = 1;
	if (maxv < 10) {
		g_counter_mod = 10;
		g_res->counter_wraps = 1;
		info("DOC GAP: the counter waveform wraps at 'cycle' (sysfs.md says only 'the sample's number')");
	} else {
		g_counter_mod = 0;
		g_res->counter_wraps = 0;
		info("counter ignores 'cycle' (wraps at 2^32, presumably)");
	}
	for (i = 1; i < n; i++)
		if (g_counter_mod ? rec[i].value != (rec[i - 1].value + 1) % g_counter_mod
				  : rec[i].value != rec[i - 1].value + 1)
			break;
	CHECK(i == n, "values not consecutive at record %u: %u after %u", i, rec[i].value,
	      rec[i - 1].value);
	if (rec[0].value == (g_counter_mod ? ev0[D0.ch[0].index] % g_counter_mod : (uint32_t)ev0[D0.ch[0].index]))
		info("first value == the channel's events before START (numbering continues)");
	else if (rec[0].value == 0)
		info("first value 0 (numbering restarts)");
	else
		info("first value %u is neither 0 nor events (%" PRIu64 ")", rec[0].value,
		     ev0[D0.ch[0].index]);

	/* re-enable after a pause: numbering? ("starts from now without a backlog") */
	{
		uint32_t before, got = 0;

		msleep(50);
		h = ld_acq(&r.prod->head);
		before = r.recs[(h - 1) & r.mask].value;
		r.tail = h;
		st_rel(&r.cons->tail, h);
		struct timespec ts;
		uint64_t t_start;

		msleep(300);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t_start = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		start_dev(&r);
		end = now_s() + 20;
		while (!got && now_s() < end) {
			h = ld_acq(&r.prod->head);
			if (h != r.tail) {
				rec[0] = r.recs[r.tail & r.mask];
				got = 1;
			}
			msleep(5);
		}
		stop_dev(&r);
		if (got)
			info("after STOP, 300 ms, START: next value %u (last before %u, cycle 10), stamped %.6f s after START was called",
			     rec[0].value, before, (double)(int64_t)(rec[0].ts_ns - t_start) / 1e9);
		ring_flush(&r);
	}
	ring_close(&r);
	cset(0, l, "cycle", 1000000);
	return 0;
}

/*
 * The main exactness run.  POLICY, RECORDS, RATE per channel, NAP_MS
 * between batches, SECONDS.  Returns 0 on success.
 */
struct run_result {
	struct chk k;
	struct loopstats ls;
	struct counters c0, c1;
	uint64_t ev_sum0, ev_sum1;
	uint64_t ev0[MAXCH], ev1[MAXCH];
	uint32_t head0, head1;
	uint64_t seq0, seq1;
	uint64_t sys_produced, sys_dropped, sys_overruns, sys_wakeups;
};

static int run_exact(const char *policy, unsigned records, unsigned rate, unsigned nap_ms,
		     double seconds, unsigned watermark, unsigned timeout_us, struct run_result *res)
{
	struct ring r;
	struct chk *k = &res->k;
	int i, bad = 0;
	uint64_t lost_c = 0, inner = 0, d_prod, d_drop, d_over;

	memset(res, 0, sizeof(*res));
	dev_setup(0, &D0, records, policy, rate, watermark, timeout_us);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	chk_init(k, &r, r.info.channel_count, rate);
	read_counters(&r, &res->c0);
	res->ev_sum0 = events_sum(0, &D0, res->ev0);
	res->head0 = ld_acq(&r.prod->head);
	res->seq0 = r.seq;
	start_dev(&r);
	consume_loop(&r, k, seconds, nap_ms, timeout_us ? 0 : watermark, &res->ls);
	stop_dev(&r);
	msleep(50);
	drain(&r, k, &res->ls);
	res->head1 = ld_acq(&r.prod->head);
	res->seq1 = r.seq;
	read_counters(&r, &res->c1);
	res->ev_sum1 = events_sum(0, &D0, res->ev1);
	res->sys_produced = dget(0, "statistics/produced");
	res->sys_dropped = dget(0, "statistics/dropped");
	res->sys_overruns = dget(0, "statistics/overruns");
	res->sys_wakeups = dget(0, "statistics/wakeups");
	if (unread(&r))
		fail("%u unread after draining a stopped device", unread(&r));
	CHECK(dget(0, "statistics/unread") == 0, "sysfs unread %" PRIu64 " after drain",
	      dget(0, "statistics/unread"));
	ring_close(&r);

	bad |= chk_verdict(k, policy);
	d_prod = res->c1.produced - res->c0.produced;
	d_drop = res->c1.dropped - res->c0.dropped;
	d_over = res->c1.overruns - res->c0.overruns;
	info("%s ring %u, %d ch x %u Hz, nap %u ms, %.0f s: produced %" PRIu64 " delivered %" PRIu64
	     " lost %" PRIu64 " dropped %" PRIu64 " overruns %" PRIu64 " AFTER_DROP %" PRIu64
	     " wakeups %" PRIu64 " polls %" PRIu64 " (readable %" PRIu64 ", timed out %" PRIu64
	     ") discarded-after-copy %" PRIu64 " head %u..%u",
	     policy, records, D0.nch, rate, nap_ms, seconds, d_prod, k->delivered, k->lost, d_drop,
	     d_over, k->flags_after_drop, res->c1.wakeups - res->c0.wakeups, res->ls.polls,
	     res->ls.poll_in, res->ls.poll_timeouts, res->ls.discarded, res->head0, res->head1);

	/* the page's counters and sysfs agree once stopped */
	CHECK(res->sys_produced == res->c1.produced && res->sys_dropped == res->c1.dropped &&
		      res->sys_overruns == res->c1.overruns && res->sys_wakeups == res->c1.wakeups,
	      "page counters %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 " != sysfs %" PRIu64
	      "/%" PRIu64 "/%" PRIu64 "/%" PRIu64,
	      res->c1.produced, res->c1.dropped, res->c1.overruns, res->c1.wakeups,
	      res->sys_produced, res->sys_dropped, res->sys_overruns, res->sys_wakeups);
	/* events: "samples this channel took (offered to the ring, dropped or not)" */
	CHECK(res->ev_sum1 - res->ev_sum0 == d_prod,
	      "sum of channel events grew by %" PRIu64 ", produced by %" PRIu64,
	      res->ev_sum1 - res->ev_sum0, d_prod);
	CHECK((uint32_t)(res->seq1 - res->seq0) == (uint32_t)(res->head1 - res->head0),
	      "consumer passed %" PRIu64 " positions, head moved %u", res->seq1 - res->seq0,
	      res->head1 - res->head0);
	CHECK(k->delivered + k->lost == res->seq1 - res->seq0,
	      "delivered %" PRIu64 " + lost %" PRIu64 " != positions passed %" PRIu64,
	      k->delivered, k->lost, res->seq1 - res->seq0);
	for (i = 0; i < (int)k->nch; i++) {
		uint64_t e = res->ev1[i] - res->ev0[i];

		if (k->c[i].n > e) {
			fail("ch %d: %" PRIu64 " delivered, %" PRIu64 " events", i, k->c[i].n, e);
			continue;
		}
		lost_c += e - k->c[i].n;
		inner += k->c[i].gaps;
	}
	CHECK(inner <= lost_c, "gaps inside the channels' sequences %" PRIu64 " > missing %" PRIu64,
	      inner, lost_c);
	if (!strcmp(policy, "drop-newest")) {
		CHECK(k->lost == 0, "drop-newest consumer lost %" PRIu64 " positions", k->lost);
		/* produced = delivered + dropped + unread (0 now) */
		CHECK(d_prod == k->delivered + d_drop,
		      "produced %" PRIu64 " != delivered %" PRIu64 " + dropped %" PRIu64, d_prod,
		      k->delivered, d_drop);
		CHECK(lost_c == d_drop, "channels miss %" PRIu64 " samples, dropped %" PRIu64, lost_c,
		      d_drop);
		CHECK(k->flags_after_drop == d_over ||
			      (d_over && k->flags_after_drop == d_over - 1),
		      "AFTER_DROP %" PRIu64 " times, overruns %" PRIu64, k->flags_after_drop, d_over);
		CHECK(d_drop || !d_over, "overruns %" PRIu64 " without a drop", d_over);
	} else {
		/* every offered record gets a position */
		CHECK(d_prod == (uint32_t)(res->head1 - res->head0),
		      "produced %" PRIu64 ", head moved %u", d_prod, res->head1 - res->head0);
		CHECK(lost_c == k->lost, "channels miss %" PRIu64 ", consumer lost %" PRIu64, lost_c,
		      k->lost);
		CHECK(d_drop <= k->lost, "dropped %" PRIu64 " > lost %" PRIu64, d_drop, k->lost);
		CHECK(k->delivered + d_drop <= d_prod,
		      "delivered %" PRIu64 " + dropped %" PRIu64 " > produced %" PRIu64, k->delivered,
		      d_drop, d_prod);
		if (k->lost != d_drop)
			info("overwrite: lost - dropped = %" PRIu64 " (the documented race; %" PRIu64
			     " copies discarded after validation)",
			     k->lost - d_drop, res->ls.discarded);
		if (k->flags_after_drop)
			info("DOC GAP: %" PRIu64 " AFTER_DROP flags on an overwrite ring",
			     k->flags_after_drop);
	}
	if (watermark > 1 && !timeout_us)
		CHECK(res->ls.wm_violations == 0,
		      "%" PRIu64 " poll() wakeups with fewer than watermark %u unread (min %u)",
		      res->ls.wm_violations, watermark, res->ls.min_unread_at_wake);
	return bad || cur_failed;
}

static int test_dropnewest(void)
{
	struct run_result res;

	/* a big ring and a consumer that keeps up: ideally no loss at all */
	run_exact("drop-newest", 65536, 20000, 0, 4, 256, 0, &res);
	if (res.c1.dropped)
		info("the consumer did not keep up (%" PRIu64 " dropped): accounted, not lossless",
		     res.c1.dropped);
	CHECK(res.k.delivered > 1000, "only %" PRIu64 " records", res.k.delivered);
	CHECK(res.c1.wakeups > 0, "no wakeups counted after %" PRIu64 " readable polls",
	      res.ls.poll_in);
	return 0;
}

static int test_overrun_dropnewest(void)
{
	struct run_result res;

	run_exact("drop-newest", 256, 20000, 30, 4, 64, 5000, &res);
	CHECK(res.c1.dropped > 0, "a slow consumer of a 256 ring saw no drops");
	CHECK(res.k.flags_after_drop > 0, "no AFTER_DROP flag seen");
	return 0;
}

static int test_overwrite(void)
{
	struct run_result res;

	run_exact("overwrite", 256, 20000, 30, 4, 64, 5000, &res);
	CHECK(res.k.lost > 0, "a slow consumer of a 256 overwrite ring lost nothing");
	CHECK(res.k.delivered > 0, "nothing delivered");
	return 0;
}

/*
 * The documented maximum rate (10^7 Hz per channel): whatever the guest
 * manages, every sample must be accounted for, and the sim's own count
 * (events) says how close it came to rate_hz.
 */
static int test_highrate(void)
{
	struct run_result res;
	double t = now_s();
	uint64_t ev;

	struct timespec ts;
	uint64_t maxts = 0, now;
	unsigned i;

	uint64_t sk0 = 0, sk1 = 0;
	int j;
	double lag;

	dev_channels(0, &D0);
	for (j = 0; j < D0.nch; j++)
		sk0 += cget(0, D0.ch[j].label, "skipped");
	run_exact("overwrite", 65536, 10000000, 0, 6, 4096, 0, &res);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (j = 0; j < D0.nch; j++)
		sk1 += cget(0, D0.ch[j].label, "skipped");
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (i = 0; i < MAXCH; i++)
		if (res.k.c[i].have && res.k.c[i].ts > maxts)
			maxts = res.k.c[i].ts;
	t = now_s() - t;
	ev = res.ev_sum1 - res.ev_sum0;
	lag = (double)(int64_t)(now - maxts) / 1e9;
	info("newest record's ts %.3f s before clock_gettime after STOP; %" PRIu64
	     " records whose ts is not value-delta * 100 ns after their channel's last; skipped %" PRIu64,
	     lag, res.k.odd_spacing, sk1 - sk0);
	/* sysfs.md: a channel more than 1 s behind skips to now, so the
	 * stamps never fall further and further behind the clock (6 s of a
	 * rate no guest keeps up with; generous for a loaded host) */
	CHECK(lag < 3.0, "after 6 s at 4 x 10^7 Hz the newest stamp is %.2f s old (docs: < 1 s behind)",
	      lag);
	if (res.ev_sum1 - res.ev_sum0 < 6ull * 40000000u / 2)
		CHECK(sk1 > sk0, "the sim took %" PRIu64 " of 2.4e8 samples and skipped none",
		      res.ev_sum1 - res.ev_sum0);
	info("4 x 10^7 Hz asked: %" PRIu64 " samples in about %.1f s (%.2g per s), %" PRIu64
	     " records/s reached the ring",
	     ev, t, ev / t, (uint64_t)((res.head1 - res.head0) / t));
	return 0;
}

static int test_overwrite_fast(void)
{
	struct run_result res;

	/* overwrite, a consumer that keeps up: the validation must not
	 * discard anything it did not lose */
	run_exact("overwrite", 65536, 20000, 0, 3, 256, 0, &res);
	CHECK(res.k.delivered > 1000, "only %" PRIu64 " records", res.k.delivered);
	return 0;
}

/*
 * A channel disabled mid-run produces nothing; re-enabled, "it starts
 * from now without a backlog" (sysfs.md): its next sample is stamped
 * after the enable, and the accounting stays exact.
 */
static int channel_enable_at(unsigned rate)
{
	struct ring r;
	struct chk k;
	struct loopstats ls = { 0 };
	struct timespec ts;
	const char *l;
	unsigned idx;
	uint64_t ev_a, ev_b, n_before, t_enable, t_after, last_ts_before, period = 1000000000u / rate;
	double end;

	dev_setup(0, &D0, 65536, "drop-newest", rate, 16, 2000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	chk_init(&k, &r, r.info.channel_count, rate);
	l = D0.ch[1].label;
	idx = D0.ch[1].index;
	start_dev(&r);
	consume_loop(&r, &k, 0.5, 0, 0, &ls);
	cset(0, l, "enable", 0);
	msleep(20);
	consume_loop(&r, &k, 0.1, 0, 0, &ls);
	n_before = k.c[idx].n;
	last_ts_before = k.c[idx].ts;
	ev_a = cget(0, l, "events");
	consume_loop(&r, &k, 0.4, 0, 0, &ls);
	ev_b = cget(0, l, "events");
	CHECK(ev_a == ev_b, "disabled channel's events moved %" PRIu64 " -> %" PRIu64, ev_a, ev_b);
	CHECK(k.c[idx].n == n_before, "%" PRIu64 " records of the disabled channel",
	      k.c[idx].n - n_before);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t_enable = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	cset(0, l, "enable", 1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t_after = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	end = now_s() + 10;
	while (k.c[idx].n == n_before && now_s() < end)
		consume_loop(&r, &k, 0.05, 0, 0, &ls);
	CHECK(k.c[idx].n > n_before, "no record after re-enabling '%s'", l);
	consume_loop(&r, &k, 0.3, 0, 0, &ls);
	stop_dev(&r);
	drain(&r, &k, &ls);
	chk_verdict(&k, "channel enable");
	info("%u Hz: '%s' disabled about 0.5 s: last ts before %" PRIu64 ", enable written %" PRIu64
	     "..%" PRIu64 ", first ts after %" PRIu64 " (%+.6f s from the write; value step %u), %" PRIu64 " records after",
	     rate, l, last_ts_before, t_enable, t_after, k.c[idx].jump_ts,
	     (double)((int64_t)k.c[idx].jump_ts - (int64_t)t_enable) / 1e9, k.c[idx].jump_d,
	     k.c[idx].n - n_before);
	/* DOC: "from now" - the first sample comes somewhat before the enable
	 * was even asked for (about a millisecond under TCG): accept that
	 * much, as long as there is no backlog (nothing from the time it
	 * was off) */
	if (k.c[idx].jump_ts < t_enable)
		info("DOC GAP: at %u Hz the re-enabled channel's first record is stamped %" PRIu64
		     " ns before the enable was written ('starts from now')",
		     rate, t_enable - k.c[idx].jump_ts);
	CHECK(k.c[idx].jump_ts > last_ts_before + 300000000u &&
		      k.c[idx].jump_ts + 20000000u + period >= t_enable,
	      "re-enabled channel: first ts %" PRIu64 ", enable written at %" PRIu64 ", last before %" PRIu64
	      " (a backlog?)", k.c[idx].jump_ts, t_enable, last_ts_before);
	/* a slow guest may drop (accounted by the checker); the step is
	 * only meaningful without */
	if (dget(0, "statistics/dropped"))
		info("%u Hz: %" PRIu64 " dropped (a slow guest): the counter step is not checked", rate,
		     dget(0, "statistics/dropped"));
	else
		CHECK(k.c[idx].jump_d == 1, "re-enabled channel's counter stepped by %u",
		      k.c[idx].jump_d);
	ring_close(&r);
	return 0;
}

static int test_channel_enable(void)
{
	channel_enable_at(2000);
	channel_enable_at(20);
	channel_enable_at(20000);
	return 0;
}

/* stats_seq: readers during heavy updates see monotonic, consistent counters */
static int test_seqcount(void)
{
	struct ring r;
	struct counters a, b;
	struct chk k;
	uint64_t reads = 0, retries = 0, seq_changes = 0;
	uint32_t lastseq;
	double end;

	dev_setup(0, &D0, 256, "drop-newest", 50000, 64, 1000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	chk_init(&k, &r, r.info.channel_count, 50000);
	read_counters(&r, &a);
	lastseq = a.seq;
	start_dev(&r);
	end = now_s() + 3;
	while (now_s() < end) {
		read_counters(&r, &b);
		reads++;
		retries += b.retries;
		if (b.seq != lastseq)
			seq_changes++;
		lastseq = b.seq;
		if (b.produced < a.produced || b.dropped < a.dropped || b.overruns < a.overruns ||
		    b.wakeups < a.wakeups) {
			fail("counters went backwards: produced %" PRIu64 "->%" PRIu64
			     " dropped %" PRIu64 "->%" PRIu64,
			     a.produced, b.produced, a.dropped, b.dropped);
			break;
		}
		/* dropped <= produced and the ring holds the rest */
		if (b.dropped > b.produced) {
			fail("dropped %" PRIu64 " > produced %" PRIu64, b.dropped, b.produced);
			break;
		}
		if (b.overruns > b.dropped) {
			fail("overruns %" PRIu64 " > dropped %" PRIu64, b.overruns, b.dropped);
			break;
		}
		a = b;
		if (!(reads & 63))
			read_batch(&r, &k, 128, NULL); /* move along now and then */
	}
	stop_dev(&r);
	read_counters(&r, &b);
	CHECK(b.produced == dget(0, "statistics/produced") &&
		      b.dropped == dget(0, "statistics/dropped") &&
		      b.overruns == dget(0, "statistics/overruns"),
	      "page and sysfs disagree after stop");
	CHECK(seq_changes > 0 && b.produced > 0, "stats_seq never changed (%" PRIu64 " produced)",
	      b.produced);
	CHECK(!(b.seq & 1), "stats_seq %u odd on a stopped device", b.seq);
	info("%" PRIu64 " counter reads, %" PRIu64 " retries, stats_seq moved %" PRIu64
	     " times, produced %" PRIu64 " dropped %" PRIu64,
	     reads, retries, seq_changes, b.produced, b.dropped);
	ring_close(&r);
	return 0;
}

/*
 * The seqcount from a SCHED_FIFO reader on each CPU: how long can one
 * documented read (retry while odd or changed) take?  If the writer can
 * be preempted inside its odd window (PREEMPT_RT), a real-time reader
 * on its CPU spins until the writer gets the CPU back.
 */
static int test_seqcount_fifo(void)
{
	struct ring r;
	volatile uint64_t *out;
	int cpu, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), st;
	pid_t pid[8];

	if (ncpu > 8)
		ncpu = 8;
	out = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (out == MAP_FAILED)
		die("mmap");
	dev_setup(0, &D0, 256, "drop-newest", 50000, 64, 1000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	start_dev(&r);
	for (cpu = 0; cpu < ncpu; cpu++) {
		pid[cpu] = fork();
		if (pid[cpu] == 0) {
			cpu_set_t set;
			struct sched_param sp = { .sched_priority = 10 };
			struct counters c;
			double end = now_s() + 2, worst = 0, t;
			uint64_t calls = 0, worst_retries = 0, spins = 0;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set) ||
			    sched_setscheduler(0, SCHED_FIFO, &sp))
				_exit(2);
			while ((t = now_s()) < end) {
				read_counters(&r, &c);
				t = now_s() - t;
				calls++;
				spins += c.retries;
				if (t > worst)
					worst = t;
				if (c.retries > worst_retries)
					worst_retries = c.retries;
				/* hand the CPU back now and then: only the
				 * read itself must not take long */
				if (!(calls & 1023))
					msleep(1);
			}
			out[cpu * 4] = calls;
			out[cpu * 4 + 1] = spins;
			out[cpu * 4 + 2] = worst_retries;
			out[cpu * 4 + 3] = (uint64_t)(worst * 1e6);
			_exit(0);
		}
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		waitpid(pid[cpu], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			info("cpu %d: reader could not run SCHED_FIFO (status %#x)", cpu, st);
			continue;
		}
		info("SCHED_FIFO reader on cpu %d: %" PRIu64 " reads, %" PRIu64 " retries, worst %" PRIu64
		     " retries / %" PRIu64 " us in one read",
		     cpu, out[cpu * 4], out[cpu * 4 + 1], out[cpu * 4 + 2], out[cpu * 4 + 3]);
	}
	stop_dev(&r);
	ring_close(&r);
	munmap((void *)out, 4096);
	return 0;
}

/* timestamps: in the ring's clock, per channel increasing, not in the future */
static int test_clock(void)
{
	static const struct {
		const char *name;
		clockid_t id;
	} clocks[] = {
		{ "boottime", CLOCK_BOOTTIME },
		{ "realtime", CLOCK_REALTIME },
		{ "tai", CLOCK_TAI },
		{ "monotonic", CLOCK_MONOTONIC },
	};
	unsigned i;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct ring r;
		struct chk k;
		struct loopstats ls = { 0 };
		struct timespec ts;
		uint64_t now, first_ts = 0, last_ts = 0;
		int j, e;

		dev_setup(0, &D0, 4096, "drop-newest", 1000, 16, 10000);
		e = sys_write(dpath(0, "clock"), clocks[i].name);
		if (e) {
			fail("clock %s: %s", clocks[i].name, strerror(e));
			continue;
		}
		ring_open_or_die(&r, 0);
		CHECK(r.prod->clock_id == clocks[i].id, "clock %s: clock_id %d", clocks[i].name,
		      r.prod->clock_id);
		ring_flush(&r);
		chk_init(&k, &r, r.info.channel_count, 1000);
		start_dev(&r);
		/* a change is EBUSY while enabled; the current value is no change */
		e = sys_write(dpath(0, "clock"),
			      clocks[i].id == CLOCK_MONOTONIC ? "boottime" : "monotonic");
		CHECK(e == EBUSY, "clock changed while enabled: %s", e ? strerror(e) : "accepted");
		e = sys_write(dpath(0, "clock"), clocks[i].name);
		CHECK(e == 0, "current clock written while enabled: %s", strerror(e));
		e = sys_write(dpath(0, "overflow"), "overwrite");
		CHECK(e == EBUSY, "overflow written while enabled: %s", e ? strerror(e) : "accepted");
		consume_loop(&r, &k, 0.5, 0, 0, &ls);
		stop_dev(&r);
		drain(&r, &k, &ls);
		clock_gettime(clocks[i].id, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		for (j = 0; j < (int)k.nch; j++) {
			if (!k.c[j].have)
				continue;
			if (k.c[j].ts > last_ts)
				last_ts = k.c[j].ts;
		}
		/* re-derive the first one from the checker's per channel state is
		 * not possible; use the last: it must not be in the future, and
		 * (scheduled time) it must be within the run */
		first_ts = now > 60ull * 1000000000u ? now - 60ull * 1000000000u : 0;
		chk_verdict(&k, clocks[i].name);
		CHECK(k.delivered > 0, "clock %s: no records", clocks[i].name);
		CHECK(last_ts <= now && last_ts > first_ts,
		      "clock %s: last ts %" PRIu64 ", clock_gettime %" PRIu64, clocks[i].name, last_ts,
		      now);
		info("clock %s: %" PRIu64 " records, last ts %" PRIu64 " ns before clock_gettime",
		     clocks[i].name, k.delivered, now - last_ts);
		ring_close(&r);
	}
	return 0;
}

/* mmap and mprotect misuse (abi.md "Why two mappings") */
static sigjmp_buf jb;
static volatile sig_atomic_t got_sig;

static void on_fault(int sig)
{
	got_sig = sig;
	siglongjmp(jb, 1);
}

/* 0: reading *p worked; else the signal */
static int probe_read(const volatile uint32_t *p, uint32_t *out)
{
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		*out = *p;
		return 0;
	}
	return got_sig;
}

static int probe_write(volatile uint32_t *p, uint32_t v)
{
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		*p = v;
		return 0;
	}
	return got_sig;
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "success";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case ENOTTY: return "ENOTTY";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case ENODEV: return "ENODEV";
	case ERANGE: return "ERANGE";
	case ENXIO: return "ENXIO";
	default: return strerror(e);
	}
}

static int try_mmap(int fd, size_t len, int prot, int flags, off_t off, void **out)
{
	void *m = mmap(NULL, len, prot, flags, fd, off);

	if (m == MAP_FAILED)
		return errno;
	if (out)
		*out = m;
	else
		munmap(m, len);
	return 0;
}

static int test_mmap_misuse(void)
{
	struct ring r;
	long pg = sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_handler = on_fault };
	void *m = NULL;
	int e, fd;
	uint32_t v;
	size_t plen;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	dev_setup(0, &D0, 4096, "drop-newest", 1000, 64, 10000);
	ring_open_or_die(&r, 0);
	plen = r.prod_len;

	e = try_mmap(r.fd, plen, PROT_READ | PROT_WRITE, MAP_SHARED, pg * GWIO_PRODUCER_PGOFF, NULL);
	CHECK(e == EPERM, "writable shared producer mapping: %s (docs: EPERM)", errname(e));
	e = try_mmap(r.fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, pg * GWIO_PRODUCER_PGOFF, NULL);
	CHECK(e == EPERM, "writable shared producer page alone: %s (docs: EPERM)", errname(e));

	e = try_mmap(r.fd, plen, PROT_READ, MAP_SHARED, pg * GWIO_PRODUCER_PGOFF, &m);
	if (e) {
		fail("read-only producer mapping: %s", errname(e));
	} else {
		if (mprotect(m, plen, PROT_READ | PROT_WRITE) == 0) {
			fail("mprotect(PROT_WRITE) of the producer mapping succeeded");
			if (!probe_write((uint32_t *)m + 16, 0xdeadbeef))
				fail("and head was writable");
		} else {
			e = errno;
			/* DOC: "refuses a writable mapping (EPERM), as well as
			 * mprotect() to writable later (VM_MAYWRITE is
			 * cleared)": which errno? mm answers EACCES for a
			 * missing VM_MAYWRITE. */
			info("mprotect(PROT_READ|PROT_WRITE) on the producer mapping: %s", errname(e));
			CHECK(e == EACCES || e == EPERM, "mprotect writable: %s", errname(e));
		}
		CHECK(probe_read(m, &v) == 0 && v == GWIO_MAGIC, "producer mapping unreadable");
		CHECK(probe_write(m, 1) != 0, "producer page writable through a PROT_READ mapping");
		munmap(m, plen);
	}
	/* DOC: MAP_PRIVATE + PROT_WRITE (copy-on-write) is not mentioned */
	e = try_mmap(r.fd, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, pg * GWIO_PRODUCER_PGOFF, &m);
	info("MAP_PRIVATE|PROT_WRITE of the producer page: %s", errname(e));
	if (!e) {
		/* a private copy: writing must not reach the kernel's page */
		uint32_t h0 = ld_acq(&r.prod->head);

		probe_write((uint32_t *)m + 16, h0 + 12345);
		CHECK(ld_acq(&r.prod->head) == h0, "a MAP_PRIVATE write reached the shared head");
		munmap(m, pg);
	}
	e = try_mmap(r.fd, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, pg * GWIO_CONSUMER_PGOFF, &m);
	CHECK(e == EINVAL, "MAP_PRIVATE|PROT_WRITE of the consumer page: %s (abi.md: EINVAL)",
	      errname(e));
	if (!e) {
		/* DOC: abi.md never says MAP_SHARED; does a private mapping's
		 * tail reach the kernel? */
		uint32_t t0 = ld_acq(&r.cons->tail);

		probe_write(m, t0 + 4242);
		info("a store to tail through it %s the shared page (tail %u -> %u)",
		     ld_acq(&r.cons->tail) == t0 + 4242 ? "reaches" : "does not reach", t0,
		     ld_acq(&r.cons->tail));
		st_rel(&r.cons->tail, t0);
		munmap(m, pg);
	}

	/* any other offset, an oversized length: EINVAL */
	e = try_mmap(r.fd, pg, PROT_READ, MAP_SHARED, pg * 2, NULL);
	CHECK(e == EINVAL, "mmap at page offset 2: %s (docs: EINVAL)", errname(e));
	e = try_mmap(r.fd, pg, PROT_READ, MAP_SHARED, (off_t)pg * 1000, NULL);
	CHECK(e == EINVAL, "mmap at page offset 1000: %s (docs: EINVAL)", errname(e));
	e = try_mmap(r.fd, pg, PROT_READ, MAP_SHARED, (off_t)(pg * GWIO_PRODUCER_PGOFF + plen), NULL);
	CHECK(e == EINVAL, "mmap just past the producer mapping: %s (docs: EINVAL)", errname(e));
	e = try_mmap(r.fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0, NULL);
	CHECK(e == EINVAL, "consumer mapping of 2 pages: %s (docs: EINVAL)", errname(e));
	e = try_mmap(r.fd, plen + pg, PROT_READ, MAP_SHARED, pg * GWIO_PRODUCER_PGOFF, NULL);
	CHECK(e == EINVAL, "producer mapping one page too long: %s (docs: EINVAL)", errname(e));
	/* DOC: shorter producer mappings are not mentioned (the header page alone) */
	e = try_mmap(r.fd, pg, PROT_READ, MAP_SHARED, pg * GWIO_PRODUCER_PGOFF, NULL);
	info("producer mapping of only its first page: %s", errname(e));
	e = try_mmap(r.fd, pg, PROT_READ, MAP_SHARED, pg * GWIO_CONSUMER_PGOFF, NULL);
	info("read-only consumer page mapping: %s", errname(e));
	e = try_mmap(r.fd, pg, PROT_READ, MAP_PRIVATE, pg * GWIO_CONSUMER_PGOFF, NULL);
	info("read-only MAP_PRIVATE consumer page mapping: %s", errname(e));

	/* mremap growing the consumer mapping must not reach the producer's pages */
	e = try_mmap(r.fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &m);
	if (!e) {
		void *g = mremap(m, pg, 2 * pg, MREMAP_MAYMOVE);

		if (g == MAP_FAILED) {
			info("mremap of the consumer page to 2 pages: %s", errname(errno));
			munmap(m, pg);
		} else {
			uint32_t *second = (uint32_t *)((char *)g + pg);
			int s = probe_read(second, &v);

			info("mremap of the consumer page to 2 pages succeeded; reading the 2nd page: %s",
			     s ? strsignal(s) : "works");
			if (!s) {
				uint32_t h0 = ld_acq(&r.prod->head);

				if (!probe_write(second + 16, h0 + 777) &&
				    ld_acq(&r.prod->head) == h0 + 777)
					fail("mremap'd consumer mapping writes the producer's head");
				else if (v == GWIO_MAGIC)
					fail("mremap'd consumer mapping shows the producer page");
			}
			munmap(g, 2 * pg);
		}
	}
	e = try_mmap(r.fd, plen, PROT_READ, MAP_SHARED, pg * GWIO_PRODUCER_PGOFF, &m);
	if (!e) {
		void *g = mremap(m, plen, plen + pg, MREMAP_MAYMOVE);

		if (g == MAP_FAILED) {
			info("mremap of the producer mapping one page longer: %s", errname(errno));
			munmap(m, plen);
		} else {
			int s = probe_read((uint32_t *)((char *)g + plen), &v);

			info("mremap of the producer mapping one page longer succeeded; the extra page: %s",
			     s ? strsignal(s) : "readable");
			CHECK(s != 0, "mremap'd producer mapping reads beyond the ring");
			munmap(g, plen + pg);
		}
	}
	ring_close(&r);

	/* an O_RDONLY file: the consumer page cannot be shared writable */
	fd = open("/dev/gwio0", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		info("open O_RDONLY: %s", errname(errno));
	} else {
		e = try_mmap(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, 0, NULL);
		info("O_RDONLY file: writable consumer mapping %s", errname(e));
		CHECK(e == EACCES, "O_RDONLY file, writable shared mapping: %s", errname(e));
		e = try_mmap(fd, plen, PROT_READ, MAP_SHARED, pg * GWIO_PRODUCER_PGOFF, NULL);
		CHECK(e == 0, "O_RDONLY file, read-only producer mapping: %s", errname(e));
		close(fd);
	}
	return 0;
}

/* one consumer: EBUSY until the file and its mappings are gone */
static int test_exclusive(void)
{
	struct ring r;
	int fd, e;
	void *m;
	long pg = sysconf(_SC_PAGESIZE);

	dev_setup(0, &D0, 4096, "drop-newest", 1000, 64, 10000);
	ring_open_or_die(&r, 0);
	fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
	CHECK(fd < 0 && errno == EBUSY, "second open: %s", fd < 0 ? errname(errno) : "succeeded");
	if (fd >= 0)
		close(fd);
	fd = open("/dev/gwio0", O_RDONLY | O_CLOEXEC);
	CHECK(fd < 0 && errno == EBUSY, "second open O_RDONLY: %s",
	      fd < 0 ? errname(errno) : "succeeded");
	if (fd >= 0)
		close(fd);
	/* the other device is independent */
	fd = open("/dev/gwio1", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "gwio1 while gwio0 open: %s", errname(errno));
	if (fd >= 0)
		close(fd);
	/* ring_records: EBUSY while mapped */
	e = sys_write(dpath(0, "ring_records"), "8192");
	CHECK(e == EBUSY, "ring_records while mapped: %s", errname(e));
	/* overflow/clock while stopped but mapped: docs allow it
	 * ("while the device is stopped"), the header says geometry is fixed
	 * for the life of a mapping */
	/* overflow and clock: EBUSY while mapped too (consumers cache them) */
	e = sys_write(dpath(0, "overflow"), "overwrite");
	CHECK(e == EBUSY && ld_acq(&r.prod->overflow) == GWIO_OVERFLOW_DROP_NEWEST,
	      "overflow=overwrite while stopped and mapped: %s, page overflow %u", errname(e),
	      ld_acq(&r.prod->overflow));
	if (!e)
		sys_write(dpath(0, "overflow"), "drop-newest");
	e = sys_write(dpath(0, "clock"), "boottime");
	CHECK(e == EBUSY && r.prod->clock_id == CLOCK_MONOTONIC,
	      "clock=boottime while stopped and mapped: %s, page clock_id %d", errname(e),
	      r.prod->clock_id);
	if (!e)
		sys_write(dpath(0, "clock"), "monotonic");
	/* DOC: "writing the current value changes nothing": EBUSY or 0? */
	e = sys_write(dpath(0, "overflow"), "drop-newest");
	info("writing the current overflow while mapped: %s", errname(e));

	/* close the file, keep the mappings */
	m = r.cons;
	close(r.fd);
	r.fd = -1;
	fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
	CHECK(fd < 0 && errno == EBUSY, "open with the last file closed but mapped: %s",
	      fd < 0 ? errname(errno) : "succeeded");
	if (fd >= 0)
		close(fd);
	e = sys_write(dpath(0, "ring_records"), "8192");
	CHECK(e == EBUSY, "ring_records while mapped (file closed): %s", errname(e));
	e = sys_write(dpath(0, "overflow"), "overwrite");
	CHECK(e == EBUSY, "overflow while mapped (file closed): %s", errname(e));
	/* the mapping still works */
	CHECK(ld_acq(&r.prod->magic) == GWIO_MAGIC, "mapping after close");
	munmap(r.prod, r.prod_len);
	r.prod = NULL;
	fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
	CHECK(fd < 0 && errno == EBUSY, "open with only the consumer page mapped: %s",
	      fd < 0 ? errname(errno) : "succeeded");
	if (fd >= 0)
		close(fd);
	munmap(m, pg);
	r.cons = NULL;
	fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open after the last mapping went: %s", errname(errno));
	if (fd >= 0)
		close(fd);
	e = sys_write(dpath(0, "ring_records"), "8192");
	CHECK(e == 0, "ring_records with nothing mapped: %s", errname(e));

	/* the same with fork: the child's inherited mapping keeps it busy */
	ring_open_or_die(&r, 0);
	{
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			close(r.fd);
			msleep(500);
			_exit(ld_acq(&r.prod->magic) == GWIO_MAGIC ? 0 : 1);
		}
		ring_close(&r);
		fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
		CHECK(fd < 0 && errno == EBUSY, "open while a child maps it: %s",
		      fd < 0 ? errname(errno) : "succeeded");
		if (fd >= 0)
			close(fd);
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child's mapping");
		fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
		CHECK(fd >= 0, "open after the child exited: %s", errname(errno));
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int test_ioctl(void)
{
	struct ring r;
	struct gwio_info gi;
	uint32_t h1, h2;
	int e;
	char buf[16];

	dev_setup(0, &D0, 4096, "drop-newest", 2000, 64, 10000);
	ring_open_or_die(&r, 0);
	CHECK(dget(0, "enable") == 0, "enable not 0 after setup");
	start_dev(&r);
	CHECK(dget(0, "enable") == 1, "sysfs enable %" PRIu64 " after START", dget(0, "enable"));
	e = ioctl(r.fd, GWIO_IOC_START);
	info("START while started: %s", e ? errname(errno) : "success");
	msleep(200);
	h1 = ld_acq(&r.prod->head);
	CHECK(h1 != r.tail, "no records 200 ms after START");
	/* FLUSH: tail = head */
	if (ioctl(r.fd, GWIO_IOC_FLUSH))
		fail("FLUSH: %s", errname(errno));
	h2 = ld_acq(&r.prod->head);
	r.tail = ld_acq(&r.cons->tail);
	CHECK((uint32_t)(h2 - r.tail) <= h2 - h1 && (uint32_t)(r.tail - h1) <= h2 - h1,
	      "after FLUSH tail %u, head was %u..%u", r.tail, h1, h2);
	stop_dev(&r);
	CHECK(dget(0, "enable") == 0, "sysfs enable %" PRIu64 " after STOP", dget(0, "enable"));
	e = ioctl(r.fd, GWIO_IOC_STOP);
	info("STOP while stopped: %s", e ? errname(errno) : "success");
	h1 = ld_acq(&r.prod->head);
	msleep(300);
	h2 = ld_acq(&r.prod->head);
	CHECK(h1 == h2, "head moved %u after STOP returned", h2 - h1);
	/* sysfs enable and the ioctls are the same switch */
	dset(0, "enable", "1");
	msleep(100);
	CHECK(ld_acq(&r.prod->head) != h2, "no records after sysfs enable=1");
	e = ioctl(r.fd, GWIO_IOC_STOP);
	CHECK(e == 0 && dget(0, "enable") == 0, "STOP after sysfs enable");
	/* FLUSH on a stopped ring empties it */
	if (ioctl(r.fd, GWIO_IOC_FLUSH))
		fail("FLUSH: %s", errname(errno));
	CHECK(ld_acq(&r.cons->tail) == ld_acq(&r.prod->head), "stopped, flushed: tail %u head %u",
	      ld_acq(&r.cons->tail), ld_acq(&r.prod->head));
	CHECK(dget(0, "statistics/unread") == 0, "unread after FLUSH");

	/* DOC: none of these are documented; the usual answers */
	e = ioctl(r.fd, _IO(GWIO_IOC_MAGIC, 0x7f));
	info("unknown ioctl 'G' 0x7f: %s", e ? errname(errno) : "success");
	CHECK(e < 0 && errno == ENOTTY, "unknown ioctl: %s", e ? errname(errno) : "success");
	/* the 1.x letter: ENOTTY (abi.md, 1.x -> 2.0) */
	e = ioctl(r.fd, _IOR('G', 0x01, struct gwio_info), &gi);
	CHECK(e < 0 && errno == ENOTTY, "ABI 1.x GWIO_IOC_INFO ('G'): %s", e ? errname(errno) : "success");
	e = ioctl(r.fd, _IO('X', 0x01));
	CHECK(e < 0 && errno == ENOTTY, "foreign ioctl: %s", e ? errname(errno) : "success");
	e = ioctl(r.fd, GWIO_IOC_INFO, NULL);
	info("INFO to NULL: %s", e ? errname(errno) : "success");
	CHECK(e < 0 && errno == EFAULT, "INFO to NULL: %s", e ? errname(errno) : "success");
	e = ioctl(r.fd, _IOR(GWIO_IOC_MAGIC, 0x01, uint32_t), buf);
	info("INFO with a 4-byte size in the command: %s", e ? errname(errno) : "success");
	e = ioctl(r.fd, GWIO_IOC_INFO, &gi);
	CHECK(e == 0 && gi.record_count == r.count && gi.abi_major == GWIO_ABI_MAJOR, "INFO again");
	ring_close(&r);
	return 0;
}

/* read(): the fallback */
static int test_read(void)
{
	struct ring r;
	struct gwio_record buf[256];
	struct chk k;
	ssize_t n;
	int fd, flags = 0, e, i;
	uint32_t lastv = 0;
	uint64_t got = 0;
	void *bad;

	dev_setup(0, &D0, 4096, "drop-newest", 2000, 8, 5000);
	/* read() without mapping anything */
	fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open: %s", errname(errno));
	/* DOC: O_NONBLOCK is not mentioned; in a child, in case it blocks */
	{
		pid_t pid;
		int st;

		flags = fcntl(fd, F_GETFL);
		pid = fork();
		if (pid == 0) {
			alarm(3);
			fcntl(fd, F_SETFL, flags | O_NONBLOCK);
			n = read(fd, buf, sizeof(buf));
			_exit(n < 0 ? (errno == EAGAIN ? 0 : 1) : 2);
		}
		waitpid(pid, &st, 0);
		/* the file status flags are the open file's, shared with the child */
		fcntl(fd, F_SETFL, flags);
		info("O_NONBLOCK read() on an empty, stopped ring: %s",
		     WIFSIGNALED(st) ? "blocks (O_NONBLOCK ignored)" :
		     WEXITSTATUS(st) == 0 ? "EAGAIN" :
		     WEXITSTATUS(st) == 1 ? "another error" : "returned data");
		pid = fork();
		if (pid == 0) {
			alarm(3);
			n = read(fd, buf, 15);
			_exit(n < 0 ? (errno == EINVAL ? 0 : 1) : 2);
		}
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "read() of 15 bytes on a stopped ring: %s (docs: EINVAL)",
		      WIFSIGNALED(st) ? "blocks" : WEXITSTATUS(st) == 1 ? "another error" : "returned data");
	}
	if (ioctl(fd, GWIO_IOC_START))
		die("START");
	n = read(fd, buf, 15);
	CHECK(n < 0 && errno == EINVAL, "read of 15 bytes: %s", n < 0 ? errname(errno) : "succeeded");
	/* a partial record length: whole records only */
	n = read(fd, buf, 16 * 3 + 5);
	CHECK(n > 0 && n % 16 == 0 && n <= 48, "read of 53 bytes returned %zd", n);
	/* a buffer that faults: EFAULT, and no record lost */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < 30; i++) {
		if (i == 10) {
			n = read(fd, bad, 4096);
			CHECK(n < 0 && errno == EFAULT, "read into PROT_NONE: %s",
			      n < 0 ? errname(errno) : "succeeded");
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			fail("read: %s", errname(errno));
			break;
		}
		if (n % 16) {
			fail("read returned %zd (not whole records)", n);
			break;
		}
		for (int j = 0; j < n / 16; j++) {
			if (buf[j].channel != D0.ch[0].index && D0.nch > 0)
				continue;
			if (got && buf[j].value != lastv + 1 && !(buf[j].flags & GWIO_REC_F_AFTER_DROP))
				fail("channel %u: %u after %u across read()s (EFAULT at read 10)",
				     buf[j].channel, buf[j].value, lastv);
			lastv = buf[j].value;
			got++;
		}
	}
	munmap(bad, 4096);
	if (ioctl(fd, GWIO_IOC_STOP))
		die("STOP");
	CHECK(dget(0, "statistics/dropped") == 0, "drops while reading a 2 kHz device");
	info("read(): %" PRIu64 " records of channel %u", got, D0.ch[0].index);
	close(fd);

	/* EBUSY for ring_records while a read() sleeps */
	fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open again: %s", errname(errno));
	if (ioctl(fd, GWIO_IOC_FLUSH))
		die("FLUSH: %s", errname(errno));
	{
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			alarm(10);
			n = read(fd, buf, sizeof(buf)); /* stopped: sleeps */
			_exit(0);
		}
		msleep(300);
		e = sys_write(dpath(0, "ring_records"), "8192");
		CHECK(e == EBUSY, "ring_records while read() sleeps: %s", errname(e));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		CHECK(WIFSIGNALED(st), "read() sleeper did not die of SIGKILL");
	}
	close(fd);
	(void)k;
	(void)r;
	return 0;
}

/*
 * read() as the only consumer, under both policies, slow, with buffers
 * of every size and some that fault half-way: never a duplicate, and the
 * counters add up (abi.md "Waiting": a fault costs no record; under
 * overwrite tail is put back).
 */
static int read_consumer(const char *policy, unsigned nap_ms)
{
	struct gwio_record *buf;
	struct chk k;
	struct ring fake = { 0 };
	long pg = sysconf(_SC_PAGESIZE);
	char *area;
	int fd, flags, i;
	uint64_t ev0[MAXCH], ev1[MAXCH], seq = 0, faults = 0, partial = 0, reads = 0;
	uint64_t p0, p1, d0, d1, r0, r1, rl0, rl1, lost_c = 0, efault_with_room = 0;
	double end;

	dev_setup(0, &D0, 1024, policy, 10000, 32, 2000);
	fd = open("/dev/gwio0", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open: %s", errname(errno));
	/* 16 pages of buffer, then a PROT_NONE page */
	area = mmap(NULL, 17 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || mprotect(area + 16 * pg, pg, PROT_NONE))
		die("buffer: %s", errname(errno));
	fake.overwrite = !strcmp(policy, "overwrite");
	chk_init(&k, &fake, (uint32_t)D0.nch, 10000);
	p0 = dget(0, "statistics/produced");
	d0 = dget(0, "statistics/dropped");
	r0 = dget(0, "statistics/tail_resets");
	rl0 = dget(0, "statistics/read_lost");
	events_sum(0, &D0, ev0);
	if (ioctl(fd, GWIO_IOC_START))
		die("START: %s", errname(errno));
	end = now_s() + 3;
	while (now_s() < end) {
		size_t want = 16 * (1 + rnd() % 256);
		ssize_t n;

		reads++;
		if (reads % 8 == 0) {
			/* the last few records' room runs into the PROT_NONE page */
			unsigned ok = rnd() % 4;

			buf = (void *)(area + 16 * pg - 16 * ok);
			want = 16 * (ok + 1 + rnd() % 64);
			n = read(fd, buf, want);
			if (n < 0 && errno == EFAULT) {
				/* DOC: "EFAULT (or the count already copied)":
				 * whole records before the bad page count as
				 * copied, or not? */
				if (ok)
					efault_with_room++;
				faults++;
				continue;
			}
			if (n < 0)
				die("read: %s", errname(errno));
			CHECK((size_t)n <= 16 * ok, "%zd bytes into %u records of room", n, ok);
			if ((size_t)n < want)
				partial++;
		} else {
			buf = (void *)(area + 16 * pg - want);
			n = read(fd, buf, want);
			if (n < 0)
				die("read: %s", errname(errno));
		}
		if (n % 16)
			die("read returned %zd, not whole records", n);
		for (i = 0; i < n / 16; i++)
			chk_record(&k, seq++, &buf[i]);
		if (nap_ms)
			msleep(nap_ms);
	}
	if (ioctl(fd, GWIO_IOC_STOP))
		die("STOP: %s", errname(errno));
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	buf = (void *)area;
	for (;;) {
		ssize_t n = read(fd, buf, 16 * pg);

		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			die("draining read: %s", n ? errname(errno) : "0");
		for (i = 0; i < n / 16; i++)
			chk_record(&k, seq++, &buf[i]);
	}
	p1 = dget(0, "statistics/produced");
	d1 = dget(0, "statistics/dropped");
	r1 = dget(0, "statistics/tail_resets");
	rl1 = dget(0, "statistics/read_lost");
	events_sum(0, &D0, ev1);
	close(fd);
	/* an honest read() consumer is never "hostile" */
	CHECK(r1 == r0, "%s: read() alone counted %" PRIu64 " tail resets", policy, r1 - r0);
	munmap(area, 17 * pg);
	chk_verdict(&k, policy);
	for (i = 0; i < D0.nch; i++)
		lost_c += ev1[i] - ev0[i] - k.c[i].n;
	info("read() %s, nap %u: %" PRIu64 " reads (%" PRIu64 " EFAULT, %" PRIu64
	     " short at the bad page), produced %" PRIu64 " delivered %" PRIu64 " dropped %" PRIu64
	     " channel gaps %" PRIu64 " AFTER_DROP %" PRIu64 " read_lost %" PRIu64,
	     policy, nap_ms, reads, faults, partial, p1 - p0, k.delivered, d1 - d0, k.gaps,
	     k.flags_after_drop, rl1 - rl0);
	CHECK(k.delivered > 0, "nothing read");
	if (efault_with_room)
		info("%" PRIu64 " EFAULTs although whole records fitted before the bad page",
		     efault_with_room);
	if (!fake.overwrite) {
		/* drop-newest: a fault costs nothing */
		CHECK(rl1 == rl0, "drop-newest: read_lost %" PRIu64, rl1 - rl0);
		CHECK(p1 - p0 == k.delivered + (d1 - d0), "produced %" PRIu64 " != delivered %" PRIu64
		      " + dropped %" PRIu64, p1 - p0, k.delivered, d1 - d0);
		CHECK(lost_c == d1 - d0, "channels miss %" PRIu64 ", dropped %" PRIu64, lost_c, d1 - d0);
	} else {
		CHECK(k.delivered + (d1 - d0) <= p1 - p0, "delivered %" PRIu64 " + dropped %" PRIu64
		      " > produced %" PRIu64, k.delivered, d1 - d0, p1 - p0);
		/* overwrite: a faulting read() loses its batch (at most 16
		 * records), counted in read_lost */
		CHECK(d1 - d0 + (rl1 - rl0) <= lost_c, "dropped %" PRIu64 " + read_lost %" PRIu64
		      " > missing %" PRIu64, d1 - d0, rl1 - rl0, lost_c);
		CHECK(rl1 - rl0 <= 16 * faults, "read_lost %" PRIu64 " > 16 x %" PRIu64 " faults",
		      rl1 - rl0, faults);
		CHECK(k.gaps <= lost_c, "gaps %" PRIu64 " > missing %" PRIu64, k.gaps, lost_c);
	}
	return 0;
}

static int test_read_consumer(void)
{
	read_consumer("drop-newest", 0);
	read_consumer("drop-newest", 20);
	read_consumer("overwrite", 0);
	read_consumer("overwrite", 20);
	return 0;
}

/* poll(): watermark and timeout_us */
static int test_poll(void)
{
	struct ring r;
	struct pollfd pfd;
	uint32_t u;
	int pr, i, woke_below = 0;
	struct counters c0, c1;

	/* watermark only */
	dev_setup(0, &D0, 4096, "drop-newest", 500, 100, 0);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	read_counters(&r, &c0);
	start_dev(&r);
	for (i = 0; i < 10; i++) {
		pfd.fd = r.fd;
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, 5000);
		if (pr <= 0) {
			fail("poll %d: %s", i, pr ? errname(errno) : "timed out at 4 x 500 Hz, watermark 100");
			break;
		}
		u = unread(&r);
		CHECK(u >= 100, "readable with %u unread, watermark 100, timeout off", u);
		/* hand everything back */
		r.tail = ld_acq(&r.prod->head);
		st_rel(&r.cons->tail, r.tail);
	}
	stop_dev(&r);
	read_counters(&r, &c1);
	info("watermark 100: %d wakeups counted for 10 polls", (int)(c1.wakeups - c0.wakeups));
	CHECK(c1.wakeups > c0.wakeups, "wakeups counter did not move");
	/* epoll the same way */
	{
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN }, out;

		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, r.fd, &ev))
			die("epoll: %s", errname(errno));
		ring_flush(&r);
		start_dev(&r);
		for (i = 0; i < 5; i++) {
			pr = epoll_wait(ep, &out, 1, 5000);
			if (pr <= 0) {
				fail("epoll_wait %d: %s", i, pr ? errname(errno) : "timed out");
				break;
			}
			u = unread(&r);
			CHECK(u >= 100 && (out.events & EPOLLIN),
			      "epoll: events %#x with %u unread, watermark 100", out.events, u);
			r.tail = ld_acq(&r.prod->head);
			st_rel(&r.cons->tail, r.tail);
		}
		stop_dev(&r);
		close(ep);
	}
	/* nothing unread: not readable */
	ring_flush(&r);
	pfd.revents = 0;
	pr = poll(&pfd, 1, 100);
	CHECK(pr == 0, "stopped, flushed ring readable (revents %#x)", pfd.revents);
	ring_close(&r);

	/* timeout_us: a record that waited wakes with fewer than watermark */
	dev_setup(0, &D0, 4096, "drop-newest", 10, 4000, 20000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	start_dev(&r);
	for (i = 0; i < 5; i++) {
		pfd.fd = r.fd;
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, 5000);
		if (pr <= 0) {
			fail("timeout_us 20000, 40 records/s: poll %s", pr ? errname(errno) : "timed out after 5 s");
			break;
		}
		u = unread(&r);
		if (u < 4000)
			woke_below++;
		CHECK(u > 0, "readable with nothing unread");
		r.tail = ld_acq(&r.prod->head);
		st_rel(&r.cons->tail, r.tail);
	}
	stop_dev(&r);
	CHECK(woke_below > 0, "timeout_us never woke below the watermark");
	ring_close(&r);
	return 0;
}

/*
 * Garbage in our own consumer page (abi.md "A tail out of range"): only
 * our records suffer; unread 0, not readable, drops counted; putting tail
 * back resumes with AFTER_DROP and an exact gap.
 */
static int hostile_one(const char *policy, const char *how)
{
	struct ring r;
	struct chk k;
	struct loopstats ls = { 0 };
	struct counters c0, c1;
	struct pollfd pfd;
	uint32_t h0, h1, bad;
	int pr;
	uint64_t resets0, su;

	dev_setup(0, &D0, 1024, policy, 5000, 16, 2000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	chk_init(&k, &r, r.info.channel_count, 5000);
	start_dev(&r);
	consume_loop(&r, &k, 0.5, 0, 0, &ls);
	read_counters(&r, &c0);
	h0 = ld_acq(&r.prod->head);
	if (!strcmp(how, "ahead"))
		bad = h0 + 1000;
	else if (!strcmp(how, "horizon"))
		bad = h0 - 0x80000000u - 10;	/* lapped by more than 2^31 */
	else if (!strcmp(how, "behind"))
		bad = h0 - r.count - 5;
	else
		bad = 0xdeadbeef ^ h0;
	if (!strcmp(how, "page"))
		memset(r.cons, 0xa5, r.cons_len); /* the whole page */
	else
		st_rel(&r.cons->tail, bad);
	bad = ld_acq(&r.cons->tail);
	pfd.fd = r.fd;
	pfd.events = POLLIN | POLLPRI;
	pfd.revents = 0;
	pr = poll(&pfd, 1, 300);
	h1 = ld_acq(&r.prod->head);
	su = dget(0, "statistics/unread");
	if ((uint32_t)(h1 - bad) <= r.count) {
		info("%s/%s: tail %u came within range of head %u", policy, how, bad, h1);
	} else if (!r.overwrite) {
		/* abi.md: a drop-newest tail out of range is "nothing unread" */
		CHECK(pr == 0, "%s/%s: readable with tail %u head %u (revents %#x)", policy, how, bad,
		      h1, pfd.revents);
		CHECK(su == 0, "%s/%s: sysfs unread %" PRIu64, policy, how, su);
	} else {
		/* overwrite: any tail out of range is a lap (abi.md "A tail
		 * out of range", "The horizon"): readable, a full ring unread;
		 * beyond 2^31 (or ahead of head) also EPOLLPRI */
		CHECK(pr > 0 && (pfd.revents & POLLIN) && su == r.count,
		      "%s/%s (tail %u, head %u): poll %d revents %#x, unread %" PRIu64
		      " (docs: a lap: readable, unread %u)",
		      policy, how, bad, h1, pr, pfd.revents, su, r.count);
		if ((uint32_t)(h1 - bad) >= 0x80000000u)
			CHECK(pfd.revents & POLLPRI, "%s/%s: beyond the horizon, revents %#x without EPOLLPRI",
			      policy, how, pfd.revents);
		else
			info("%s/%s: lapped by %u (< 2^31): revents %#x", policy, how, h1 - bad,
			     pfd.revents);
	}
	/* time for the producer to show it is still running */
	msleep(200);
	h1 = ld_acq(&r.prod->head);
	read_counters(&r, &c1);
	if (!r.overwrite) {
		CHECK(h1 == h0 || (uint32_t)(h1 - h0) < r.count,
		      "drop-newest head moved %u with a bad tail", h1 - h0);
		CHECK(c1.dropped > c0.dropped, "%s/%s: no drops counted with a bad tail", policy, how);
	} else {
		CHECK(h1 != h0, "overwrite producer stopped (head %u) with a bad tail", h1);
	}
	CHECK(c1.produced > c0.produced, "%s/%s: producer stopped", policy, how);
	/* the kernel never wrote our page */
	CHECK(ld_acq(&r.cons->tail) == bad, "%s/%s: tail changed from %u to %u by the kernel",
	      policy, how, bad, ld_acq(&r.cons->tail));

	/* recover: as libgwio does on open, tail = head */
	resets0 = dget(0, "statistics/tail_resets");
	memset(r.cons, 0, r.cons_len);
	h1 = ld_acq(&r.prod->head);
	r.seq += (uint32_t)(h1 - r.tail); /* what we abandoned: a gap */
	r.tail = h1;
	st_rel(&r.cons->tail, r.tail);
	consume_loop(&r, &k, 0.5, 0, 0, &ls);
	stop_dev(&r);
	drain(&r, &k, &ls);
	CHECK(dget(0, "statistics/tail_resets") == resets0, "tail_resets moved without read()");
	if (!r.overwrite)
		CHECK(k.flags_after_drop > 0, "%s/%s: no AFTER_DROP after the bad tail", policy, how);
	chk_verdict(&k, how);
	CHECK(k.delivered > 0, "nothing delivered");
	info("%s/%s: delivered %" PRIu64 " dropped %" PRIu64 " (%" PRIu64 " during the bad tail)",
	     policy, how, k.delivered, c1.dropped, c1.dropped - c0.dropped);
	ring_close(&r);
	return 0;
}

static int test_hostile_tail(void)
{
	hostile_one("drop-newest", "ahead");
	hostile_one("drop-newest", "behind");
	hostile_one("drop-newest", "page");
	hostile_one("drop-newest", "horizon");
	hostile_one("overwrite", "ahead");
	hostile_one("overwrite", "horizon");
	hostile_one("overwrite", "behind");
	hostile_one("overwrite", "page");
	return 0;
}

/* read() after a bad tail: reset to head, counted in tail_resets */
static int test_read_reset(void)
{
	struct ring r;
	struct gwio_record buf[64];
	uint64_t resets0, drop0;
	ssize_t n;
	uint32_t h, t;
	int i;

	dev_setup(0, &D0, 1024, "drop-newest", 2000, 8, 5000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	start_dev(&r);
	msleep(100);
	resets0 = dget(0, "statistics/tail_resets");
	drop0 = dget(0, "statistics/dropped");
	st_rel(&r.cons->tail, ld_acq(&r.prod->head) + 5000);
	msleep(100);
	n = read(r.fd, buf, sizeof(buf));
	CHECK(n > 0 && n % 16 == 0, "read after a bad tail: %zd (%s)", n, n < 0 ? errname(errno) : "");
	CHECK(dget(0, "statistics/tail_resets") == resets0 + 1, "tail_resets %" PRIu64 " -> %" PRIu64,
	      resets0, dget(0, "statistics/tail_resets"));
	CHECK(dget(0, "statistics/dropped") > drop0, "no drops counted while the tail was bad");
	if (n > 0)
		CHECK(buf[0].flags & GWIO_REC_F_AFTER_DROP,
		      "first record after the reset has flags %#x, no AFTER_DROP", buf[0].flags);
	t = ld_acq(&r.cons->tail);
	h = ld_acq(&r.prod->head);
	CHECK((uint32_t)(h - t) <= r.count, "tail %u head %u after the reset read", t, h);
	/* behind by more than a ring, twice */
	for (i = 0; i < 2; i++) {
		st_rel(&r.cons->tail, ld_acq(&r.prod->head) - r.count - 1);
		n = read(r.fd, buf, sizeof(buf));
		CHECK(n > 0, "read %d after a tail behind: %s", i, n < 0 ? errname(errno) : "0");
	}
	CHECK(dget(0, "statistics/tail_resets") == resets0 + 3, "tail_resets %" PRIu64 " after 3",
	      dget(0, "statistics/tail_resets") - resets0);
	stop_dev(&r);
	ring_close(&r);

	/* overwrite: a lap is no reset; beyond the horizon read() resyncs
	 * to head - record_count and counts a reset */
	dev_setup(0, &D0, 1024, "overwrite", 2000, 8, 5000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	start_dev(&r);
	msleep(100);
	resets0 = dget(0, "statistics/tail_resets");
	st_rel(&r.cons->tail, ld_acq(&r.prod->head) - r.count - 100);
	n = read(r.fd, buf, sizeof(buf));
	CHECK(n > 0, "overwrite read() of a lapped tail: %s", n < 0 ? errname(errno) : "0");
	CHECK(dget(0, "statistics/tail_resets") == resets0,
	      "overwrite: a lap (< 2^31) counted as a tail reset");
	h = ld_acq(&r.prod->head);
	st_rel(&r.cons->tail, h - 0x80000000u - 10);
	n = read(r.fd, buf, sizeof(buf));
	t = ld_acq(&r.cons->tail);
	CHECK(n > 0, "overwrite read() beyond the horizon: %s", n < 0 ? errname(errno) : "0");
	CHECK(dget(0, "statistics/tail_resets") == resets0 + 1,
	      "overwrite, beyond the horizon: tail_resets moved %" PRIu64 " (docs: 1)",
	      dget(0, "statistics/tail_resets") - resets0);
	/* resynced to a ring behind head, not to head: the read started
	 * at most a ring (plus what arrived meanwhile) behind */
	{
		uint32_t h2 = ld_acq(&r.prod->head);

		CHECK((uint32_t)(h2 - t) <= r.count + (uint32_t)(h2 - h),
		      "tail %u after the horizon read, head %u (%u before it)", t, h2, h);
	}
	info("overwrite horizon: tail %u -> %u after read() of %zd bytes, head %u then %u", h - 0x80000000u - 10,
	     t, n, h, ld_acq(&r.prod->head));
	stop_dev(&r);
	ring_close(&r);
	return 0;
}

/*
 * The consumer lapped under overwrite: abi.md's "tail out of range" rule
 * says not readable, unread 0 - for an honest consumer that fell behind.
 */
static int test_overwrite_lapped(void)
{
	struct ring r;
	struct chk k;
	struct pollfd pfd = { .events = POLLIN };
	uint32_t h, u;
	int pr;
	uint64_t su;
	double end;

	dev_setup(0, &D0, 256, "overwrite", 5000, 16, 1000);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	chk_init(&k, &r, r.info.channel_count, 5000);
	start_dev(&r);
	end = now_s() + 10;
	do {
		msleep(50);
		h = ld_acq(&r.prod->head);
	} while ((uint32_t)(h - r.tail) <= r.count && now_s() < end);
	u = h - r.tail;
	su = dget(0, "statistics/unread");
	pfd.fd = r.fd;
	pr = poll(&pfd, 1, 300);
	info("overwrite, honest consumer lapped (head - tail = %u > %u): sysfs unread %" PRIu64
	     ", poll() %s", u, r.count, su, pr > 0 ? "readable" : "NOT readable (timed out)");
	CHECK(pr > 0 && su == r.count,
	      "a lapped overwrite consumer: poll %d, unread %" PRIu64 " (abi.md: readable, unread = record_count %u)",
	      pr, su, r.count);
	/* the documented batch still recovers */
	read_batch(&r, &k, BATCH, NULL);
	CHECK(k.lost >= u - r.count, "lapped by %u, counted only %" PRIu64 " lost", u - r.count, k.lost);
	stop_dev(&r);
	drain(&r, &k, &(struct loopstats){ 0 });
	chk_verdict(&k, "lapped");
	ring_close(&r);
	return 0;
}

/*
 * A hostile process: hammers random tails into gwio0's consumer page
 * (both policies, fast producer) while another of its processes sits in
 * read() on the same file; meanwhile an honest consumer on gwio1 must see
 * every record, and both hostile processes must die on SIGKILL.
 */
static int hammer_round(const char *policy)
{
	struct ring r0, r1;
	struct chk k1;
	struct loopstats ls = { 0 };
	pid_t ham, rd;
	int st, i;
	uint64_t resets0, reads_seen;
	double t0;
	struct counters c0, c1;
	volatile uint64_t *shared;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap shared");
	shared[0] = shared[1] = 0;
	dev_setup(0, &D0, 256, policy, 20000, 1, 100);
	dev_setup(1, &D1, 65536, "drop-newest", 5000, 64, 2000);
	resets0 = dget(0, "statistics/tail_resets");
	ring_open_or_die(&r0, 0);
	ring_open_or_die(&r1, 1);
	ring_flush(&r1);
	chk_init(&k1, &r1, r1.info.channel_count, 5000);
	start_dev(&r0);
	start_dev(&r1);
	ham = fork();
	if (ham == 0) {
		uint64_t n = 0;

		rnd_state ^= (uint32_t)getpid();
		for (;;) {
			uint32_t h = ld_rlx(&r0.prod->head), v;

			switch (rnd() & 7) {
			case 0: v = h + 1 + (rnd() & 0xffff); break;	/* ahead */
			case 1: v = h - r0.count - 1 - (rnd() & 0xffff); break; /* behind */
			case 2: v = h; break;
			case 3: v = h - r0.count; break;		/* edge, valid */
			case 4: v = h - r0.count - 1; break;		/* edge, invalid */
			case 5: v = h + 1; break;
			default: v = rnd(); break;
			}
			__atomic_store_n(&r0.cons->tail, v, __ATOMIC_RELAXED);
			if (!(++n & 0xfff))
				shared[0] = n;
		}
	}
	rd = fork();
	if (rd == 0) {
		struct gwio_record b[64];

		for (;;) {
			ssize_t n = read(r0.fd, b, sizeof(b));

			if (n > 0)
				shared[1]++;
			else if (n < 0 && errno != EINTR && errno != EAGAIN)
				_exit(3);
		}
	}
	t0 = now_s();
	read_counters(&r0, &c0);
	consume_loop(&r1, &k1, 5, 0, 0, &ls);
	read_counters(&r0, &c1);
	/* sysfs of the abused device still answers */
	info("%s hammer: gwio0 produced %" PRIu64 " in the round, dropped %" PRIu64
	     ", tail_resets %" PRIu64 ", hammer stores %" PRIu64 ", read()s with data %" PRIu64
	     ", unread %" PRIu64,
	     policy, c1.produced - c0.produced, c1.dropped - c0.dropped,
	     dget(0, "statistics/tail_resets") - resets0, (uint64_t)shared[0],
	     (uint64_t)shared[1], dget(0, "statistics/unread"));
	CHECK(c1.produced > c0.produced, "%s: gwio0's producer made nothing under the hammer", policy);
	CHECK(shared[0] > 0, "%s: the hammer never ran", policy);
	reads_seen = shared[1];
	kill(ham, SIGKILL);
	kill(rd, SIGKILL);
	alarm(60);
	waitpid(ham, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: hammer status %#x", policy, st);
	waitpid(rd, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: read() process status %#x", policy, st);
	alarm(0);
	info("%s: both hostile processes died %.2f s after the round began", policy, now_s() - t0);
	(void)reads_seen;
	/* the honest consumer on gwio1 */
	stop_dev(&r1);
	drain(&r1, &k1, &ls);
	chk_verdict(&k1, "gwio1");
	CHECK(k1.delivered > 1000, "gwio1 delivered only %" PRIu64, k1.delivered);
	read_counters(&r1, &c1);
	if (c1.dropped)
		info("gwio1 dropped %" PRIu64 " (a slow guest), accounted", c1.dropped);
	CHECK(c1.produced == k1.delivered + c1.dropped, "gwio1 produced %" PRIu64 " != %" PRIu64
	      " + %" PRIu64, c1.produced, k1.delivered, c1.dropped);
	ring_close(&r1);
	/* gwio0 after the abuse: an honest consumer starting again */
	stop_dev(&r0);
	ring_close(&r0);
	for (i = 0; i < 1; i++) {
		struct chk k0;

		ring_open_or_die(&r0, 0);
		info("%s: tail %u head %u left behind", policy, ld_acq(&r0.cons->tail),
		     ld_acq(&r0.prod->head));
		ring_flush(&r0);
		chk_init(&k0, &r0, r0.info.channel_count, 20000);
		start_dev(&r0);
		consume_loop(&r0, &k0, 1, 0, 0, &ls);
		stop_dev(&r0);
		drain(&r0, &k0, &ls);
		chk_verdict(&k0, "gwio0 after the hammer");
		CHECK(k0.delivered > 0, "gwio0 delivers nothing after the hammer");
		ring_close(&r0);
	}
	munmap((void *)shared, 4096);
	return 0;
}

static int test_hammer(void)
{
	hammer_round("drop-newest");
	hammer_round("overwrite");
	return 0;
}

/*
 * 32-bit wrap of the free-running indices.  Nothing documented starts a
 * ring near 2^32, so the only way is 2^32 records: overwrite, no
 * consumer, as fast as the sim goes, if the guest is fast enough.
 */
static int test_wrap(void)
{
	struct ring r;
	struct chk k;
	struct loopstats ls = { 0 };
	uint32_t h0, h1, hprev;
	double t0, t1, rate, budget = 0;
	uint64_t adv = 0;
	const char *env = getenv("GWIO_WRAP_BUDGET");
	unsigned hz = getenv("GWIO_WRAP_HZ") ? (unsigned)atoi(getenv("GWIO_WRAP_HZ")) : 10000000;

	if (env)
		budget = atof(env);
	unsigned records = getenv("GWIO_WRAP_RING") ? (unsigned)atoi(getenv("GWIO_WRAP_RING")) : 65536;

	dev_setup(0, &D0, records, "overwrite", hz, 4096, 0);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	h0 = ld_acq(&r.prod->head);
	start_dev(&r);
	t0 = now_s();
	msleep(2000);
	h1 = ld_acq(&r.prod->head);
	t1 = now_s();
	rate = (uint32_t)(h1 - h0) / (t1 - t0);
	printf("GWIO-BENCH: abi-wrap-records-per-s %.0f\n", rate);
	info("head %u -> %u in %.1f s at %d x %u Hz: %.0f records/s, 2^32 in %.0f s (budget %.0f s)",
	     h0, h1, t1 - t0, D0.nch, hz, rate, 4294967296.0 / (rate > 1 ? rate : 1),
	     budget);
	if (rate < 1 || (4294967296.0 - (uint32_t)(h1 - h0)) / rate > budget) {
		stop_dev(&r);
		info("wrap not reachable in the budget: only the consumer's modulo arithmetic runs (not the kernel's wrap)");
		ring_close(&r);
		pass_name = "abi-wrap-skipped";
		return 0;
	}
	/* wait until a few seconds before the wrap, watching head */
	hprev = h1;
	adv = (uint32_t)(h1 - h0);
	while (adv + (uint64_t)(4 * rate) < 4294967296ull) {
		uint32_t h;

		msleep(500);
		h = ld_acq(&r.prod->head);
		adv += (uint32_t)(h - hprev);
		hprev = h;
		if (now_s() - t0 > budget * 2) {
			fail("head advanced only %" PRIu64 " in %.0f s", adv, now_s() - t0);
			stop_dev(&r);
			ring_close(&r);
			return 0;
		}
	}
	info("%" PRIu64 " records in %.0f s, head %u, oldest %u: consuming across the wrap",
	     adv, now_s() - t0, hprev, ld_acq(&r.prod->oldest));
	/* the documented overwrite consumer, across it */
	r.tail = ld_acq(&r.prod->head);
	st_rel(&r.cons->tail, r.tail);
	r.seq = r.tail;
	{
		uint64_t seq0 = r.seq, before = 0, worst_unread = 0, u;
		int crossed = 0;
		double end = now_s() + 60;
		struct counters c;

		chk_init(&k, &r, r.info.channel_count, hz);
		while (r.seq < 4294967296ull + 8ull * r.count + (uint64_t)rate && now_s() < end) {
			uint64_t d = k.delivered;

			consume_loop(&r, &k, 0.2, 0, 0, &ls);
			u = dget(0, "statistics/unread");
			if (u > worst_unread)
				worst_unread = u;
			if (!crossed && r.seq >= 4294967296ull) {
				crossed = 1;
				before = d;
			}
		}
		stop_dev(&r);
		drain(&r, &k, &ls);
		chk_verdict(&k, "across the wrap");
		CHECK(crossed, "the consumer's position never passed 2^32 (at %" PRIu64 ")", r.seq);
		CHECK(before > 0 && k.delivered > before,
		      "delivered %" PRIu64 " before the wrap, %" PRIu64 " after", before,
		      k.delivered - before);
		CHECK(k.delivered + k.lost == r.seq - seq0,
		      "delivered %" PRIu64 " + lost %" PRIu64 " != %" PRIu64 " positions passed",
		      k.delivered, k.lost, r.seq - seq0);
		CHECK(k.gaps <= k.lost, "channel gaps %" PRIu64 " > lost %" PRIu64, k.gaps, k.lost);
		CHECK(worst_unread <= r.count, "sysfs unread %" PRIu64 " > record_count across the wrap",
		      worst_unread);
		read_counters(&r, &c);
		info("across the wrap: delivered %" PRIu64 " (%" PRIu64 " after it) lost %" PRIu64
		     " dropped %" PRIu64 "; produced %" PRIu64 " (hi %u), head %u, oldest %u, worst unread %" PRIu64,
		     k.delivered, k.delivered - before, k.lost, c.dropped, c.produced,
		     r.prod->produced.hi, ld_acq(&r.prod->head), ld_acq(&r.prod->oldest), worst_unread);
		CHECK(c.produced >= 4294967296ull && r.prod->produced.hi >= 1,
		      "produced %" PRIu64 " did not carry into hi", c.produced);
		CHECK(c.produced == dget(0, "statistics/produced"), "page produced %" PRIu64 " != sysfs %" PRIu64,
		      c.produced, dget(0, "statistics/produced"));
	}
	ring_close(&r);
	return 0;
}

/*
 * sysfs.md: watermark is 1 ... ring_records, yet shrinking the ring below
 * the watermark is accepted and leaves it there.  Does poll() still wake
 * when the ring is full (timeout_us 0: only the watermark wakes)?
 */
static int test_watermark_shrink(void)
{
	struct ring r;
	struct pollfd pfd = { .events = POLLIN };
	uint64_t wm;
	int e, pr;
	uint32_t u;

	dev_setup(0, &D0, 4096, "drop-newest", 2000, 4096, 0);
	e = sys_write(dpath(0, "ring_records"), "256");
	wm = dget(0, "watermark");
	if (e) {
		info("shrinking the ring below the watermark: %s", errname(e));
		return 0;
	}
	info("ring_records 256 accepted with watermark 4096: watermark now %" PRIu64, wm);
	ring_open_or_die(&r, 0);
	ring_flush(&r);
	start_dev(&r);
	pfd.fd = r.fd;
	pr = poll(&pfd, 1, 3000);
	u = unread(&r);
	stop_dev(&r);
	info("4 x 2 kHz into 256 records, watermark %" PRIu64 ", timeout_us 0: poll() %s after up to 3 s, %u unread, %" PRIu64
	     " dropped",
	     wm, pr > 0 ? "readable" : "never readable", u, dget(0, "statistics/dropped"));
	CHECK(wm == 256, "watermark %" PRIu64 " after shrinking the ring to 256 (docs: lowered to it)", wm);
	CHECK(wm <= 256 || pr > 0,
	      "watermark %" PRIu64 " > ring_records 256 after a shrink: a full ring (%u unread) never wakes poll()",
	      wm, u);
	ring_close(&r);
	return 0;
}

/* write errors of sysfs knobs (sysfs.md: validated as a whole) */
static int test_sysfs(void)
{
	static const struct {
		const char *attr, *val;
		int err;
	} bad[] = {
		{ "ring_records", "1000", EINVAL },
		{ "ring_records", "128", EINVAL },
		{ "ring_records", "8388608", EINVAL },
		{ "ring_records", "4096x", EINVAL },
		{ "watermark", "0", EINVAL },
		{ "watermark", "999999999", EINVAL },
		{ "timeout_us", "10000001", EINVAL },
		{ "overflow", "sometimes", EINVAL },
		{ "clock", "gps", EINVAL },
		{ "enable", "maybe", EINVAL },
		{ "ring_records", "4294967296", ERANGE },
		{ "watermark", "99999999999", ERANGE },
		{ "timeout_us", "4294967296", ERANGE },
	};
	unsigned i;
	int e;
	uint64_t rr;

	dev_setup(0, &D0, 4096, "drop-newest", 1000, 64, 10000);
	rr = dget(0, "ring_records");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = sys_write(dpath(0, bad[i].attr), bad[i].val);
		CHECK(e == bad[i].err, "%s=%s: %s", bad[i].attr, bad[i].val, errname(e));
	}
	CHECK(dget(0, "ring_records") == rr, "ring_records changed by bad writes");
	/* watermark above the ring: EINVAL; shrinking the ring below it? */
	e = sys_write(dpath(0, "watermark"), "8192");
	CHECK(e == EINVAL, "watermark 8192 with 4096 records: %s", errname(e));
	dsetu(0, "watermark", 4096);
	e = sys_write(dpath(0, "ring_records"), "256");
	CHECK(e == 0 && dget(0, "watermark") == 256,
	      "ring_records 4096 -> 256 with watermark 4096: %s, watermark now %" PRIu64
	      " (docs: lowered to the new size)", errname(e), dget(0, "watermark"));
	/* channel knobs */
	e = sys_write(cpath(0, D0.ch[0].label, "rate_hz"), "0");
	CHECK(e == EINVAL, "rate_hz 0: %s", errname(e));
	e = sys_write(cpath(0, D0.ch[0].label, "rate_hz"), "10000001");
	CHECK(e == EINVAL, "rate_hz 10000001: %s", errname(e));
	e = sys_write(cpath(0, D0.ch[0].label, "cycle"), "1");
	CHECK(e == EINVAL, "cycle 1: %s", errname(e));
	e = sys_write(cpath(0, D0.ch[0].label, "waveform"), "triangle");
	CHECK(e == EINVAL, "waveform triangle: %s", errname(e));
	/* kstrtobool forms */
	e = sys_write(dpath(0, "enable"), "y");
	CHECK(e == 0 && dget(0, "enable") == 1, "enable=y: %s", errname(e));
	e = sys_write(dpath(0, "enable"), "off");
	CHECK(e == 0 && dget(0, "enable") == 0, "enable=off: %s", errname(e));
	/* same-size ring_records write: a resize (counters zeroed)? */
	{
		struct ring r;
		struct counters c;

		dev_setup(0, &D0, 4096, "drop-newest", 5000, 64, 10000);
		dset(0, "enable", "1");
		msleep(200);
		dset(0, "enable", "0");
		e = sys_write(dpath(0, "ring_records"), "4096");
		ring_open_or_die(&r, 0);
		read_counters(&r, &c);
		info("writing the current ring_records (%s): produced %s (%" PRIu64 "), head %u",
		     errname(e), c.produced ? "kept" : "zeroed", c.produced, ld_acq(&r.prod->head));
		ring_close(&r);

		/* overflow: the current value changes nothing, a change
		 * empties the ring and zeroes the counters */
		dset(0, "enable", "1");
		msleep(200);
		dset(0, "enable", "0");
		e = sys_write(dpath(0, "overflow"), "drop-newest");
		CHECK(e == 0, "writing the current overflow: %s", errname(e));
		CHECK(dget(0, "statistics/produced") > 0 && dget(0, "statistics/unread") > 0,
		      "writing the current overflow emptied the ring (produced %" PRIu64 ", unread %" PRIu64 ")",
		      dget(0, "statistics/produced"), dget(0, "statistics/unread"));
		e = sys_write(dpath(0, "overflow"), "overwrite");
		CHECK(e == 0 && dget(0, "statistics/produced") == 0 && dget(0, "statistics/unread") == 0,
		      "changing overflow (%s): produced %" PRIu64 " unread %" PRIu64 " (docs: empty, zeroed)",
		      errname(e), dget(0, "statistics/produced"), dget(0, "statistics/unread"));
		ring_open_or_die(&r, 0);
		CHECK(r.prod->overflow == GWIO_OVERFLOW_OVERWRITE && r.prod->head == r.tail,
		      "after the change: overflow %u, head %u tail %u", r.prod->overflow, r.prod->head, r.tail);
		ring_close(&r);
		dset(0, "overflow", "drop-newest");
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static const struct test {
	const char *name;
	int (*fn)(void);
	unsigned timeout_s;
} tests[] = {
	{ "abi-info", test_info, 60 },
	{ "abi-channel-table", test_channel_table, 60 },
	{ "abi-waveform", test_waveform, 90 },
	{ "abi-sysfs", test_sysfs, 60 },
	{ "abi-watermark-shrink", test_watermark_shrink, 60 },
	{ "abi-mmap-misuse", test_mmap_misuse, 60 },
	{ "abi-exclusive", test_exclusive, 60 },
	{ "abi-ioctl", test_ioctl, 60 },
	{ "abi-read", test_read, 90 },
	{ "abi-read-consumer", test_read_consumer, 120 },
	{ "abi-poll", test_poll, 120 },
	{ "abi-clock", test_clock, 90 },
	{ "abi-seqcount", test_seqcount, 90 },
	{ "abi-seqcount-fifo", test_seqcount_fifo, 90 },
	{ "abi-channel-enable", test_channel_enable, 60 },
	{ "abi-dropnewest", test_dropnewest, 120 },
	{ "abi-overrun-dropnewest", test_overrun_dropnewest, 120 },
	{ "abi-overwrite", test_overwrite, 120 },
	{ "abi-overwrite-fast", test_overwrite_fast, 120 },
	{ "abi-highrate", test_highrate, 150 },
	{ "abi-overwrite-lapped", test_overwrite_lapped, 90 },
	{ "abi-hostile-tail", test_hostile_tail, 180 },
	{ "abi-read-reset", test_read_reset, 90 },
	{ "abi-hammer", test_hammer, 180 },
	{ "abi-wrap", test_wrap, 180 },
};

static int run_one(const struct test *t, int quiet)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("GWIO-TEST: FAIL %s fork: %s\n", t->name, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		cur_test = t->name;
		pass_name = t->name;
		if (quiet && !freopen("/dev/null", "w", stdout))
			_exit(2);
		/* the checkers' modulus: the tests run with cycle 1000000 */
		g_counter_mod = g_res->counter_wraps ? 1000000 : 0;
		alarm(t->fn == test_wrap && getenv("GWIO_WRAP_BUDGET") ?
			      t->timeout_s + 2 * (unsigned)atoi(getenv("GWIO_WRAP_BUDGET")) :
			      t->timeout_s);
		t->fn();
		if (!cur_failed)
			printf("GWIO-TEST: PASS %s\n", pass_name);
		fflush(stdout);
		_exit(cur_failed ? 1 : 0);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st)) {
		printf("GWIO-TEST: FAIL %s killed by signal %d (%s)%s\n", t->name, WTERMSIG(st),
		       strsignal(WTERMSIG(st)),
		       WTERMSIG(st) == SIGALRM ? ": timed out" : "");
		/* a test that died may leave a device enabled */
		sys_write(dpath(0, "enable"), "0");
		sys_write(dpath(1, "enable"), "0");
		return 1;
	}
	return WEXITSTATUS(st) != 0;
}

/* consumer hold DEV SECONDS [poll] */
static int hold(int dev, int seconds, int in_poll)
{
	struct ring r;
	struct pollfd pfd;

	cur_test = in_poll ? "abi-pollhold" : "abi-hold";
	ring_open_or_die(&r, dev);
	printf("holding /dev/gwio%d\n", dev);
	fflush(stdout);
	if (in_poll) {
		pfd.fd = r.fd;
		pfd.events = POLLIN;
		ring_flush(&r);
		poll(&pfd, 1, seconds * 1000);
	} else {
		sleep((unsigned)seconds);
	}
	ring_close(&r);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned i;
	int failed = 0, j;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && (!strcmp(argv[1], "hold") || !strcmp(argv[1], "pollhold")))
		return hold(atoi(argv[2]), atoi(argv[3]), !strcmp(argv[1], "pollhold"));
	cur_test = "abi-setup";
	g_res = mmap(NULL, sizeof(*g_res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_res == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	dev_channels(0, &D0);
	dev_channels(1, &D1);
	if (D0.nch != 4 || D1.nch != 2)
		die("expected gwio0 with 4 channels and gwio1 with 2 (sim_channels=4,2): %d, %d",
		    D0.nch, D1.nch);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int want = argc < 2 || !strcmp(argv[1], "all");

		for (j = 1; j < argc && !want; j++)
			want = !strcmp(argv[j], tests[i].name);
		/* abi-waveform (first) teaches the others the counter's
		 * modulus: run it quietly when not asked for */
		if (want || tests[i].fn == test_waveform)
			failed |= run_one(&tests[i], !want) && want;
	}
	return failed;
}
