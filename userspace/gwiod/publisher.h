/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The JSON-over-MQTT sink: each pipeline event becomes one message on its
 * route's topic, with the route's QoS and retain flag (docs/payload.md).
 * Pipeline point i is config binding i, so the event's point id finds
 * the topic directly.  Sparkplug B or a disk spool would be sinks beside
 * this one, not changes to it.
 */
#ifndef GWIOD_PUBLISHER_H
#define GWIOD_PUBLISHER_H

#include <stdint.h>

#include "config.h"
#include "mqtt.h"
#include "pipeline.h"

struct gwiod_publisher_stats {
	uint64_t messages;	/* handed to the broker connection */
	uint64_t refused;	/* refused by it (queue full, offline QoS 0) */
	uint64_t encode_errors;
};

struct gwiod_publisher;

/* Topics etc. are copied from @config; NULL with errno on failure. */
struct gwiod_publisher *gwiod_publisher_create(const struct gwiod_config *config,
					       struct gwiod_mqtt *mqtt);
void gwiod_publisher_destroy(struct gwiod_publisher *pub);

/* The sink to give gwiod_pipeline_create(). */
struct gwiod_sink gwiod_publisher_sink(struct gwiod_publisher *pub);

void gwiod_publisher_get_stats(const struct gwiod_publisher *pub,
			       struct gwiod_publisher_stats *stats);

#endif /* GWIOD_PUBLISHER_H */
