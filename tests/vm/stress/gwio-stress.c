// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-side workers of tests/vm/stress.sh (tests/vm/stress/run-tests.sh).
 *
 *   gwio-stress hold DEV...            map and poll every DEV, print
 *                                      "holding N" once each delivered a
 *                                      record; a removed one must say
 *                                      POLLHUP, ENODEV for the rest, and
 *                                      keep its memory ("hup DEV ok");
 *                                      SIGTERM ends it
 *   gwio-stress open ITER SEED PROG    open/mmap/poll/read/munmap/close
 *                                      loops over whatever /dev/gwioN
 *                                      exist, with hostile consumer pages;
 *                                      SIGUSR1 makes it close everything
 *                                      and wait for SIGUSR2
 *   gwio-stress ioctl ITER SEED PROG   open and hammer the ioctls
 *   gwio-stress sysfs ITER SEED PROG   every writable attribute of every
 *                                      device and channel, valid and
 *                                      hostile values; every readable one
 *
 * The loops run a fixed number of iterations, never for a time, and write
 * the iteration number to PROG so the shell can tell a hang (no progress)
 * from a slow machine.  Races with removal, resizes and the other workers
 * are expected: only what must hold whatever the others do counts as a
 * violation ("VIOLATION: ..." and exit status 1), e.g. a mapped ring
 * changing size, a second open succeeding while the first file lives, a
 * garbage value accepted, an errno the ABI does not allow.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gwio_ring.h"

#define MAX_DEVS	32
#define MAX_VIOLATIONS	20

static unsigned long violations;
static const char *role = "?";
static int progress_fd = -1;
static unsigned long page_size;
static void *bad_buf;		/* PROT_NONE: a read() into it faults */

static void violation(const char *fmt, ...)
{
	va_list ap;

	if (++violations > MAX_VIOLATIONS)
		return;
	printf("VIOLATION: %s: ", role);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void progress(unsigned long i)
{
	char buf[32];
	int n;

	if (progress_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%lu\n", i);
	if (pwrite(progress_fd, buf, n, 0) < 0)
		progress_fd = -1;
	/* a shorter number than the last one would leave digits behind */
	if (ftruncate(progress_fd, n) < 0)
		progress_fd = -1;
}

/* xorshift32: reproducible from the seed the shell gives */
static uint32_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return n ? rng % n : rng;
}

static bool errno_in(int err, const int *ok, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (err == ok[i])
			return true;
	return false;
}

#define ERRNO_IN(err, ...) \
	errno_in(err, (const int[]){ __VA_ARGS__ }, \
		 sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

/* /dev/gwioN that exist now */
static int list_devs(char devs[][32])
{
	struct dirent *de;
	DIR *d = opendir("/dev");
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_DEVS) {
		if (strncmp(de->d_name, "gwio", 4) || !de->d_name[4] ||
		    strspn(de->d_name + 4, "0123456789") != strlen(de->d_name + 4))
			continue;
		if (snprintf(devs[n], 32, "/dev/%s", de->d_name) < 32)
			n++;
	}
	closedir(d);
	return n;
}

struct map {
	int fd;
	struct gwio_info info;
	struct gwio_consumer *cons;
	struct gwio_producer *prod;
	size_t prod_len;
	bool records_mapped;		/* the records lie inside prod_len */
	struct gwio_ring_cons c;
	uint64_t records;
};

static void map_init(struct map *m)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->cons = MAP_FAILED;
	m->prod = MAP_FAILED;
}

static void map_release(struct map *m)
{
	if (m->prod != MAP_FAILED)
		munmap(m->prod, m->prod_len);
	if (m->cons != MAP_FAILED)
		munmap(m->cons, page_size);
	if (m->fd >= 0)
		close(m->fd);
	map_init(m);
}

static void check_info(const char *dev, const struct gwio_info *i)
{
	if (i->abi_major != GWIO_ABI_MAJOR || i->record_size != 16 ||
	    i->page_size != page_size || i->consumer_map_size != page_size ||
	    i->record_count < 256 || i->record_count > (1u << 22) ||
	    (i->record_count & (i->record_count - 1)))
		violation("%s: INFO abi %u size %u page %u count %u cmap %llu",
			  dev, i->abi_major, i->record_size, i->page_size,
			  i->record_count,
			  (unsigned long long)i->consumer_map_size);
}

/*
 * Open and map DEV.  0 on success; an errno the races allow (the device
 * went away, is someone else's, was resized between INFO and mmap) comes
 * back negative; anything else is a violation and -EPROTO.
 */
static int map_open(struct map *m, const char *dev, int flags)
{
	struct gwio_info again;

	map_init(m);
	m->fd = open(dev, O_RDWR | O_CLOEXEC | flags);
	if (m->fd < 0) {
		int err = errno;

		if (!ERRNO_IN(err, ENOENT, ENXIO, ENODEV, EBUSY))
			violation("open %s: %s", dev, strerror(err));
		m->fd = -1;
		return -err;
	}
	if (ioctl(m->fd, GWIO_IOC_INFO, &m->info)) {
		int err = errno;

		if (err != ENODEV)
			violation("INFO %s: %s", dev, strerror(err));
		return -err;
	}
	check_info(dev, &m->info);
	m->cons = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       m->fd, GWIO_CONSUMER_PGOFF * page_size);
	if (m->cons == MAP_FAILED) {
		int err = errno;

		if (err != ENODEV)
			violation("mmap consumer %s: %s", dev, strerror(err));
		return -err;
	}
	m->prod_len = m->info.producer_map_size;
	m->prod = mmap(NULL, m->prod_len, PROT_READ, MAP_SHARED, m->fd,
		       GWIO_PRODUCER_PGOFF * page_size);
	if (m->prod == MAP_FAILED) {
		int err = errno;

		/* EINVAL: resized to less between INFO and the first mmap */
		if (!ERRNO_IN(err, ENODEV, EINVAL))
			violation("mmap producer %s: %s", dev, strerror(err));
		return -err;
	}
	/*
	 * Mapped: nothing may resize the ring now, so INFO and the header
	 * agree from here on (a resize between the first INFO and the
	 * consumer mmap is allowed and shows here).
	 */
	if (ioctl(m->fd, GWIO_IOC_INFO, &again)) {
		if (errno != ENODEV)
			violation("INFO %s: %s", dev, strerror(errno));
		return -errno;
	}
	m->info = again;
	if (m->prod->magic != GWIO_MAGIC || m->prod->abi_major != GWIO_ABI_MAJOR ||
	    m->prod->record_count != again.record_count)
		violation("%s: header magic %#x abi %u count %u, INFO count %u",
			  dev, m->prod->magic, m->prod->abi_major,
			  m->prod->record_count, again.record_count);
	m->records_mapped = m->prod->data_offset +
			    (uint64_t)m->prod->record_count * 16 <= m->prod_len;
	if (m->records_mapped)
		gwio_ring_cons_init(&m->c, m->cons, m->prod,
				    (const void *)((char *)m->prod +
						   m->prod->data_offset));
	return 0;
}

/* The ring must not have changed size under the mapping. */
static void map_check(struct map *m, const char *dev)
{
	struct gwio_info now;

	if (m->prod->record_count != m->info.record_count ||
	    m->prod->magic != GWIO_MAGIC)
		violation("%s: mapped ring changed: count %u -> %u, magic %#x",
			  dev, m->info.record_count, m->prod->record_count,
			  m->prod->magic);
	if (ioctl(m->fd, GWIO_IOC_INFO, &now)) {
		if (errno != ENODEV)
			violation("INFO %s: %s", dev, strerror(errno));
		return;
	}
	if (now.record_count != m->info.record_count ||
	    now.producer_map_size != m->info.producer_map_size)
		violation("%s: resized while mapped: %u -> %u records", dev,
			  m->info.record_count, now.record_count);
}

/*
 * Read up to @max_batches batches from the tail the consumer page holds.
 * @honest: that tail is one an honest consumer left, so every record read
 * was written by the producer and has a kind.
 */
static uint64_t drain(struct map *m, uint32_t max_batches, bool honest)
{
	static struct gwio_record buf[1024];
	uint64_t total = 0;
	__u64 seq;
	uint32_t n;

	if (!m->records_mapped)
		return 0;
	/* the consumer page may hold anything a hostile step left there */
	gwio_ring_cons_init(&m->c, m->cons, m->prod,
			    (const void *)((char *)m->prod + m->prod->data_offset));
	while (max_batches-- && (n = gwio_ring_cons_read(&m->c, buf, 1024, &seq))) {
		uint32_t i;

		for (i = 0; honest && i < n; i++)
			if (buf[i].kind < GWIO_KIND_SIM || buf[i].kind > GWIO_KIND_ADC)
				violation("record %" PRIu64 " of kind %u",
					  (uint64_t)(seq + i), buf[i].kind);
		total += n;
	}
	m->records += total;
	return total;
}

static volatile sig_atomic_t got_alarm, got_term, held_off;

static void on_alarm(int sig)
{
	(void)sig;
	got_alarm = 1;
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* SIGUSR1: close everything and wait; SIGUSR2: go on (gwio.ko reloads) */
static void on_usr(int sig)
{
	held_off = sig == SIGUSR1;
}

/*
 * SIGALRM after @us and every @us after that, without SA_RESTART:
 * blocking calls end.  Periodic, not one-shot: on a loaded machine the
 * first one can come before the call it is meant for has started (seen:
 * a read() asleep for minutes on a stopped device, its alarm spent).
 */
static void arm_alarm(unsigned int us)
{
	struct itimerval it = {
		.it_interval = { us / 1000000, us % 1000000 },
		.it_value = { us / 1000000, us % 1000000 },
	};

	got_alarm = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_alarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void handlers(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_usr;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

/* A value for tail no honest consumer leaves (or an honest one). */
static uint32_t hostile_tail(const struct map *m)
{
	uint32_t head = __atomic_load_n(&m->prod->head, __ATOMIC_ACQUIRE);
	uint32_t size = m->prod->record_count;

	switch (rnd(7)) {
	case 0: return head + 1;
	case 1: return head + 100000;
	case 2: return head - size - 1;
	case 3: return head ^ 0x80000000u;
	case 4: return UINT32_MAX;
	case 5: return head - rnd(size + 1);	/* honest */
	default: return rnd(0);
	}
}

/* read() with a timer that interrupts it: must come back, never spin. */
static void try_read(struct map *m, const char *dev)
{
	static struct gwio_record buf[64];
	size_t len = (1 + rnd(64)) * sizeof(buf[0]);
	ssize_t r;

	switch (rnd(4)) {
	case 0:
		/* shorter than a record */
		r = read(m->fd, buf, 8);
		if (r != -1 || !ERRNO_IN(errno, EINVAL, ENODEV))
			violation("%s: read of 8 bytes: %zd %s", dev, r,
				  strerror(errno));
		return;
	case 1:
		/* a buffer that faults: EFAULT, ENODEV or nothing to read yet */
		arm_alarm(20000);
		r = read(m->fd, bad_buf, len);
		disarm_alarm();
		if (r >= 0 || !ERRNO_IN(errno, EFAULT, EINTR, ENODEV, EAGAIN))
			violation("%s: read into a bad buffer: %zd %s", dev, r,
				  strerror(errno));
		return;
	default:
		arm_alarm(20000 + rnd(30000));
		r = read(m->fd, buf, len);
		disarm_alarm();
		if (r >= 0 && (r == 0 || r % 16 || (size_t)r > len))
			violation("%s: read returned %zd of %zu", dev, r, len);
		if (r < 0 && !ERRNO_IN(errno, EINTR, ENODEV, EAGAIN))
			violation("%s: read: %s", dev, strerror(errno));
	}
}

static void try_poll(struct map *m, const char *dev)
{
	struct pollfd pfd = { .fd = m->fd, .events = POLLIN };
	int r = poll(&pfd, 1, rnd(10));

	if (r < 0 && errno != EINTR)
		violation("%s: poll: %s", dev, strerror(errno));
}

/* Mappings the ABI refuses, whatever the state of the device. */
static void try_bad_maps(struct map *m, const char *dev)
{
	void *p = MAP_FAILED;

	switch (rnd(4)) {
	case 0:
		p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 m->fd, GWIO_PRODUCER_PGOFF * page_size);
		if (p != MAP_FAILED || !ERRNO_IN(errno, EPERM, ENODEV))
			violation("%s: writable producer map: %s", dev,
				  p == MAP_FAILED ? strerror(errno) : "mapped");
		break;
	case 1:
		if (!mprotect(m->prod, page_size, PROT_READ | PROT_WRITE))
			violation("%s: producer page made writable", dev);
		break;
	case 2:
		p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, m->fd,
			 (7 + rnd(100)) * page_size);
		if (p != MAP_FAILED || !ERRNO_IN(errno, EINVAL, ENODEV))
			violation("%s: map at a bad offset: %s", dev,
				  p == MAP_FAILED ? strerror(errno) : "mapped");
		break;
	default:
		p = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, m->fd, GWIO_CONSUMER_PGOFF * page_size);
		if (p != MAP_FAILED || !ERRNO_IN(errno, EINVAL, ENODEV))
			violation("%s: 2-page consumer map: %s", dev,
				  p == MAP_FAILED ? strerror(errno) : "mapped");
		break;
	}
	if (p != MAP_FAILED)
		munmap(p, page_size);
}

static void try_ioctl(struct map *m, const char *dev)
{
	struct gwio_info info;
	unsigned long cmd;
	int r;

	switch (rnd(8)) {
	case 0: cmd = GWIO_IOC_START; break;
	case 1: cmd = GWIO_IOC_STOP; break;
	case 2: case 3: cmd = GWIO_IOC_FLUSH; break;
	case 4:
		r = ioctl(m->fd, GWIO_IOC_INFO, (void *)8);
		if (r != -1 || !ERRNO_IN(errno, EFAULT, ENODEV))
			violation("%s: INFO to a bad pointer: %d %s", dev, r,
				  strerror(errno));
		return;
	case 5:
		r = ioctl(m->fd, _IO(GWIO_IOC_MAGIC, 0x40 + rnd(64)), 0);
		if (r != -1 || !ERRNO_IN(errno, ENOTTY, ENODEV))
			violation("%s: unknown ioctl: %d %s", dev, r,
				  strerror(errno));
		return;
	case 6:
		/* INFO's number with another size */
		r = ioctl(m->fd, _IOR(GWIO_IOC_MAGIC, 0x01, int), &info);
		if (r != -1 || !ERRNO_IN(errno, ENOTTY, ENODEV))
			violation("%s: INFO of the wrong size: %d %s", dev, r,
				  strerror(errno));
		return;
	default:
		r = ioctl(m->fd, GWIO_IOC_INFO, &info);
		if (r && errno != ENODEV)
			violation("%s: INFO: %s", dev, strerror(errno));
		if (!r)
			check_info(dev, &info);
		return;
	}
	r = ioctl(m->fd, cmd, 0);
	if (r && errno != ENODEV)
		violation("%s: ioctl %#lx: %s", dev, cmd, strerror(errno));
}

/*
 * What the mm does to a mapping: split it (a partial munmap or
 * mprotect), copy it into a child (fork), try to grow it (mremap).  Each
 * VMA that comes and goes must be counted in and out of the device's
 * mapping count: the shell checks afterwards that every ring can be
 * resized again, which it cannot while the count is above zero.
 */
static void try_vma(struct map *m, const char *dev)
{
	size_t pages = m->prod_len / page_size;
	char *p = (char *)m->prod;
	void *q;
	pid_t pid;

	switch (rnd(4)) {
	case 0:
		/* the last page of the records goes: the rest stays mapped */
		if (pages < 2)
			return;
		if (munmap(p + (pages - 1) * page_size, page_size))
			violation("%s: partial munmap: %s", dev, strerror(errno));
		m->records_mapped = false;
		break;
	case 1:
		/* a page in the middle made inaccessible: three VMAs */
		if (pages < 3)
			return;
		if (mprotect(p + page_size, page_size, PROT_NONE))
			violation("%s: mprotect PROT_NONE: %s", dev, strerror(errno));
		m->records_mapped = false;
		break;
	case 2:
		/* a child with copies of both mappings, gone at once */
		pid = fork();
		if (pid == 0) {
			__atomic_store_n(&m->cons->tail,
					 __atomic_load_n(&m->prod->head, __ATOMIC_ACQUIRE),
					 __ATOMIC_RELEASE);
			_exit(m->prod->magic == GWIO_MAGIC ? 0 : 1);
		}
		if (pid > 0) {
			int st;

			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				violation("%s: child saw magic %#x", dev,
					  m->prod->magic);
		}
		break;
	default:
		/* the consumer page cannot grow past its one page */
		q = mremap(m->cons, page_size, 2 * page_size, MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			violation("%s: consumer map grown to 2 pages", dev);
			m->cons = q;
			munmap((char *)q + page_size, page_size);
		}
		break;
	}
}

static void open_step(struct map *m, const char *dev)
{
	struct gwio_consumer *cons = m->cons;
	int k;

	switch (rnd(11)) {
	case 10:
		try_vma(m, dev);
		break;
	case 0: case 1:
		/* a hostile tail, and garbage in the reserved words */
		__atomic_store_n(&cons->tail, hostile_tail(m), __ATOMIC_RELEASE);
		cons->reserved[rnd(15)] = rnd(0);
		break;
	case 2: case 3:
		drain(m, 4, false);
		break;
	case 4: case 5:
		try_read(m, dev);
		break;
	case 6:
		try_bad_maps(m, dev);
		break;
	case 7: case 8:
		try_ioctl(m, dev);
		break;
	default:
		for (k = 0; k < 3; k++)
			try_poll(m, dev);
	}
}

/* open/mmap/poll/read/munmap/close, or one of the ioctl hammer's bursts */
static void worker_open(unsigned long iters, bool ioctls)
{
	unsigned long i, opened = 0, busy = 0, gone = 0, resized = 0, none = 0;
	unsigned long by_errno[4] = { 0 };	/* ENOENT ENXIO ENODEV other */
	char devs[MAX_DEVS][32];
	struct map m;
	int n, k, steps, r;

	for (i = 0; i < iters && !got_term; i++) {
		const char *dev;

		/* nothing open here: the module may go (SIGUSR1 .. SIGUSR2) */
		while (held_off && !got_term)
			usleep(1000);
		progress(i);
		n = list_devs(devs);
		if (!n) {
			/*
			 * gwio.ko is being reloaded: an iteration that finds
			 * nothing is no iteration (or a worker could spend
			 * them all in that moment), and no progress either:
			 * devices that never come back are a hang
			 */
			none++;
			i--;
			usleep(2000);
			continue;
		}
		dev = devs[rnd(n)];
		r = map_open(&m, dev, rnd(2) ? O_NONBLOCK : 0);
		if (r == -EBUSY)
			busy++;
		else if (r == -EINVAL)
			resized++;
		else if (r) {
			gone++;
			by_errno[r == -ENOENT ? 0 : r == -ENXIO ? 1 : r == -ENODEV ? 2 : 3]++;
		}
		if (r) {
			map_release(&m);
			continue;
		}
		opened++;
		steps = 1 + rnd(ioctls ? 40 : 12);
		for (k = 0; k < steps; k++) {
			if (ioctls)
				try_ioctl(&m, dev);
			else
				open_step(&m, dev);
		}
		map_check(&m, dev);

		switch (rnd(4)) {
		case 0: {
			/*
			 * Close the file first: the mappings keep it, so a
			 * second open of the same node must fail.  It cannot
			 * reach another device: ours keeps its minor.
			 */
			int fd2;

			close(m.fd);
			m.fd = -1;
			if (rnd(2))
				drain(&m, 2, false);
			fd2 = open(dev, O_RDWR | O_CLOEXEC);
			if (fd2 >= 0) {
				violation("%s: opened again while mapped", dev);
				close(fd2);
			} else if (!ERRNO_IN(errno, EBUSY, ENXIO, ENOENT, ENODEV)) {
				violation("%s: open while mapped: %s", dev,
					  strerror(errno));
			}
			break;
		}
		case 1:
			/* unmap the records first, keep the consumer page */
			munmap(m.prod, m.prod_len);
			m.prod = MAP_FAILED;
			break;
		default:
			break;
		}
		map_release(&m);
	}
	progress(i);
	printf("gwio-stress %s: %lu iterations, %lu opened, %lu busy, %lu gone (ENOENT %lu ENXIO %lu ENODEV %lu other %lu), waited %lu times for a device, %lu resized, %lu violations\n",
	       role, i, opened, busy, gone, by_errno[0], by_errno[1],
	       by_errno[2], by_errno[3], none, resized, violations);
}

/* ------------------------------------------------------------- sysfs */

/*
 * Values for every attribute: the valid ones of one attribute are the
 * hostile ones of another.  "x" marks a value no gwio attribute may
 * accept, whatever the state of the device.
 */
static const struct { const char *v; bool never; } values[] = {
	{ "0", 0 }, { "1", 0 }, { "2", 0 }, { "5", 0 }, { "10", 0 },
	{ "64", 0 }, { "100", 0 }, { "256", 0 }, { "1000", 0 },
	{ "1024", 0 }, { "5000", 0 }, { "16384", 0 }, { "50000", 0 },
	{ "65536", 0 }, { "100000", 0 }, { "1000000", 0 }, { "1000001", 0 },
	{ "10000000", 0 }, { "10000001", 0 }, { "4194304", 0 },
	{ "4294967295", 0 },
	{ "0x400", 0 }, { "y", 0 }, { "n", 0 }, { "on", 0 }, { "off", 0 },
	{ "drop-newest", 0 }, { "overwrite", 0 }, { "monotonic", 0 },
	{ "boottime", 0 }, { "realtime", 0 }, { "tai", 0 },
	{ "counter", 0 }, { "sine", 0 }, { "square", 0 }, { "ramp", 0 },
	/* never valid anywhere */
	{ "-1", 1 }, { "-4294967296", 1 }, { "4294967296", 1 },
	{ "99999999999999999999", 1 }, { "abc", 1 }, { "\n", 1 },
	{ " 12", 1 }, { "DROP-NEWEST", 1 }, { "drop", 1 },
	/* kstrtobool takes the first character: "1..." is "on" */
	{ "12abc", 0 },
	{ "%n%n%n", 1 }, { "\x01\x02", 1 },
};

/* values too costly for a CPU emulated by TCG in every channel */
static bool too_costly(const char *attr, const char *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	x = strtoull(v, &end, 0);
	if (end == v || *end || errno)
		return false;
	/* 10 MHz per sim channel: 65536 records per tick, irqs off */
	if (!strcmp(attr, "rate_hz") && x > 100000 && x <= 10000000)
		return true;
	/* a 10 us ADC tick: the bus emulator never idles */
	if (!strcmp(attr, "period_us") && x >= 10 && x < 100)
		return true;
	return false;
}

#define MAX_ATTRS	512

struct attr {
	char path[160];
	const char *name;
	bool writable;
};

static int scan_dir(const char *dir, struct attr *a, int n)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return n;
	while ((de = readdir(d)) && n < MAX_ATTRS) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "uevent"))
			continue;
		if (snprintf(a[n].path, sizeof(a[n].path), "%s/%s", dir,
			     de->d_name) >= (int)sizeof(a[n].path) ||
		    lstat(a[n].path, &st) || !S_ISREG(st.st_mode))
			continue;
		a[n].name = strrchr(a[n].path, '/') + 1;
		a[n].writable = st.st_mode & S_IWUSR;
		n++;
	}
	closedir(d);
	return n;
}

/* every attribute of every device and channel there is now */
static int scan_attrs(struct attr *a)
{
	char dir[128], sub[160];
	struct dirent *de, *ce;
	DIR *d = opendir("/sys/class/gwio"), *c;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(dir, sizeof(dir), "/sys/class/gwio/%s",
			     de->d_name) >= (int)sizeof(dir))
			continue;
		n = scan_dir(dir, a, n);
		snprintf(sub, sizeof(sub), "%s/statistics", dir);
		n = scan_dir(sub, a, n);
		snprintf(sub, sizeof(sub), "%s/channels", dir);
		c = opendir(sub);
		if (!c)
			continue;
		while ((ce = readdir(c))) {
			char ch[200];

			if (ce->d_name[0] == '.')
				continue;
			if (snprintf(ch, sizeof(ch), "%s/%s", sub,
				     ce->d_name) < (int)sizeof(ch))
				n = scan_dir(ch, a, n);
		}
		closedir(c);
	}
	closedir(d);
	return n;
}

static void worker_sysfs(unsigned long iters)
{
	static struct attr attrs[MAX_ATTRS];
	static char big[8192];
	unsigned long i, writes = 0, accepted = 0, reads = 0, seen = 0, stale = 0;
	char buf[4096];
	int n, k, fd;

	memset(big, '7', sizeof(big));
	for (i = 0; i < iters && !got_term; i++) {
		progress(i);
		n = scan_attrs(attrs);
		if (!n) {
			/* no device now: as for the openers, not a round */
			i--;
			usleep(2000);
			continue;
		}
		seen += n;
		for (k = 0; k < n; k++) {
			struct attr *a = &attrs[k];
			const char *v;
			size_t len;
			ssize_t w;
			int pick;

			if (!a->writable || rnd(3) == 0) {
				fd = open(a->path, O_RDONLY);
				if (fd >= 0) {
					if (read(fd, buf, sizeof(buf)) >= 0)
						reads++;
					close(fd);
				}
				if (!a->writable)
					continue;
			}
			pick = rnd(sizeof(values) / sizeof(values[0]) + 1);
			if (pick == sizeof(values) / sizeof(values[0])) {
				/* longer than a page: truncated or refused */
				v = big;
				len = 1 + rnd(sizeof(big));
			} else {
				v = values[pick].v;
				len = strlen(v);
				if (too_costly(a->name, v))
					continue;
			}
			fd = open(a->path, O_WRONLY);
			if (fd < 0) {
				stale++;
				if (!ERRNO_IN(errno, ENOENT, ENODEV))
					violation("open %s: %s", a->path,
						  strerror(errno));
				continue;
			}
			w = write(fd, v, len);
			writes++;
			if (w == (ssize_t)len && len) {
				accepted++;
				if (v != big && values[pick].never)
					violation("%s accepted \"%s\"", a->path, v);
				if (v == big && len > 9)
					violation("%s accepted %zu digits", a->path,
						  len);
			} else if (w < 0 &&
				   !ERRNO_IN(errno, EINVAL, EBUSY, ERANGE,
					     EOPNOTSUPP, ENODEV, ENOENT,
					     ENOMEM, E2BIG)) {
				violation("write \"%.12s\" to %s: %s", v, a->path,
					  strerror(errno));
			}
			close(fd);
		}
	}
	progress(i);
	printf("gwio-stress sysfs: %lu rounds, %lu attributes seen, %lu writes, %lu accepted, %lu gone, %lu reads, %lu violations\n",
	       i, seen, writes, accepted, stale, reads, violations);
}

/* -------------------------------------------------------------- hold */

/*
 * A consumer that maps DEV... and sleeps in poll(), draining.  "holding N"
 * once every device has delivered at least one record (traffic flows);
 * each device removed under it must report POLLHUP | POLLERR, answer
 * ENODEV to ioctl, read and mmap, and leave its memory readable.
 */
static int hold(int ndev, char **devs)
{
	struct map m[MAX_DEVS];
	struct pollfd pfd[MAX_DEVS];
	bool fed[MAX_DEVS] = { 0 }, announced = false;
	int i, left = ndev;

	if (ndev > MAX_DEVS)
		ndev = MAX_DEVS;
	for (i = 0; i < ndev; i++) {
		int r = map_open(&m[i], devs[i], O_NONBLOCK);

		if (r) {
			printf("hold: %s: %s\n", devs[i], strerror(-r));
			return 1;
		}
		pfd[i].fd = m[i].fd;
		pfd[i].events = POLLIN;
	}
	while (left && !got_term) {
		if (poll(pfd, ndev, 1000) < 0 && errno != EINTR) {
			violation("poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < ndev; i++) {
			struct gwio_info info;
			char rec[16];
			void *p;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (pfd[i].revents & POLLIN && drain(&m[i], 16, true))
				fed[i] = true;
			if (!(pfd[i].revents & (POLLHUP | POLLERR)))
				continue;
			/* removed under us: the dead-device contract */
			if ((pfd[i].revents & (POLLHUP | POLLERR)) != (POLLHUP | POLLERR))
				violation("%s: revents %#x", devs[i], pfd[i].revents);
			if (ioctl(m[i].fd, GWIO_IOC_INFO, &info) != -1 || errno != ENODEV)
				violation("%s: INFO after removal: %s", devs[i],
					  strerror(errno));
			if (read(m[i].fd, rec, sizeof(rec)) != -1 || errno != ENODEV)
				violation("%s: read after removal: %s", devs[i],
					  strerror(errno));
			p = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, m[i].fd, 0);
			if (p != MAP_FAILED || errno != ENODEV)
				violation("%s: mmap after removal: %s", devs[i],
					  p == MAP_FAILED ? strerror(errno) : "mapped");
			if (p != MAP_FAILED)
				munmap(p, page_size);
			/* the memory lives while mapped */
			if (m[i].prod->magic != GWIO_MAGIC ||
			    m[i].prod->record_count != m[i].info.record_count)
				violation("%s: ring memory changed after removal",
					  devs[i]);
			drain(&m[i], 4, true);
			printf("hup %s %s records=%" PRIu64 "\n", devs[i],
			       violations ? "BAD" : "ok", m[i].records);
			map_release(&m[i]);
			pfd[i].fd = -1;
			left--;
		}
		if (!announced) {
			for (i = 0; i < ndev && (fed[i] || pfd[i].fd < 0); i++)
				;
			if (i == ndev) {
				printf("holding %d\n", ndev);
				announced = true;
			}
		}
	}
	for (i = 0; i < ndev; i++) {
		if (pfd[i].fd < 0)
			continue;
		map_check(&m[i], devs[i]);
		printf("closing %s records=%" PRIu64 "\n", devs[i], m[i].records);
		map_release(&m[i]);
	}
	return violations ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long iters;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	bad_buf = mmap(NULL, 2 * 1024 * 16, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad_buf == MAP_FAILED)
		return 2;
	handlers();
	if (argc >= 3 && !strcmp(argv[1], "hold")) {
		role = "hold";
		return hold(argc - 2, argv + 2);
	}
	if (argc != 5) {
		fprintf(stderr, "usage: gwio-stress hold DEV...\n"
			"       gwio-stress open|ioctl|sysfs ITER SEED PROGRESS\n");
		return 2;
	}
	role = argv[1];
	iters = strtoul(argv[2], NULL, 0);
	rng = strtoul(argv[3], NULL, 0) * 2654435761u | 1;
	progress_fd = open(argv[4], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (!strcmp(role, "open"))
		worker_open(iters, false);
	else if (!strcmp(role, "ioctl"))
		worker_open(iters, true);
	else if (!strcmp(role, "sysfs"))
		worker_sysfs(iters);
	else
		return 2;
	if (violations > MAX_VIOLATIONS)
		printf("VIOLATION: %s: %lu more\n", role,
		       violations - MAX_VIOLATIONS);
	return violations ? 1 : 0;
}
