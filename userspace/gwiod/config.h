/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * gwiod configuration file (YAML, docs/config.md): load, validate, and
 * turn routes into the flat list the pipeline and the MQTT sink need.
 *
 * The operator thinks in points (one per channel: name, unit, scaling)
 * and routes (which points go to which topic, how).  The pipeline thinks
 * in gwiod_point_config, one per (point, route) pair, because the mode is
 * per pipeline point.  A *binding* is that pair: a point routed twice
 * (raw to one topic, one-minute windows to another) becomes two bindings
 * on the same (device, channel), which the pipeline supports.  Binding i
 * is meant to become pipeline point i.
 *
 * Loading is all or nothing: on any error the caller gets no config and
 * one error pointing at FILE:LINE:COL, like a compiler.  Everything that
 * can be checked without the devices or the broker is checked here, so a
 * config that loads does not fail later on a typo.
 */
#ifndef GWIOD_CONFIG_H
#define GWIOD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bigger files are refused before parsing: a config is never this big. */
#define GWIOD_CONFIG_MAX_FILE_SIZE	(16u << 20)
/* Site, source and point names; keeps topics and messages readable. */
#define GWIOD_CONFIG_MAX_NAME		128
/* The MQTT limit for a topic, in bytes. */
#define GWIOD_TOPIC_MAX			65535

/* ------------------------------------------------------------ errors */

struct gwiod_config_error {
	char file[1024];	/* the path as given, maybe truncated */
	unsigned int line;	/* 1-based; 0 when about the whole file */
	unsigned int column;	/* 1-based; 0 when line is 0 */
	char reason[512];
};

/*
 * "FILE:LINE:COL: reason", or "FILE: reason" when there is no line; like
 * snprintf: returns the full length, output complete only if < @size.
 */
int gwiod_config_error_format(const struct gwiod_config_error *err,
			      char *buf, size_t size);

/* ------------------------------------------------------------ config */

/* Protocol level bytes as sent in CONNECT. */
enum gwiod_mqtt_protocol {
	GWIOD_MQTT_3_1_1 = 4,
	GWIOD_MQTT_5 = 5,
};

struct gwiod_config_tls {
	bool enabled;		/* a tls: mapping was given */
	char *ca_file;		/* NULL: the system trust store */
	char *cert_file;	/* both or neither; both = mutual TLS */
	char *key_file;
	bool insecure;		/* do not verify the broker's certificate */
};

struct gwiod_config_broker {
	char *host;
	uint16_t port;			/* default 1883, 8883 with TLS */
	char *client_id;		/* default "gwiod-<site>" */
	char *username;			/* NULL when none */
	char *password;			/* at most one of password, */
	char *password_file;		/* password_file is set */
	uint16_t keepalive_s;		/* 1..65535 */
	enum gwiod_mqtt_protocol protocol;
	struct gwiod_config_tls tls;
	char *status_topic;		/* expanded; birth/LWT, retained */
	uint64_t health_interval_ns;
};

enum gwiod_source_type {
	GWIOD_SOURCE_GWIO = 1,		/* a gwio ring, /dev/gwioN */
};

struct gwiod_config_source {
	char *name;
	enum gwiod_source_type type;
	/* The pipeline's device number: the source's index in the file. */
	uint32_t device_index;
	/* What {device} expands to: for gwio the basename of the path. */
	char *device_name;
	union {
		struct {
			char *device;	/* absolute path */
		} gwio;
	};
	unsigned int line, column;	/* of the source's mapping */
};

struct gwiod_config_point {
	char *name;
	char *unit;			/* NULL when none */
	size_t source;			/* index into gwiod_config.sources */
	uint16_t channel;
	double scale;			/* finite, non-zero; default 1 */
	double offset;			/* default 0 */
	double deadband;		/* >= 0; default 0 */
	unsigned int line, column;
};

enum gwiod_payload_format {
	GWIOD_FORMAT_JSON = 1,		/* docs/payload.md */
};

struct gwiod_config_route {
	char *topic;			/* the template, unexpanded */
	uint8_t qos;			/* 0..2, default 1 */
	bool retain;
	enum gwiod_payload_format format;
	enum gwiod_mode mode;
	uint64_t window_ns;		/* WINDOW, DOWNSAMPLE; else 0 */
	unsigned int stats;		/* WINDOW: enum gwiod_stat mask; else 0 */
	uint32_t batch_max_samples;	/* RAW; else 0 */
	uint64_t batch_max_span_ns;	/* RAW; else 0 */
	unsigned int line, column;
};

/* One point published by one route. */
struct gwiod_config_binding {
	size_t point;			/* index into gwiod_config.points */
	size_t route;			/* index into gwiod_config.routes */
	char *topic;			/* the route's template, expanded */
};

/* Legal but probably not meant; the daemon should log them. */
struct gwiod_config_warning {
	unsigned int line, column;
	char *message;
};

struct gwiod_config {
	char *path;			/* as given to the loader */
	char *site;
	struct gwiod_config_broker broker;
	struct gwiod_config_source *sources;
	size_t source_count;		/* >= 1 */
	struct gwiod_config_point *points;
	size_t point_count;		/* >= 1 */
	struct gwiod_config_route *routes;
	size_t route_count;		/* >= 1 */
	/* Route order, then point order within a route; >= 1. */
	struct gwiod_config_binding *bindings;
	size_t binding_count;
	struct gwiod_config_warning *warnings;
	size_t warning_count;
};

/*
 * Load and validate @path.  Returns 0 and a config in *@out, to be freed
 * with gwiod_config_free(), or a negative errno with *@out set to NULL
 * and @err (may be NULL) filled:
 *   -EINVAL   the content is wrong (err has the line)
 *   -ENOMEM   out of memory
 *   other     the file could not be read (-ENOENT, -EACCES, -EISDIR,
 *             -EFBIG beyond GWIOD_CONFIG_MAX_FILE_SIZE)
 */
int gwiod_config_load(const char *path, struct gwiod_config **out,
		      struct gwiod_config_error *err);

/*
 * The same from memory, size limit included; @name stands for the file
 * in messages.
 */
int gwiod_config_load_buffer(const char *text, size_t size, const char *name,
			     struct gwiod_config **out,
			     struct gwiod_config_error *err);

void gwiod_config_free(struct gwiod_config *config);

/*
 * Fill @point for binding @binding (< binding_count).  Strings point into
 * @config, which must outlive the call to gwiod_pipeline_create() (the
 * pipeline copies them); user is set to NULL.
 */
void gwiod_config_point_config(const struct gwiod_config *config,
			       size_t binding,
			       struct gwiod_point_config *point);

/* "FILE:LINE:COL: warning: message", like gwiod_config_error_format(). */
int gwiod_config_warning_format(const struct gwiod_config *config,
				size_t warning, char *buf, size_t size);

/* ---------------------------------------------------------- durations */

/*
 * "500ms", "1.5s", "1h30m": one or more <decimal><unit> with unit ns, us,
 * ms, s, m, h or d, no spaces.  A bare number is refused: whether "60"
 * meant seconds or nanoseconds is exactly the mistake to catch.
 * Returns 0, or -EINVAL with *@reason (may be NULL) set to a static
 * phrase such as "unknown unit".
 */
int gwiod_duration_parse(const char *text, uint64_t *ns, const char **reason);

/* ------------------------------------------------------------- topics */

/* Values for the placeholders; a NULL (or channel < 0) is unavailable. */
struct gwiod_topic_fields {
	const char *site;
	const char *source;
	const char *point;
	const char *device;
	long channel;
};

/*
 * Expand {site}, {source}, {point}, {device} and {channel} in
 * @topic_template
 * into @buf, like snprintf: returns the length of the whole expansion,
 * and the output is complete only if that is < @size (@buf may be NULL
 * when @size is 0).  The result must be a topic one can publish to: no
 * MQTT wildcard (+ #), no empty level (leading, trailing or double /),
 * no leading $ (broker-reserved), at most GWIOD_TOPIC_MAX bytes.
 * Returns -EINVAL when the template is malformed (unknown or unavailable
 * placeholder, unbalanced braces) or the result breaks those rules, with
 * a reason in @why (may be NULL) truncated to @why_size.
 */
int gwiod_topic_expand(const char *topic_template,
		       const struct gwiod_topic_fields *fields,
		       char *buf, size_t size, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif /* GWIOD_CONFIG_H */
