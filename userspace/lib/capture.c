// SPDX-License-Identifier: LGPL-2.1-or-later
/* Capture files: a header and sequence-numbered records (see libgwio.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libgwio.h"

_Static_assert(sizeof(struct gwio_capture_header) == 64,
	       "capture header layout is part of the file format");
_Static_assert(sizeof(struct gwio_capture_entry) == 24,
	       "capture entry layout is part of the file format");

struct gwio_capture {
	FILE *file;
	bool writing;
	int write_errno;	/* first failure, reported again at close */
};

static uint64_t clock_ns(clockid_t clock_id)
{
	struct timespec ts;

	if (clock_gettime(clock_id, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct gwio_capture *gwio_capture_create(const char *path,
					 const struct gwio_ring_info *info)
{
	struct gwio_capture_header hdr;
	struct gwio_capture *cap;
	int err;

	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return NULL;
	cap->writing = true;
	cap->file = fopen(path, "wbe");
	if (!cap->file)
		goto err_free;

	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, GWIO_CAPTURE_MAGIC, sizeof(hdr.magic));
	hdr.byte_order = GWIO_CAPTURE_BYTE_ORDER;
	hdr.version = GWIO_CAPTURE_VERSION;
	hdr.header_size = sizeof(hdr);
	hdr.entry_size = sizeof(struct gwio_capture_entry);
	hdr.clock_id = info->clock_id;
	hdr.overflow = info->overflow;
	hdr.record_count = info->record_count;
	hdr.start_clock_ns = clock_ns(info->clock_id);
	hdr.start_realtime_ns = clock_ns(CLOCK_REALTIME);
	if (fwrite(&hdr, sizeof(hdr), 1, cap->file) != 1)
		goto err_close;
	return cap;

err_close:
	err = errno;
	fclose(cap->file);
	remove(path);
	errno = err;
err_free:
	free(cap);
	return NULL;
}

int gwio_capture_write(struct gwio_capture *cap, uint64_t first_seq,
		       const struct gwio_record *recs, size_t count)
{
	size_t i;

	if (!cap->writing) {
		errno = EBADF;
		return -1;
	}
	for (i = 0; i < count; i++) {
		struct gwio_capture_entry entry = {
			.seq = first_seq + i,
			.rec = recs[i],
		};

		if (fwrite(&entry, sizeof(entry), 1, cap->file) != 1) {
			if (!cap->write_errno)
				cap->write_errno = errno ? errno : EIO;
			errno = cap->write_errno;
			return -1;
		}
	}
	return 0;
}

struct gwio_capture *gwio_capture_open(const char *path,
				       struct gwio_capture_header *header)
{
	struct gwio_capture_header hdr;
	struct gwio_capture *cap;
	int err = EPROTO;

	cap = calloc(1, sizeof(*cap));
	if (!cap)
		return NULL;
	cap->file = fopen(path, "rbe");
	if (!cap->file)
		goto err_free;
	if (fread(&hdr, sizeof(hdr), 1, cap->file) != 1) {
		if (ferror(cap->file))
			err = EIO;
		goto err_close;
	}
	if (memcmp(hdr.magic, GWIO_CAPTURE_MAGIC, sizeof(hdr.magic)) ||
	    hdr.byte_order != GWIO_CAPTURE_BYTE_ORDER ||
	    hdr.version != GWIO_CAPTURE_VERSION ||
	    hdr.header_size != sizeof(hdr) ||
	    hdr.entry_size != sizeof(struct gwio_capture_entry))
		goto err_close;
	if (header)
		*header = hdr;
	return cap;

err_close:
	fclose(cap->file);
	errno = err;
err_free:
	err = errno;
	free(cap);
	errno = err;
	return NULL;
}

ssize_t gwio_capture_read(struct gwio_capture *cap,
			  struct gwio_capture_entry *entries, size_t max)
{
	size_t n;

	if (cap->writing) {
		errno = EBADF;
		return -1;
	}
	/* a torn entry at the end (writer killed mid-write) is not returned */
	n = fread(entries, sizeof(*entries), max, cap->file);
	if (n < max && ferror(cap->file)) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)n;
}

int gwio_capture_close(struct gwio_capture *cap)
{
	int err = 0;

	if (!cap)
		return 0;
	if (cap->writing)
		err = cap->write_errno;
	if (fclose(cap->file) && cap->writing && !err)
		err = errno ? errno : EIO;
	free(cap);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
