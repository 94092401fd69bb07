/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Tests of libgwio on memory rings (the path a device shares except for
 * GWIO_IOC_INFO and poll), capture files, and gwio-cat run on a memory
 * ring (when the Makefile passes its path in GWIO_CAT).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libgwio.h"
#include "gwio_ring.h"

static struct gwio_record make_rec(uint64_t n)
{
	struct gwio_record rec = {
		.ts_ns = 1000 * n,
		.value = (uint32_t)n,
		.channel = (uint16_t)(n % 3),
		.kind = GWIO_KIND_ADC,
	};
	return rec;
}

static void push_n(struct gwio_memring *m, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		struct gwio_record rec = make_rec(first + i);

		gwio_memring_push(m, &rec);
	}
	gwio_memring_publish(m);
}

static struct gwio_ring *open_consumer(struct gwio_memring *m, int flags)
{
	struct gwio_ring *ring = gwio_ring_open_fd(gwio_memring_fd(m), flags);

	assert_non_null(ring);
	return ring;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- memring */

static void test_memring_create_rejects(void **state)
{
	(void)state;
	errno = 0;
	assert_null(gwio_memring_create(0, GWIO_OVERFLOW_DROP_NEWEST,
					CLOCK_MONOTONIC));
	assert_int_equal(errno, EINVAL);
	assert_null(gwio_memring_create(24, GWIO_OVERFLOW_DROP_NEWEST,
					CLOCK_MONOTONIC));
	assert_int_equal(errno, EINVAL);
	assert_null(gwio_memring_create(1u << 31, GWIO_OVERFLOW_DROP_NEWEST,
					CLOCK_MONOTONIC));
	assert_int_equal(errno, EINVAL);
	assert_null(gwio_memring_create(16, (enum gwio_overflow)7,
					CLOCK_MONOTONIC));
	assert_int_equal(errno, EINVAL);
}

static void test_open_read_info_stats(void **state)
{
	struct gwio_memring *m = gwio_memring_create(64,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_BOOTTIME);
	struct gwio_ring_stats stats;
	struct gwio_ring_info info;
	struct gwio_record buf[100];
	struct gwio_ring *ring;
	uint64_t seq = 99;
	ssize_t n, i;

	(void)state;
	assert_non_null(m);
	/* records that arrived before the consumer are there for it */
	push_n(m, 0, 10);
	ring = open_consumer(m, O_NONBLOCK);

	gwio_ring_get_info(ring, &info);
	assert_int_equal(info.abi_major, GWIO_ABI_MAJOR);
	assert_int_equal(info.abi_minor, GWIO_ABI_MINOR);
	assert_int_equal(info.record_count, 64);
	assert_int_equal(info.channel_count, 0);
	assert_int_equal(info.clock_id, CLOCK_BOOTTIME);
	assert_int_equal(info.overflow, GWIO_OVERFLOW_DROP_NEWEST);
	assert_false(info.is_device);
	assert_true(gwio_ring_fd(ring) >= 0);
	assert_int_not_equal(gwio_ring_fd(ring), gwio_memring_fd(m));

	n = gwio_ring_read(ring, buf, 100, &seq);
	assert_int_equal(n, 10);
	assert_int_equal(seq, 0);
	for (i = 0; i < n; i++) {
		struct gwio_record want = make_rec((uint64_t)i);

		assert_memory_equal(&buf[i], &want, sizeof(want));
	}

	errno = 0;
	assert_int_equal(gwio_ring_read(ring, buf, 100, &seq), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(gwio_ring_read(ring, buf, 0, &seq), 0);
	assert_int_equal(seq, 10);

	push_n(m, 10, 5);
	assert_int_equal(gwio_ring_read(ring, buf, 3, NULL), 3);
	assert_int_equal(gwio_ring_read(ring, buf, 3, &seq), 2);
	assert_int_equal(seq, 13);
	assert_int_equal(buf[1].value, 14);

	assert_int_equal(gwio_ring_get_stats(ring, &stats), 0);
	assert_int_equal(stats.produced, 15);
	assert_int_equal(stats.dropped, 0);
	assert_int_equal(stats.overruns, 0);
	assert_int_equal(stats.wakeups, 0);
	assert_int_equal(stats.lost, 0);
	assert_int_equal(stats.next_seq, 15);
	/* the release reached the shared consumer page */
	/* the ring's own position started short of the wrap */
	assert_int_equal(gwio_memring_producer(m)->cons->tail,
			 (uint32_t)(GWIO_RING_POS_INIT + 15));

	gwio_ring_close(ring);
	gwio_memring_close(m);
}

static void test_open_by_path(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_OVERWRITE, CLOCK_MONOTONIC);
	struct gwio_record buf[8];
	struct gwio_ring *ring;
	char path[64];

	(void)state;
	assert_non_null(m);
	push_n(m, 0, 3);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", gwio_memring_fd(m));
	ring = gwio_ring_open(path, 0);
	assert_non_null(ring);
	assert_int_equal(gwio_ring_read(ring, buf, 8, NULL), 3);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

static void test_open_errors(void **state)
{
	char dir[] = "/tmp/gwio-test-XXXXXX", path[64];
	struct gwio_memring *m;
	int fd;

	(void)state;
	errno = 0;
	assert_null(gwio_ring_open("/nonexistent/gwio0", 0));
	assert_int_equal(errno, ENOENT);
	assert_null(gwio_ring_open("/dev/null", O_APPEND));
	assert_int_equal(errno, EINVAL);
	assert_null(gwio_ring_open("/dev/null", 0));
	assert_int_equal(errno, ENOTTY);
	assert_null(gwio_ring_open_fd(-1, 0));
	assert_int_equal(errno, EBADF);

	/* regular files too small or not page-sized are not rings */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ring", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_null(gwio_ring_open_fd(fd, 0));
	assert_int_equal(errno, EPROTO);
	assert_int_equal(ftruncate(fd, 3 * sysconf(_SC_PAGESIZE) + 1), 0);
	assert_null(gwio_ring_open_fd(fd, 0));
	assert_int_equal(errno, EPROTO);
	/* right size, all zeroes: no magic */
	assert_int_equal(ftruncate(fd, 3 * sysconf(_SC_PAGESIZE)), 0);
	assert_null(gwio_ring_open(path, 0));
	assert_int_equal(errno, EPROTO);
	close(fd);
	unlink(path);
	rmdir(dir);

	m = gwio_memring_create(8, GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	assert_non_null(m);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", gwio_memring_fd(m));
	assert_null(gwio_ring_open(path, O_RDONLY | O_TRUNC));
	assert_int_equal(errno, EINVAL);
	gwio_memring_close(m);
}

/*
 * One consumer at a time, as a device: a second handle, by fd, by path or
 * from another process, is refused with EBUSY while the first is open and
 * told who holds it; the producer's own descriptor does not count.
 */
static void test_one_consumer_at_a_time(void **state)
{
	struct gwio_memring *m = gwio_memring_create(16,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	char path[64], comm[64], self_comm[64] = "";
	struct gwio_ring *first, *again;
	FILE *f;
	pid_t child;
	int status;

	(void)state;
	assert_non_null(m);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", gwio_memring_fd(m));
	assert_int_equal(gwio_ring_holder(path, comm, sizeof(comm)), 0);
	assert_string_equal(comm, "");

	first = open_consumer(m, O_NONBLOCK);
	errno = 0;
	assert_null(gwio_ring_open_fd(gwio_memring_fd(m), O_NONBLOCK));
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_null(gwio_ring_open(path, O_NONBLOCK));
	assert_int_equal(errno, EBUSY);

	assert_int_equal(gwio_ring_holder(path, comm, sizeof(comm)), getpid());
	f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(self_comm, sizeof(self_comm), f));
	fclose(f);
	self_comm[strcspn(self_comm, "\n")] = '\0';
	assert_string_equal(comm, self_comm);
	assert_int_equal(gwio_ring_holder(path, NULL, 0), getpid());

	/* another process is refused as well: the lock is not per process */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct gwio_ring *r = gwio_ring_open(path, O_NONBLOCK);

		_exit(!r && errno == EBUSY ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* free again once the holder closes */
	gwio_ring_close(first);
	assert_int_equal(gwio_ring_holder(path, NULL, 0), 0);
	again = gwio_ring_open(path, O_NONBLOCK);
	assert_non_null(again);
	errno = 0;
	assert_null(gwio_ring_open_fd(gwio_memring_fd(m), 0));
	assert_int_equal(errno, EBUSY);
	gwio_ring_close(again);
	again = open_consumer(m, 0);
	gwio_ring_close(again);

	/* a device or a file without a holder names nobody */
	assert_int_equal(gwio_ring_holder("/dev/null", comm, sizeof(comm)), 0);
	assert_int_equal(gwio_ring_holder("/nonexistent", comm, sizeof(comm)), 0);
	gwio_memring_close(m);
}

/* The reasons a person reads say what to do, and who holds a ring. */
static void test_ring_strerror(void **state)
{
	struct gwio_memring *m = gwio_memring_create(16,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	char path[64], want[128], buf[512];
	struct gwio_ring *ring;

	(void)state;
	assert_non_null(m);
	gwio_ring_strerror("/dev/gwio7", ENOENT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "/dev/gwio7: No such file or directory"));
	assert_non_null(strstr(buf, "modprobe gwio"));
	gwio_ring_strerror("/proc/1234/fd/3", ENOENT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "gwio-simring"));
	gwio_ring_strerror("/run/ring", ENOENT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "modprobe gwio"));
	assert_non_null(strstr(buf, "gwio-simring"));
	gwio_ring_strerror("/dev/null", ENOTTY, buf, sizeof(buf));
	assert_string_equal(buf, "/dev/null: not a gwio device");
	gwio_ring_strerror("/dev/gwio0", EBUSY, buf, sizeof(buf));
	assert_non_null(strstr(buf, "one at a time"));

	snprintf(path, sizeof(path), "/proc/self/fd/%d", gwio_memring_fd(m));
	ring = open_consumer(m, 0);
	assert_null(gwio_ring_open(path, 0));
	gwio_ring_strerror(path, errno, buf, sizeof(buf));
	snprintf(want, sizeof(want), "ring %s is being read by pid %d (",
		 path, (int)getpid());
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "): one consumer at a time"));
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

/* Every geometry field a consumer relies on is checked. */
static void test_open_rejects_bad_producer_page(void **state)
{
	enum { MAGIC, MAJOR, RECORD_SIZE, COUNT_ZERO, COUNT_NOT_POW2,
	       COUNT_TOO_BIG, OVERFLOW, OFFSET_SMALL, OFFSET_ALIGN,
	       OFFSET_BIG, CORRUPTIONS };
	int what;

	(void)state;
	for (what = 0; what < CORRUPTIONS; what++) {
		struct gwio_memring *m = gwio_memring_create(16,
			GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
		struct gwio_producer *pp;

		assert_non_null(m);
		pp = gwio_memring_producer(m)->shared;
		switch (what) {
		case MAGIC: pp->magic ^= 1; break;
		case MAJOR: pp->abi_major = GWIO_ABI_MAJOR + 1; break;
		case RECORD_SIZE: pp->record_size = 24; break;
		case COUNT_ZERO: pp->record_count = 0; break;
		case COUNT_NOT_POW2: pp->record_count = 12; break;
		/* more records than the file holds */
		case COUNT_TOO_BIG: pp->record_count = 1u << 20; break;
		case OVERFLOW: pp->overflow = 2; break;
		case OFFSET_SMALL: pp->data_offset = 64; break;
		case OFFSET_ALIGN: pp->data_offset += 4; break;
		case OFFSET_BIG: pp->data_offset = 1u << 30; break;
		}
		errno = 0;
		assert_null(gwio_ring_open_fd(gwio_memring_fd(m), 0));
		assert_int_equal(errno, EPROTO);
		gwio_memring_close(m);
	}
}

/* Junk a previous user left in the consumer page does not wedge us. */
static void test_open_repairs_garbage_tail(void **state)
{
	/* the ring's head is GWIO_RING_POS_INIT + 3 when it is opened */
	const uint32_t junk[] = {
		1u << 30, (uint32_t)-100, 3 + 64 + 1,
		GWIO_RING_POS_INIT + 3 + 1,		/* one ahead of head */
		GWIO_RING_POS_INIT + 3 - 64 - 1,	/* over a ring behind */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		struct gwio_memring *m = gwio_memring_create(64,
			GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
		struct gwio_record buf[64];
		struct gwio_ring_stats stats;
		struct gwio_ring *ring;
		uint64_t seq;

		assert_non_null(m);
		push_n(m, 0, 3);
		((struct gwio_consumer *)gwio_memring_producer(m)->cons)->tail = junk[i];
		ring = open_consumer(m, O_NONBLOCK);
		gwio_ring_get_stats(ring, &stats);
		/* this handle's sequence starts at the repaired tail */
		assert_int_equal(stats.next_seq, 0);
		assert_int_equal(gwio_memring_producer(m)->cons->tail,
				 (uint32_t)(GWIO_RING_POS_INIT + 3));
		push_n(m, 3, 2);
		assert_int_equal(gwio_ring_read(ring, buf, 64, &seq), 2);
		assert_int_equal(seq, 0);
		assert_int_equal(buf[0].value, 3);
		gwio_ring_close(ring);
		gwio_memring_close(m);
	}
}

/* A newer ABI minor is fine: it only adds. */
static void test_open_accepts_newer_minor(void **state)
{
	struct gwio_memring *m = gwio_memring_create(16,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct gwio_ring_info info;
	struct gwio_ring *ring;

	(void)state;
	assert_non_null(m);
	gwio_memring_producer(m)->shared->abi_minor = GWIO_ABI_MINOR + 3;
	ring = open_consumer(m, 0);
	gwio_ring_get_info(ring, &info);
	assert_int_equal(info.abi_minor, GWIO_ABI_MINOR + 3);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

/* ABI 1.2: channels found by label through the ring's channel table. */
static void test_channel_table(void **state)
{
	struct gwio_memring *m = gwio_memring_create(16,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct gwio_channel_desc desc;
	struct gwio_ring *ring;

	(void)state;
	assert_non_null(m);
	assert_int_equal(gwio_memring_set_channel(m, 0, "door", GWIO_KIND_EDGE), 0);
	assert_int_equal(gwio_memring_set_channel(m, 7, "boiler-temp",
						  GWIO_KIND_ADC), 0);
	/* too long, empty, out of the table: refused */
	assert_int_equal(gwio_memring_set_channel(m, 1,
		"a-label-of-thirty-two-characters", GWIO_KIND_ADC), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(gwio_memring_set_channel(m, 1, "", GWIO_KIND_ADC), -1);
	assert_int_equal(gwio_memring_set_channel(m, 256, "x", GWIO_KIND_ADC), -1);

	ring = open_consumer(m, 0);
	assert_int_equal(gwio_ring_find_channel(ring, "boiler-temp"), 7);
	assert_int_equal(gwio_ring_find_channel(ring, "door"), 0);
	assert_int_equal(gwio_ring_find_channel(ring, "nope"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(gwio_ring_channel(ring, 7, &desc), 0);
	assert_int_equal(desc.index, 7);
	assert_int_equal(desc.kind, GWIO_KIND_ADC);
	assert_string_equal(desc.label, "boiler-temp");
	assert_int_equal(gwio_ring_channel(ring, 3, &desc), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(gwio_ring_channel(ring, 300, &desc), -1);

	/* a producer that does not terminate its labels cannot overrun us */
	{
		struct gwio_producer *pp = gwio_memring_producer(m)->shared;
		struct gwio_channel_entry *t = (void *)((char *)pp +
						      pp->channel_table_offset);

		memset(t[7].label, 'x', sizeof(t[7].label));
	}
	assert_int_equal(gwio_ring_channel(ring, 7, &desc), 0);
	assert_int_equal(strlen(desc.label), GWIO_LABEL_SIZE - 1);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

/* A table that overlaps the records, or is misaligned, is refused. */
static void test_channel_table_hostile(void **state)
{
	struct gwio_memring *m = gwio_memring_create(16,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct gwio_producer *pp;
	uint32_t good;

	(void)state;
	assert_non_null(m);
	pp = gwio_memring_producer(m)->shared;
	good = pp->channel_table_offset;
	pp->channel_table_entries = 100000;
	assert_null(gwio_ring_open_fd(gwio_memring_fd(m), 0));
	assert_int_equal(errno, EPROTO);
	pp->channel_table_entries = 256;
	pp->channel_table_offset = 3;
	assert_null(gwio_ring_open_fd(gwio_memring_fd(m), 0));
	assert_int_equal(errno, EPROTO);
	pp->channel_table_offset = 8;		/* inside the header */
	assert_null(gwio_ring_open_fd(gwio_memring_fd(m), 0));
	/* no table at all is fine (ABI 1.0/1.1 modules) */
	pp->channel_table_offset = 0;
	{
		struct gwio_ring *ring = gwio_ring_open_fd(gwio_memring_fd(m), 0);

		assert_non_null(ring);
		assert_int_equal(gwio_ring_find_channel(ring, "x"), -1);
		gwio_ring_close(ring);
	}
	pp->channel_table_offset = good;
	gwio_memring_close(m);
}

static void test_drop_newest_counters(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct gwio_ring_stats stats;
	struct gwio_record buf[16];
	struct gwio_ring *ring;
	uint64_t seq;

	(void)state;
	assert_non_null(m);
	ring = open_consumer(m, O_NONBLOCK);
	push_n(m, 0, 12);
	assert_int_equal(gwio_ring_read(ring, buf, 16, &seq), 8);
	push_n(m, 12, 1);
	assert_int_equal(gwio_ring_read(ring, buf, 16, &seq), 1);
	assert_int_equal(seq, 8);
	assert_int_equal(buf[0].value, 12);
	assert_int_equal(buf[0].flags, GWIO_REC_F_AFTER_DROP);
	gwio_ring_get_stats(ring, &stats);
	assert_int_equal(stats.produced, 13);
	assert_int_equal(stats.dropped, 4);
	assert_int_equal(stats.overruns, 1);
	assert_int_equal(stats.lost, 0);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

static void test_overwrite_lost(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_OVERWRITE, CLOCK_MONOTONIC);
	const struct gwio_record *peeked;
	struct gwio_ring_stats stats;
	struct gwio_record buf[16];
	struct gwio_ring *ring;
	uint64_t seq;
	ssize_t n;

	(void)state;
	assert_non_null(m);
	ring = open_consumer(m, O_NONBLOCK);
	push_n(m, 0, 20);
	n = gwio_ring_read(ring, buf, 16, &seq);
	gwio_ring_get_stats(ring, &stats);
	/* seq jumps exactly by lost, and each record is the one it names */
	assert_int_equal(seq, stats.lost);
	assert_int_equal(n + (ssize_t)stats.lost, 20);
	assert_int_equal(buf[0].value, seq);
	assert_int_equal(stats.produced, 20);
	assert_int_equal(stats.dropped, 12);
	assert_int_equal(stats.lost, 12);
	assert_int_equal(stats.overruns, 1);

	errno = 0;
	assert_int_equal(gwio_ring_peek(ring, &peeked, 4, NULL), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(gwio_ring_consume(ring, 0), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

/*
 * A consumer lapped by 2^31 + 1 on an overwrite ring (11 minutes at 3.2 M
 * records/s, a SIGSTOPped gwiod) sees head "behind" its tail.  It must
 * resync to head - size, deliver the newest ring and count the loss,
 * instead of reading nothing (and waiting) forever.
 */
static void test_overwrite_lapped_beyond_horizon(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_OVERWRITE, CLOCK_MONOTONIC);
	const uint32_t lap = (1u << 31) + 1;
	struct gwio_ring_stats stats;
	struct gwio_record buf[16];
	struct gwio_ring *ring;
	uint64_t seq;
	ssize_t n;
	int i;

	(void)state;
	assert_non_null(m);
	ring = open_consumer(m, O_NONBLOCK);
	push_n(m, 0, 4);
	assert_int_equal(gwio_ring_read(ring, buf, 16, &seq), 4);
	/* the producer runs lap - 8 positions on unseen, then stores 8 */
	gwio_memring_producer(m)->head += lap - 8;
	push_n(m, 100, 8);
	assert_int_equal(gwio_ring_wait(ring, 0), 1);
	n = gwio_ring_read(ring, buf, 16, &seq);
	assert_int_equal(n, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(buf[i].value, 100 + i);
	gwio_ring_get_stats(ring, &stats);
	assert_int_equal(seq, 4 + lap - 8);
	assert_int_equal(stats.lost, lap - 8);
	assert_int_equal(stats.resyncs, 1);
	assert_int_equal(stats.next_seq, 4 + lap);
	/* caught up: on as usual, no more resyncs */
	push_n(m, 200, 2);
	assert_int_equal(gwio_ring_read(ring, buf, 16, &seq), 2);
	assert_int_equal(buf[0].value, 200);
	gwio_ring_get_stats(ring, &stats);
	assert_int_equal(stats.resyncs, 1);
	assert_int_equal(stats.lost, lap - 8);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

static void test_peek_consume(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	const struct gwio_record *recs;
	struct gwio_record buf[8];
	struct gwio_ring *ring;
	uint64_t seq;

	(void)state;
	assert_non_null(m);
	ring = open_consumer(m, O_NONBLOCK);
	/* move to slot 6 so the next run wraps */
	push_n(m, 0, 6);
	assert_int_equal(gwio_ring_read(ring, buf, 8, NULL), 6);
	push_n(m, 6, 5);

	assert_int_equal(gwio_ring_peek(ring, &recs, 8, &seq), 2);
	assert_int_equal(seq, 6);
	assert_int_equal(recs[0].value, 6);
	assert_int_equal(recs[1].value, 7);
	errno = 0;
	assert_int_equal(gwio_ring_consume(ring, 9), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(gwio_ring_consume(ring, 1), 0);
	assert_int_equal(gwio_memring_producer(m)->cons->tail,
			 (uint32_t)(GWIO_RING_POS_INIT + 7));
	assert_int_equal(gwio_ring_consume(ring, 1), 0);

	assert_int_equal(gwio_ring_peek(ring, &recs, 2, &seq), 2);
	assert_int_equal(seq, 8);
	assert_int_equal(recs[0].value, 8);
	assert_int_equal(gwio_ring_consume(ring, 2), 0);
	assert_int_equal(gwio_ring_peek(ring, &recs, 8, &seq), 1);
	assert_int_equal(recs[0].value, 10);
	assert_int_equal(gwio_ring_consume(ring, 1), 0);

	errno = 0;
	assert_int_equal(gwio_ring_peek(ring, &recs, 8, &seq), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(gwio_ring_peek(ring, &recs, 0, &seq), 0);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

static void test_flush_start_stop(void **state)
{
	struct gwio_memring *m = gwio_memring_create(16,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct gwio_ring_stats stats;
	struct gwio_record buf[16];
	struct gwio_ring *ring;
	uint64_t seq;

	(void)state;
	assert_non_null(m);
	ring = open_consumer(m, O_NONBLOCK);
	push_n(m, 0, 7);
	assert_int_equal(gwio_ring_flush(ring), 0);
	gwio_ring_get_stats(ring, &stats);
	assert_int_equal(stats.next_seq, 7);
	assert_int_equal(stats.lost, 0);
	assert_int_equal(gwio_memring_producer(m)->cons->tail,
			 (uint32_t)(GWIO_RING_POS_INIT + 7));
	assert_int_equal(gwio_ring_wait(ring, 0), 0);
	push_n(m, 7, 1);
	assert_int_equal(gwio_ring_read(ring, buf, 16, &seq), 1);
	assert_int_equal(seq, 7);

	errno = 0;
	assert_int_equal(gwio_ring_start(ring), -1);
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(gwio_ring_stop(ring), -1);
	assert_int_equal(errno, ENOTTY);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

struct delayed_push {
	struct gwio_memring *m;
	int delay_ms;
	uint64_t count;
};

static void *delayed_pusher(void *arg)
{
	struct delayed_push *d = arg;
	struct timespec ts = { 0, d->delay_ms * 1000000L };

	nanosleep(&ts, NULL);
	push_n(d->m, 0, d->count);
	return NULL;
}

static void test_wait_and_blocking_read(void **state)
{
	struct gwio_memring *m = gwio_memring_create(16,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct delayed_push d = { .m = m, .delay_ms = 30, .count = 3 };
	struct gwio_record buf[16];
	struct gwio_ring *ring;
	int64_t t0, waited;
	pthread_t thread;

	(void)state;
	assert_non_null(m);
	ring = open_consumer(m, 0);
	assert_int_equal(gwio_ring_wait(ring, 0), 0);
	t0 = now_ms();
	assert_int_equal(gwio_ring_wait(ring, 25), 0);
	waited = now_ms() - t0;
	assert_true(waited >= 25 && waited < 500);

	/* blocking read sleeps until the producer publishes */
	assert_int_equal(pthread_create(&thread, NULL, delayed_pusher, &d), 0);
	t0 = now_ms();
	assert_int_equal(gwio_ring_read(ring, buf, 16, NULL), 3);
	assert_true(now_ms() - t0 >= 20);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(gwio_ring_wait(ring, 0), 0);
	push_n(m, 3, 1);
	assert_int_equal(gwio_ring_wait(ring, -1), 1);
	gwio_ring_close(ring);
	gwio_memring_close(m);
}

/* The library path end to end under threads: nothing lost, in order. */
struct lib_stress {
	struct gwio_memring *m;
	uint64_t records;
};

static void *lib_stress_producer(void *arg)
{
	struct lib_stress *s = arg;
	struct gwio_ring_prod *p = gwio_memring_producer(s->m);
	uint64_t i;

	for (i = 0; i < s->records; i++) {
		struct gwio_record rec = make_rec(i);

		while (gwio_ring_prod_full(p))
			gwio_ring_prod_publish(p);
		gwio_memring_push(s->m, &rec);
		if (i % 16 == 0)
			gwio_memring_publish(s->m);
	}
	gwio_memring_publish(s->m);
	return NULL;
}

static void test_library_stress(void **state)
{
	struct lib_stress s = { .records = 500000 };
	struct gwio_record buf[64];
	struct gwio_ring_stats stats;
	struct gwio_ring *ring;
	uint64_t got = 0, seq;
	pthread_t thread;

	(void)state;
	s.m = gwio_memring_create(128, GWIO_OVERFLOW_DROP_NEWEST,
				  CLOCK_MONOTONIC);
	assert_non_null(s.m);
	ring = open_consumer(s.m, 0);
	assert_int_equal(pthread_create(&thread, NULL, lib_stress_producer,
					&s), 0);
	while (got < s.records) {
		ssize_t n = gwio_ring_read(ring, buf, 64, &seq), i;

		assert_true(n > 0);
		assert_int_equal(seq, got);
		for (i = 0; i < n; i++)
			if (buf[i].value != (uint32_t)(got + (uint64_t)i))
				fail_msg("record %llu holds %u",
					 (unsigned long long)(got + (uint64_t)i),
					 buf[i].value);
		got += (uint64_t)n;
	}
	assert_int_equal(pthread_join(thread, NULL), 0);
	gwio_ring_get_stats(ring, &stats);
	assert_int_equal(stats.produced, s.records);
	assert_int_equal(stats.dropped, 0);
	gwio_ring_close(ring);
	gwio_memring_close(s.m);
}

/* ------------------------------------------------------------- capture */

static void test_capture_round_trip(void **state)
{
	char dir[] = "/tmp/gwio-test-XXXXXX", path[64];
	struct gwio_ring_info info = {
		.record_count = 256, .clock_id = CLOCK_MONOTONIC,
		.overflow = GWIO_OVERFLOW_OVERWRITE,
	};
	struct gwio_capture_header hdr;
	struct gwio_capture_entry entries[8];
	struct gwio_record recs[5];
	struct gwio_capture *cap;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap", dir);
	for (i = 0; i < 5; i++)
		recs[i] = make_rec((uint64_t)i);

	cap = gwio_capture_create(path, &info);
	assert_non_null(cap);
	assert_int_equal(gwio_capture_write(cap, 100, recs, 3), 0);
	assert_int_equal(gwio_capture_write(cap, 200, recs + 3, 2), 0);
	assert_int_equal(gwio_capture_read(cap, entries, 1), -1);
	assert_int_equal(gwio_capture_close(cap), 0);

	cap = gwio_capture_open(path, &hdr);
	assert_non_null(cap);
	assert_memory_equal(hdr.magic, GWIO_CAPTURE_MAGIC, 8);
	assert_int_equal(hdr.version, GWIO_CAPTURE_VERSION);
	assert_int_equal(hdr.record_count, 256);
	assert_int_equal(hdr.clock_id, CLOCK_MONOTONIC);
	assert_int_equal(hdr.overflow, GWIO_OVERFLOW_OVERWRITE);
	assert_true(hdr.start_clock_ns > 0 && hdr.start_realtime_ns > 0);
	assert_int_equal(gwio_capture_read(cap, entries, 8), 5);
	assert_int_equal(entries[0].seq, 100);
	assert_int_equal(entries[2].seq, 102);
	assert_int_equal(entries[3].seq, 200);
	assert_memory_equal(&entries[4].rec, &recs[4], sizeof(recs[4]));
	assert_int_equal(gwio_capture_read(cap, entries, 8), 0);
	assert_int_equal(gwio_capture_write(cap, 0, recs, 1), -1);
	assert_int_equal(gwio_capture_close(cap), 0);

	/* a file that is not a capture */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("definitely not a capture file, but long enough to hold a "
	      "header of sixty-four bytes", f);
	fclose(f);
	errno = 0;
	assert_null(gwio_capture_open(path, &hdr));
	assert_int_equal(errno, EPROTO);
	unlink(path);
	assert_null(gwio_capture_open(path, &hdr));
	assert_int_equal(errno, ENOENT);
	rmdir(dir);
}

/* ------------------------------------------------------------ gwio-cat */

struct cat_run {
	int status;		/* exit status, or -1 */
	char out[8192];
	size_t out_len;
	char err[2048];
};

static void slurp(const char *path, char *buf, size_t size, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	if (len)
		*len = n;
	fclose(f);
}

/* Run gwio-cat with @args (a shell fragment; RING expands to the ring). */
static void run_cat(struct cat_run *run, struct gwio_memring *m,
		    const char *args)
{
	const char *cat = getenv("GWIO_CAT");
	char dir[] = "/tmp/gwio-cat-XXXXXX", cmd[1024], out[64], err[64];
	char ring[64];
	int ret;

	if (!cat)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	snprintf(ring, sizeof(ring), "/proc/%d/fd/%d", (int)getpid(),
		 m ? gwio_memring_fd(m) : -1);
	snprintf(cmd, sizeof(cmd), "RING=%s; %s %s >%s 2>%s", ring, cat, args,
		 out, err);
	ret = system(cmd);
	run->status = WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
	slurp(out, run->out, sizeof(run->out), &run->out_len);
	slurp(err, run->err, sizeof(run->err), NULL);
	unlink(out);
	unlink(err);
	rmdir(dir);
}

static void test_cat_text_and_csv(void **state)
{
	struct gwio_memring *m = gwio_memring_create(64,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct cat_run run;

	(void)state;
	assert_non_null(m);
	push_n(m, 0, 10);
	run_cat(&run, m, "-n 3 -t 1000 $RING");
	assert_int_equal(run.status, 0);
	assert_string_equal(run.out,
			    "0 0 0 adc 0 0x00\n"
			    "1 1000 1 adc 1 0x00\n"
			    "2 2000 2 adc 2 0x00\n");
	assert_non_null(strstr(run.err, "records=3 lost=0 produced=10 "
			       "dropped=0 overruns=0\n"));

	/* the first run consumed three */
	run_cat(&run, m, "--format=csv --count 2 $RING");
	assert_int_equal(run.status, 0);
	assert_string_equal(run.out, "seq,ts_ns,channel,kind,value,flags\n"
			    "0,3000,0,3,3,0\n1,4000,1,3,4,0\n");
	gwio_memring_close(m);
}

static void test_cat_binary_and_record(void **state)
{
	struct gwio_memring *m = gwio_memring_create(64,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct gwio_capture_entry entries[8];
	struct gwio_capture_header hdr;
	struct gwio_record want = make_rec(5);
	struct gwio_capture *cap;
	struct cat_run run;
	char cmd[256];

	(void)state;
	assert_non_null(m);
	push_n(m, 0, 6);
	snprintf(cmd, sizeof(cmd), "-b --record /tmp/gwio-cat-%d.cap -t 100 "
		 "$RING", (int)getpid());
	run_cat(&run, m, cmd);
	assert_int_equal(run.status, 0);
	assert_int_equal(run.out_len, 6 * sizeof(struct gwio_record));
	assert_memory_equal(run.out + 5 * sizeof(want), &want, sizeof(want));

	snprintf(cmd, sizeof(cmd), "/tmp/gwio-cat-%d.cap", (int)getpid());
	cap = gwio_capture_open(cmd, &hdr);
	assert_non_null(cap);
	assert_int_equal(hdr.record_count, 64);
	assert_int_equal(gwio_capture_read(cap, entries, 8), 6);
	assert_int_equal(entries[5].seq, 5);
	assert_memory_equal(&entries[5].rec, &want, sizeof(want));
	gwio_capture_close(cap);
	unlink(cmd);
	gwio_memring_close(m);
}

struct flood {
	struct gwio_memring *m;
	int stop;
};

static void *flooder(void *arg)
{
	struct flood *f = arg;
	uint64_t i = 0;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		struct gwio_record rec = make_rec(i++);

		gwio_memring_push(f->m, &rec);
		if (i % 4 == 0)
			gwio_memring_publish(f->m);
	}
	gwio_memring_publish(f->m);
	return NULL;
}

static void test_cat_check_seq(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct flood f;
	struct cat_run run;
	pthread_t thread;
	const char *lost;

	(void)state;
	assert_non_null(m);
	push_n(m, 0, 4);
	run_cat(&run, m, "-q --check-seq -t 50 $RING");
	assert_int_equal(run.status, 0);
	assert_non_null(strstr(run.err, "records=4 lost=0"));

	/* drops while nobody reads show on the next stored record */
	push_n(m, 4, 12);
	run_cat(&run, m, "-q --check-seq -n 8 $RING");
	assert_int_equal(run.status, 0);
	push_n(m, 100, 1);
	run_cat(&run, m, "--check-seq -t 50 $RING");
	assert_int_equal(run.status, 3);
	assert_non_null(strstr(run.err, "records dropped before seq 0"));
	assert_non_null(strstr(run.err, "records=1 lost=0 produced=17 "
			       "dropped=4 overruns=1"));
	gwio_memring_close(m);

	/* an overwrite ring far faster than the reader loses records */
	f.m = gwio_memring_create(8, GWIO_OVERFLOW_OVERWRITE, CLOCK_MONOTONIC);
	f.stop = 0;
	assert_non_null(f.m);
	assert_int_equal(pthread_create(&thread, NULL, flooder, &f), 0);
	run_cat(&run, f.m, "-q --check-seq -t 100 $RING");
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(run.status, 3);
	lost = strstr(run.err, "lost=");
	assert_non_null(lost);
	assert_true(strtoull(lost + 5, NULL, 10) > 0);
	gwio_memring_close(f.m);
}

static void test_cat_errors(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_OVERWRITE, CLOCK_MONOTONIC);
	struct cat_run run;

	(void)state;
	assert_non_null(m);
	push_n(m, 0, 4);
	/* not enough records before the timeout */
	run_cat(&run, m, "-n 5 -t 50 $RING");
	assert_int_equal(run.status, 1);
	assert_non_null(strstr(run.err, "timed out after 50 ms with 4 of 5"));

	run_cat(&run, m, "--start -t 10 $RING");
	assert_int_equal(run.status, 1);
	assert_non_null(strstr(run.err, "starting"));

	run_cat(&run, m, "-n 0 $RING");
	assert_int_equal(run.status, 2);
	run_cat(&run, m, "-f xml $RING");
	assert_int_equal(run.status, 2);
	run_cat(&run, m, "");
	assert_int_equal(run.status, 2);
	assert_non_null(strstr(run.err, "missing DEVICE"));
	run_cat(&run, m, "/dev/null");
	assert_int_equal(run.status, 1);
	assert_non_null(strstr(run.err, "not a gwio device"));
	run_cat(&run, m, "/nonexistent");
	assert_int_equal(run.status, 1);
	gwio_memring_close(m);
}

/* gwio-cat beside another consumer: refused, with the holder's name */
static void test_cat_busy(void **state)
{
	struct gwio_memring *m = gwio_memring_create(8,
		GWIO_OVERFLOW_DROP_NEWEST, CLOCK_MONOTONIC);
	struct gwio_ring *ring;
	struct cat_run run;
	char want[64];

	(void)state;
	assert_non_null(m);
	push_n(m, 0, 4);
	ring = open_consumer(m, O_NONBLOCK);
	run_cat(&run, m, "-n 4 -t 100 $RING");
	assert_int_equal(run.status, 1);
	assert_string_equal(run.out, "");
	snprintf(want, sizeof(want), "is being read by pid %d (", (int)getpid());
	assert_non_null(strstr(run.err, want));
	/* nothing was taken from the holder */
	assert_int_equal(gwio_memring_producer(m)->cons->tail, GWIO_RING_POS_INIT);
	gwio_ring_close(ring);
	run_cat(&run, m, "-n 4 -t 100 $RING");
	assert_int_equal(run.status, 0);
	gwio_memring_close(m);
}

int main(void)
{
	/*
	 * tests/cross/unit.sh runs these under qemu user emulation, which
	 * answers ioctls it does not know (ours, on /dev/null) with ENOSYS
	 * where a kernel says ENOTTY: it skips the tests that check that.
	 */
	const char *skip = getenv("GWIO_TEST_SKIP");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memring_create_rejects),
		cmocka_unit_test(test_open_read_info_stats),
		cmocka_unit_test(test_open_by_path),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_one_consumer_at_a_time),
		cmocka_unit_test(test_ring_strerror),
		cmocka_unit_test(test_open_rejects_bad_producer_page),
		cmocka_unit_test(test_open_repairs_garbage_tail),
		cmocka_unit_test(test_open_accepts_newer_minor),
		cmocka_unit_test(test_drop_newest_counters),
		cmocka_unit_test(test_overwrite_lost),
		cmocka_unit_test(test_overwrite_lapped_beyond_horizon),
		cmocka_unit_test(test_peek_consume),
		cmocka_unit_test(test_flush_start_stop),
		cmocka_unit_test(test_wait_and_blocking_read),
		cmocka_unit_test(test_library_stress),
		cmocka_unit_test(test_channel_table),
		cmocka_unit_test(test_channel_table_hostile),
		cmocka_unit_test(test_capture_round_trip),
		cmocka_unit_test(test_cat_text_and_csv),
		cmocka_unit_test(test_cat_binary_and_record),
		cmocka_unit_test(test_cat_check_seq),
		cmocka_unit_test(test_cat_errors),
		cmocka_unit_test(test_cat_busy),
	};

	if (skip && *skip)
		cmocka_set_skip_filter(skip);
	return cmocka_run_group_tests_name("libgwio", tests, NULL, NULL);
}
