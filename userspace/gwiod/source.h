/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Where samples come from.  A source type (a gwio ring today; Modbus and
 * BACnet later) is one file that fills in struct gwiod_source_ops and one
 * line in source.c's table.  The daemon sees only this interface: it
 * polls src->fd when there is one, calls drain() when it is readable or,
 * for sources without a pollable fd, on every tick, and asks for health.
 */
#ifndef GWIOD_SOURCE_H
#define GWIOD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "pipeline.h"

struct gwiod_source;

struct gwiod_source_ops {
	enum gwiod_source_type type;
	const char *type_name;		/* as in the config file */

	/*
	 * Open what @config names and fill in src->fd and src->clock_id.
	 * Returns 0, or -1 with a reason in @err.
	 */
	int (*open)(struct gwiod_source *src,
		    const struct gwiod_config_source *config,
		    char *err, size_t err_size);
	void (*close)(struct gwiod_source *src);

	/* Whether @config describes what @src already has open. */
	bool (*same)(const struct gwiod_source *src,
		     const struct gwiod_config_source *config);

	/*
	 * Push what is waiting into @pipeline as device src->device, at
	 * most about @budget samples so one busy source cannot starve the
	 * rest.  Returns the samples pushed, or -1 with errno on an error
	 * that makes the source unusable.
	 */
	long (*drain)(struct gwiod_source *src, struct gwiod_pipeline *pipeline,
		      size_t budget);

	/*
	 * The source's counters as JSON members (",\"key\":value..."), for
	 * the health message; like snprintf.
	 */
	int (*health)(struct gwiod_source *src, char *buf, size_t size);
};

struct gwiod_source {
	const struct gwiod_source_ops *ops;
	char *name;
	uint32_t device;	/* the pipeline's device number */
	int fd;			/* readable when samples wait; -1: poll by tick */
	clockid_t clock_id;	/* clock of the samples' timestamps */
	/*
	 * Added to every timestamp on the way into the pipeline, which runs
	 * on CLOCK_REALTIME: clock_id -> epoch.  Set by the daemon.
	 */
	int64_t ts_offset_ns;
	uint64_t samples;	/* pushed into a pipeline so far */
	void *priv;		/* the type's own state */
};

/* Open the source @config describes; NULL with a reason in @err. */
struct gwiod_source *gwiod_source_open(const struct gwiod_config_source *config,
				       char *err, size_t err_size);
void gwiod_source_close(struct gwiod_source *src);
bool gwiod_source_same(const struct gwiod_source *src,
		       const struct gwiod_config_source *config);

#endif /* GWIOD_SOURCE_H */
