/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Tests of the gwiod configuration loader (userspace/gwiod/config.c).
 *
 * Every mistake an operator can make has a fixture in tests/unit/configs
 * (bad-*.yaml) and a row in bad_fixtures[] below: the line and column the
 * error must point at and a piece of its message.  A fixture without a
 * row fails the suite, so neither can be forgotten.  The good-*.yaml
 * fixtures and docs/gwiod.example.yaml must load, and their bindings must
 * be accepted by the real pipeline.
 *
 * Built with GWIOD_CONFIG_FAULT_INJECTION, so one test fails each of the
 * loader's allocations in turn; run under ASan that proves no error path
 * leaks or hands back half a config.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pipeline.h"

#ifndef GWIOD_TEST_CONFIGS
#define GWIOD_TEST_CONFIGS "tests/unit/configs"
#endif
#ifndef GWIOD_TEST_EXAMPLE
#define GWIOD_TEST_EXAMPLE "docs/gwiod.example.yaml"
#endif

/* in config.c when built with GWIOD_CONFIG_FAULT_INJECTION */
extern long gwiod_config_fail_alloc_countdown;
extern long gwiod_config_alloc_calls;

/* ------------------------------------------------------------ helpers */

static const char *configs_dir(void)
{
	const char *dir = getenv("GWIOD_TEST_CONFIGS");

	return dir ? dir : GWIOD_TEST_CONFIGS;
}

static const char *example_path(void)
{
	const char *path = getenv("GWIOD_TEST_EXAMPLE");

	return path ? path : GWIOD_TEST_EXAMPLE;
}

static char *fixture_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", configs_dir(), name);
	return path;
}

/* Load @path or fail the test with the formatted error. */
static struct gwiod_config *must_load(const char *path)
{
	struct gwiod_config *config = (void *)1;
	struct gwiod_config_error err;
	char message[1600];
	int rc = gwiod_config_load(path, &config, &err);

	if (rc) {
		gwiod_config_error_format(&err, message, sizeof(message));
		fail_msg("%s (rc %d)", message, rc);
	}
	assert_non_null(config);
	return config;
}

static struct gwiod_config *must_load_fixture(const char *name)
{
	return must_load(fixture_path(name));
}

/* Load @text; returns the rc and leaves the error in @err. */
static int load_text(const char *text, struct gwiod_config **config,
		     struct gwiod_config_error *err)
{
	return gwiod_config_load_buffer(text, strlen(text), "inline.yaml",
					config, err);
}

static const struct gwiod_config_binding *find_binding(
	const struct gwiod_config *config, const char *topic)
{
	for (size_t i = 0; i < config->binding_count; i++)
		if (!strcmp(config->bindings[i].topic, topic))
			return &config->bindings[i];
	fail_msg("no binding publishes to %s", topic);
	return NULL;
}

/* ------------------------------------------------------- bad fixtures */

struct bad_fixture {
	const char *file;
	unsigned int line;	/* 0: about the whole file */
	unsigned int column;
	const char *message;	/* must appear in the reason */
};

static const struct bad_fixture bad_fixtures[] = {
	{ "bad-empty.yaml", 0, 0,
	  "the file is empty" },
	{ "bad-comments-only.yaml", 0, 0,
	  "the file is empty" },
	{ "bad-syntax-indent.yaml", 5, 8,
	  "YAML syntax error: mapping values are not allowed" },
	{ "bad-syntax-unclosed-flow.yaml", 14, 10,
	  "YAML syntax error: did not find expected ',' or ']'" },
	{ "bad-syntax-unclosed-quote.yaml", 16, 1,
	  "YAML syntax error: found unexpected end of stream" },
	{ "bad-tab.yaml", 4, 1,
	  "tabs" },
	{ "bad-utf8.yaml", 3, 7,
	  "not valid UTF-8" },
	{ "bad-undefined-alias.yaml", 4, 9,
	  "found undefined alias" },
	{ "bad-pattern-unquoted.yaml", 13, 14,
	  "quote point patterns" },
	{ "bad-pattern-unquoted-name.yaml", 13, 14,
	  "found undefined alias; * starts a YAML alias" },
	{ "bad-multi-document.yaml", 16, 1,
	  "second YAML document" },
	{ "bad-root-list.yaml", 2, 1,
	  "the configuration: expected a mapping" },
	{ "bad-root-scalar.yaml", 2, 1,
	  "expected a mapping" },
	{ "bad-key-not-scalar.yaml", 3, 3,
	  "keys must be names" },
	{ "bad-unknown-key.yaml", 5, 3,
	  "unknown key 'prot' in broker (did you mean 'port'?)" },
	{ "bad-unknown-top-key.yaml", 9, 1,
	  "did you mean 'points'?" },
	{ "bad-unknown-key-far.yaml", 5, 3,
	  "expected one of: host, port" },
	{ "bad-duplicate-key.yaml", 5, 3,
	  "duplicate key 'host' in broker (first at line 4)" },
	{ "bad-missing-site.yaml", 2, 1,
	  "missing required key 'site'" },
	{ "bad-missing-host.yaml", 4, 3,
	  "broker: missing required key 'host'" },
	{ "bad-missing-channel.yaml", 10, 5,
	  "point: missing required key 'channel'" },
	{ "bad-routes-missing.yaml", 2, 1,
	  "missing required key 'routes'" },
	{ "bad-port-range.yaml", 5, 9,
	  "port: 70000 is out of range (1 to 65535)" },
	{ "bad-port-zero.yaml", 5, 9,
	  "out of range (1 to 65535)" },
	{ "bad-port-type.yaml", 5, 9,
	  "port: expected an integer from 1 to 65535, not 'mqtt'" },
	{ "bad-port-overflow.yaml", 5, 9,
	  "out of range" },
	{ "bad-channel-range.yaml", 11, 14,
	  "channel: 65536 is out of range (0 to 65535)" },
	{ "bad-channel-negative.yaml", 11, 14,
	  "channel: -1 is out of range" },
	{ "bad-qos.yaml", 16, 10,
	  "qos: 3 is out of range (0 to 2)" },
	{ "bad-qos-float.yaml", 16, 10,
	  "qos: expected an integer" },
	{ "bad-keepalive-range.yaml", 5, 14,
	  "keepalive: 0 is out of range (5 to 65535)" },
	{ "bad-keepalive-short.yaml", 5, 14,
	  "keepalive: 4s is out of range (5s to 65535s)" },
	{ "bad-keepalive-negative.yaml", 5, 14,
	  "out of range" },
	{ "bad-keepalive-fraction.yaml", 5, 14,
	  "keepalive: must be whole seconds" },
	{ "bad-keepalive-long.yaml", 5, 14,
	  "keepalive: 1d is out of range" },
	{ "bad-protocol.yaml", 5, 13,
	  "protocol: unknown value '4' (expected 3.1.1, 5" },
	{ "bad-host-url.yaml", 4, 9,
	  "is a URL" },
	{ "bad-null-value.yaml", 5, 12,
	  "username: expected a string, found nothing" },
	{ "bad-client-id-empty.yaml", 5, 14,
	  "client_id: is empty" },
	{ "bad-password-both.yaml", 7, 3,
	  "give password or password_file, not both" },
	{ "bad-password-no-username.yaml", 5, 3,
	  "MQTT 3.1.1 sends a password only with a username" },
	{ "bad-password-file-relative.yaml", 6, 18,
	  "must be an absolute path" },
	{ "bad-health-interval.yaml", 5, 20,
	  "health_interval: 100ms is too short (at least 1s)" },
	{ "bad-status-topic-point.yaml", 5, 17,
	  "{point} is not available in this topic" },
	{ "bad-tls-cert-without-key.yaml", 7, 5,
	  "tls: 'cert' needs 'key' as well" },
	{ "bad-tls-key-without-cert.yaml", 5, 10,
	  "tls: 'key' needs 'cert' as well" },
	{ "bad-tls-scalar.yaml", 5, 8,
	  "write tls: {} for TLS" },
	{ "bad-tls-relative.yaml", 6, 9,
	  "ca: 'certs/ca.pem' must be an absolute path" },
	{ "bad-tls-bool.yaml", 6, 15,
	  "insecure: expected true or false, not 'yes'" },
	{ "bad-sources-mapping.yaml", 6, 3,
	  "sources: expected a list" },
	{ "bad-source-type.yaml", 7, 11,
	  "type: unknown value 'modbus' (expected gwio)" },
	{ "bad-source-type-missing.yaml", 6, 5,
	  "missing required key 'type'" },
	{ "bad-source-key.yaml", 9, 5,
	  "unknown key 'unit_id' in a gwio source" },
	{ "bad-device-relative.yaml", 8, 13,
	  "device: 'gwio0' must be an absolute path" },
	{ "bad-device-directory.yaml", 8, 13,
	  "names a directory" },
	{ "bad-duplicate-source.yaml", 9, 11,
	  "duplicate source name 'ring0' (first at line 6)" },
	{ "bad-duplicate-device.yaml", 11, 13,
	  "device /dev/gwio0 is already source 'ring0'" },
	{ "bad-duplicate-point.yaml", 12, 11,
	  "duplicate point name 'temp1' (first at line 10)" },
	{ "bad-duplicate-channel.yaml", 13, 14,
	  "channel 0 of source 'ring0' is already point 'temp1' (line 10)" },
	{ "bad-unknown-source.yaml", 11, 13,
	  "source: unknown source 'ring1' (did you mean 'ring0'?)" },
	{ "bad-missing-source.yaml", 13, 5,
	  "missing required key 'source' (there is more than one source)" },
	{ "bad-name-slash.yaml", 10, 11,
	  "contains '/', which is reserved" },
	{ "bad-name-space.yaml", 10, 11,
	  "contains a space or control character" },
	{ "bad-name-too-long.yaml", 2, 7,
	  "site: longer than 128 bytes" },
	{ "bad-nul.yaml", 2, 7,
	  "site: contains a NUL character" },
	{ "bad-scale-zero.yaml", 12, 12,
	  "scale: must not be 0" },
	{ "bad-scale-huge.yaml", 12, 12,
	  "beyond what a double can hold" },
	{ "bad-scale-nan.yaml", 12, 12,
	  "scale: expected a number, not '.nan'" },
	{ "bad-offset-inf.yaml", 12, 13,
	  "offset: expected a number" },
	{ "bad-scale-word.yaml", 12, 12,
	  "scale: expected a number, not 'tenth'" },
	{ "bad-deadband-negative.yaml", 12, 15,
	  "deadband: must not be negative" },
	{ "bad-points-empty.yaml", 9, 9,
	  "points: the list is empty" },
	{ "bad-route-unknown-point.yaml", 13, 21,
	  "points: unknown point 'temp2' (did you mean 'temp1'?)" },
	{ "bad-route-pattern-nomatch.yaml", 13, 21,
	  "pattern 'press*' matches no point" },
	{ "bad-route-points-empty.yaml", 13, 13,
	  "points: the list is empty" },
	{ "bad-route-points-mapping.yaml", 13, 13,
	  "points: expected a list" },
	{ "bad-mode-missing.yaml", 13, 5,
	  "route: missing required key 'mode'" },
	{ "bad-mode-unknown.yaml", 15, 11,
	  "mode: unknown value 'average' (expected raw, window, downsample)" },
	{ "bad-mode-raw-window.yaml", 16, 5,
	  "'window' applies to mode window or downsample, and this route's mode is raw" },
	{ "bad-mode-raw-stats.yaml", 16, 5,
	  "'stats' applies to mode window, and this route's mode is raw" },
	{ "bad-mode-window-batch.yaml", 17, 5,
	  "'batch' applies to mode raw, and this route's mode is window" },
	{ "bad-mode-downsample-stats.yaml", 17, 5,
	  "'stats' applies to mode window, and this route's mode is downsample" },
	{ "bad-window-missing.yaml", 13, 5,
	  "route: mode window needs 'window'" },
	{ "bad-duration-unit.yaml", 16, 13,
	  "window: bad duration '5 parsecs': unknown unit" },
	{ "bad-duration-bare.yaml", 16, 13,
	  "window: bad duration '1000': needs a unit" },
	{ "bad-duration-zero.yaml", 16, 13,
	  "window: must be longer than 0" },
	{ "bad-duration-overflow.yaml", 16, 13,
	  "is too long (more than 584 years)" },
	{ "bad-duration-fraction.yaml", 16, 23,
	  "is finer than a nanosecond" },
	{ "bad-duration-negative.yaml", 16, 23,
	  "is negative" },
	{ "bad-batch-max-samples.yaml", 17, 20,
	  "max_samples: 100000 is out of range (1 to 65536)" },
	{ "bad-batch-unknown-key.yaml", 17, 7,
	  "unknown key 'max_age' in batch" },
	{ "bad-stats-unknown.yaml", 17, 19,
	  "stats: unknown value 'median'" },
	{ "bad-stats-unknown-after-rate.yaml", 17, 24,
	  "stats: unknown value 'total' (expected count, mean, min, max, std, sum, rate, first, last)" },
	{ "bad-stats-duplicate.yaml", 17, 24,
	  "'mean' is listed twice" },
	{ "bad-stats-empty.yaml", 17, 12,
	  "stats: the list is empty" },
	{ "bad-stats-recursive-alias.yaml", 17, 12,
	  "stats: expected a name, found a list" },
	{ "bad-format.yaml", 16, 13,
	  "format: unknown value 'xml' (expected json)" },
	{ "bad-bool.yaml", 16, 13,
	  "retain: expected true or false, not 'yes'" },
	{ "bad-topic-placeholder.yaml", 14, 12,
	  "unknown placeholder {sit}" },
	{ "bad-topic-unclosed.yaml", 14, 12,
	  "'{' at offset 0 is not closed" },
	{ "bad-topic-close-brace.yaml", 14, 12,
	  "'}' at offset 4 closes no '{'" },
	{ "bad-topic-wildcard.yaml", 14, 12,
	  "the MQTT wildcard '#' (from the template)" },
	{ "bad-topic-empty-level.yaml", 14, 12,
	  "empty topic level" },
	{ "bad-topic-trailing-slash.yaml", 14, 12,
	  "a trailing '/'" },
	{ "bad-topic-dollar.yaml", 14, 12,
	  "reserved for the broker" },
	{ "bad-topic-device-wildcard.yaml", 14, 12,
	  "the MQTT wildcard '+' (from {device})" },
	{ "bad-topic-status-clash.yaml", 14, 12,
	  "is the broker's status_topic" },
	{ "bad-name-nbsp.yaml", 2, 7,
	  "contains a space or control character" },
	{ "bad-duplicate-topic.yaml", 17, 12,
	  "point 'temp1' already goes to 'plant1/temp1' by the route at line 13" },
	{ "bad-name-em-space.yaml", 2, 7,
	  "contains a space or control character (U+2003)" },
	{ "bad-utf8-column.yaml", 4, 14,
	  "not valid UTF-8 text: invalid leading UTF-8 octet (byte 0xff)" },
	{ "bad-control-char.yaml", 4, 17,
	  "not valid text: control characters are not allowed (U+0001)" },
	{ "bad-route-points-empty-name.yaml", 13, 13,
	  "points: empty point name" },
};
#define BAD_FIXTURE_COUNT (sizeof(bad_fixtures) / sizeof(bad_fixtures[0]))

static void test_bad_fixture(void **state)
{
	const struct bad_fixture *fixture = *state;
	const char *path = fixture_path(fixture->file);
	struct gwiod_config *config = (void *)1;
	struct gwiod_config_error err;
	char formatted[1600], prefix[600];
	int rc;

	rc = gwiod_config_load(path, &config, &err);
	gwiod_config_error_format(&err, formatted, sizeof(formatted));
	print_message("    %s\n", formatted);
	assert_int_equal(rc, -EINVAL);
	assert_null(config);		/* never half a config */
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, fixture->line);
	assert_int_equal(err.column, fixture->column);
	if (!strstr(err.reason, fixture->message))
		fail_msg("reason \"%s\" lacks \"%s\"", err.reason,
			 fixture->message);
	if (fixture->line)
		snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", path,
			 fixture->line, fixture->column);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	assert_memory_equal(formatted, prefix, strlen(prefix));
}

/* A bad-*.yaml nobody asserts anything about would prove nothing. */
static void test_every_bad_fixture_is_in_the_table(void **state)
{
	char pattern[4096];
	glob_t found;

	(void)state;
	snprintf(pattern, sizeof(pattern), "%s/bad-*.yaml", configs_dir());
	assert_int_equal(glob(pattern, 0, NULL, &found), 0);
	assert_int_equal(found.gl_pathc, BAD_FIXTURE_COUNT);
	for (size_t i = 0; i < found.gl_pathc; i++) {
		const char *name = strrchr(found.gl_pathv[i], '/') + 1;
		size_t j = 0;

		while (j < BAD_FIXTURE_COUNT && strcmp(bad_fixtures[j].file, name))
			j++;
		if (j == BAD_FIXTURE_COUNT)
			fail_msg("%s has no row in bad_fixtures[]", name);
	}
	globfree(&found);
}

/* ------------------------------------------------------ good fixtures */

static void test_minimal_takes_defaults(void **state)
{
	struct gwiod_config *config = must_load_fixture("good-minimal.yaml");
	const struct gwiod_config_broker *broker = &config->broker;
	const struct gwiod_config_route *route;
	struct gwiod_point_config point;

	(void)state;
	assert_string_equal(config->site, "plant1");
	assert_string_equal(broker->host, "127.0.0.1");
	assert_int_equal(broker->port, 1883);
	assert_string_equal(broker->client_id, "gwiod-plant1");
	assert_null(broker->username);
	assert_null(broker->password);
	assert_null(broker->password_file);
	assert_int_equal(broker->keepalive_s, 30);
	assert_int_equal(broker->protocol, GWIOD_MQTT_3_1_1);
	assert_false(broker->tls.enabled);
	assert_string_equal(broker->status_topic, "plant1/gwiod/status");
	assert_int_equal(broker->health_interval_ns, 10000000000ull);

	assert_int_equal(config->source_count, 1);
	assert_string_equal(config->sources[0].name, "ring0");
	assert_int_equal(config->sources[0].type, GWIOD_SOURCE_GWIO);
	assert_string_equal(config->sources[0].gwio.device, "/dev/gwio0");
	assert_string_equal(config->sources[0].device_name, "gwio0");
	assert_int_equal(config->sources[0].device_index, 0);

	assert_int_equal(config->point_count, 1);
	assert_null(config->points[0].unit);
	assert_int_equal(config->points[0].source, 0);
	assert_true(config->points[0].scale == 1);
	assert_true(config->points[0].offset == 0);
	assert_true(config->points[0].deadband == 0);
	assert_int_equal(config->points[0].line, 10);

	assert_int_equal(config->route_count, 1);
	route = &config->routes[0];
	assert_int_equal(route->qos, 1);
	assert_false(route->retain);
	assert_int_equal(route->format, GWIOD_FORMAT_JSON);
	assert_int_equal(route->mode, GWIOD_MODE_RAW);
	assert_int_equal(route->batch_max_samples, 1000);
	assert_int_equal(route->batch_max_span_ns, 1000000000);
	assert_int_equal(route->window_ns, 0);
	assert_int_equal(route->stats, 0);
	assert_int_equal(route->line, 13);

	assert_int_equal(config->binding_count, 1);
	assert_string_equal(config->bindings[0].topic, "plant1/temp1");
	assert_int_equal(config->warning_count, 0);

	gwiod_config_point_config(config, 0, &point);
	assert_string_equal(point.name, "temp1");
	assert_null(point.unit);
	assert_int_equal(point.device, 0);
	assert_int_equal(point.channel, 0);
	assert_true(point.scale == 1);
	assert_int_equal(point.mode, GWIOD_MODE_RAW);
	assert_int_equal(point.batch_max_samples, 1000);
	assert_int_equal(point.batch_max_span_ns, 1000000000);
	assert_null(point.user);
	gwiod_config_free(config);
}

static void test_full_keeps_every_value(void **state)
{
	struct gwiod_config *config = must_load_fixture("good-full.yaml");
	const struct gwiod_config_broker *broker = &config->broker;
	const struct gwiod_config_point *temp, *flow;
	const struct gwiod_config_route *raw, *window, *downsample;
	const struct gwiod_config_binding *binding;
	struct gwiod_point_config point;

	(void)state;
	assert_string_equal(config->site, "plant-1.north");
	assert_string_equal(broker->host, "broker.example.net");
	assert_int_equal(broker->port, 8884);
	assert_string_equal(broker->client_id, "gw-north-01");
	assert_string_equal(broker->username, "gateway");
	assert_string_equal(broker->password_file, "/etc/gwiod/mqtt.pass");
	assert_int_equal(broker->keepalive_s, 120);
	assert_int_equal(broker->protocol, GWIOD_MQTT_5);
	assert_true(broker->tls.enabled);
	assert_string_equal(broker->tls.ca_file, "/etc/gwiod/ca.pem");
	assert_string_equal(broker->tls.cert_file, "/etc/gwiod/gw.crt");
	assert_string_equal(broker->tls.key_file, "/etc/gwiod/gw.key");
	assert_false(broker->tls.insecure);
	assert_string_equal(broker->status_topic,
			    "sites/plant-1.north/status");
	assert_int_equal(broker->health_interval_ns, 90000000000ull);

	assert_int_equal(config->source_count, 2);
	assert_int_equal(config->sources[1].device_index, 1);
	assert_string_equal(config->sources[1].device_name, "gwio1");

	temp = &config->points[0];
	flow = &config->points[1];
	assert_string_equal(temp->name, "temp1");
	assert_string_equal(temp->unit, "\xc2\xb0" "C");
	assert_int_equal(temp->source, 1);
	assert_int_equal(temp->channel, 7);
	assert_true(temp->scale == 0.1);
	assert_true(temp->offset == -40);
	assert_true(temp->deadband == 0.5);
	assert_int_equal(flow->source, 0);
	assert_int_equal(flow->channel, 65535);
	assert_true(flow->scale == 2.5e-3);

	raw = &config->routes[0];
	window = &config->routes[1];
	downsample = &config->routes[2];
	assert_int_equal(raw->qos, 2);
	assert_true(raw->retain);
	assert_int_equal(raw->batch_max_samples, 65536);
	assert_int_equal(raw->batch_max_span_ns, 250000000);
	assert_int_equal(window->qos, 0);
	assert_false(window->retain);
	assert_int_equal(window->window_ns, 1500000000);
	assert_int_equal(window->stats, GWIOD_STAT_FIRST | GWIOD_STAT_LAST);
	assert_int_equal(downsample->mode, GWIOD_MODE_DOWNSAMPLE);
	assert_int_equal(downsample->window_ns, 3600000000000ull);
	assert_int_equal(downsample->qos, 1);

	/* route order, then point order: "*" gives temp1 before flow */
	assert_int_equal(config->binding_count, 4);
	assert_string_equal(config->bindings[0].topic,
			    "plant-1.north/ring1/gwio1/7/temp1");
	assert_string_equal(config->bindings[1].topic,
			    "plant-1.north/flow/stats");
	assert_string_equal(config->bindings[2].topic,
			    "plant-1.north/temp1/ds");
	assert_string_equal(config->bindings[3].topic,
			    "plant-1.north/flow/ds");

	binding = find_binding(config, "plant-1.north/flow/stats");
	gwiod_config_point_config(config, binding - config->bindings, &point);
	assert_string_equal(point.name, "flow");
	assert_string_equal(point.unit, "l/min");
	assert_int_equal(point.device, 0);
	assert_int_equal(point.channel, 65535);
	assert_int_equal(point.mode, GWIOD_MODE_WINDOW);
	assert_int_equal(point.window_ns, 1500000000);
	assert_int_equal(point.batch_max_samples, 0);

	gwiod_config_point_config(config, 0, &point);
	assert_int_equal(point.device, 1);
	assert_true(point.deadband == 0.5);
	assert_int_equal(point.batch_max_samples, 65536);
	assert_int_equal(config->warning_count, 0);
	gwiod_config_free(config);
}

static void test_one_point_in_several_routes(void **state)
{
	struct gwiod_config *config = must_load_fixture("good-routes.yaml");
	const struct gwiod_config_binding *binding;
	struct gwiod_point_config point;

	(void)state;
	/* vib_x is listed and matched by vib_? in route 0: bound once */
	assert_int_equal(config->binding_count, 7);
	binding = find_binding(config, "plant1/vib_x/raw");
	assert_int_equal(binding->route, 0);
	binding = find_binding(config, "plant1/vib_z/raw");
	gwiod_config_point_config(config, binding - config->bindings, &point);
	assert_int_equal(point.batch_max_samples, 500);
	assert_int_equal(point.batch_max_span_ns, 1000000000);

	/* vib_x: raw, 10 s windows and 1 s downsampling, same channel */
	for (size_t i = 0; i < config->binding_count; i++) {
		gwiod_config_point_config(config, i, &point);
		if (strcmp(point.name, "vib_x"))
			continue;
		assert_int_equal(point.channel, 0);
	}
	binding = find_binding(config, "plant1/vib_x/10s");
	assert_int_equal(config->routes[binding->route].stats,
			 GWIOD_STAT_MEAN | GWIOD_STAT_STD);
	binding = find_binding(config, "plant1/vib_x/1s");
	assert_int_equal(config->routes[binding->route].mode,
			 GWIOD_MODE_DOWNSAMPLE);
	find_binding(config, "plant1/temp1/10s");
	gwiod_config_free(config);
}

static void test_aliases_are_followed(void **state)
{
	struct gwiod_config *config = must_load_fixture("good-anchors.yaml");

	(void)state;
	assert_int_equal(config->binding_count, 4);
	assert_int_equal(config->routes[1].stats,
			 GWIOD_STAT_MEAN | GWIOD_STAT_MIN | GWIOD_STAT_MAX);
	find_binding(config, "plant1/temp2/1h");
	gwiod_config_free(config);
}

/* sum and rate are listed like any statistic, and only when listed. */
static void test_flow_meter_stats(void **state)
{
	struct gwiod_config *config = must_load_fixture("good-flow-meter.yaml");
	const struct gwiod_config_binding *binding;
	struct gwiod_point_config point;

	(void)state;
	assert_int_equal(config->route_count, 3);
	assert_int_equal(config->routes[0].stats,
			 GWIOD_STAT_COUNT | GWIOD_STAT_SUM | GWIOD_STAT_RATE);
	assert_int_equal(config->routes[1].stats,
			 GWIOD_STAT_RATE | GWIOD_STAT_SUM | GWIOD_STAT_LAST);
	/* without stats: the seven, not sum and rate */
	assert_int_equal(config->routes[2].stats, GWIOD_STATS_DEFAULT);
	assert_false(config->routes[2].stats &
		     (GWIOD_STAT_SUM | GWIOD_STAT_RATE));
	binding = find_binding(config, "plant1/flow_l/1m");
	gwiod_config_point_config(config, binding - config->bindings, &point);
	assert_int_equal(point.mode, GWIOD_MODE_WINDOW);
	assert_int_equal(point.window_ns, 60000000000ull);
	assert_true(point.scale == 0.0025);
	assert_int_equal(point.channel, 4);
	assert_int_equal(config->warning_count, 0);
	gwiod_config_free(config);
}

static void test_warnings(void **state)
{
	static const struct {
		unsigned int line;
		const char *message;
	} expected[] = {
		{ 6, "tls.insecure" },
		{ 14, "point 'temp1': the deadband applies before the window" },
		{ 17, "point 'spare' is in no route" },
		{ 21, "topic 'plant1/temps' is retained and shared by points 'temp1' and 'temp2'" },
	};
	struct gwiod_config *config = must_load_fixture("good-warnings.yaml");
	char formatted[1600], prefix[600];

	(void)state;
	assert_int_equal(config->broker.port, 8883);	/* TLS default */
	assert_int_equal(config->warning_count, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct gwiod_config_warning *warning =
			&config->warnings[i];

		assert_int_equal(warning->line, expected[i].line);
		if (!strstr(warning->message, expected[i].message))
			fail_msg("warning \"%s\" lacks \"%s\"",
				 warning->message, expected[i].message);
		gwiod_config_warning_format(config, i, formatted,
					    sizeof(formatted));
		snprintf(prefix, sizeof(prefix), "%s:%u:%u: warning: ",
			 config->path, warning->line, warning->column);
		assert_memory_equal(formatted, prefix, strlen(prefix));
	}
	gwiod_config_free(config);
}

/* ------------------------------------------- the example, end to end */

struct recorded {
	struct gwiod_event events[16];
	char names[16][64];
	size_t count;
};

static int record(void *ctx, const struct gwiod_event *event)
{
	struct recorded *seen = ctx;

	assert_true(seen->count < 16);
	seen->events[seen->count] = *event;
	snprintf(seen->names[seen->count], sizeof(seen->names[0]), "%s",
		 event->point->name);
	seen->count++;
	return 0;
}

/*
 * The example is what operators copy: it must load without a warning,
 * and what it produces must drive the real pipeline.
 */
static void test_example_drives_the_pipeline(void **state)
{
	struct gwiod_config *config = must_load(example_path());
	struct gwiod_point_config points[16];
	struct recorded seen = { .count = 0 };
	struct gwiod_sink sink = { .emit = record, .ctx = &seen };
	struct gwiod_pipeline *pipeline;
	char why[256];
	const uint64_t s = 1000000000ull;

	(void)state;
	assert_int_equal(config->warning_count, 0);
	assert_true(config->binding_count <= 16);
	for (size_t i = 0; i < config->binding_count; i++) {
		gwiod_config_point_config(config, i, &points[i]);
		points[i].user = &config->bindings[i];
	}
	pipeline = gwiod_pipeline_create(points, config->binding_count, &sink,
					 why, sizeof(why));
	if (!pipeline)
		fail_msg("pipeline refused the example: %s", why);
	assert_int_equal(gwiod_pipeline_point_count(pipeline),
			 config->binding_count);

	/* pump_running (channel 3) downsamples: the first sample goes out */
	gwiod_pipeline_push(pipeline, 0, 3, 1 * s, 1);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.names[0], "pump_running");
	assert_int_equal(seen.events[0].kind, GWIOD_EVENT_VALUE);
	assert_string_equal(
		((const struct gwiod_config_binding *)
		 seen.events[0].point->user)->topic, "plant1/pump_running");

	/* boiler_temp: code 235 at 0.1 - 40 in a one-minute window */
	gwiod_pipeline_push(pipeline, 0, 0, 1 * s, 235);
	gwiod_pipeline_flush(pipeline, 60 * s);
	assert_int_equal(seen.count, 2);
	assert_int_equal(seen.events[1].kind, GWIOD_EVENT_WINDOW);
	assert_true(seen.events[1].window.mean == -16.5);
	assert_int_equal(seen.events[1].window.end_ns, 60 * s);

	gwiod_pipeline_destroy(pipeline);
	gwiod_config_free(config);
}

/* --------------------------------------------------- inline documents */

#define BROKER "broker: {host: h}\n"
#define SOURCE "sources: [{name: r, type: gwio, device: /dev/gwio0}]\n"
#define POINT "points: [{name: p, channel: 1}]\n"
#define ROUTE "routes: [{points: p, topic: \"{site}/{point}\", mode: raw}]\n"

static void test_inline_variants_load(void **state)
{
	static const char *const texts[] = {
		/* quoted numbers are still numbers; True is a boolean */
		"site: s\nbroker: {host: h, port: \"1884\", keepalive: 1m,\n"
		"  protocol: \"5\", password: pw, tls: {}}\n"
		SOURCE POINT
		"routes: [{points: \"*\", topic: t, mode: raw, retain: TRUE}]\n",
		/* keys in any order: routes before the points they name */
		ROUTE POINT SOURCE BROKER "site: s\n",
		/* a document start and end marker are fine */
		"---\nsite: s\n" BROKER SOURCE POINT ROUTE "...\n",
		/* CRLF line ends and a BOM */
		"\xef\xbb\xbfsite: s\r\nbroker: {host: h}\r\n" SOURCE POINT
		ROUTE,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct gwiod_config *config;
		struct gwiod_config_error err;
		char message[1600];

		if (load_text(texts[i], &config, &err)) {
			gwiod_config_error_format(&err, message,
						  sizeof(message));
			fail_msg("text %zu: %s", i, message);
		}
		gwiod_config_free(config);
	}
}

static void test_inline_values(void **state)
{
	struct gwiod_config *config;
	struct gwiod_config_error err;

	(void)state;
	assert_int_equal(load_text(
		"site: s\nbroker: {host: h, port: \"1884\", keepalive: 1m,\n"
		"  protocol: \"5\", password: pw, tls: {}}\n"
		SOURCE POINT
		"routes: [{points: \"*\", topic: t, mode: raw, retain: TRUE}]\n",
		&config, &err), 0);
	assert_int_equal(config->broker.port, 1884);
	assert_int_equal(config->broker.keepalive_s, 60);
	assert_int_equal(config->broker.protocol, GWIOD_MQTT_5);
	assert_string_equal(config->broker.password, "pw");
	assert_null(config->broker.username);	/* fine with MQTT 5 */
	assert_true(config->broker.tls.enabled);
	assert_null(config->broker.tls.ca_file);
	assert_true(config->routes[0].retain);
	assert_string_equal(config->bindings[0].topic, "t");
	gwiod_config_free(config);
}

/* Load @text, which must fail with -EINVAL at @line:@column. */
static void expect_inline_error(const char *text, unsigned int line,
				unsigned int column, const char *message)
{
	struct gwiod_config *config = (void *)1;
	struct gwiod_config_error err;

	assert_int_equal(load_text(text, &config, &err), -EINVAL);
	assert_null(config);
	if (err.line != line || err.column != column ||
	    !strstr(err.reason, message))
		fail_msg("%u:%u: \"%s\", expected %u:%u: \"%s\"", err.line,
			 err.column, err.reason, line, column, message);
}

/*
 * Reader errors come as a byte offset, which must land where libyaml's
 * own marks would: columns in characters, a BOM not counted, and CR or
 * NEL ending a line as well as LF.
 */
static void test_reader_error_position(void **state)
{
	(void)state;
	expect_inline_error("\xef\xbb\xbfsite: \xff\n", 1, 7,
			    "invalid leading UTF-8 octet");
	expect_inline_error("site: a\rbroker: \xff\r", 2, 9,
			    "invalid leading UTF-8 octet");
	expect_inline_error("site: a\r\n# \xc3\xa9\xc3\xa9\xff\r\n", 2, 5,
			    "(byte 0xff)");
	expect_inline_error("# a\xc2\x85# b\xe2\x80\xa8x: \xc3\xa9\x80", 3, 5,
			    "invalid leading UTF-8 octet (byte 0x80)");
	expect_inline_error("site: \"a\xc3\n", 1, 10,
			    "invalid trailing UTF-8 octet");
	/* the tab hint finds the tab after a CR-only line end too */
	expect_inline_error("site: x\r\t broker: 1\n", 2, 1,
			    "YAML does not allow tabs");
}

/*
 * Quoted user text is cut on a character boundary and has its control
 * characters masked, NEL and LS included, so a message stays one line
 * of valid UTF-8.
 */
static void test_message_quoting(void **state)
{
	static const char *const cut =
		"site: s\n" BROKER SOURCE POINT
		"routes: [{points: p, topic: t, mode: \"x"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\"}]\n";
	struct gwiod_config *config;
	struct gwiod_config_error err;

	(void)state;
	/* 'x' and 40 two-byte letters: the 68-byte cut falls inside one */
	assert_int_equal(load_text(cut, &config, &err), -EINVAL);
	if (!strstr(err.reason, "x\xc3\xa9") ||
	    !strstr(err.reason, "\xc3\xa9...'") ||
	    strstr(err.reason, "\xc3...'"))
		fail_msg("not cut on a character: \"%s\"", err.reason);
	expect_inline_error("site: s\n" BROKER SOURCE POINT
			    "routes: [{points: p, topic: t, mode: \"a\\Nb\\Lc\\nd\"}]\n",
			    5, 38, "unknown value 'a?b?c?d'");
	/* the same inside gwiod_topic_expand()'s reason */
	expect_inline_error("site: s\n" BROKER SOURCE POINT
			    "routes: [{points: p, topic: \"{a\\nb}\", mode: raw}]\n",
			    5, 29, "unknown placeholder {a?b}");
}

/* Every Unicode space is refused in names, not only ASCII's and NBSP. */
static void test_name_spaces(void **state)
{
	static const char *const spaces[] = {
		"\\t", "\\N", "\\_", "\\u1680", "\\u2000", "\\u200a",
		"\\L", "\\P", "\\u202f", "\\u205f", "\\u3000", "\\x7f",
		"\\x9f",
	};
	struct gwiod_config *config;
	struct gwiod_config_error err;
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		snprintf(text, sizeof(text),
			 "site: \"a%sb\"\n" BROKER SOURCE POINT ROUTE,
			 spaces[i]);
		expect_inline_error(text, 1, 7,
				    "contains a space or control character");
	}
	/* letters from anywhere are fine, as the docs promise */
	assert_int_equal(load_text("site: \"\\u6e29\\u5ea61-\\u00e9t\\u00e9\"\n"
				   BROKER SOURCE POINT ROUTE, &config, &err), 0);
	assert_string_equal(config->site,
			    "\xe6\xb8\xa9\xe5\xba\xa6" "1-\xc3\xa9t\xc3\xa9");
	gwiod_config_free(config);
}

/* MQTT strings have a 16-bit length: one more byte cannot be sent. */
static void test_mqtt_string_limit(void **state)
{
	static const char *const keys[] = { "client_id", "username",
					    "password" };
	/* the longest value, one byte more, and its terminator */
	size_t size = 65536 + 512;
	char *text = malloc(size), *value = malloc(65535 + 2);

	(void)state;
	assert_non_null(text);
	assert_non_null(value);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct gwiod_config *config;
		struct gwiod_config_error err;
		char message[64];

		memset(value, 'a', 65535);
		value[65535] = '\0';
		snprintf(text, size,
			 "site: s\nbroker: {host: h, protocol: 5, %s: %s}\n"
			 SOURCE POINT ROUTE, keys[i], value);
		assert_int_equal(load_text(text, &config, &err), 0);
		gwiod_config_free(config);

		strcat(value, "a");
		snprintf(text, size,
			 "site: s\nbroker: {host: h, protocol: 5, %s: %s}\n"
			 SOURCE POINT ROUTE, keys[i], value);
		snprintf(message, sizeof(message),
			 "%s: longer than 65535 bytes", keys[i]);
		expect_inline_error(text, 2, 32 + strlen(keys[i]) + 2,
				    message);
	}
	free(value);
	free(text);
}

/* ----------------------------------------------------- file problems */

static void test_missing_file(void **state)
{
	struct gwiod_config *config = (void *)1;
	struct gwiod_config_error err;
	char formatted[1600];

	(void)state;
	assert_int_equal(gwiod_config_load(fixture_path("no-such.yaml"),
					   &config, &err), -ENOENT);
	assert_null(config);
	assert_int_equal(err.line, 0);
	gwiod_config_error_format(&err, formatted, sizeof(formatted));
	assert_non_null(strstr(formatted, "no-such.yaml: cannot open: "
					  "No such file or directory"));
}

static void test_directory(void **state)
{
	struct gwiod_config *config = (void *)1;
	struct gwiod_config_error err;

	(void)state;
	assert_int_equal(gwiod_config_load(configs_dir(), &config, &err),
			 -EISDIR);
	assert_null(config);
	assert_non_null(strstr(err.reason, "Is a directory"));
}

static void test_huge_file(void **state)
{
	char path[] = "/tmp/gwiod-config-test-XXXXXX";
	struct gwiod_config *config = (void *)1;
	struct gwiod_config_error err;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	/* sparse: reads as zeros without taking the disk space */
	assert_int_equal(ftruncate(fd, GWIOD_CONFIG_MAX_FILE_SIZE + 1), 0);
	close(fd);
	assert_int_equal(gwiod_config_load(path, &config, &err), -EFBIG);
	unlink(path);
	assert_null(config);
	assert_non_null(strstr(err.reason, "larger than 16 MiB"));
}

/* The buffer loader has the file loader's size limit. */
static void test_huge_buffer(void **state)
{
	size_t size = GWIOD_CONFIG_MAX_FILE_SIZE + 1;
	char *text = calloc(size, 1);
	struct gwiod_config *config = (void *)1;
	struct gwiod_config_error err;

	(void)state;
	assert_non_null(text);
	assert_int_equal(gwiod_config_load_buffer(text, size, "big.yaml",
						  &config, &err), -EFBIG);
	free(text);
	assert_null(config);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.reason, "larger than 16 MiB"));
}

static void test_error_is_optional(void **state)
{
	struct gwiod_config *config = (void *)1;

	(void)state;
	assert_int_equal(gwiod_config_load(fixture_path("bad-qos.yaml"),
					   &config, NULL), -EINVAL);
	assert_null(config);
	assert_int_equal(gwiod_config_load(fixture_path("no-such.yaml"),
					   &config, NULL), -ENOENT);
	gwiod_config_free(NULL);
}

static void test_error_format(void **state)
{
	struct gwiod_config_error err = {
		.file = "a.yaml", .line = 3, .column = 7, .reason = "why",
	};
	char small[8];

	(void)state;
	assert_int_equal(gwiod_config_error_format(&err, small, sizeof(small)),
			 (int)strlen("a.yaml:3:7: why"));
	assert_string_equal(small, "a.yaml:");
	err.line = 0;
	assert_int_equal(gwiod_config_error_format(&err, NULL, 0),
			 (int)strlen("a.yaml: why"));
}

/* ------------------------------------------------------ out of memory */

/* Fail each allocation in turn: -ENOMEM, no config, nothing leaked. */
static void test_every_allocation_failure(void **state)
{
	static const char *const fixtures[] = {
		"good-full.yaml", "good-warnings.yaml", "good-routes.yaml",
	};

	const size_t fixture_count = sizeof(fixtures) / sizeof(fixtures[0]);

	(void)state;
	/* one round past the fixtures for the example */
	for (size_t f = 0; f <= fixture_count; f++) {
		const char *path = f < fixture_count ? fixture_path(fixtures[f])
						     : example_path();
		struct gwiod_config *config;
		struct gwiod_config_error err;
		long calls;

		gwiod_config_fail_alloc_countdown = -1;
		gwiod_config_alloc_calls = 0;
		config = must_load(path);
		gwiod_config_free(config);
		calls = gwiod_config_alloc_calls;
		assert_true(calls > 10);
		for (long n = 0; n < calls; n++) {
			gwiod_config_fail_alloc_countdown = n;
			config = (void *)1;
			assert_int_equal(gwiod_config_load(path, &config, &err),
					 -ENOMEM);
			assert_null(config);
			assert_string_equal(err.reason, "out of memory");
		}
	}
	gwiod_config_fail_alloc_countdown = -1;
}

/* ---------------------------------------------------------- durations */

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		uint64_t ns;
	} good[] = {
		{ "1ns", 1 },
		{ "500ms", 500000000 },
		{ "1s", 1000000000 },
		{ "5m", 300000000000ull },
		{ "1h", 3600000000000ull },
		{ "1d", 86400000000000ull },
		{ "1.5s", 1500000000 },
		{ "0.25m", 15000000000ull },
		{ "1h30m", 5400000000000ull },
		{ "2us", 2000 },
		{ "2\xc2\xb5s", 2000 },
		{ "1.000000000s", 1000000000 },
		{ "0s", 0 },
		{ "18446744073709551615ns", UINT64_MAX },
		{ "213503d", 213503 * 86400000000000ull },
		/* whole nanoseconds though the unit is no multiple of 10^k */
		{ "0.00000000005m", 3 },
		{ "0.000000000005d", 432 },
		{ "0.0000000000003125d", 27 },
		{ "0.00000000000031250000d", 27 },
		{ "0.5us", 500 },
	};
	static const struct {
		const char *text;
		const char *reason;
	} bad[] = {
		{ "", "is empty" },
		{ "10", "needs a unit" },
		{ "1h30", "needs a unit" },
		{ "5 parsecs", "unknown unit" },
		{ "5 s", "no space" },
		{ "5sec", "unknown unit" },
		{ "-1s", "is negative" },
		{ "+1s", "expected a number" },
		{ "s", "expected a number" },
		{ ".s", "expected a number" },
		{ "1.5ns", "finer than a nanosecond" },
		{ "0.0000000001s", "finer than a nanosecond" },
		{ "0.00000000001m", "finer than a nanosecond" },
		{ "0.00000000000000003125d", "finer than a nanosecond" },
		{ "18446744073709551616ns", "too long" },
		{ "213504d", "too long" },
		{ "18446744073709551615ns1ns", "too long" },
		{ "99999999999999999999999s", "too long" },
	};
	const char *reason;
	uint64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ns = 12345;
		if (gwiod_duration_parse(good[i].text, &ns, &reason))
			fail_msg("'%s': %s", good[i].text, reason);
		assert_int_equal(ns, good[i].ns);
		assert_null(reason);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ns = 12345;
		assert_int_equal(gwiod_duration_parse(bad[i].text, &ns,
						      &reason), -EINVAL);
		assert_int_equal(ns, 12345);	/* untouched */
		if (!strstr(reason, bad[i].reason))
			fail_msg("'%s': \"%s\" lacks \"%s\"", bad[i].text,
				 reason, bad[i].reason);
	}
	assert_int_equal(gwiod_duration_parse("1s", &ns, NULL), 0);
}

/* ------------------------------------------------------------- topics */

static const struct gwiod_topic_fields all_fields = {
	.site = "plant1", .source = "ring0", .point = "temp1",
	.device = "gwio0", .channel = 12,
};

static void test_topic_placeholders(void **state)
{
	char buf[128], why[128];

	(void)state;
	assert_int_equal(gwiod_topic_expand("{site}/{source}/{device}/"
					    "{channel}/{point}", &all_fields,
					    buf, sizeof(buf), why, sizeof(why)),
			 (int)strlen("plant1/ring0/gwio0/12/temp1"));
	assert_string_equal(buf, "plant1/ring0/gwio0/12/temp1");
	assert_int_equal(gwiod_topic_expand("a/{point}{channel}-x", &all_fields,
					    buf, sizeof(buf), NULL, 0), 11);
	assert_string_equal(buf, "a/temp112-x");
	assert_int_equal(gwiod_topic_expand("plain", &all_fields, buf,
					    sizeof(buf), NULL, 0), 5);
	assert_string_equal(buf, "plain");
	/* a single level, and UTF-8, are fine */
	assert_int_equal(gwiod_topic_expand("\xc3\xa9t\xc3\xa9", &all_fields,
					    buf, sizeof(buf), NULL, 0), 5);
}

/* Like snprintf: the full length, and a truncated, terminated buffer. */
static void test_topic_truncation(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(gwiod_topic_expand("{site}/{point}", &all_fields, buf,
					    sizeof(buf), NULL, 0), 12);
	assert_string_equal(buf, "plant1/");
	assert_int_equal(gwiod_topic_expand("{site}/{point}", &all_fields,
					    NULL, 0, NULL, 0), 12);
	assert_int_equal(gwiod_topic_expand("{site}", &all_fields, buf, 1,
					    NULL, 0), 6);
	assert_string_equal(buf, "");
}

static void test_topic_errors(void **state)
{
	static const struct gwiod_topic_fields site_only = {
		.site = "plant1", .channel = -1,
	};
	static const struct gwiod_topic_fields wild = {
		.site = "plant1", .source = "a+b", .point = "p#",
		.device = "", .channel = 0,
	};
	static const struct {
		const char *topic_template;
		const struct gwiod_topic_fields *fields;
		const char *why;
	} cases[] = {
		{ "{sit}", &all_fields, "unknown placeholder {sit}" },
		{ "{}", &all_fields, "unknown placeholder {}" },
		{ "{SITE}", &all_fields, "unknown placeholder {SITE}" },
		{ "{site", &all_fields, "'{' at offset 0 is not closed" },
		{ "a/{site{point}}", &all_fields, "'{' at offset 2 is not closed" },
		{ "site}", &all_fields, "'}' at offset 4 closes no '{'" },
		{ "a/+/b", &all_fields, "wildcard '+' (from the template)" },
		{ "a/#", &all_fields, "wildcard '#' (from the template)" },
		{ "{site}/{source}", &wild, "wildcard '+' (from {source})" },
		{ "{site}/{point}", &wild, "wildcard '#' (from {point})" },
		{ "/a", &all_fields, "empty topic level" },
		{ "a//b", &all_fields, "empty topic level" },
		{ "a/", &all_fields, "a trailing '/'" },
		{ "a/{device}/b", &wild, "empty topic level" },
		{ "{device}", &wild, "the topic is empty" },
		{ "", &all_fields, "the topic is empty" },
		{ "$SYS/x", &all_fields, "reserved for the broker" },
		{ "{site}/{point}", &site_only, "{point} is not available" },
		{ "{channel}", &site_only, "{channel} is not available" },
		/* user text in the reason cannot start a second line */
		{ "{a\nb}", &all_fields, "unknown placeholder {a?b}" },
	};
	char buf[64], why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(buf, "junk");
		assert_int_equal(gwiod_topic_expand(cases[i].topic_template,
						    cases[i].fields, buf,
						    sizeof(buf), why,
						    sizeof(why)), -EINVAL);
		assert_string_equal(buf, "");
		if (!strstr(why, cases[i].why))
			fail_msg("'%s': \"%s\" lacks \"%s\"",
				 cases[i].topic_template, why, cases[i].why);
	}
	/* no reason buffer is fine */
	assert_int_equal(gwiod_topic_expand("#", &all_fields, NULL, 0, NULL, 0),
			 -EINVAL);
}

static void test_topic_length_limit(void **state)
{
	size_t size = GWIOD_TOPIC_MAX + 2;
	char *topic_template = malloc(size);

	(void)state;
	assert_non_null(topic_template);
	memset(topic_template, 'a', GWIOD_TOPIC_MAX);
	topic_template[GWIOD_TOPIC_MAX] = '\0';
	assert_int_equal(gwiod_topic_expand(topic_template, &all_fields, NULL,
					    0, NULL, 0), GWIOD_TOPIC_MAX);
	strcat(topic_template, "a");
	assert_int_equal(gwiod_topic_expand(topic_template, &all_fields, NULL,
					    0, NULL, 0), -EINVAL);
	free(topic_template);
}

/* --------------------------------------------------------------- main */

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_bad_fixture_is_in_the_table),
		cmocka_unit_test(test_minimal_takes_defaults),
		cmocka_unit_test(test_full_keeps_every_value),
		cmocka_unit_test(test_one_point_in_several_routes),
		cmocka_unit_test(test_aliases_are_followed),
		cmocka_unit_test(test_flow_meter_stats),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_example_drives_the_pipeline),
		cmocka_unit_test(test_inline_variants_load),
		cmocka_unit_test(test_inline_values),
		cmocka_unit_test(test_reader_error_position),
		cmocka_unit_test(test_message_quoting),
		cmocka_unit_test(test_name_spaces),
		cmocka_unit_test(test_mqtt_string_limit),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_huge_buffer),
		cmocka_unit_test(test_error_is_optional),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_every_allocation_failure),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_topic_placeholders),
		cmocka_unit_test(test_topic_truncation),
		cmocka_unit_test(test_topic_errors),
		cmocka_unit_test(test_topic_length_limit),
	};
	struct CMUnitTest bad_tests[BAD_FIXTURE_COUNT];
	int failed;

	/* one test per fixture, named after it, so a failure says which */
	for (size_t i = 0; i < BAD_FIXTURE_COUNT; i++)
		bad_tests[i] = (struct CMUnitTest){
			.name = bad_fixtures[i].file,
			.test_func = test_bad_fixture,
			.initial_state = (void *)&bad_fixtures[i],
		};
	failed = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	failed += _cmocka_run_group_tests("config bad fixtures", bad_tests,
					  BAD_FIXTURE_COUNT, NULL, NULL);
	return failed ? 1 : 0;
}
