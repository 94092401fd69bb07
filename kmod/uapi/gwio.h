/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gwio - the one contract between gwio.ko and userspace.
 *
 * A gwio device (/dev/gwioN) owns one single-producer-position,
 * single-consumer ring of fixed-size records.  Userspace maps it with two
 * mmap() calls, the way the BPF ring buffer is mapped:
 *
 *   offset 0                   consumer page, read-write: struct gwio_consumer
 *   offset GWIO_PRODUCER_PGOFF producer page, read-only:  struct gwio_producer
 *   + channel_table_offset     channel table (1.2),      read-only
 *   + data_offset              record_count records,     read-only
 *
 * The producer page, the channel table and the records are mapped
 * together: one read-only, shared mapping of producer_map_size bytes
 * (GWIO_IOC_INFO: data_offset + record_count * record_size rounded up to
 * a page), starting at page offset GWIO_PRODUCER_PGOFF; a shorter one maps
 * the start.  A writable producer mapping is EPERM, mprotect() to
 * writable EACCES, and mremap() cannot grow either mapping (EFAULT).  The
 * consumer page is exactly one page, mapped PROT_READ | PROT_WRITE and
 * MAP_SHARED (MAP_PRIVATE is EINVAL), which needs a file opened O_RDWR
 * (EACCES from mmap() for O_RDONLY).  Devices come up stopped.
 *
 * (2.0) Positions are free-running 32-bit indices: a record at position p
 * is in slot p & (record_count - 1); head, tail and oldest wrap at 2^32
 * and are compared modulo 2^32 (record_count is at most 2^31).  They do
 * not start at 0: a new ring starts at head = tail = 2^32 - 4096 today,
 * so every consumer crosses the wrap early, but the value is not part of
 * the ABI: read head and tail.  Every shared word is 32 bits wide and
 * read or written with single-word loads and stores, so 32- and 64-bit
 * CPUs and processes share one layout.
 *
 * See docs/abi.md for the memory-ordering rules, the overrun protocol and
 * the errno of each call.
 */
#ifndef _UAPI_LINUX_GWIO_H
#define _UAPI_LINUX_GWIO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define GWIO_MAGIC		0x4f495747	/* "GWIO" little-endian */

/*
 * Major changes break old consumers (layout or meaning changed); minor
 * changes only add (new kinds, flags, counters in reserved space).
 * A consumer refuses a ring whose major differs from the one it was built
 * with and ignores what it does not know of a newer minor.
 */
#define GWIO_ABI_MAJOR		2
#define GWIO_ABI_MINOR		0

/* Page offsets to pass to mmap() (multiplied by the page size). */
#define GWIO_CONSUMER_PGOFF	0
#define GWIO_PRODUCER_PGOFF	1

/* One record: 16 bytes, naturally aligned, never straddles the wrap. */
struct gwio_record {
	__aligned_u64 ts_ns;	/* sample time, in the ring's clock */
	__u32 value;		/* raw value: ADC code, line level, ... */
	__u16 channel;		/* channel index on this device */
	__u8  kind;		/* enum gwio_kind */
	__u8  flags;		/* GWIO_REC_F_* */
};

enum gwio_kind {
	GWIO_KIND_NONE = 0,
	GWIO_KIND_SIM = 1,	/* synthetic source */
	GWIO_KIND_EDGE = 2,	/* GPIO edge; value is the level after it */
	GWIO_KIND_ADC = 3,	/* ADC conversion; value is the raw code */
};

/*
 * (drop-newest policy only) The ring dropped records just before this
 * one: the first record stored after a run of drops, whatever channel
 * the dropped records and this one belong to.  statistics/overruns counts
 * these, plus one while a run has no record after it yet.
 */
#define GWIO_REC_F_AFTER_DROP	0x01
/* GPIO edge direction. */
#define GWIO_REC_F_RISING	0x02
#define GWIO_REC_F_FALLING	0x04
/*
 * (ABI 1.1) The line had changed again by the time the handler read it:
 * a pulse shorter than the interrupt latency.  value is the level read;
 * the direction flag is the edge that raised the interrupt.  On
 * PREEMPT_RT also an edge the controller lost, reported late
 * (docs/sysfs.md).
 */
#define GWIO_REC_F_GLITCH	0x08

enum gwio_overflow {
	GWIO_OVERFLOW_DROP_NEWEST = 0,	/* a full ring discards new records */
	GWIO_OVERFLOW_OVERWRITE = 1,	/* a full ring overwrites the oldest */
};

/*
 * The page at GWIO_CONSUMER_PGOFF, the only one userspace may write.
 * The consumer publishes tail (the position of the oldest record it has
 * not finished with) with a release store after it is done with every
 * record before it.  The kernel's producer only reads it.  The kernel
 * stores it only for GWIO_IOC_FLUSH, read() and a new ring; open() and
 * close() leave it as the last consumer did, so a consumer checks it
 * (docs/abi.md, "A tail out of range") or flushes before trusting it.
 */
struct gwio_consumer {
	__u32 tail;
	__u32 reserved[15];
};

/* (2.0) A 64-bit counter as two 32-bit halves; see stats_seq. */
struct gwio_count {
	__u32 lo;
	__u32 hi;
};

/*
 * The page at GWIO_PRODUCER_PGOFF.  Geometry is fixed for the life of a
 * mapping (the kernel refuses to change the size, policy or clock while
 * the ring is mapped; writing the current value is no change and
 * succeeds); head, oldest and the counters change.  The reserved words
 * put each group on its own 64-byte cache line (positions at byte 64,
 * counters at 128) so the consumer's reads of head do not contend with
 * the counter updates.
 */
struct gwio_producer {
	/* geometry: written while nothing maps the ring, then fixed */
	__u32 magic;		/* GWIO_MAGIC */
	__u16 abi_major;
	__u16 abi_minor;
	__u32 record_size;	/* sizeof(struct gwio_record) */
	__u32 record_count;	/* power of two, at most 2^31 */
	__u32 data_offset;	/* bytes from this page to record 0 */
	__s32 clock_id;		/* CLOCK_MONOTONIC, CLOCK_BOOTTIME, ... */
	__u32 overflow;		/* enum gwio_overflow */
	/* (1.2) bytes from this page to the channel table; 0: none */
	__u32 channel_table_offset;
	__u32 channel_table_entries;	/* slots in it, by channel index */
	__u32 reserved0[7];

	/*
	 * producer position: one past the newest published record; a new
	 * ring starts with head = tail (not at 0)
	 */
	__u32 head;
	/*
	 * (2.0, overwrite policy) records before this position may have
	 * been overwritten: the producer stores it before it rewrites a
	 * slot, so a consumer drops every copy below it (docs/abi.md).
	 * Starts at head - record_count; under drop-newest it only trails
	 * head by record_count and can be ignored.
	 */
	__u32 oldest;
	__u32 reserved1[14];

	/*
	 * statistics, updated by the producer.  (2.0) stats_seq is odd
	 * while they change: read it (acquire), the counters, then it
	 * again, and retry if it was odd or has changed.
	 */
	__u32 stats_seq;
	__u32 reserved2;
	/* all start at 0 with a new ring */
	struct gwio_count produced;	/* records offered */
	struct gwio_count dropped;	/* records lost to a full ring */
	struct gwio_count overruns;	/* runs of dropped records */
	struct gwio_count wakeups;	/* times a waiting consumer was woken */
	__u32 reserved3[6];
};

/*
 * (1.2) One slot of the channel table, indexed by the records' channel
 * field: what the channel is called and what it produces.  Slots of
 * channels that do not exist have flags 0.  The table is complete before
 * /dev/gwioN can be opened, and does not change after that.
 */
#define GWIO_LABEL_SIZE		32
#define GWIO_CHANNEL_F_VALID	0x01

struct gwio_channel_entry {
	char label[GWIO_LABEL_SIZE];	/* NUL-terminated */
	__u8 kind;			/* enum gwio_kind of its records */
	__u8 flags;			/* GWIO_CHANNEL_F_* */
	__u16 reserved0;
	__u32 reserved1[3];
};

/* Answer of GWIO_IOC_INFO: what a consumer needs before mapping. */
struct gwio_info {
	__u32 abi_major;
	__u32 abi_minor;
	__u32 page_size;
	__u32 record_size;
	__u32 record_count;
	/* channel slots: the highest channel index + 1, not a count */
	__u32 channel_count;
	__aligned_u64 consumer_map_size;	/* length for the mmap at pgoff 0 */
	__aligned_u64 producer_map_size;	/* length for the mmap at pgoff 1 */
	__aligned_u64 reserved[4];
};

/*
 * (2.0) 'J' 0x00-0x1f: a letter no driver registers in
 * Documentation/userspace-api/ioctl/ioctl-number.rst (ABI 1.x used 'G',
 * which xen's gntdev/gntalloc and sgi-gru share).
 */
#define GWIO_IOC_MAGIC		'J'
/* Ring geometry and map sizes. */
#define GWIO_IOC_INFO		_IOR(GWIO_IOC_MAGIC, 0x01, struct gwio_info)
/*
 * Start and stop this device's sources (same as sysfs "enable").  Both
 * return 0 when the device is in that state already.  START returns the
 * error of a source that refuses to start (an SPI ADC whose controller
 * refuses its message), and the device stays stopped.
 */
#define GWIO_IOC_START		_IO(GWIO_IOC_MAGIC, 0x02)
#define GWIO_IOC_STOP		_IO(GWIO_IOC_MAGIC, 0x03)
/* Discard every unread record: tail = head.  Other numbers are ENOTTY. */
#define GWIO_IOC_FLUSH		_IO(GWIO_IOC_MAGIC, 0x04)

#endif /* _UAPI_LINUX_GWIO_H */
