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
 * together (one read-only mapping of data_offset + record_count *
 * record_size bytes, starting at page offset GWIO_PRODUCER_PGOFF).  A record's 64-bit position in the ring
 * is its sequence number; its slot is position & (record_count - 1).
 *
 * See docs/abi.md for the memory-ordering rules and the overrun protocol.
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
#define GWIO_ABI_MAJOR		1
#define GWIO_ABI_MINOR		2

/* Page offsets to pass to mmap() (multiplied by the page size). */
#define GWIO_CONSUMER_PGOFF	0
#define GWIO_PRODUCER_PGOFF	1

/* One record: 16 bytes, naturally aligned, never straddles the wrap. */
struct gwio_record {
	__u64 ts_ns;		/* sample time, in the ring's clock */
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

/* The producer dropped records just before this one (drop-newest policy). */
#define GWIO_REC_F_AFTER_DROP	0x01
/* GPIO edge direction. */
#define GWIO_REC_F_RISING	0x02
#define GWIO_REC_F_FALLING	0x04
/*
 * (ABI 1.1) The line had changed again by the time the handler read it:
 * a pulse shorter than the interrupt latency.  value is the level read;
 * the direction flag is the edge that raised the interrupt.
 */
#define GWIO_REC_F_GLITCH	0x08

enum gwio_overflow {
	GWIO_OVERFLOW_DROP_NEWEST = 0,	/* a full ring discards new records */
	GWIO_OVERFLOW_OVERWRITE = 1,	/* a full ring overwrites the oldest */
};

/*
 * The page at GWIO_CONSUMER_PGOFF, the only one userspace may write.
 * The consumer publishes tail with a release store after it is done with
 * every record before it.
 */
struct gwio_consumer {
	__u64 tail;
};

/*
 * The page at GWIO_PRODUCER_PGOFF.  Geometry is fixed for the life of a
 * mapping; head and the counters change.  The reserved words put each group
 * on its own 64-byte cache line (head at byte 64, counters at 128) so the
 * consumer's reads of head do not contend with the counter updates.
 */
struct gwio_producer {
	/* geometry, written once before the ring can be mapped */
	__u32 magic;		/* GWIO_MAGIC */
	__u16 abi_major;
	__u16 abi_minor;
	__u32 record_size;	/* sizeof(struct gwio_record) */
	__u32 record_count;	/* power of two */
	__u32 data_offset;	/* bytes from this page to record 0 */
	__s32 clock_id;		/* CLOCK_MONOTONIC, CLOCK_BOOTTIME, ... */
	__u32 overflow;		/* enum gwio_overflow */
	/* (1.2) bytes from this page to the channel table; 0: none */
	__u32 channel_table_offset;
	__u32 channel_table_entries;	/* slots in it, by channel index */
	__u32 reserved0[7];

	/* producer position: one past the newest published record */
	__u64 head;
	__u64 reserved1[7];

	/* statistics, updated by the producer; read them relaxed */
	__u64 produced;		/* records offered */
	__u64 dropped;		/* records the consumer will never see */
	__u64 overruns;		/* times the ring ran full */
	__u64 wakeups;		/* times a waiting consumer was woken */
	__u64 reserved2[4];
};

/*
 * (1.2) One slot of the channel table, indexed by the records' channel
 * field: what the channel is called and what it produces.  Slots of
 * channels that do not exist have flags 0.  The table is complete once
 * the device has sent its "change" uevent after probing.
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
	__u32 channel_count;
	__u64 consumer_map_size;	/* length for the mmap at pgoff 0 */
	__u64 producer_map_size;	/* length for the mmap at pgoff 1 */
	__u64 reserved[4];
};

#define GWIO_IOC_MAGIC		'G'
/* Ring geometry and map sizes. */
#define GWIO_IOC_INFO		_IOR(GWIO_IOC_MAGIC, 0x01, struct gwio_info)
/* Start and stop this device's sources (same as sysfs "enable"). */
#define GWIO_IOC_START		_IO(GWIO_IOC_MAGIC, 0x02)
#define GWIO_IOC_STOP		_IO(GWIO_IOC_MAGIC, 0x03)
/* Discard every unread record: tail = head. */
#define GWIO_IOC_FLUSH		_IO(GWIO_IOC_MAGIC, 0x04)

#endif /* _UAPI_LINUX_GWIO_H */
