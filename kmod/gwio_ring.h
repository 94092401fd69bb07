/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * gwio ring arithmetic, shared by both halves.
 *
 * The kernel compiles the producer half into gwio.ko; libgwio compiles the
 * consumer half; the unit tests and the host benchmark compile both, so the
 * code that is tested and measured in userspace is the code the kernel runs.
 *
 * Discipline (ABI 2, io_uring / AF_XDP style):
 *  - the shared positions (head, tail, oldest) are free-running 32-bit
 *    indices, masked by the ring size (a power of two, at most 2^31), and
 *    every access to them is a single-word load or store: no 64-bit
 *    atomics and no read-modify-write on shared memory, so 32-bit CPUs
 *    (ARMv7) publish them as cheaply as 64-bit ones;
 *  - each side keeps a private copy of its own index and a cached copy of
 *    the other's, and reads the other's shared index only when the cached
 *    one says it must (ring looks full / empty).  64-bit sequence numbers
 *    are the consumer's own, extended from the 32-bit tail;
 *  - the producer writes records, then publishes head with a release store;
 *    the consumer loads head with an acquire load, reads records, then
 *    publishes tail with a release store;
 *  - the producer never writes the consumer page: tail is only read, and
 *    only to decide "full" (drop-newest) or "was that record released"
 *    (overwrite, for counting), so a hostile tail can only make its own
 *    consumer lose records, and nothing a consumer writes can make the
 *    producer loop;
 *  - the producer caches tail and reuses every slot below it without
 *    announcing anything, so no one who acts as the consumer (libgwio,
 *    the kernel's read() and FLUSH) ever stores a tail below one it
 *    stored before: a tail moved backwards names slots already reused;
 *  - under the overwrite policy the producer announces every slot it is
 *    about to reuse in oldest (store, full barrier, then it writes the
 *    slot) and the consumer validates after copying (perf / BPF ringbuf
 *    style): it publishes tail, issues a full barrier and drops every copy
 *    below oldest.  See docs/abi.md for what that means for the counts.
 */
#ifndef GWIO_RING_H
#define GWIO_RING_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/barrier.h>
#include "uapi/gwio.h"

/* acquire/release pairs on 32-bit words: see the discipline above */
#define gwio_load_acquire(p)		smp_load_acquire(p)	/* barrier */
#define gwio_store_release(p, v)	smp_store_release(p, v)	/* barrier */
#define gwio_read_once(x)		READ_ONCE(x)
#define gwio_write_once(x, v)		WRITE_ONCE(x, v)
#define gwio_mb()			smp_mb()	/* store-load: see oldest */
#define gwio_wmb()			smp_wmb()	/* stats_seq */
#define gwio_rmb()			smp_rmb()	/* stats_seq */
/* slots the other side may be writing: validated afterwards, or harmless */
#define gwio_slot_read(dst, src)	((dst) = data_race(src))
#else
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "uapi/gwio.h"

/* the kernel's own types */
typedef __u8 u8;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;

#define gwio_load_acquire(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define gwio_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define gwio_read_once(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define gwio_write_once(x, v)		__atomic_store_n(&(x), v, __ATOMIC_RELAXED)
#define gwio_mb()			__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define gwio_wmb()			__atomic_thread_fence(__ATOMIC_RELEASE)
#define gwio_rmb()			__atomic_thread_fence(__ATOMIC_ACQUIRE)
/*
 * Under overwrite the producer may rewrite a slot while it is copied (the
 * copy is validated afterwards): field by field with relaxed atomic loads,
 * so that the race C11 would call undefined is one it defines.  On x86
 * and arm64 these are the plain loads; on ARMv7 the 64-bit one is ldrexd.
 */
#define gwio_slot_read(dst, src) do {					\
		(dst).ts_ns = __atomic_load_n(&(src).ts_ns, __ATOMIC_RELAXED); \
		(dst).value = __atomic_load_n(&(src).value, __ATOMIC_RELAXED); \
		(dst).channel = __atomic_load_n(&(src).channel, __ATOMIC_RELAXED); \
		(dst).kind = __atomic_load_n(&(src).kind, __ATOMIC_RELAXED); \
		(dst).flags = __atomic_load_n(&(src).flags, __ATOMIC_RELAXED); \
	} while (0)
#endif

/*
 * Is @tail one an honest consumer can have left?  In [head - size, head];
 * under the overwrite policy also further behind, up to the horizon of
 * 2^31: the producer lapped it, and the consumer skips what was
 * overwritten.  Anything else is either written through the mapping
 * (ahead of head, or behind a drop-newest ring, which never runs past its
 * consumer) or, under overwrite, lapped by 2^31 or more, which no 32-bit
 * difference can tell from "ahead": docs/abi.md, "A tail out of range".
 */
static inline bool gwio_ring_tail_valid(u32 head, u32 tail, u32 size,
					u32 overflow)
{
	u32 used = head - tail;

	return used <= size ||
	       (overflow == GWIO_OVERFLOW_OVERWRITE && (s32)used > 0);
}

/*
 * Where a consumer whose @tail is not valid starts again: at head under
 * drop-newest (nothing it names is unread), a ring behind head under
 * overwrite (lapped beyond the horizon: the newest ring is still there).
 */
static inline u32 gwio_ring_resync_tail(u32 head, u32 size, u32 overflow)
{
	return overflow == GWIO_OVERFLOW_OVERWRITE ? head - size : head;
}

/*
 * Records a consumer at @tail can still read.  More than a ring behind an
 * overwrite ring, whatever the distance, is a ring: lapped, and the next
 * read resyncs.  0 for an invalid tail on a drop-newest ring.
 */
static inline u32 gwio_ring_unread(u32 head, u32 tail, u32 size,
				   u32 overflow)
{
	u32 used = head - tail;

	if (used <= size)
		return used;
	return overflow == GWIO_OVERFLOW_OVERWRITE ? size : 0;
}

/*
 * True when a consumer waiting for @watermark records must be woken:
 * @avail records are unread in a ring of @size.  A watermark of 0 is
 * treated as 1, and one above the ring as the ring: a drop-newest ring
 * never holds more than @size, so a larger one would never wake.
 */
static inline bool gwio_ring_wake_due(u64 avail, u32 watermark, u32 size)
{
	u32 due = watermark ? watermark : 1;

	if (due > size)
		due = size;
	return avail >= due;
}

/*
 * The wakeup timeout fired when head was at @timeout_pos, so the records
 * before it have waited a full timeout.  Is one of them still unread, with
 * @avail records unread now?  Measured back from head (unsigned): a
 * @timeout_pos from long ago is far behind and says no, where comparing
 * it with the tail would call it "ahead" once 2^31 positions had passed.
 */
static inline bool gwio_ring_timed_out(u32 head, u32 timeout_pos, u32 avail)
{
	return avail > head - timeout_pos;
}

/* The producer page's 64-bit counters, as the consumer reads them. */
struct gwio_ring_counters {
	u64 produced;
	u64 dropped;
	u64 overruns;
	u64 wakeups;
};

/* ------------------------------------------------------------------ layout */

/*
 * Where everything lies in a ring of @records records for pages of
 * @page_size bytes (docs/abi.md, "Layout"): one area of @bytes, the
 * consumer page first, then the producer page, the channel table of
 * @table_entries slots and the records, each starting on a page.  The
 * producer mapping is rounded up to a page, so a ring whose records do
 * not fill their last page (256 records with 16 or 64 KiB pages) still
 * maps whole.  The kernel and the memory rings both lay rings out here.
 */
struct gwio_ring_layout {
	u64 table_offset;	/* bytes from the producer page */
	u64 data_offset;	/* bytes from the producer page to record 0 */
	u64 producer_map_size;	/* a multiple of the page size */
	u64 bytes;		/* consumer page + producer mapping */
};

static inline u64 gwio_ring_page_align(u64 len, u64 page_size)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

static inline void gwio_ring_layout(struct gwio_ring_layout *l, u32 records,
				    u32 table_entries, u64 page_size)
{
	u64 table = (u64)table_entries * sizeof(struct gwio_channel_entry);
	u64 data = (u64)records * sizeof(struct gwio_record);

	l->table_offset = page_size;
	l->data_offset = l->table_offset +
			 gwio_ring_page_align(table, page_size);
	l->producer_map_size = gwio_ring_page_align(l->data_offset + data,
						    page_size);
	l->bytes = page_size + l->producer_map_size;
}

/*
 * Does a mapping of @len bytes (the page-rounded length of the VMA) at
 * page offset @pgoff fit?  The consumer page alone, or from the producer
 * page on, at most producer_map_size.
 */
static inline bool gwio_ring_map_fits(const struct gwio_ring_layout *l,
				      u64 page_size, u64 pgoff, u64 len)
{
	if (pgoff == GWIO_CONSUMER_PGOFF)
		return len == page_size;
	if (pgoff == GWIO_PRODUCER_PGOFF)
		return len && len <= l->producer_map_size;
	return false;
}

/* ---------------------------------------------------------------- producer */

/*
 * Where head and tail start in a new ring: 4096 records short of the
 * 32-bit wrap, as the kernel starts jiffies short of theirs, so that every
 * consumer crosses the wrap in its first seconds and a consumer that
 * assumes positions start at 0, or never wrap, fails at once instead of
 * after 2^32 records.  Not part of the ABI: consumers read head and tail.
 */
#define GWIO_RING_POS_INIT	((u32)0 - 4096)

struct gwio_ring_prod {
	struct gwio_producer *shared;		/* producer page */
	const struct gwio_consumer *cons;	/* consumer page: untrusted */
	struct gwio_record *recs;
	u32 mask;
	u32 overflow;				/* enum gwio_overflow */
	u32 head;				/* private; published lazily */
	u32 tail_cache;
	u32 oldest;				/* private copy of shared->oldest */
	u32 stats_seq;
	bool in_overrun;			/* ring full since last store */
	/* private 64-bit counters: only their published copy is shared */
	u64 produced;
	u64 dropped;
	u64 overruns;
	u64 wakeups;
};

static inline void gwio_ring_prod_init(struct gwio_ring_prod *p,
				       struct gwio_producer *shared,
				       const struct gwio_consumer *cons,
				       struct gwio_record *recs,
				       u32 count, u32 overflow)
{
	p->shared = shared;
	p->cons = cons;
	p->recs = recs;
	p->mask = count - 1;
	p->overflow = overflow;
	p->head = GWIO_RING_POS_INIT;
	p->tail_cache = GWIO_RING_POS_INIT;
	/* one ring behind head: no record was ever overwritten */
	p->oldest = GWIO_RING_POS_INIT - count;
	p->stats_seq = 0;
	p->in_overrun = false;
	p->produced = 0;
	p->dropped = 0;
	p->overruns = 0;
	p->wakeups = 0;
	gwio_write_once(shared->oldest, p->oldest);
	/* the caller sets the consumer's tail to GWIO_RING_POS_INIT */
	gwio_store_release(&shared->head, p->head);
}

/*
 * Is the slot for p->head holding a record the consumer has not released?
 * Only re-reads the shared tail when the cached one says so.  A tail ahead
 * of head or more than a ring behind (garbage) makes it look "full".
 */
static inline bool gwio_ring_prod_full(struct gwio_ring_prod *p)
{
	if (p->head - p->tail_cache <= p->mask)
		return false;
	/* pairs with the consumer's release of tail: its reads are done */
	p->tail_cache = gwio_load_acquire(&p->cons->tail);
	return p->head - p->tail_cache > p->mask;
}

/*
 * The ring is full.  Count the overrun; under the overwrite policy announce
 * the slot about to be reused (oldest, then a full barrier: pairs with the
 * consumer's release of tail and barrier before it reads oldest) and look
 * at tail once more to learn whether the consumer released that record
 * after all.  One store, one barrier, one load: nothing a consumer writes
 * can make this loop.  True when the new record may be stored.
 */
static inline bool gwio_ring_prod_overrun(struct gwio_ring_prod *p)
{
	if (p->overflow == GWIO_OVERFLOW_OVERWRITE) {
		p->oldest = p->head - p->mask;
		gwio_write_once(p->shared->oldest, p->oldest);
		/* oldest before tail is read and before the slot is written */
		gwio_mb();
		p->tail_cache = gwio_load_acquire(&p->cons->tail);
		if (p->head - p->tail_cache <= p->mask)
			return true;	/* released meanwhile: not lost */
	}
	p->dropped++;
	if (!p->in_overrun) {
		p->overruns++;
		p->in_overrun = true;
	}
	return p->overflow == GWIO_OVERFLOW_OVERWRITE;
}

/*
 * Offer one record.  Returns false when it was dropped (drop-newest policy
 * on a full ring).  Nothing is visible to the consumer until
 * gwio_ring_prod_publish().  Callers serialise producers themselves.
 */
static inline bool gwio_ring_prod_push(struct gwio_ring_prod *p,
				       const struct gwio_record *rec)
{
	struct gwio_record *slot;
	u8 flags = rec->flags;

	p->produced++;
	if (gwio_ring_prod_full(p)) {
		if (!gwio_ring_prod_overrun(p))
			return false;
	} else if (p->in_overrun) {
		p->in_overrun = false;
		if (p->overflow == GWIO_OVERFLOW_DROP_NEWEST)
			flags |= GWIO_REC_F_AFTER_DROP;
	}

	slot = &p->recs[p->head & p->mask];
	slot->ts_ns = rec->ts_ns;
	slot->value = rec->value;
	slot->channel = rec->channel;
	slot->kind = rec->kind;
	slot->flags = flags;
	p->head++;
	return true;
}

static inline void gwio_ring_count_store(struct gwio_count *c, u64 v)
{
	gwio_write_once(c->lo, (u32)v);
	gwio_write_once(c->hi, (u32)(v >> 32));
}

/*
 * Publish the 64-bit counters as 32-bit halves inside a sequence count:
 * odd while they change.  Only called by the (serialised) producer.
 */
static inline void gwio_ring_prod_publish_stats(struct gwio_ring_prod *p)
{
	struct gwio_producer *sh = p->shared;

	gwio_write_once(sh->stats_seq, ++p->stats_seq);
	gwio_wmb();
	gwio_ring_count_store(&sh->produced, p->produced);
	gwio_ring_count_store(&sh->dropped, p->dropped);
	gwio_ring_count_store(&sh->overruns, p->overruns);
	gwio_ring_count_store(&sh->wakeups, p->wakeups);
	gwio_store_release(&sh->stats_seq, ++p->stats_seq);
}

/* Make every pushed record and the counters visible to the consumer. */
static inline void gwio_ring_prod_publish(struct gwio_ring_prod *p)
{
	/*
	 * Keep oldest within a ring of head (it shares head's cache line),
	 * so that a value left from 2^31 records ago never looks ahead of a
	 * consumer, whatever the policy was then.
	 */
	if ((s32)(p->head - p->mask - 1 - p->oldest) > 0) {
		p->oldest = p->head - p->mask - 1;
		gwio_write_once(p->shared->oldest, p->oldest);
	}
	gwio_ring_prod_publish_stats(p);
	/* pairs with the consumer's acquire of head: records are written */
	gwio_store_release(&p->shared->head, p->head);
}

/* Unread records as the producer sees them (for wakeup decisions). */
static inline u32 gwio_ring_prod_avail(struct gwio_ring_prod *p)
{
	p->tail_cache = gwio_load_acquire(&p->cons->tail);
	return gwio_ring_unread(p->head, p->tail_cache, p->mask + 1,
				p->overflow);
}

/* ---------------------------------------------------------------- consumer */

/* Read the producer's counters consistently (retries while they change). */
static inline void gwio_ring_read_counters(const struct gwio_producer *sh,
					   struct gwio_ring_counters *out)
{
	u32 seq;

	do {
		seq = gwio_load_acquire(&sh->stats_seq);
		out->produced = (u64)gwio_read_once(sh->produced.hi) << 32 |
				gwio_read_once(sh->produced.lo);
		out->dropped = (u64)gwio_read_once(sh->dropped.hi) << 32 |
			       gwio_read_once(sh->dropped.lo);
		out->overruns = (u64)gwio_read_once(sh->overruns.hi) << 32 |
				gwio_read_once(sh->overruns.lo);
		out->wakeups = (u64)gwio_read_once(sh->wakeups.hi) << 32 |
			       gwio_read_once(sh->wakeups.lo);
		gwio_rmb();
	} while ((seq & 1) || gwio_read_once(sh->stats_seq) != seq);
}

struct gwio_ring_cons {
	struct gwio_consumer *cons;
	const struct gwio_producer *shared;
	const struct gwio_record *recs;
	u32 mask;
	u32 overflow;				/* enum gwio_overflow */
	u32 head_cache;
	u64 tail;				/* private 64-bit sequence number */
	u64 lost;				/* records seen to be overwritten */
	u64 resyncs;				/* lapped beyond the horizon */
};

static inline void gwio_ring_cons_init(struct gwio_ring_cons *c,
				       struct gwio_consumer *cons,
				       const struct gwio_producer *shared,
				       const struct gwio_record *recs)
{
	c->cons = cons;
	c->shared = shared;
	c->recs = recs;
	c->mask = gwio_read_once(shared->record_count) - 1;
	c->overflow = gwio_read_once(shared->overflow);
	c->tail = gwio_read_once(cons->tail);
	c->head_cache = gwio_load_acquire(&shared->head);
	c->lost = 0;
	c->resyncs = 0;
}

/* Skip @n records as lost (overwritten before we could read them). */
static inline void gwio_ring_cons_lose(struct gwio_ring_cons *c, u32 n)
{
	c->lost += n;
	c->tail += n;
}

/*
 * Records ready to read; re-reads the shared head only when needed.  More
 * than a ring (lapped under overwrite, or a producer page gone bad) is
 * reported as a ring: the next read skips the rest as lost.  Head "behind"
 * the tail is nothing on a drop-newest ring, and on an overwrite ring a lap
 * of 2^31 or more (the next read resyncs: gwio_ring_cons_read()).
 */
static inline u32 gwio_ring_cons_avail(struct gwio_ring_cons *c)
{
	u32 avail;

	if (c->head_cache == (u32)c->tail)
		c->head_cache = gwio_load_acquire(&c->shared->head);
	avail = c->head_cache - (u32)c->tail;
	if ((s32)avail < 0 && c->overflow != GWIO_OVERFLOW_OVERWRITE)
		return 0;
	return avail <= c->mask ? avail : c->mask + 1;
}

/*
 * How many of the @n records from the private tail are below oldest, i.e.
 * may have been overwritten (overwrite policy).
 */
static inline u32 gwio_ring_cons_below_oldest(struct gwio_ring_cons *c, u32 n)
{
	s32 behind = (s32)(gwio_read_once(c->shared->oldest) - (u32)c->tail);

	if (behind <= 0)
		return 0;
	return (u32)behind < n ? (u32)behind : n;
}

/*
 * Copy up to @max records into @out and hand them back to the producer.
 * Returns how many were copied; the first one has sequence number
 * *@first_seq.  Records the producer overwrote before or while they were
 * copied (overwrite policy) are skipped and added to c->lost, so sequence
 * numbers jump by exactly what this consumer lost.
 *
 * The horizon: positions are 32-bit, so a consumer lapped by 2^31 or more
 * finds head "behind" its tail.  On an overwrite ring that can only be
 * such a lap (the producer never stops for us): resync to head - size,
 * count the distance modulo 2^32 as lost, and count the resync, since a
 * lap of 2^32 or more is lost from that count.
 */
static inline u32 gwio_ring_cons_read(struct gwio_ring_cons *c,
				      struct gwio_record *out, u32 max,
				      u64 *first_seq)
{
	u64 start = c->tail;
	u32 avail, n, i, bad;

	c->head_cache = gwio_load_acquire(&c->shared->head);
	avail = c->head_cache - (u32)c->tail;
	if ((s32)avail < 0 && c->overflow == GWIO_OVERFLOW_OVERWRITE)
		c->resyncs++;	/* beyond the horizon: the branch below */
	if ((s32)avail < 0 && c->overflow != GWIO_OVERFLOW_OVERWRITE) {
		avail = 0;	/* head behind us: a producer page gone bad */
	} else if (avail > c->mask + 1) {
		/* lapped: what is more than a ring behind head is gone */
		gwio_ring_cons_lose(c, avail - c->mask - 1);
		avail = c->mask + 1;
	}
	if (c->overflow == GWIO_OVERFLOW_OVERWRITE) {
		bad = gwio_ring_cons_below_oldest(c, avail);
		gwio_ring_cons_lose(c, bad);
		avail -= bad;
	}
	n = avail < max ? avail : max;
	for (i = 0; i < n; i++)
		gwio_slot_read(out[i], c->recs[(u32)(c->tail + i) & c->mask]);
	if (n || c->tail != start)
		gwio_store_release(&c->cons->tail, (u32)(c->tail + n));
	if (n && c->overflow == GWIO_OVERFLOW_OVERWRITE) {
		/*
		 * tail before oldest (pairs with the producer's barrier): a
		 * slot the producer rewrote under the copy is below oldest
		 * now, and one it had not announced is intact.
		 */
		gwio_mb();
		bad = gwio_ring_cons_below_oldest(c, n);
		if (bad) {
			gwio_ring_cons_lose(c, bad);
			n -= bad;
			memmove(out, out + bad, n * sizeof(*out));
		}
	}
	*first_seq = c->tail;
	c->tail += n;
	return n;
}

/*
 * Zero-copy access (drop-newest rings only: an overwriting producer may
 * change a slot under the reader).  Returns the contiguous run of records
 * from the tail up to the wrap, at most @max.
 */
static inline u32 gwio_ring_cons_peek(struct gwio_ring_cons *c,
				      const struct gwio_record **recs,
				      u32 max)
{
	u32 avail = gwio_ring_cons_avail(c);
	u32 idx = (u32)c->tail & c->mask;
	u32 to_wrap = c->mask + 1 - idx;
	u32 n = avail < max ? avail : max;

	if (n > to_wrap)
		n = to_wrap;
	*recs = &c->recs[idx];
	return n;
}

static inline void gwio_ring_cons_skip(struct gwio_ring_cons *c, u32 n)
{
	c->tail += n;
}

/* Hand the records skipped after gwio_ring_cons_peek() back. */
static inline void gwio_ring_cons_release(struct gwio_ring_cons *c)
{
	gwio_store_release(&c->cons->tail, (u32)c->tail);
}

/* --------------------------------------------------- the kernel's read() */

/*
 * read() is a consumer without private state: between calls the shared
 * tail is all it has, so it loads it per batch and stores it itself.  One
 * batch: gwio_ring_kread_begin() copies records into a bounce buffer,
 * the caller copies them to user space, and gwio_ring_kread_end() says
 * whether that worked.  The tail it stores only ever moves forward:
 *
 *  - drop-newest: tail moves past the batch only once it was delivered,
 *    so a buffer that faults leaves the batch unread and costs nothing;
 *  - overwrite: a copy is known intact only after tail was published and
 *    oldest checked, so tail moves before the copy to user space.  If
 *    that faults, the batch stays claimed: putting tail back would hand
 *    the producer's cached tail positions it has already reused
 *    (unannounced: it thinks them free) to the next read.  The batch is
 *    lost to the caller that faulted; kread_end() says how many records.
 *
 * The caller serialises readers, and the tail it loads may be anything a
 * mapping consumer wrote: the batch is bounded by @max and the ring.
 */
struct gwio_ring_kread {
	u32 tail;	/* position of batch[0] */
	u32 n;		/* records copied into the batch */
	u32 bad;	/* leading ones found overwritten after the copy */
};

/*
 * Copy up to @max records from the tail into @batch.  Returns how many,
 * starting at @batch + k->bad, are good to deliver; -1 for a tail that
 * is not valid on a drop-newest ring (the caller resets it).  Under
 * overwrite any tail more than a ring behind is lapped: it moves to
 * head - size, and past whatever oldest says was overwritten.
 */
static inline int gwio_ring_kread_begin(struct gwio_consumer *cons,
					const struct gwio_producer *sh,
					const struct gwio_record *recs,
					u32 size, u32 overflow,
					struct gwio_record *batch, u32 max,
					struct gwio_ring_kread *k)
{
	bool overwrite = overflow == GWIO_OVERFLOW_OVERWRITE;
	u32 tail = gwio_read_once(cons->tail);
	u32 head = gwio_load_acquire(&sh->head);
	u32 avail = head - tail, n, i;
	s32 behind;

	k->n = 0;
	k->bad = 0;
	if (avail > size) {
		if (!overwrite)
			return -1;
		/* lapped: more than a ring back is gone */
		tail = head - size;
		avail = size;
		gwio_store_release(&cons->tail, tail);
	}
	if (overwrite) {
		/* overwritten before we got to them: lost */
		behind = (s32)(gwio_read_once(sh->oldest) - tail);
		if (behind > 0) {
			n = (u32)behind < avail ? (u32)behind : avail;
			tail += n;
			avail -= n;
			gwio_store_release(&cons->tail, tail);
		}
	}
	n = avail < max ? avail : max;
	for (i = 0; i < n; i++)
		gwio_slot_read(batch[i], recs[(tail + i) & (size - 1)]);
	k->tail = tail;
	k->n = n;
	if (n && overwrite) {
		gwio_store_release(&cons->tail, tail + n);
		/* tail before oldest: pairs with gwio_ring_prod_overrun() */
		gwio_mb();
		behind = (s32)(gwio_read_once(sh->oldest) - tail);
		if (behind > 0)
			k->bad = (u32)behind < n ? (u32)behind : n;
	}
	return (int)(n - k->bad);
}

/*
 * The batch reached user space (@delivered) or faulted.  Returns the
 * records that are lost to the reader: claimed, good, and not delivered.
 */
static inline u32 gwio_ring_kread_end(struct gwio_consumer *cons,
				      const struct gwio_ring_kread *k,
				      u32 overflow, bool delivered)
{
	if (overflow == GWIO_OVERFLOW_OVERWRITE)
		return delivered ? 0 : k->n - k->bad;
	if (delivered && k->n)
		gwio_store_release(&cons->tail, k->tail + k->n);
	return 0;
}

#endif /* GWIO_RING_H */
