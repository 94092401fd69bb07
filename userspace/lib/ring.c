// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The consumer side of libgwio: mapping a device or memory ring and reading
 * it with the consumer half of kmod/gwio_ring.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libgwio.h"
#include "gwio_ring.h"

struct gwio_ring {
	int fd;
	bool nonblock;
	bool locked;		/* holds the memory ring's consumer lock */
	void *cons_map;
	size_t cons_map_len;
	void *prod_map;
	size_t prod_map_len;
	struct gwio_ring_info info;
	struct gwio_ring_cons cons;
	/*
	 * cons.tail where this handle started: sequence numbers count from
	 * there, whatever position the ring's producer began at.
	 */
	u64 seq_base;
	/* ABI 1.2 channel table, inside prod_map; NULL without one */
	const struct gwio_channel_entry *table;
	uint32_t table_entries;
};

int gwio_ring_flush(struct gwio_ring *ring);

static bool is_power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* Map lengths for a device, from GWIO_IOC_INFO. */
static int query_device(struct gwio_ring *ring, size_t page_size)
{
	struct gwio_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(ring->fd, GWIO_IOC_INFO, &info) < 0)
		return -1;	/* ENOTTY: some other character device */
	if (info.abi_major != GWIO_ABI_MAJOR ||
	    info.record_size != sizeof(struct gwio_record) ||
	    info.page_size != page_size)
		return fail(EPROTO);
	if (info.consumer_map_size < sizeof(struct gwio_consumer) ||
	    info.consumer_map_size > SIZE_MAX ||
	    info.producer_map_size < page_size ||
	    info.producer_map_size > SIZE_MAX)
		return fail(EPROTO);
	ring->cons_map_len = info.consumer_map_size;
	ring->prod_map_len = info.producer_map_size;
	ring->info.is_device = true;
	ring->info.record_count = info.record_count;
	ring->info.channel_count = info.channel_count;
	return 0;
}

/*
 * A device refuses a second opener by itself; a memory ring is a plain
 * file, so its consumers agree through a lock instead.  It is taken before
 * anything touches the consumer page, which belongs to the holder.  flock
 * rather than an fcntl lock: it belongs to the open file, so that a
 * second handle in the same process is refused too and closing some other
 * descriptor of the file does not drop it, and /proc/locks names the pid
 * that took it (gwio_ring_holder).  The producer never takes it.
 */
static int lock_memory_ring(struct gwio_ring *ring)
{
	while (flock(ring->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return fail(EBUSY);
		if (errno != EINTR)
			return -1;
	}
	ring->locked = true;
	return 0;
}

/* Map lengths for a memory ring: the file is exactly the mapping. */
static int size_memory_ring(struct gwio_ring *ring, off_t file_size,
			    size_t page_size)
{
	if (file_size < (off_t)(2 * page_size) ||
	    (uint64_t)file_size > SIZE_MAX || file_size % page_size)
		return fail(EPROTO);
	ring->cons_map_len = page_size;
	ring->prod_map_len = (size_t)file_size - page_size;
	ring->info.is_device = false;
	return 0;
}

/*
 * The producer page is trusted for nothing until it passes here: every
 * later access to records is masked with the record_count checked now.
 */
static int check_producer_page(struct gwio_ring *ring)
{
	const struct gwio_producer *pp = ring->prod_map;
	uint32_t count = pp->record_count;
	uint32_t data_offset = pp->data_offset;
	uint32_t overflow = pp->overflow;

	if (pp->magic != GWIO_MAGIC || pp->abi_major != GWIO_ABI_MAJOR ||
	    pp->record_size != sizeof(struct gwio_record) ||
	    !is_power_of_two(count) || count > (1u << 31) ||
	    overflow > GWIO_OVERFLOW_OVERWRITE ||
	    data_offset < sizeof(struct gwio_producer) ||
	    data_offset % _Alignof(struct gwio_record) ||
	    (uint64_t)data_offset + (uint64_t)count * sizeof(struct gwio_record) >
	    ring->prod_map_len)
		return fail(EPROTO);
	if (ring->info.is_device && ring->info.record_count != count)
		return fail(EPROTO);

	/* optional (1.2): between the producer page header and the records */
	if (pp->channel_table_offset) {
		uint64_t end = (uint64_t)pp->channel_table_offset +
			       (uint64_t)pp->channel_table_entries *
			       sizeof(struct gwio_channel_entry);

		if (pp->channel_table_offset < sizeof(struct gwio_producer) ||
		    pp->channel_table_offset %
		    _Alignof(struct gwio_channel_entry) ||
		    pp->channel_table_entries > UINT16_MAX + 1u ||
		    end > data_offset)
			return fail(EPROTO);
		ring->table = (const struct gwio_channel_entry *)
			      ((const char *)pp + pp->channel_table_offset);
		ring->table_entries = pp->channel_table_entries;
	}

	ring->info.abi_major = pp->abi_major;
	ring->info.abi_minor = pp->abi_minor;
	ring->info.record_count = count;
	ring->info.clock_id = pp->clock_id;
	ring->info.overflow = overflow;

	gwio_ring_cons_init(&ring->cons, ring->cons_map, pp,
			    (const struct gwio_record *)
			    ((const char *)pp + data_offset));
	/* a memory ring's producer could have changed it since the check */
	if (ring->cons.mask != count - 1)
		return fail(EPROTO);
	return 0;
}

/*
 * At open, a tail that is not valid (ahead of head, more than a ring behind
 * a drop-newest ring, 2^31 or more behind an overwrite ring) was left by
 * someone else: nothing it names is this handle's to account for.  Start
 * from the newest record.  Once open, a lap beyond the horizon resyncs
 * instead and is counted (gwio_ring_cons_read()).
 */
static int repair_tail(struct gwio_ring *ring)
{
	struct gwio_ring_cons *c = &ring->cons;

	if (gwio_ring_tail_valid(c->head_cache, (u32)c->tail, c->mask + 1,
				 c->overflow))
		return 0;
	if (ring->info.is_device)
		return gwio_ring_flush(ring);
	c->tail = c->head_cache;
	gwio_ring_cons_release(c);
	return 0;
}

static int map_ring(struct gwio_ring *ring, size_t page_size)
{
	ring->cons_map = mmap(NULL, ring->cons_map_len, PROT_READ | PROT_WRITE,
			      MAP_SHARED, ring->fd,
			      (off_t)GWIO_CONSUMER_PGOFF * page_size);
	if (ring->cons_map == MAP_FAILED) {
		ring->cons_map = NULL;
		return -1;
	}
	ring->prod_map = mmap(NULL, ring->prod_map_len, PROT_READ, MAP_SHARED,
			      ring->fd, (off_t)GWIO_PRODUCER_PGOFF * page_size);
	if (ring->prod_map == MAP_FAILED) {
		ring->prod_map = NULL;
		return -1;
	}
	return 0;
}

/* Takes ownership of @fd, also on failure. */
static struct gwio_ring *ring_from_fd(int fd, int flags)
{
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct gwio_ring *ring;
	struct stat st;
	int ret, err;

	ring = calloc(1, sizeof(*ring));
	if (!ring) {
		close(fd);
		return NULL;
	}
	ring->fd = fd;
	ring->nonblock = flags & O_NONBLOCK;

	if (fstat(fd, &st) < 0)
		goto err;
	if (S_ISCHR(st.st_mode))
		ret = query_device(ring, page_size);
	else if (S_ISREG(st.st_mode))
		ret = lock_memory_ring(ring) < 0 ? -1 :
		      size_memory_ring(ring, st.st_size, page_size);
	else
		ret = fail(ENODEV);
	if (ret < 0 || map_ring(ring, page_size) < 0 ||
	    check_producer_page(ring) < 0 || repair_tail(ring) < 0)
		goto err;
	ring->seq_base = ring->cons.tail;
	return ring;

err:
	err = errno;
	gwio_ring_close(ring);
	errno = err;
	return NULL;
}

struct gwio_ring *gwio_ring_open(const char *path, int flags)
{
	int fd;

	if (flags & ~O_NONBLOCK) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDWR | O_CLOEXEC | flags);
	if (fd < 0)
		return NULL;
	return ring_from_fd(fd, flags);
}

struct gwio_ring *gwio_ring_open_fd(int fd, int flags)
{
	struct stat st;
	int own_fd = -1;

	if (flags & ~O_NONBLOCK) {
		errno = EINVAL;
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		return NULL;
	/*
	 * A dup would share the open file, and with it the consumer lock,
	 * with @fd: then a producer's memfd would hold it after we close,
	 * and every handle opened from that memfd would pass.  A file of our
	 * own has a lock of its own.  Without /proc, share after all.
	 */
	if (S_ISREG(st.st_mode)) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		own_fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (own_fd < 0)
		own_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own_fd < 0)
		return NULL;
	return ring_from_fd(own_fd, flags);
}

void gwio_ring_close(struct gwio_ring *ring)
{
	if (!ring)
		return;
	if (ring->prod_map)
		munmap(ring->prod_map, ring->prod_map_len);
	if (ring->cons_map)
		munmap(ring->cons_map, ring->cons_map_len);
	/* the open file may outlive our fd (a dup shared without /proc) */
	if (ring->locked)
		flock(ring->fd, LOCK_UN);
	close(ring->fd);
	free(ring);
}

/*
 * /proc/locks lines: "1: FLOCK  ADVISORY  WRITE 1234 00:01:5678 0 EOF";
 * waiters are "1: -> FLOCK ...".  Device numbers are hex, the inode
 * decimal.
 */
pid_t gwio_ring_holder(const char *path, char *comm, size_t comm_size)
{
	unsigned int maj, min;
	unsigned long ino;
	char line[256], type[16];
	pid_t pid = 0;
	struct stat st;
	FILE *f;
	int p;

	if (comm && comm_size)
		comm[0] = '\0';
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", type, &p,
			   &maj, &min, &ino) == 5 &&
		    !strcmp(type, "FLOCK") && p > 0 &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (unsigned long)st.st_ino)
			pid = (pid_t)p;
	}
	fclose(f);
	if (pid && comm && comm_size) {
		snprintf(line, sizeof(line), "/proc/%d/comm", (int)pid);
		f = fopen(line, "re");
		if (f) {
			if (fgets(comm, (int)(comm_size > INT32_MAX ?
					      INT32_MAX : comm_size), f))
				comm[strcspn(comm, "\n")] = '\0';
			else
				comm[0] = '\0';
			fclose(f);
		}
	}
	return pid;
}

void gwio_ring_get_info(const struct gwio_ring *ring,
			struct gwio_ring_info *info)
{
	*info = ring->info;
}

int gwio_ring_fd(const struct gwio_ring *ring)
{
	return ring->fd;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until @deadline, or -1 for "no deadline". */
static int remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - monotonic_ms();
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static int wait_device(struct gwio_ring *ring, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = ring->fd, .events = POLLIN };
		int ret = poll(&pfd, 1, remaining_ms(deadline));

		if (ret < 0)
			return -1;
		if (gwio_ring_cons_avail(&ring->cons))
			return 1;
		if (ret == 0)
			return 0;
		if (pfd.revents & POLLNVAL)
			return fail(EBADF);
		if (pfd.revents & (POLLERR | POLLHUP))
			return fail(ENODEV);
		/* readable without records: a wakeup raced a flush; go on */
	}
}

static int wait_memory(struct gwio_ring *ring, int64_t deadline)
{
	long sleep_ns = 20000;

	for (;;) {
		struct timespec ts = { 0, sleep_ns };

		if (remaining_ms(deadline) == 0)
			return 0;
		if (nanosleep(&ts, NULL) < 0)
			return -1;
		if (gwio_ring_cons_avail(&ring->cons))
			return 1;
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
}

int gwio_ring_wait(struct gwio_ring *ring, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : monotonic_ms() + timeout_ms;

	if (gwio_ring_cons_avail(&ring->cons))
		return 1;
	if (timeout_ms == 0)
		return 0;
	if (ring->info.is_device)
		return wait_device(ring, deadline);
	return wait_memory(ring, deadline);
}

/* The empty-ring path shared by read and peek. */
static int wait_for_records(struct gwio_ring *ring)
{
	if (ring->nonblock)
		return fail(EAGAIN);
	return gwio_ring_wait(ring, -1) < 0 ? -1 : 0;
}

ssize_t gwio_ring_read(struct gwio_ring *ring, struct gwio_record *buf,
		       size_t max, uint64_t *first_seq)
{
	uint32_t batch = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
	u64 seq;
	uint32_t n;

	if (!max) {
		if (first_seq)
			*first_seq = ring->cons.tail - ring->seq_base;
		return 0;
	}
	/* the read hands the slots back itself: no release to do */
	while (!(n = gwio_ring_cons_read(&ring->cons, buf, batch, &seq))) {
		if (wait_for_records(ring) < 0)
			return -1;
	}
	if (first_seq)
		*first_seq = seq - ring->seq_base;
	return n;
}

ssize_t gwio_ring_peek(struct gwio_ring *ring,
		       const struct gwio_record **recs, size_t max,
		       uint64_t *first_seq)
{
	uint32_t batch = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
	uint32_t n;

	if (ring->info.overflow != GWIO_OVERFLOW_DROP_NEWEST)
		return fail(EOPNOTSUPP);
	while (!(n = gwio_ring_cons_peek(&ring->cons, recs, batch)) && max) {
		if (wait_for_records(ring) < 0)
			return -1;
	}
	if (first_seq)
		*first_seq = ring->cons.tail - ring->seq_base;
	return n;
}

int gwio_ring_consume(struct gwio_ring *ring, size_t count)
{
	if (ring->info.overflow != GWIO_OVERFLOW_DROP_NEWEST)
		return fail(EOPNOTSUPP);
	/* only what a peek could have returned: head_cache covers it */
	if (count > (u32)(ring->cons.head_cache - (u32)ring->cons.tail))
		return fail(EINVAL);
	if (!count)
		return 0;
	gwio_ring_cons_skip(&ring->cons, (uint32_t)count);
	gwio_ring_cons_release(&ring->cons);
	return 0;
}

int gwio_ring_get_stats(struct gwio_ring *ring, struct gwio_ring_stats *stats)
{
	struct gwio_ring_counters cnt;

	gwio_ring_read_counters(ring->prod_map, &cnt);
	stats->produced = cnt.produced;
	stats->dropped = cnt.dropped;
	stats->overruns = cnt.overruns;
	stats->wakeups = cnt.wakeups;
	stats->lost = ring->cons.lost;
	stats->resyncs = ring->cons.resyncs;
	stats->next_seq = ring->cons.tail - ring->seq_base;
	return 0;
}

static int device_ioctl(struct gwio_ring *ring, unsigned long request)
{
	if (!ring->info.is_device)
		return fail(ENOTTY);
	return ioctl(ring->fd, request) < 0 ? -1 : 0;
}

int gwio_ring_start(struct gwio_ring *ring)
{
	return device_ioctl(ring, GWIO_IOC_START);
}

int gwio_ring_stop(struct gwio_ring *ring)
{
	return device_ioctl(ring, GWIO_IOC_STOP);
}

int gwio_ring_flush(struct gwio_ring *ring)
{
	struct gwio_ring_cons *c = &ring->cons;
	u32 tail;

	if (ring->info.is_device) {
		if (device_ioctl(ring, GWIO_IOC_FLUSH) < 0)
			return -1;
		/* follow the kernel's tail: what we discarded is not lost */
		tail = gwio_load_acquire(&c->cons->tail);
		c->tail += (u32)(tail - (u32)c->tail);
		c->head_cache = gwio_load_acquire(&c->shared->head);
	} else {
		c->head_cache = gwio_load_acquire(&c->shared->head);
		c->tail += (u32)(c->head_cache - (u32)c->tail);
		gwio_ring_cons_release(c);
	}
	return 0;
}

int gwio_ring_channel(const struct gwio_ring *ring, uint16_t index,
		      struct gwio_channel_desc *desc)
{
	const struct gwio_channel_entry *e;

	if (!ring->table || index >= ring->table_entries)
		return fail(ENOENT);
	e = &ring->table[index];
	if (!(e->flags & GWIO_CHANNEL_F_VALID))
		return fail(ENOENT);
	desc->index = index;
	desc->kind = e->kind;
	/* the table is the producer's: never trust its termination */
	memcpy(desc->label, e->label, sizeof(desc->label) - 1);
	desc->label[sizeof(desc->label) - 1] = '\0';
	return 0;
}

int gwio_ring_find_channel(const struct gwio_ring *ring, const char *label)
{
	struct gwio_channel_desc desc;
	uint32_t i;

	for (i = 0; ring->table && i < ring->table_entries; i++)
		if (!gwio_ring_channel(ring, (uint16_t)i, &desc) &&
		    !strcmp(desc.label, label))
			return (int)i;
	return fail(ENOENT);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int gwio_ring_strerror(const char *path, int err, char *buf, size_t size)
{
	char comm[64];
	pid_t pid;

	switch (err) {
	case EBUSY:
		pid = gwio_ring_holder(path, comm, sizeof(comm));
		if (pid)
			return snprintf(buf, size, "ring %s is being read by pid %d%s%s%s: one consumer at a time",
					path, (int)pid, *comm ? " (" : "",
					comm, *comm ? ")" : "");
		return snprintf(buf, size, "%s: %s (another consumer has it open: one at a time)",
				path, strerror(err));
	case ENOENT:
		if (starts_with(path, "/dev/gwio"))
			return snprintf(buf, size, "%s: %s (is the gwio module loaded? modprobe gwio; /sys/class/gwio/ lists its devices)",
					path, strerror(err));
		if (starts_with(path, "/proc/"))
			return snprintf(buf, size, "%s: %s (a memory ring's path lives only as long as its producer: is gwio-simring running, and is this the path it printed?)",
					path, strerror(err));
		return snprintf(buf, size, "%s: %s (a device appears once the gwio module is loaded, modprobe gwio; a memory ring while its producer, e.g. gwio-simring, runs)",
				path, strerror(err));
	case EACCES:
		return snprintf(buf, size, "%s: %s (gwio devices belong to the gwio group: add the user to it, or run as root)",
				path, strerror(err));
	case EPROTO:
		return snprintf(buf, size, "%s: not a gwio ring of a version this program reads (ABI, record size or layout differ)",
				path);
	case ENOTTY:
		return snprintf(buf, size, "%s: not a gwio device", path);
	default:
		return snprintf(buf, size, "%s: %s", path, strerror(err));
	}
}
