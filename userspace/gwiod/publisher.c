// SPDX-License-Identifier: GPL-2.0 OR MIT
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "publisher.h"

struct route_out {
	char *topic;
	int qos;
	bool retain;
	unsigned int window_stats;
};

struct gwiod_publisher {
	struct gwiod_mqtt *mqtt;
	struct route_out *outs;		/* by binding = pipeline point id */
	size_t count;
	char *buf;			/* grows to the largest payload */
	size_t buf_size;
	struct gwiod_publisher_stats stats;
};

struct gwiod_publisher *gwiod_publisher_create(const struct gwiod_config *config,
					       struct gwiod_mqtt *mqtt)
{
	struct gwiod_publisher *pub = calloc(1, sizeof(*pub));
	size_t i;

	if (!pub)
		return NULL;
	pub->mqtt = mqtt;
	pub->buf_size = 4096;
	pub->buf = malloc(pub->buf_size);
	pub->outs = calloc(config->binding_count, sizeof(*pub->outs));
	if (!pub->buf || !pub->outs)
		goto fail;
	pub->count = config->binding_count;
	for (i = 0; i < config->binding_count; i++) {
		const struct gwiod_config_binding *b = &config->bindings[i];
		const struct gwiod_config_route *r = &config->routes[b->route];

		pub->outs[i].topic = strdup(b->topic);
		if (!pub->outs[i].topic)
			goto fail;
		pub->outs[i].qos = r->qos;
		pub->outs[i].retain = r->retain;
		pub->outs[i].window_stats = r->stats;
	}
	return pub;
fail:
	gwiod_publisher_destroy(pub);
	errno = ENOMEM;
	return NULL;
}

void gwiod_publisher_destroy(struct gwiod_publisher *pub)
{
	size_t i;

	if (!pub)
		return;
	for (i = 0; pub->outs && i < pub->count; i++)
		free(pub->outs[i].topic);
	free(pub->outs);
	free(pub->buf);
	free(pub);
}

/* Encode into the buffer, growing it once if the payload does not fit. */
static int encode(struct gwiod_publisher *pub, const struct gwiod_event *event,
		  const struct gwiod_payload_options *options)
{
	int len = gwiod_payload_encode(event, options, pub->buf, pub->buf_size);
	char *bigger;

	if (len < 0 || (size_t)len < pub->buf_size)
		return len;
	bigger = realloc(pub->buf, (size_t)len + 1);
	if (!bigger)
		return -ENOMEM;
	pub->buf = bigger;
	pub->buf_size = (size_t)len + 1;
	return gwiod_payload_encode(event, options, pub->buf, pub->buf_size);
}

static int publisher_emit(void *ctx, const struct gwiod_event *event)
{
	struct gwiod_publisher *pub = ctx;
	const struct route_out *out;
	struct gwiod_payload_options options = { 0 };
	int len, ret;

	if (event->point->id >= pub->count)
		return -EINVAL;
	out = &pub->outs[event->point->id];
	options.window_stats = out->window_stats;
	len = encode(pub, event, &options);
	if (len < 0) {
		pub->stats.encode_errors++;
		log_warn("point %s: encoding a payload: %s", event->point->name,
			 strerror(-len));
		return len;
	}
	ret = gwiod_mqtt_publish(pub->mqtt, out->topic, pub->buf, (size_t)len,
				 out->qos, out->retain);
	if (ret < 0) {
		pub->stats.refused++;
		return ret;
	}
	pub->stats.messages++;
	return 0;
}

struct gwiod_sink gwiod_publisher_sink(struct gwiod_publisher *pub)
{
	return (struct gwiod_sink){ .emit = publisher_emit, .ctx = pub };
}

void gwiod_publisher_get_stats(const struct gwiod_publisher *pub,
			       struct gwiod_publisher_stats *stats)
{
	*stats = pub->stats;
}
