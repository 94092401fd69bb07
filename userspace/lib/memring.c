// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A producer for memory rings: a memfd laid out like the device mapping, so
 * that consumers cannot tell it from /dev/gwioN except for the ioctls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libgwio.h"
#include "gwio_ring.h"

/* 2^26 records = 1 GiB: far beyond any real ring, small enough for size_t. */
#define GWIO_MEMRING_MAX_RECORDS	(1u << 26)

struct gwio_memring {
	int fd;
	void *map;
	size_t map_len;
	struct gwio_channel_entry *table;
	struct gwio_ring_prod prod;
};

/* as many slots as a device has */
#define MEMRING_TABLE_ENTRIES	256u

struct gwio_memring *gwio_memring_create(uint32_t record_count,
					 enum gwio_overflow overflow,
					 clockid_t clock_id)
{
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct gwio_ring_layout l;
	struct gwio_memring *ring;
	struct gwio_producer *pp;
	int err;

	if (!record_count || (record_count & (record_count - 1)) ||
	    record_count > GWIO_MEMRING_MAX_RECORDS ||
	    (overflow != GWIO_OVERFLOW_DROP_NEWEST &&
	     overflow != GWIO_OVERFLOW_OVERWRITE)) {
		errno = EINVAL;
		return NULL;
	}
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return NULL;
	/* consumer page, producer page, channel table, records: as a device */
	gwio_ring_layout(&l, record_count, MEMRING_TABLE_ENTRIES, page_size);
	ring->map_len = (size_t)l.bytes;

	ring->fd = memfd_create("gwio-ring", MFD_CLOEXEC);
	if (ring->fd < 0)
		goto err_free;
	if (ftruncate(ring->fd, (off_t)ring->map_len) < 0)
		goto err_close;
	ring->map = mmap(NULL, ring->map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, ring->fd, 0);
	if (ring->map == MAP_FAILED)
		goto err_close;

	pp = (struct gwio_producer *)((char *)ring->map +
				      GWIO_PRODUCER_PGOFF * page_size);
	pp->magic = GWIO_MAGIC;
	pp->abi_major = GWIO_ABI_MAJOR;
	pp->abi_minor = GWIO_ABI_MINOR;
	pp->record_size = sizeof(struct gwio_record);
	pp->record_count = record_count;
	pp->data_offset = (uint32_t)l.data_offset;
	pp->clock_id = clock_id;
	pp->overflow = overflow;
	pp->channel_table_offset = (uint32_t)l.table_offset;
	pp->channel_table_entries = MEMRING_TABLE_ENTRIES;
	ring->table = (struct gwio_channel_entry *)((char *)pp + l.table_offset);
	gwio_ring_prod_init(&ring->prod, pp, ring->map,
			    (struct gwio_record *)((char *)pp + pp->data_offset),
			    record_count, overflow);
	((struct gwio_consumer *)ring->map)->tail = GWIO_RING_POS_INIT;
	return ring;

err_close:
	err = errno;
	close(ring->fd);
	errno = err;
err_free:
	free(ring);
	return NULL;
}

void gwio_memring_close(struct gwio_memring *ring)
{
	if (!ring)
		return;
	munmap(ring->map, ring->map_len);
	close(ring->fd);
	free(ring);
}

int gwio_memring_set_channel(struct gwio_memring *ring, uint16_t index,
			     const char *label, uint8_t kind)
{
	struct gwio_channel_entry *e;

	if (index >= MEMRING_TABLE_ENTRIES || !label || !*label ||
	    strlen(label) >= sizeof(e->label)) {
		errno = EINVAL;
		return -1;
	}
	e = &ring->table[index];
	memset(e, 0, sizeof(*e));
	memcpy(e->label, label, strlen(label));
	e->kind = kind;
	e->flags = GWIO_CHANNEL_F_VALID;
	return 0;
}

int gwio_memring_fd(const struct gwio_memring *ring)
{
	return ring->fd;
}

struct gwio_ring_prod *gwio_memring_producer(struct gwio_memring *ring)
{
	return &ring->prod;
}

bool gwio_memring_push(struct gwio_memring *ring,
		       const struct gwio_record *rec)
{
	return gwio_ring_prod_push(&ring->prod, rec);
}

void gwio_memring_publish(struct gwio_memring *ring)
{
	gwio_ring_prod_publish(&ring->prod);
}
