/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Tests of the ring arithmetic in kmod/gwio_ring.h, the very code gwio.ko
 * runs as producer and libgwio runs as consumer.
 *
 * Every record a test produces encodes the number it was offered as (its
 * "offer index"), so a consumer can tell exactly which record it got.
 * Positions start at 0 and, where the test is given one as prestate, near
 * 2^31 or near 2^32 so that the 32-bit shared positions cross the signed
 * boundary or wrap during the test (the consumer's 64-bit sequence
 * numbers keep counting).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwio_ring.h"

/*
 * The mapped layout is the same for every process (ABI 2.0).  The uapi
 * header no longer asserts it (C++03 and other compilers include it); the
 * kernel does with BUILD_BUG_ON, and so does this test, at compile time
 * and again at run time in test_layout.
 */
_Static_assert(sizeof(struct gwio_record) == 16, "record size");
_Static_assert(sizeof(struct gwio_consumer) == 64, "consumer page");
_Static_assert(offsetof(struct gwio_producer, head) == 64, "head");
_Static_assert(offsetof(struct gwio_producer, oldest) == 68, "oldest");
_Static_assert(offsetof(struct gwio_producer, stats_seq) == 128, "stats");
_Static_assert(offsetof(struct gwio_producer, produced) == 136, "produced");
_Static_assert(offsetof(struct gwio_producer, wakeups) == 160, "wakeups");
_Static_assert(sizeof(struct gwio_producer) == 192, "producer header");
_Static_assert(sizeof(struct gwio_channel_entry) == 48, "channel entry");
_Static_assert(sizeof(struct gwio_info) == 72, "GWIO_IOC_INFO");

#define GUARD_RECORDS	16
#define GUARD_BYTE	0xa5

struct test_ring {
	struct gwio_producer shared;
	struct gwio_consumer cons_page;
	struct gwio_ring_prod p;
	struct gwio_ring_cons c;
	struct gwio_record *mem;	/* guard, records, guard */
	struct gwio_record *recs;
	uint32_t count;
};

static const uint64_t start_zero = 0;
static const uint64_t start_u31 = (1ull << 31) - 5;
static const uint64_t start_u32 = (uint64_t)UINT32_MAX - 5;
#define start_u64 start_u31	/* the stress runs' second start */

/*
 * A ring whose producer and consumer both stand at @start, as if @start
 * records had already passed through it.
 */
static struct test_ring *ring_new(uint32_t count, uint32_t overflow,
				  uint64_t start)
{
	struct test_ring *r;
	size_t mem_len = (count + 2 * GUARD_RECORDS) * sizeof(*r->mem);

	r = aligned_alloc(64, (sizeof(*r) + 63) & ~(size_t)63);
	assert_non_null(r);
	memset(r, 0, sizeof(*r));
	r->mem = malloc(mem_len);
	assert_non_null(r->mem);
	memset(r->mem, GUARD_BYTE, mem_len);
	r->recs = r->mem + GUARD_RECORDS;
	r->count = count;

	r->shared.magic = GWIO_MAGIC;
	r->shared.abi_major = GWIO_ABI_MAJOR;
	r->shared.abi_minor = GWIO_ABI_MINOR;
	r->shared.record_size = sizeof(struct gwio_record);
	r->shared.record_count = count;
	r->shared.overflow = overflow;

	gwio_ring_prod_init(&r->p, &r->shared, &r->cons_page, r->recs, count,
			    overflow);
	r->p.head = (u32)start;
	r->p.tail_cache = (u32)start;
	r->p.oldest = (u32)start - count;
	r->shared.oldest = r->p.oldest;
	r->shared.head = (u32)start;
	r->cons_page.tail = (u32)start;
	gwio_ring_cons_init(&r->c, &r->cons_page, &r->shared, r->recs);
	return r;
}

/* The producer never wrote outside its records. */
static void assert_guards_intact(const struct test_ring *r)
{
	const unsigned char *lo = (const unsigned char *)r->mem;
	const unsigned char *hi = (const unsigned char *)(r->recs + r->count);
	size_t i, len = GUARD_RECORDS * sizeof(*r->mem);

	for (i = 0; i < len; i++) {
		assert_int_equal(lo[i], GUARD_BYTE);
		assert_int_equal(hi[i], GUARD_BYTE);
	}
}

static void ring_free(struct test_ring *r)
{
	assert_guards_intact(r);
	free(r->mem);
	free(r);
}

/* The producer page's counters, read the way a consumer must. */
static struct gwio_ring_counters ctr(const struct test_ring *r)
{
	struct gwio_ring_counters c;

	gwio_ring_read_counters(&r->shared, &c);
	return c;
}

static struct gwio_record make_rec(uint64_t n)
{
	struct gwio_record rec = {
		.ts_ns = n,
		.value = (uint32_t)(n * 2654435761u),
		.channel = (uint16_t)(n % 7),
		.kind = GWIO_KIND_SIM,
		.flags = 0,
	};
	return rec;
}

/* @rec is the record offered as number @n, with @flags added. */
static void assert_rec(const struct gwio_record *rec, uint64_t n, uint8_t flags)
{
	struct gwio_record want = make_rec(n);

	assert_int_equal(rec->ts_ns, want.ts_ns);
	assert_int_equal(rec->value, want.value);
	assert_int_equal(rec->channel, want.channel);
	assert_int_equal(rec->kind, want.kind);
	assert_int_equal(rec->flags, flags);
}

static bool push_n(struct test_ring *r, uint64_t first, uint64_t n)
{
	bool all = true;
	uint64_t i;

	for (i = 0; i < n; i++) {
		struct gwio_record rec = make_rec(first + i);

		all &= gwio_ring_prod_push(&r->p, &rec);
	}
	return all;
}

static uint64_t prestate_start(void **state)
{
	return *state ? *(const uint64_t *)*state : 0;
}

/* ------------------------------------------------------------------ basic */

static void test_empty(void **state)
{
	uint64_t start = prestate_start(state);
	struct test_ring *r = ring_new(8, GWIO_OVERFLOW_DROP_NEWEST, start);
	struct gwio_record out[4];
	const struct gwio_record *peeked = NULL;
	u64 seq = 1234;

	assert_int_equal(gwio_ring_cons_avail(&r->c), 0);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 4, &seq), 0);
	assert_int_equal(seq, start);
	assert_int_equal(gwio_ring_cons_peek(&r->c, &peeked, 4), 0);
	assert_int_equal(gwio_ring_prod_avail(&r->p), 0);
	assert_false(gwio_ring_prod_full(&r->p));
	assert_int_equal(r->c.lost, 0);

	/* pushed but not published: invisible */
	assert_true(push_n(r, 0, 3));
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 4, &seq), 0);
	ring_free(r);
}

static void test_fill_exactly_full(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 16;
	struct test_ring *r = ring_new(count, GWIO_OVERFLOW_DROP_NEWEST, start);
	struct gwio_record out[32];
	u64 seq;
	uint32_t i, n;

	for (i = 0; i < count; i++) {
		assert_false(gwio_ring_prod_full(&r->p));
		assert_true(push_n(r, i, 1));
	}
	assert_true(gwio_ring_prod_full(&r->p));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_prod_avail(&r->p), count);
	assert_int_equal(ctr(r).produced, count);
	assert_int_equal(ctr(r).dropped, 0);
	assert_int_equal(ctr(r).overruns, 0);
	assert_int_equal(r->shared.head, (u32)(start + count));

	n = gwio_ring_cons_read(&r->c, out, 32, &seq);
	assert_int_equal(n, count);
	assert_int_equal(seq, start);
	for (i = 0; i < n; i++)
		assert_rec(&out[i], i, 0);
	assert_int_equal(r->c.lost, 0);

	/* a read hands the slots back at once */
	assert_int_equal(r->cons_page.tail, (u32)(start + count));
	assert_false(gwio_ring_prod_full(&r->p));
	assert_int_equal(gwio_ring_prod_avail(&r->p), 0);
	ring_free(r);
}

/* Many laps with uneven batches on both sides; checks every record. */
static void wrap_many_times(uint64_t start, uint32_t overflow)
{
	const uint32_t count = 8;
	struct test_ring *r = ring_new(count, overflow, start);
	struct gwio_record out[count];
	uint64_t produced = 0, consumed = 0;
	u64 seq;
	unsigned int step;

	for (step = 0; step < 5000; step++) {
		uint64_t room = count - (produced - consumed);
		uint64_t burst = (step * 7 + 3) % (room + 1);
		uint32_t max = (step * 5 + 1) % count + 1;
		uint32_t i, n;

		assert_true(push_n(r, produced, burst));
		produced += burst;
		gwio_ring_prod_publish(&r->p);

		n = gwio_ring_cons_read(&r->c, out, max, &seq);
		assert_int_equal(seq, start + consumed);
		for (i = 0; i < n; i++)
			assert_rec(&out[i], consumed + i, 0);
		consumed += n;
	}
	assert_true(produced > 100 * count);
	assert_int_equal(ctr(r).produced, produced);
	assert_int_equal(ctr(r).dropped, 0);
	assert_int_equal(r->c.lost, 0);
	ring_free(r);
}

static void test_wrap_drop_newest(void **state)
{
	wrap_many_times(prestate_start(state), GWIO_OVERFLOW_DROP_NEWEST);
}

static void test_wrap_overwrite(void **state)
{
	wrap_many_times(prestate_start(state), GWIO_OVERFLOW_OVERWRITE);
}

/*
 * The shared 32-bit positions wrap; the consumer's 64-bit sequence
 * numbers keep counting past 2^32.
 */
static void test_u32_position_wraps(void **state)
{
	struct test_ring *r = ring_new(4, GWIO_OVERFLOW_DROP_NEWEST,
				       UINT32_MAX - 1);
	struct gwio_record out[4];
	u64 seq;

	(void)state;
	assert_true(push_n(r, 0, 4));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(r->shared.head, 2);
	assert_int_equal(gwio_ring_cons_avail(&r->c), 4);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 4, &seq), 4);
	assert_int_equal(seq, UINT32_MAX - 1);
	assert_rec(&out[3], 3, 0);
	assert_int_equal(r->cons_page.tail, 2);
	assert_true(push_n(r, 4, 2));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 4, &seq), 2);
	assert_int_equal(seq, (1ull << 32) + 2);
	assert_rec(&out[0], 4, 0);
	ring_free(r);
}

/*
 * ABI 2.0: the same layout for every process, and every shared word is
 * 32 bits wide (the uapi header asserts the offsets at compile time too).
 */
static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct gwio_consumer), 64);
	assert_int_equal(sizeof(((struct gwio_consumer *)0)->tail), 4);
	assert_int_equal(offsetof(struct gwio_producer, head), 64);
	assert_int_equal(sizeof(((struct gwio_producer *)0)->head), 4);
	assert_int_equal(offsetof(struct gwio_producer, oldest), 68);
	assert_int_equal(offsetof(struct gwio_producer, stats_seq), 128);
	assert_int_equal(offsetof(struct gwio_producer, produced), 136);
	assert_int_equal(offsetof(struct gwio_producer, dropped), 144);
	assert_int_equal(offsetof(struct gwio_producer, overruns), 152);
	assert_int_equal(offsetof(struct gwio_producer, wakeups), 160);
	assert_int_equal(sizeof(struct gwio_producer), 192);
	assert_int_equal(sizeof(struct gwio_record), 16);
	assert_int_equal(_Alignof(struct gwio_record), 8);
	assert_int_equal(sizeof(struct gwio_info), 72);
	assert_int_equal(offsetof(struct gwio_info, consumer_map_size), 24);
	assert_int_equal(offsetof(struct gwio_info, producer_map_size), 32);
	assert_int_equal(sizeof(struct gwio_channel_entry), 48);
	assert_int_equal(GWIO_ABI_MAJOR, 2);
	/* ABI 2.0 left 'G' (xen gntdev/gntalloc, sgi-gru): docs/abi.md */
	assert_int_equal(_IOC_TYPE(GWIO_IOC_INFO), 'J');
	assert_int_equal(_IOC_TYPE(GWIO_IOC_FLUSH), 'J');
	assert_int_equal(_IOC_NR(GWIO_IOC_FLUSH), 4);
	assert_int_equal(_IOC_SIZE(GWIO_IOC_INFO), sizeof(struct gwio_info));
}

/*
 * The ring's layout for every page size a kernel may have: 4 KiB, and the
 * 16 KiB (Raspberry Pi 5's kernel_2712) and 64 KiB arm64 kernels.  The
 * producer mapping is whole pages, covers every record, and is what mmap
 * accepts: before, 256 records on 16 KiB pages asked for 36864 bytes and a
 * page-rounded mapping of them was refused.
 */
static void test_ring_layout_pages(void **state)
{
	static const uint64_t pages[] = { 4096, 16384, 65536 };
	uint32_t records;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		uint64_t ps = pages[i];

		for (records = 256; records <= (1u << 22); records <<= 1) {
			struct gwio_ring_layout l;
			uint64_t need;

			gwio_ring_layout(&l, records, 256, ps);
			need = l.data_offset + (uint64_t)records * 16;
			assert_int_equal(l.table_offset, ps);
			assert_int_equal(l.data_offset % ps, 0);
			assert_true(l.data_offset >= l.table_offset + 256 * 48);
			assert_int_equal(l.producer_map_size % ps, 0);
			assert_true(l.producer_map_size >= need);
			assert_true(l.producer_map_size - need < ps);
			assert_int_equal(l.bytes, ps + l.producer_map_size);
			/* what GWIO_IOC_INFO reports maps, one page more not */
			assert_true(gwio_ring_map_fits(&l, ps,
						       GWIO_PRODUCER_PGOFF,
						       l.producer_map_size));
			assert_false(gwio_ring_map_fits(&l, ps,
							GWIO_PRODUCER_PGOFF,
							l.producer_map_size +
							ps));
			assert_true(gwio_ring_map_fits(&l, ps,
						       GWIO_PRODUCER_PGOFF, ps));
			assert_false(gwio_ring_map_fits(&l, ps,
							GWIO_PRODUCER_PGOFF, 0));
			assert_true(gwio_ring_map_fits(&l, ps,
						       GWIO_CONSUMER_PGOFF, ps));
			assert_false(gwio_ring_map_fits(&l, ps,
							GWIO_CONSUMER_PGOFF,
							2 * ps));
			assert_false(gwio_ring_map_fits(&l, ps, 7, ps));
		}
	}
	/* the case from the review: 256 records, 16 KiB pages */
	{
		struct gwio_ring_layout l;

		gwio_ring_layout(&l, 256, 256, 16384);
		assert_int_equal(l.data_offset, 32768);
		assert_int_equal(l.producer_map_size, 49152);
		assert_true(gwio_ring_map_fits(&l, 16384, GWIO_PRODUCER_PGOFF,
					       49152));
	}
}

/*
 * 64-bit counters are published as 32-bit halves inside a sequence count:
 * a reader never sees halves of two different values, even across a
 * carry into the high word (what a 32-bit CPU would tear).
 */
struct count_race {
	struct test_ring *r;
	int done;
};

static void *count_writer(void *arg)
{
	struct count_race *cr = arg;
	struct gwio_ring_prod *p = &cr->r->p;
	uint64_t i;

	for (i = 0; i < 2000000; i++) {
		/* both halves change every time: a torn read mismatches */
		uint64_t v = i << 32 | (uint32_t)(i * 2654435761u);

		p->produced = v;
		p->dropped = v;
		p->overruns = v;
		p->wakeups = v;
		gwio_ring_prod_publish_stats(p);
	}
	__atomic_store_n(&cr->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_counters_consistent(void **state)
{
	struct count_race cr = { .r = ring_new(8, GWIO_OVERFLOW_DROP_NEWEST, 0) };
	uint64_t reads = 0, bad = 0;
	pthread_t w;

	(void)state;
	assert_int_equal(pthread_create(&w, NULL, count_writer, &cr), 0);
	while (!__atomic_load_n(&cr.done, __ATOMIC_ACQUIRE)) {
		struct gwio_ring_counters c = ctr(cr.r);

		reads++;
		bad += (uint32_t)c.produced !=
		       (uint32_t)((c.produced >> 32) * 2654435761u) ||
		       c.dropped != c.produced || c.overruns != c.produced ||
		       c.wakeups != c.produced;
	}
	assert_int_equal(pthread_join(w, NULL), 0);
	assert_int_equal(bad, 0);
	assert_true(reads > 0);
	assert_int_equal(ctr(cr.r).produced >> 32, 1999999);
	ring_free(cr.r);
}

/* ----------------------------------------------------------- drop newest */

static void test_drop_newest_full(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 8;
	struct test_ring *r = ring_new(count, GWIO_OVERFLOW_DROP_NEWEST, start);
	struct gwio_record out[count];
	u64 seq;
	uint32_t i;

	assert_true(push_n(r, 0, count));
	for (i = 0; i < 5; i++) {
		struct gwio_record rec = make_rec(100 + i);

		assert_false(gwio_ring_prod_push(&r->p, &rec));
	}
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(ctr(r).produced, count + 5);
	assert_int_equal(ctr(r).dropped, 5);
	assert_int_equal(ctr(r).overruns, 1);
	assert_int_equal(r->shared.head, (u32)(start + count));

	/* free two slots; the next stored record says records went missing */
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 2, &seq), 2);
	assert_true(push_n(r, 200, 2));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, count, &seq), count);
	assert_int_equal(seq, start + 2);
	for (i = 0; i < count - 2; i++)
		assert_rec(&out[i], i + 2, 0);
	assert_rec(&out[count - 2], 200, GWIO_REC_F_AFTER_DROP);
	assert_rec(&out[count - 1], 201, 0);

	/* a second episode counts a second overrun */
	assert_true(push_n(r, 300, count));
	assert_false(push_n(r, 400, 3));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(ctr(r).produced, count + 5 + 2 + count + 3);
	assert_int_equal(ctr(r).dropped, 8);
	assert_int_equal(ctr(r).overruns, 2);
	assert_int_equal(r->c.lost, 0);
	ring_free(r);
}

/* Flags the producer was given survive next to AFTER_DROP. */
static void test_after_drop_keeps_flags(void **state)
{
	struct test_ring *r = ring_new(2, GWIO_OVERFLOW_DROP_NEWEST, 0);
	struct gwio_record rec = make_rec(0), out[2];
	u64 seq;

	(void)state;
	assert_true(push_n(r, 0, 2));
	assert_false(push_n(r, 2, 1));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 1, &seq), 1);
	rec.flags = GWIO_REC_F_RISING;
	assert_true(gwio_ring_prod_push(&r->p, &rec));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 2, &seq), 2);
	assert_int_equal(out[1].flags, GWIO_REC_F_RISING | GWIO_REC_F_AFTER_DROP);
	ring_free(r);
}

/* ------------------------------------------------------------- overwrite */

/*
 * The consumer falls behind by @extra records: it must skip exactly what
 * it reports lost, and every record it does return must be the one its
 * sequence number names.
 */
static void overwrite_lost(uint64_t start, uint32_t extra)
{
	const uint32_t count = 8;
	struct test_ring *r = ring_new(count, GWIO_OVERFLOW_OVERWRITE, start);
	struct gwio_record out[count];
	uint64_t received = 0, next_seq = start;
	u64 seq;
	uint32_t i, n;

	assert_true(push_n(r, 0, count + extra));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(ctr(r).produced, count + extra);
	assert_int_equal(ctr(r).dropped, extra);
	assert_int_equal(ctr(r).overruns, extra ? 1 : 0);
	assert_int_equal(r->shared.head, (u32)(start + count + extra));

	while ((n = gwio_ring_cons_read(&r->c, out, count, &seq)) != 0) {
		/* the sequence jumps by exactly what was reported lost */
		assert_int_equal(seq - next_seq, r->c.lost -
				 (next_seq - start - received));
		for (i = 0; i < n; i++)
			assert_rec(&out[i], seq - start + i, 0);
		received += n;
		next_seq = seq + n;
	}
	assert_int_equal(next_seq, start + count + extra);
	/* exactly the records the producer took back, no more */
	assert_int_equal(r->c.lost, extra);
	assert_int_equal(received, count);
	assert_int_equal(received + ctr(r).dropped, ctr(r).produced);

	/* caught up: no more loss, flags untouched (no AFTER_DROP here) */
	assert_true(push_n(r, 1000, 3));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, count, &seq), 3);
	assert_int_equal(seq, start + count + extra);
	assert_rec(&out[0], 1000, 0);
	ring_free(r);
}

static void test_overwrite_lost(void **state)
{
	uint64_t start = prestate_start(state);

	overwrite_lost(start, 0);
	overwrite_lost(start, 1);
	overwrite_lost(start, 5);
	overwrite_lost(start, 8);
	overwrite_lost(start, 100);
}

/*
 * Freeze the producer between overwriting the oldest slot and publishing
 * the new head.  A consumer reading now must not hand out the replaced slot
 * under the old record's sequence number.  Run at every start so the
 * 64-bit counter wraps in between.
 */
static void test_overwrite_mid_push(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 8;
	uint32_t laps;

	for (laps = 1; laps <= 3 * count; laps++) {
		struct test_ring *r = ring_new(count, GWIO_OVERFLOW_OVERWRITE,
					       start);
		struct gwio_record out[count];
		uint64_t lost_before;
		u64 seq;
		uint32_t i, n;

		assert_true(push_n(r, 0, count + laps - 1));
		gwio_ring_prod_publish(&r->p);
		/* the next push publishes head, then overwrites, unpublished */
		assert_true(push_n(r, count + laps - 1, 1));

		lost_before = r->c.lost;
		n = gwio_ring_cons_read(&r->c, out, count, &seq);
		for (i = 0; i < n; i++)
			assert_rec(&out[i], seq - start + i, 0);
		assert_int_equal(r->c.lost - lost_before,
				 seq - start);
		assert_int_equal(seq + n, start + count + laps - 1);
		ring_free(r);
	}
}

/* ----------------------------------------------------------- hostile tail */

static void hostile_tail(uint32_t overflow, uint64_t start)
{
	const uint32_t count = 16;
	/*
	 * "always" tails stay invalid for the whole test; the others are
	 * just ahead of head and become plausible once head passes them,
	 * which lets the producer reuse slots its own consumer never read.
	 */
	const struct {
		uint32_t tail;
		bool always;
	} tails[] = {
		{ (u32)start + (1u << 30), true },
		{ (u32)start - count - 1, true },
		{ (u32)start - (1u << 30), true },
		{ (u32)start ^ (1u << 31), true },
		{ (u32)start + count / 2 + 1, false },
		{ (u32)start + count + 1, false },
		{ UINT32_MAX, false },
		{ 0, false },
	};
	size_t t;

	for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		struct test_ring *r = ring_new(count, overflow, start);
		uint64_t pushed = 0, stored = 0, i;

		/* some honest traffic first, so the tail cache is warm */
		assert_true(push_n(r, 0, count / 2));
		pushed = stored = count / 2;
		gwio_ring_prod_publish(&r->p);

		r->cons_page.tail = tails[t].tail;
		for (i = 0; i < 10 * count; i++) {
			struct gwio_record rec = make_rec(pushed++);

			stored += gwio_ring_prod_push(&r->p, &rec);
			if (i % 3 == 0)
				gwio_ring_prod_publish(&r->p);
		}
		gwio_ring_prod_publish(&r->p);
		assert_int_equal(ctr(r).produced, pushed);
		if (overflow == GWIO_OVERFLOW_DROP_NEWEST) {
			/*
			 * The producer trusted the garbage only to decide
			 * "full": it stored at most what fitted in front of
			 * the last honest tail, then only dropped.
			 */
			if (tails[t].always)
				assert_int_equal(stored, count);
			assert_int_equal(r->shared.head, (u32)(start + stored));
			assert_int_equal(ctr(r).dropped, pushed - stored);
		} else {
			/* it always stores, and never writes the tail */
			assert_int_equal(r->shared.head, (u32)(start + pushed));
			assert_int_equal(r->cons_page.tail, tails[t].tail);
			if (tails[t].always)
				assert_int_equal(ctr(r).dropped,
						 pushed - count);
		}
		assert_true(gwio_ring_prod_avail(&r->p) <= count);
		ring_free(r);	/* checks the guards */
	}
}

static void test_hostile_tail_drop_newest(void **state)
{
	hostile_tail(GWIO_OVERFLOW_DROP_NEWEST, prestate_start(state));
}

static void test_hostile_tail_overwrite(void **state)
{
	hostile_tail(GWIO_OVERFLOW_OVERWRITE, prestate_start(state));
}

/*
 * A consumer that starts from a garbage tail (a previous user left junk in
 * the consumer page) only ever reads inside the ring.  It does not recover
 * by itself: libgwio resets such a tail when it opens a ring.
 */
static void test_garbage_consumer_tail(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 8;
	const uint32_t tails[] = {
		(u32)start + (1u << 30), (u32)start - (1u << 30),
		(u32)start + 5, (u32)start - count - 3, (u32)start ^ (1u << 31),
	};
	uint32_t policy;
	size_t t;

	for (policy = 0; policy <= GWIO_OVERFLOW_OVERWRITE; policy++) {
		for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
			struct test_ring *r = ring_new(count, policy, start);
			struct gwio_record out[3 * count];
			const struct gwio_record *peeked;
			u64 seq;
			uint32_t n, round;

			assert_true(push_n(r, 0, 4));
			gwio_ring_prod_publish(&r->p);
			r->cons_page.tail = tails[t];
			gwio_ring_cons_init(&r->c, &r->cons_page, &r->shared,
					    r->recs);
			for (round = 0; round < 3; round++) {
				n = gwio_ring_cons_peek(&r->c, &peeked,
							3 * count);
				assert_true(n <= count);
				assert_true(peeked >= r->recs &&
					    peeked + n <= r->recs + count);
				n = gwio_ring_cons_read(&r->c, out, 3 * count,
							&seq);
				assert_true(n <= 3 * count);
				assert_true(push_n(r, 10, count) || policy ==
					    GWIO_OVERFLOW_DROP_NEWEST);
				gwio_ring_prod_publish(&r->p);
			}
			ring_free(r);	/* checks the guards */
		}
	}
}

/* ------------------------------------------------------- watermark, peek */

static void test_watermark(void **state)
{
	struct test_ring *r = ring_new(16, GWIO_OVERFLOW_DROP_NEWEST,
				       prestate_start(state));
	struct gwio_record out[16];
	u64 seq;

	assert_false(gwio_ring_wake_due(0, 0, 16));
	assert_true(gwio_ring_wake_due(1, 0, 16));
	assert_true(gwio_ring_wake_due(1, 1, 16));
	assert_false(gwio_ring_wake_due(3, 4, 16));
	assert_true(gwio_ring_wake_due(4, 4, 16));
	assert_true(gwio_ring_wake_due(UINT64_MAX, UINT32_MAX, 1u << 31));
	assert_false(gwio_ring_wake_due((1u << 31) - 1ull, UINT32_MAX,
					1u << 31));
	/*
	 * A watermark above the ring is the ring: a full drop-newest ring of
	 * 256 holds 256, and a watermark of 4096 left over from before a
	 * resize must still wake (with timeout_us 0 nothing else would).
	 */
	assert_true(gwio_ring_wake_due(256, 4096, 256));
	assert_false(gwio_ring_wake_due(255, 4096, 256));
	assert_true(gwio_ring_wake_due(16, UINT32_MAX, 16));

	/* what the kernel does after publishing: wake at 4 unread records */
	assert_true(push_n(r, 0, 3));
	gwio_ring_prod_publish(&r->p);
	assert_false(gwio_ring_wake_due(gwio_ring_prod_avail(&r->p), 4, 16));
	assert_true(push_n(r, 3, 1));
	gwio_ring_prod_publish(&r->p);
	assert_true(gwio_ring_wake_due(gwio_ring_prod_avail(&r->p), 4, 16));
	assert_int_equal(gwio_ring_cons_read(&r->c, out, 3, &seq), 3);
	assert_false(gwio_ring_wake_due(gwio_ring_prod_avail(&r->p), 4, 16));
	/* a full ring reports count, never more */
	assert_true(push_n(r, 4, 15));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_prod_avail(&r->p), 16);
	assert_true(gwio_ring_wake_due(gwio_ring_prod_avail(&r->p), 1000, 16));
	ring_free(r);
}

/*
 * The timeout fired with head at timeout_pos; is a record from before it
 * still unread?  Measured back from head, so it does not age: the kernel
 * used to compare (s32)(tail - timeout_pos), which calls a timeout_pos
 * from 2^31 positions ago "ahead" and every poll with a record unread
 * immediately ready, batching gone.
 */
static void test_timed_out(void **state)
{
	uint64_t start = prestate_start(state);
	uint32_t pos = (u32)start;

	(void)state;
	/* 10 records since the timeout; 11 unread: one of them waited */
	assert_true(gwio_ring_timed_out(pos + 10, pos, 11));
	assert_false(gwio_ring_timed_out(pos + 10, pos, 10));
	assert_false(gwio_ring_timed_out(pos + 10, pos, 0));
	assert_true(gwio_ring_timed_out(pos, pos, 1));
	/* across the wrap of the 32-bit positions */
	assert_true(gwio_ring_timed_out(pos + 5, pos - 5, 11));
	assert_false(gwio_ring_timed_out(pos + 5, pos - 5, 10));
	/* stale: 2^31 + 10 positions ago, a few records unread now */
	assert_false(gwio_ring_timed_out(pos + (1u << 31) + 10, pos, 5));
	assert_false(gwio_ring_timed_out(pos + (1u << 31) + 10, pos, 1u << 22));
	assert_false(gwio_ring_timed_out(pos + UINT32_MAX, pos, 1u << 22));
}

static void test_peek_across_wrap(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 8;
	/* begin three slots before the end of the array */
	uint64_t base = (start | (count - 1)) - 2;
	struct test_ring *r = ring_new(count, GWIO_OVERFLOW_DROP_NEWEST, base);
	const struct gwio_record *recs;
	uint32_t n, i;

	assert_true(push_n(r, 0, 7));
	gwio_ring_prod_publish(&r->p);

	n = gwio_ring_cons_peek(&r->c, &recs, 100);
	assert_int_equal(n, 3);		/* stops at the wrap */
	assert_ptr_equal(recs, &r->recs[count - 3]);
	for (i = 0; i < n; i++)
		assert_rec(&recs[i], i, 0);
	/* peeking again without consuming returns the same run */
	assert_int_equal(gwio_ring_cons_peek(&r->c, &recs, 2), 2);
	assert_ptr_equal(recs, &r->recs[count - 3]);
	gwio_ring_cons_skip(&r->c, 3);
	gwio_ring_cons_release(&r->c);
	assert_int_equal(r->cons_page.tail, (u32)(base + 3));

	n = gwio_ring_cons_peek(&r->c, &recs, 100);
	assert_int_equal(n, 4);
	assert_ptr_equal(recs, &r->recs[0]);
	for (i = 0; i < n; i++)
		assert_rec(&recs[i], 3 + i, 0);
	gwio_ring_cons_skip(&r->c, n);
	assert_int_equal(gwio_ring_cons_peek(&r->c, &recs, 100), 0);

	/* new records after an empty peek are seen (head is re-read) */
	assert_true(push_n(r, 7, 1));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_cons_peek(&r->c, &recs, 100), 1);
	assert_rec(&recs[0], 7, 0);
	ring_free(r);
}

/* ------------------------------------------------------------- horizon */

/*
 * An overwrite consumer lapped by 2^31 + 1: head - tail is "negative" in
 * 32 bits, which cannot be told from a tail ahead of head.  On an
 * overwrite ring it is a lap (the producer never waits), so everyone must
 * see a full ring: the kernel's wakeup and unread, and the consumer, which
 * resyncs to head - size and counts the distance as lost.  Before, unread
 * was 0, poll() never woke and the consumer read nothing, forever.
 */
static void test_overwrite_beyond_horizon(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 8, lap = (1u << 31) + 1;
	struct test_ring *r = ring_new(count, GWIO_OVERFLOW_OVERWRITE, start);
	struct gwio_record out[count];
	u32 head;
	u64 seq;
	uint32_t i;

	/* as if lap - count records had gone by unread: only head moves */
	r->p.head = (u32)(start + lap - count);
	assert_true(push_n(r, 0, count));
	gwio_ring_prod_publish(&r->p);
	head = r->shared.head;
	assert_int_equal(head, (u32)(start + lap));
	assert_int_equal(r->cons_page.tail, (u32)start);

	/* the kernel's view: lapped beyond the horizon, a full ring */
	assert_false(gwio_ring_tail_valid(head, (u32)start, count,
					  GWIO_OVERFLOW_OVERWRITE));
	assert_int_equal(gwio_ring_unread(head, (u32)start, count,
					  GWIO_OVERFLOW_OVERWRITE), count);
	assert_int_equal(gwio_ring_prod_avail(&r->p), count);
	assert_true(gwio_ring_wake_due(gwio_ring_prod_avail(&r->p), 4096,
				       count));
	assert_int_equal(gwio_ring_resync_tail(head, count,
					       GWIO_OVERFLOW_OVERWRITE),
			 head - count);
	/* a drop-newest ring never laps: there it stays a hostile tail */
	assert_int_equal(gwio_ring_unread(head, (u32)start, count,
					  GWIO_OVERFLOW_DROP_NEWEST), 0);
	assert_int_equal(gwio_ring_resync_tail(head, count,
					       GWIO_OVERFLOW_DROP_NEWEST), head);

	/* the consumer: resync, the newest ring intact, the loss counted */
	assert_int_equal(gwio_ring_cons_avail(&r->c), count);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, count, &seq), count);
	assert_int_equal(seq, start + lap - count);
	for (i = 0; i < count; i++)
		assert_rec(&out[i], i, 0);
	assert_int_equal(r->c.lost, lap - count);
	assert_int_equal(r->c.resyncs, 1);
	assert_int_equal(r->cons_page.tail, head);
	assert_true(gwio_ring_tail_valid(head, r->cons_page.tail, count,
					 GWIO_OVERFLOW_OVERWRITE));

	/* and on from there as usual */
	assert_true(push_n(r, 100, 3));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(gwio_ring_cons_read(&r->c, out, count, &seq), 3);
	assert_int_equal(seq, start + lap);
	assert_rec(&out[0], 100, 0);
	assert_int_equal(r->c.lost, lap - count);
	assert_int_equal(r->c.resyncs, 1);
	ring_free(r);
}

/* ------------------------------------------------------ the kernel's read */

/* One read() batch as chardev.c does it; @fault: the copy out fails. */
static int kread(struct test_ring *r, uint32_t overflow,
		 struct gwio_record *batch, uint32_t max, bool fault,
		 struct gwio_ring_kread *k, uint32_t *lost)
{
	int good = gwio_ring_kread_begin(&r->cons_page, &r->shared, r->recs,
					 r->count, overflow, batch, max, k);

	if (good >= 0)
		*lost = gwio_ring_kread_end(&r->cons_page, k, overflow, !fault);
	return good;
}

/*
 * Under overwrite read() publishes tail before its copy to user space, as
 * the validation needs.  When that copy faults, it used to store the old
 * tail back.  But the producer had cached the newer tail and reuses the
 * slots below it without announcing them in oldest (it thinks them free),
 * so the next read() copied slots the producer had rewritten, under their
 * old positions, and validation passed.  The tail must never go back: the
 * batch is lost to the reader that faulted, and counted.
 */
static void test_kread_fault_overwrite(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 8;
	struct test_ring *r = ring_new(count, GWIO_OVERFLOW_OVERWRITE, start);
	struct gwio_record batch[count];
	struct gwio_ring_kread k;
	uint32_t lost, i;
	int good;

	assert_true(push_n(r, 0, count));
	gwio_ring_prod_publish(&r->p);

	/* read() claims the whole ring ... */
	good = gwio_ring_kread_begin(&r->cons_page, &r->shared, r->recs, count,
				     GWIO_OVERFLOW_OVERWRITE, batch, count, &k);
	assert_int_equal(good, count);
	assert_int_equal(k.tail, (u32)start);
	assert_int_equal(r->cons_page.tail, (u32)(start + count));
	/* ... the producer sees that tail and stores one more ... */
	assert_true(push_n(r, count, 1));
	gwio_ring_prod_publish(&r->p);
	assert_int_equal(r->p.tail_cache, (u32)(start + count));
	/* ... and the copy to user space faults: nothing goes back */
	lost = gwio_ring_kread_end(&r->cons_page, &k, GWIO_OVERFLOW_OVERWRITE,
				   false);
	assert_int_equal(lost, count);
	assert_int_equal(r->cons_page.tail, (u32)(start + count));

	/*
	 * The producer goes on into the slots it believes free, announcing
	 * nothing, and has not published yet when the next read() runs.
	 */
	assert_true(push_n(r, count + 1, count - 1));
	assert_int_equal(r->shared.oldest, r->p.oldest);
	good = kread(r, GWIO_OVERFLOW_OVERWRITE, batch, count, false, &k,
		     &lost);
	assert_true(good >= 0);
	for (i = 0; i < (uint32_t)good; i++)
		assert_rec(&batch[k.bad + i], k.tail + i - (u32)start, 0);
	assert_int_equal(k.tail, (u32)(start + count));
	assert_int_equal(good, 1);
	assert_int_equal(lost, 0);

	/* once published, the rest comes, every record where it belongs */
	gwio_ring_prod_publish(&r->p);
	good = kread(r, GWIO_OVERFLOW_OVERWRITE, batch, count, false, &k,
		     &lost);
	assert_int_equal(good, count - 1);
	for (i = 0; i < (uint32_t)good; i++)
		assert_rec(&batch[k.bad + i], count + 1 + i, 0);
	assert_int_equal(r->cons_page.tail, (u32)(start + 2 * count));
	ring_free(r);
}

/*
 * Under drop-newest read() publishes tail only after the copy out, so a
 * fault leaves the batch unread and costs nothing; tails that are not
 * valid are the caller's to reset, and a lapped overwrite tail resyncs.
 */
static void test_kread_drop_newest_and_lapped(void **state)
{
	uint64_t start = prestate_start(state);
	const uint32_t count = 8;
	struct test_ring *r = ring_new(count, GWIO_OVERFLOW_DROP_NEWEST, start);
	struct gwio_record batch[count];
	struct gwio_ring_kread k;
	uint32_t lost, i;
	int good;

	assert_true(push_n(r, 0, 5));
	gwio_ring_prod_publish(&r->p);
	good = kread(r, GWIO_OVERFLOW_DROP_NEWEST, batch, 3, true, &k, &lost);
	assert_int_equal(good, 3);
	assert_int_equal(lost, 0);
	assert_int_equal(r->cons_page.tail, (u32)start);
	good = kread(r, GWIO_OVERFLOW_DROP_NEWEST, batch, count, false, &k,
		     &lost);
	assert_int_equal(good, 5);
	for (i = 0; i < 5; i++)
		assert_rec(&batch[i], i, 0);
	assert_int_equal(r->cons_page.tail, (u32)(start + 5));

	/* a tail ahead of head: not valid, the caller resets it */
	r->cons_page.tail = (u32)start + 100;
	assert_int_equal(kread(r, GWIO_OVERFLOW_DROP_NEWEST, batch, count,
			       false, &k, &lost), -1);
	assert_int_equal(r->cons_page.tail, (u32)start + 100);
	ring_free(r);

	/* overwrite, lapped by 2^31 + 1: the newest ring, nothing else */
	r = ring_new(count, GWIO_OVERFLOW_OVERWRITE, start);
	r->p.head = (u32)(start + (1u << 31) + 1 - count);
	assert_true(push_n(r, 0, count));
	gwio_ring_prod_publish(&r->p);
	good = kread(r, GWIO_OVERFLOW_OVERWRITE, batch, count, false, &k,
		     &lost);
	assert_int_equal(good, count);
	assert_int_equal(k.bad, 0);
	for (i = 0; i < count; i++)
		assert_rec(&batch[i], i, 0);
	assert_int_equal(r->cons_page.tail, r->shared.head);
	ring_free(r);
}

/* ---------------------------------------------------------------- stress */

enum stress_mode {
	STRESS_DROP_NEWEST_FREE,	/* producer never waits */
	STRESS_DROP_NEWEST_PACED,	/* producer waits for room: no loss */
	STRESS_OVERWRITE_FREE,
};

struct stress {
	struct test_ring *r;
	enum stress_mode mode;
	uint64_t records;
	uint64_t start;
	int consumer_ready;
	int producer_done;
	/* consumer results */
	uint64_t received;
	uint64_t offered_gaps;	/* drop-newest: offer indexes skipped */
	uint64_t errors;
	char first_error[160];
};

static void stress_fail(struct stress *s, const char *fmt, ...)
{
	va_list ap;

	if (s->errors++)
		return;
	va_start(ap, fmt);
	vsnprintf(s->first_error, sizeof(s->first_error), fmt, ap);
	va_end(ap);
}

static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	struct gwio_ring_prod *p = &s->r->p;
	uint64_t i;

	while (!__atomic_load_n(&s->consumer_ready, __ATOMIC_ACQUIRE))
		;
	for (i = 0; i < s->records; i++) {
		struct gwio_record rec = make_rec(i);

		if (s->mode == STRESS_DROP_NEWEST_PACED) {
			while (gwio_ring_prod_full(p))
				gwio_ring_prod_publish(p);
		}
		gwio_ring_prod_push(p, &rec);
		/* publish in uneven batches, sometimes every record */
		if ((i & 0x3ff) < 0x80 || (i % 37) == 0)
			gwio_ring_prod_publish(p);
	}
	gwio_ring_prod_publish(p);
	__atomic_store_n(&s->producer_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *s = arg;
	struct gwio_ring_cons *c = &s->r->c;
	struct gwio_record out[97];
	uint64_t expect_seq = s->start, last_offer = UINT64_MAX;
	bool use_peek = s->mode == STRESS_DROP_NEWEST_PACED;
	bool done_seen = false;

	__atomic_store_n(&s->consumer_ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		const struct gwio_record *recs = out;
		uint64_t lost_before = c->lost;
		u64 seq;
		uint32_t i, n;

		if (use_peek) {
			seq = c->tail;
			n = gwio_ring_cons_peek(c, &recs, 97);
		} else {
			n = gwio_ring_cons_read(c, out, 97, &seq);
		}
		if (seq - expect_seq != c->lost - lost_before)
			stress_fail(s, "seq %llu expected %llu lost %llu",
				    (unsigned long long)seq,
				    (unsigned long long)expect_seq,
				    (unsigned long long)(c->lost - lost_before));
		for (i = 0; i < n; i++) {
			const struct gwio_record *rec = &recs[i];
			uint64_t offer = rec->ts_ns;
			struct gwio_record want = make_rec(offer);
			bool after_drop = rec->flags & GWIO_REC_F_AFTER_DROP;

			if (rec->value != want.value ||
			    rec->channel != want.channel ||
			    rec->kind != want.kind)
				stress_fail(s, "torn record at seq %llu",
					    (unsigned long long)(seq + i));
			if (s->mode == STRESS_OVERWRITE_FREE) {
				/* nothing is dropped: offer index == position */
				if (offer != seq + i - s->start || rec->flags)
					stress_fail(s, "seq %llu holds offer %llu",
						    (unsigned long long)(seq + i),
						    (unsigned long long)offer);
			} else {
				uint64_t gap = offer - (last_offer + 1);

				if ((gap != 0) != after_drop)
					stress_fail(s, "offer %llu after %llu flags %#x",
						    (unsigned long long)offer,
						    (unsigned long long)last_offer,
						    rec->flags);
				s->offered_gaps += gap;
			}
			last_offer = offer;
		}
		if (use_peek && n) {
			gwio_ring_cons_skip(c, n);
			gwio_ring_cons_release(c);
		}
		s->received += n;
		expect_seq = seq + n;

		if (!n && !(use_peek && gwio_ring_cons_avail(c))) {
			if (done_seen)
				break;
			/* one more pass after the final publish is visible */
			done_seen = __atomic_load_n(&s->producer_done,
						    __ATOMIC_ACQUIRE);
		}
	}
	/* drops after the last stored record leave no gap to see */
	if (s->mode != STRESS_OVERWRITE_FREE)
		s->offered_gaps += s->records - 1 - last_offer;
	return NULL;
}

static uint64_t stress_records(void)
{
	const char *env = getenv("GWIO_STRESS_RECORDS");

	return env ? strtoull(env, NULL, 0) : 3000000;
}

static void run_stress(enum stress_mode mode, uint64_t start)
{
	struct stress s = {
		.mode = mode,
		.records = stress_records(),
		.start = start,
	};
	uint32_t policy = mode == STRESS_OVERWRITE_FREE ?
		GWIO_OVERFLOW_OVERWRITE : GWIO_OVERFLOW_DROP_NEWEST;
	pthread_t prod, cons;
	const struct gwio_producer *sh;
	struct gwio_ring_counters shc;

	s.r = ring_new(256, policy, start);
	sh = &s.r->shared;
	assert_int_equal(pthread_create(&cons, NULL, stress_consumer, &s), 0);
	assert_int_equal(pthread_create(&prod, NULL, stress_producer, &s), 0);
	assert_int_equal(pthread_join(prod, NULL), 0);
	assert_int_equal(pthread_join(cons, NULL), 0);
	shc = ctr(s.r);

	print_message("  %llu produced: %llu received, %llu dropped, %llu lost, "
		      "%llu overruns\n",
		      (unsigned long long)shc.produced,
		      (unsigned long long)s.received,
		      (unsigned long long)shc.dropped,
		      (unsigned long long)s.r->c.lost,
		      (unsigned long long)shc.overruns);
	if (s.errors)
		fail_msg("%llu errors, first: %s",
			 (unsigned long long)s.errors, s.first_error);
	assert_int_equal(shc.produced, s.records);
	/* every position was either delivered or counted lost, once */
	assert_int_equal(sh->head, (u32)(start + s.received + s.r->c.lost));
	if (mode == STRESS_OVERWRITE_FREE) {
		/*
		 * The producer counts what it overwrote unreleased; the
		 * consumer also drops copies it released while they were
		 * being overwritten (docs/abi.md): never fewer, and never
		 * a record both delivered and counted dropped.
		 */
		assert_true(shc.dropped <= s.r->c.lost);
		assert_true(s.received + shc.dropped <= shc.produced);
	} else {
		/* every record was either delivered or counted dropped, once */
		assert_int_equal(shc.produced, s.received + shc.dropped);
		assert_int_equal(s.r->c.lost, 0);
		/* and the drops are exactly the holes in the offer indexes */
		assert_int_equal(s.offered_gaps, shc.dropped);
	}
	if (mode == STRESS_DROP_NEWEST_PACED) {
		assert_int_equal(shc.dropped, 0);
		assert_int_equal(s.received, s.records);
	}
	ring_free(s.r);
}

static void test_stress_drop_newest_free(void **state)
{
	run_stress(STRESS_DROP_NEWEST_FREE, prestate_start(state));
}

static void test_stress_drop_newest_paced(void **state)
{
	run_stress(STRESS_DROP_NEWEST_PACED, prestate_start(state));
}

static void test_stress_overwrite(void **state)
{
	run_stress(STRESS_OVERWRITE_FREE, prestate_start(state));
}

#define AT(fn, start)							\
	{ #fn "@" #start, fn, NULL, NULL, (void *)&start }
#define AT_STARTS(fn)							\
	AT(fn, start_zero), AT(fn, start_u31), AT(fn, start_u32)

int main(void)
{
	const struct CMUnitTest tests[] = {
		AT_STARTS(test_empty),
		AT_STARTS(test_fill_exactly_full),
		AT_STARTS(test_wrap_drop_newest),
		AT_STARTS(test_wrap_overwrite),
		cmocka_unit_test(test_u32_position_wraps),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_counters_consistent),
		AT_STARTS(test_drop_newest_full),
		cmocka_unit_test(test_after_drop_keeps_flags),
		AT_STARTS(test_overwrite_lost),
		AT_STARTS(test_overwrite_mid_push),
		AT_STARTS(test_hostile_tail_drop_newest),
		AT_STARTS(test_hostile_tail_overwrite),
		AT_STARTS(test_garbage_consumer_tail),
		AT_STARTS(test_watermark),
		AT_STARTS(test_timed_out),
		cmocka_unit_test(test_ring_layout_pages),
		AT_STARTS(test_overwrite_beyond_horizon),
		AT_STARTS(test_kread_fault_overwrite),
		AT_STARTS(test_kread_drop_newest_and_lapped),
		AT_STARTS(test_peek_across_wrap),
		AT(test_stress_drop_newest_free, start_zero),
		AT(test_stress_drop_newest_paced, start_u64),
		AT(test_stress_overwrite, start_zero),
		AT(test_stress_overwrite, start_u64),
	};

	return cmocka_run_group_tests_name("gwio_ring", tests, NULL, NULL);
}
