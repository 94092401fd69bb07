// SPDX-License-Identifier: GPL-2.0 OR MIT
#define _GNU_SOURCE
/* The table of source types, and what every source shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

extern const struct gwiod_source_ops gwiod_source_gwio_ops;

static const struct gwiod_source_ops *const source_types[] = {
	&gwiod_source_gwio_ops,
};

static const struct gwiod_source_ops *find_ops(enum gwiod_source_type type)
{
	size_t i;

	for (i = 0; i < sizeof(source_types) / sizeof(source_types[0]); i++)
		if (source_types[i]->type == type)
			return source_types[i];
	return NULL;
}

struct gwiod_source *gwiod_source_open(const struct gwiod_config_source *config,
				       char *err, size_t err_size)
{
	const struct gwiod_source_ops *ops = find_ops(config->type);
	struct gwiod_source *src;

	if (!ops) {
		snprintf(err, err_size, "source %s: type not built in",
			 config->name);
		return NULL;
	}
	src = calloc(1, sizeof(*src));
	if (!src || !(src->name = strdup(config->name))) {
		free(src);
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	src->ops = ops;
	src->device = config->device_index;
	src->fd = -1;
	if (ops->open(src, config, err, err_size) < 0) {
		free(src->name);
		free(src);
		return NULL;
	}
	return src;
}

void gwiod_source_close(struct gwiod_source *src)
{
	if (!src)
		return;
	src->ops->close(src);
	free(src->name);
	free(src);
}

bool gwiod_source_same(const struct gwiod_source *src,
		       const struct gwiod_config_source *config)
{
	return src->ops->type == config->type && src->ops->same(src, config);
}
