/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * gwio ring arithmetic, shared by both halves.
 *
 * The kernel compiles the producer half into gwio.ko; libgwio compiles the
 * consumer half; the unit tests and the host benchmark compile both, so the
 * code that is tested and measured in userspace is the code the kernel runs.
 *
 * Discipline (AF_XDP / BPF ringbuf style):
 *  - each side keeps a private copy of its own index and a cached copy of
 *    the other's, and reads the other's shared index only when the cached
 *    one says it must (ring looks full / empty);
 *  - the producer writes records, then publishes head with a release store;
 *    the consumer loads head with an acquire load, reads records, then
 *    publishes tail with a release store;
 *  - tail comes from a page userspace can write: the producer never uses it
 *    for indexing, only to decide "full", so a hostile tail can only make
 *    its own consumer lose records;
 *  - under the overwrite policy both sides move tail with compare-and-swap:
 *    the producer takes the oldest record back before reusing its slot, the
 *    consumer claims the records it copied.  Whichever swap lands first owns
 *    a record, so every record is either delivered or counted as dropped,
 *    never both and never neither.
 */
#ifndef GWIO_RING_H
#define GWIO_RING_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/barrier.h>
#include "uapi/gwio.h"

/* acquire/release pairs: see the discipline above */
#define gwio_load_acquire(p)		smp_load_acquire(p)	/* barrier */
#define gwio_store_release(p, v)	smp_store_release(p, v)	/* barrier */
#define gwio_read_once(x)		READ_ONCE(x)
#define gwio_write_once(x, v)		WRITE_ONCE(x, v)
#define gwio_cmpxchg(p, old, new)	try_cmpxchg64(p, old, new)
#else
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "uapi/gwio.h"

/* the kernel's own types: pointers to shared __u64 fields must match */
typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;

#define gwio_load_acquire(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define gwio_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define gwio_read_once(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define gwio_write_once(x, v)		__atomic_store_n(&(x), v, __ATOMIC_RELAXED)
#define gwio_cmpxchg(p, old, new)					\
	__atomic_compare_exchange_n(p, old, new, false, __ATOMIC_ACQ_REL,	\
				    __ATOMIC_ACQUIRE)
#endif

/* Records that one position value can describe as waiting. */
static inline u64 gwio_ring_used(u64 head, u64 tail)
{
	return head - tail;
}

/*
 * True when a consumer waiting for @watermark records must be woken:
 * @avail records are unread.  A watermark of 0 is treated as 1.
 */
static inline bool gwio_ring_wake_due(u64 avail, u32 watermark)
{
	return avail >= (watermark ? watermark : 1);
}

/* ---------------------------------------------------------------- producer */

struct gwio_ring_prod {
	struct gwio_producer *shared;		/* producer page */
	struct gwio_consumer *cons;		/* consumer page: untrusted */
	struct gwio_record *recs;
	u32 mask;
	u32 overflow;				/* enum gwio_overflow */
	u64 head;				/* private; published lazily */
	u64 tail_cache;
	u64 produced;
	u64 dropped;
	u64 overruns;
	bool in_overrun;			/* ring full since last store */
};

static inline void gwio_ring_prod_init(struct gwio_ring_prod *p,
				       struct gwio_producer *shared,
				       struct gwio_consumer *cons,
				       struct gwio_record *recs,
				       u32 count, u32 overflow)
{
	p->shared = shared;
	p->cons = cons;
	p->recs = recs;
	p->mask = count - 1;
	p->overflow = overflow;
	p->head = 0;
	p->tail_cache = 0;
	p->produced = 0;
	p->dropped = 0;
	p->overruns = 0;
	p->in_overrun = false;
}

/*
 * Is the slot for p->head holding a record the consumer has not released?
 * Only re-reads the shared tail when the cached one says so.  A tail ahead
 * of head (garbage) makes the unsigned difference huge: "full".
 */
static inline bool gwio_ring_prod_full(struct gwio_ring_prod *p)
{
	if (gwio_ring_used(p->head, p->tail_cache) <= p->mask)
		return false;
	/* pairs with the consumer's release of tail: its reads are done */
	p->tail_cache = gwio_load_acquire(&p->cons->tail);
	return gwio_ring_used(p->head, p->tail_cache) > p->mask;
}

/*
 * The ring is full.  Count the overrun; under the overwrite policy take the
 * oldest record back from the consumer (which may be claiming it at the
 * same moment: the swap decides).  True when the new record may be stored.
 */
static inline bool gwio_ring_prod_overrun(struct gwio_ring_prod *p)
{
	u64 tail = p->tail_cache;
	u64 oldest_kept = p->head - p->mask;

	if (p->overflow == GWIO_OVERFLOW_OVERWRITE) {
		while (!gwio_cmpxchg(&p->cons->tail, &tail, oldest_kept)) {
			if (gwio_ring_used(p->head, tail) <= p->mask) {
				/* the consumer made room meanwhile */
				p->tail_cache = tail;
				return true;
			}
		}
		p->tail_cache = oldest_kept;
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

/* Make every pushed record and the counters visible to the consumer. */
static inline void gwio_ring_prod_publish(struct gwio_ring_prod *p)
{
	gwio_write_once(p->shared->produced, p->produced);
	gwio_write_once(p->shared->dropped, p->dropped);
	gwio_write_once(p->shared->overruns, p->overruns);
	/* pairs with the consumer's acquire of head: records are written */
	gwio_store_release(&p->shared->head, p->head);
}

/* Unread records as the producer sees them (for wakeup decisions). */
static inline u64 gwio_ring_prod_avail(struct gwio_ring_prod *p)
{
	u64 used;

	p->tail_cache = gwio_load_acquire(&p->cons->tail);
	used = gwio_ring_used(p->head, p->tail_cache);
	return used > (u64)p->mask + 1 ? (u64)p->mask + 1 : used;
}

/* ---------------------------------------------------------------- consumer */

struct gwio_ring_cons {
	struct gwio_consumer *cons;
	const struct gwio_producer *shared;
	const struct gwio_record *recs;
	u32 mask;
	u64 tail;				/* private; published lazily */
	u64 head_cache;
	u64 lost;				/* records seen to be overwritten */
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
	c->tail = gwio_read_once(cons->tail);
	c->head_cache = gwio_load_acquire(&shared->head);
	c->lost = 0;
}

/* Records ready to read; re-reads the shared head only when needed. */
static inline u64 gwio_ring_cons_avail(struct gwio_ring_cons *c)
{
	u64 avail;

	if (c->head_cache == c->tail)
		c->head_cache = gwio_load_acquire(&c->shared->head);
	avail = gwio_ring_used(c->head_cache, c->tail);
	return (s64)avail > 0 ? avail : 0;
}

/*
 * Copy up to @max records into @out and hand them back to the producer.
 * Returns how many were copied; the first one has sequence number
 * *@first_seq.  Records the producer took back (overwrite policy) or a
 * flush discarded are skipped and added to c->lost, so sequence numbers
 * jump by exactly what was lost.
 */
static inline u32 gwio_ring_cons_read(struct gwio_ring_cons *c,
				      struct gwio_record *out, u32 max,
				      u64 *first_seq)
{
	u64 shared_tail, avail;
	u32 n, i;

	shared_tail = gwio_load_acquire(&c->cons->tail);
	for (;;) {
		/* ahead of us: the producer or a flush took records back */
		if ((s64)(shared_tail - c->tail) > 0) {
			c->lost += shared_tail - c->tail;
			c->tail = shared_tail;
		}
		c->head_cache = gwio_load_acquire(&c->shared->head);
		/* head can trail a tail the producer advanced mid-batch */
		avail = gwio_ring_used(c->head_cache, c->tail);
		if ((s64)avail < 0)
			avail = 0;
		n = avail < max ? (u32)avail : max;
		if (!n)
			break;
		for (i = 0; i < n; i++)
			out[i] = c->recs[(c->tail + i) & c->mask];
		/* the copies count only if no slot was taken back meanwhile */
		if (gwio_cmpxchg(&c->cons->tail, &shared_tail, c->tail + n))
			break;
		/* lapped while copying: a smaller batch finishes sooner */
		if (max > 16)
			max /= 2;
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
	u64 avail = gwio_ring_cons_avail(c);
	u32 idx = (u32)(c->tail & c->mask);
	u32 to_wrap = c->mask + 1 - idx;
	u32 n = avail < max ? (u32)avail : max;

	if (n > to_wrap)
		n = to_wrap;
	*recs = &c->recs[idx];
	return n;
}

static inline void gwio_ring_cons_skip(struct gwio_ring_cons *c, u32 n)
{
	c->tail += n;
}

/*
 * Hand the records skipped after gwio_ring_cons_peek() back.  Never moves
 * tail backwards over records the producer already took back.
 */
static inline void gwio_ring_cons_release(struct gwio_ring_cons *c)
{
	u64 tail = gwio_read_once(c->cons->tail);

	while ((s64)(c->tail - tail) > 0 &&
	       !gwio_cmpxchg(&c->cons->tail, &tail, c->tail))
		;
}

#endif /* GWIO_RING_H */
