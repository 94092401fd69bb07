/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgwio - read timestamped samples from a gwio ring.
 *
 * A ring is either a gwio device (/dev/gwioN) or a "memory ring": a regular
 * file or memfd laid out exactly like the device mapping (consumer page,
 * producer page, records, at the page offsets of <linux/gwio.h>).  Both are
 * opened with gwio_ring_open() / gwio_ring_open_fd() and read by the same
 * consumer code (kmod/gwio_ring.h, shared with the kernel).
 *
 * Functions returning a pointer return NULL on failure, the others -1;
 * both set errno.  A ring handle is not thread-safe: one consumer thread.
 */
#ifndef LIBGWIO_H
#define LIBGWIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <linux/gwio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ consumer */

struct gwio_ring;

struct gwio_ring_info {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t record_count;
	uint32_t channel_count;	/* slots: highest index + 1; 0 for a memory ring */
	int32_t clock_id;	/* clock of gwio_record.ts_ns */
	uint32_t overflow;	/* enum gwio_overflow */
	bool is_device;		/* false: memory ring */
};

/*
 * produced, dropped, overruns and wakeups are the producer's counters, as
 * of its last publish.  lost counts records this handle skipped because
 * the producer overwrote them (overwrite policy) before or while they
 * were copied.  resyncs counts the times it found itself lapped by 2^31
 * or more (beyond the horizon of the 32-bit positions, docs/abi.md): it
 * went on a ring behind the producer and counted the distance modulo 2^32
 * in lost, so lost is short by any whole 2^32 laps it cannot see.
 * Sequence numbers are this handle's own 64-bit count,
 * started from the ring's 32-bit tail when it was opened.  Once the
 * consumer has read everything published:
 *   drop-newest: produced == records read + dropped, lost == 0;
 *   overwrite:   records read + lost == positions passed, and
 *                dropped <= lost (docs/abi.md: the producer does not
 *                count a record the consumer released while it was
 *                being overwritten, the consumer cannot keep it).
 */
struct gwio_ring_stats {
	uint64_t produced;
	uint64_t dropped;
	uint64_t overruns;
	uint64_t wakeups;
	uint64_t lost;
	uint64_t next_seq;	/* sequence number of the next record */
	uint64_t resyncs;	/* lapped beyond the horizon (overwrite) */
};

/*
 * Open a gwio device or a memory ring file.  @flags: 0 or O_NONBLOCK.
 * Without O_NONBLOCK, gwio_ring_read() and gwio_ring_peek() wait for a
 * record; with it they fail with EAGAIN when the ring is empty.
 * errno EPROTO: not a ring this library understands (ABI major, record
 * size, magic or geometry); ENOTTY: a character device that is not gwio.
 * A consumer position left invalid by a previous user (ahead of the
 * producer, or more than a ring behind a drop-newest ring) is reset to the
 * newest record; on an overwrite ring one further behind was lapped, and
 * the first read skips what was overwritten (counted in lost).
 *
 * One consumer at a time: a device refuses a second opener with EBUSY,
 * and so does a memory ring while another handle (in any process) has it
 * open; it is free again once that handle is closed or its process ends.
 * The producer of a memory ring does not count.  gwio_ring_holder() says
 * who has it.
 */
struct gwio_ring *gwio_ring_open(const char *path, int flags);

/*
 * Like gwio_ring_open(); @fd stays the caller's.  The ring reopens a
 * memory ring through /proc/self/fd (so that it has a consumer lock of its
 * own, not @fd's) and dups anything else.
 */
struct gwio_ring *gwio_ring_open_fd(int fd, int flags);

/*
 * The consumer that keeps the memory ring @path busy (EBUSY above): its
 * pid, and its command name (/proc/PID/comm) in @comm when @comm is not
 * NULL; "" if unknown.  0 when there is none or it cannot be told (a
 * device, or /proc/locks unreadable).
 */
pid_t gwio_ring_holder(const char *path, char *comm, size_t comm_size);

/*
 * Why gwio_ring_open(@path) failed with errno @err, for a person: the
 * path, the error and what to do about it (load the module, start the
 * producer, who holds a busy ring).  Like snprintf.
 */
int gwio_ring_strerror(const char *path, int err, char *buf, size_t size);

void gwio_ring_close(struct gwio_ring *ring);

void gwio_ring_get_info(const struct gwio_ring *ring,
			struct gwio_ring_info *info);

/* For poll()/epoll: readable when records wait (devices only). */
int gwio_ring_fd(const struct gwio_ring *ring);

/*
 * Copy up to @max records into @buf and hand their slots back to the
 * producer.  Returns how many; the first has sequence number *@first_seq
 * (may be NULL).  Sequence numbers are this handle's own: 0 is the first
 * record it could read when it was opened, and they jump exactly by what
 * was lost (or flushed).  They never wrap; the ring's 32-bit positions do.
 */
ssize_t gwio_ring_read(struct gwio_ring *ring, struct gwio_record *buf,
		       size_t max, uint64_t *first_seq);

/*
 * Zero-copy: point *@recs at up to @max unread records inside the mapping
 * (one contiguous run; it stops at the wrap).  They stay valid until
 * gwio_ring_consume() gives them back.  Drop-newest rings only: on an
 * overwrite ring the producer may change them under the reader, and this
 * fails with EOPNOTSUPP.
 */
ssize_t gwio_ring_peek(struct gwio_ring *ring,
		       const struct gwio_record **recs, size_t max,
		       uint64_t *first_seq);

/* Give the first @count peeked records back to the producer. */
int gwio_ring_consume(struct gwio_ring *ring, size_t count);

/*
 * Wait until at least one record is unread.  Returns 1 when one is, 0 on
 * timeout, -1 on error (EINTR included).  @timeout_ms < 0 waits forever.
 * Devices sleep in poll(); a memory ring has no one to wake it, so it is
 * polled with sleeps that grow to 1 ms: expect up to ~1 ms of latency.
 */
int gwio_ring_wait(struct gwio_ring *ring, int timeout_ms);

int gwio_ring_get_stats(struct gwio_ring *ring, struct gwio_ring_stats *stats);

/*
 * The ring's channel table (ABI 1.2): what channel @index is called and
 * what kind of records it produces.  -1 with errno ENOENT for an index
 * no channel has, or a ring without a table (older module, or a memory
 * ring whose producer labelled nothing).
 */
struct gwio_channel_desc {
	uint16_t index;
	uint8_t kind;			/* enum gwio_kind */
	char label[GWIO_LABEL_SIZE];	/* NUL-terminated */
};
int gwio_ring_channel(const struct gwio_ring *ring, uint16_t index,
		      struct gwio_channel_desc *desc);
/* The index of the channel labelled @label, or -1 with errno ENOENT. */
int gwio_ring_find_channel(const struct gwio_ring *ring, const char *label);

/* Start and stop the device's sources.  ENOTTY on a memory ring. */
int gwio_ring_start(struct gwio_ring *ring);
int gwio_ring_stop(struct gwio_ring *ring);

/* Discard every unread record (not counted in this handle's lost). */
int gwio_ring_flush(struct gwio_ring *ring);

/* ------------------------------------------------- memory ring producer */

/*
 * A ring in a memfd that this process fills: for tests, benchmarks and
 * replaying captures.  Consumers open it through gwio_memring_fd() or
 * /proc/PID/fd/N.  For the inlined fast path, include kmod/gwio_ring.h and
 * use gwio_memring_producer() with gwio_ring_prod_push()/_publish().
 */
struct gwio_memring;
struct gwio_ring_prod;

/* @record_count: a power of two. */
struct gwio_memring *gwio_memring_create(uint32_t record_count,
					 enum gwio_overflow overflow,
					 clockid_t clock_id);
void gwio_memring_close(struct gwio_memring *ring);
int gwio_memring_fd(const struct gwio_memring *ring);
struct gwio_ring_prod *gwio_memring_producer(struct gwio_memring *ring);

/* Offer one record; false when a full drop-newest ring dropped it. */
/* Label channel @index in the ring's channel table (kind: enum gwio_kind). */
int gwio_memring_set_channel(struct gwio_memring *ring, uint16_t index,
			     const char *label, uint8_t kind);
bool gwio_memring_push(struct gwio_memring *ring,
		       const struct gwio_record *rec);
/* Make pushed records and the counters visible to consumers. */
void gwio_memring_publish(struct gwio_memring *ring);

/* --------------------------------------------------------- capture file */

/*
 * A capture file is this header followed by entries until end of file.
 * Everything is in the byte order of the machine that wrote it; a reader
 * recognises a foreign one by byte_order and refuses it (EPROTO).
 */
#define GWIO_CAPTURE_MAGIC	"GWIOCAP"	/* 8 bytes with the NUL */
#define GWIO_CAPTURE_VERSION	1
#define GWIO_CAPTURE_BYTE_ORDER	0x01020304u

struct gwio_capture_header {
	char magic[8];
	uint32_t byte_order;
	uint16_t version;
	uint16_t header_size;	/* sizeof(struct gwio_capture_header) */
	uint32_t entry_size;	/* sizeof(struct gwio_capture_entry) */
	int32_t clock_id;	/* of the records' ts_ns */
	uint32_t overflow;	/* of the ring they came from */
	uint32_t record_count;	/* of the ring they came from */
	/* the ring clock and CLOCK_REALTIME, read together at creation */
	uint64_t start_clock_ns;
	uint64_t start_realtime_ns;
	uint8_t reserved[16];
};

/* A record with its ring sequence number: gaps show what was lost. */
struct gwio_capture_entry {
	uint64_t seq;
	struct gwio_record rec;
};

struct gwio_capture;

/* Create (truncate) a capture of records from a ring described by @info. */
struct gwio_capture *gwio_capture_create(const char *path,
					 const struct gwio_ring_info *info);
/* Append @count records whose first has sequence number @first_seq. */
int gwio_capture_write(struct gwio_capture *cap, uint64_t first_seq,
		       const struct gwio_record *recs, size_t count);

/* Open a capture for reading; its header is copied to *@header. */
struct gwio_capture *gwio_capture_open(const char *path,
				       struct gwio_capture_header *header);
/* Read up to @max entries; 0 at end of file. */
ssize_t gwio_capture_read(struct gwio_capture *cap,
			  struct gwio_capture_entry *entries, size_t max);

/* Flushes a written capture: -1 if anything written was lost. */
int gwio_capture_close(struct gwio_capture *cap);

#ifdef __cplusplus
}
#endif

#endif /* LIBGWIO_H */
