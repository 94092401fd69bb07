/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * bare_pub — the baseline for gwiod's publisher benchmark: how fast plain
 * libmosquitto, with nothing of gwiod around it, gets messages into a
 * broker.  One connection, non-threaded (mosquitto_loop() driven from the
 * publishing loop), the same payload again and again.
 *
 *   bare_pub HOST PORT QOS COUNT PAYLOAD_BYTES [TOPIC]
 *
 * The clock starts after CONNACK and stops when the broker has everything:
 *  - QoS 1/2: when every message is acknowledged (PUBACK/PUBCOMP), with at
 *    most MAX_INFLIGHT messages unacknowledged at any time;
 *  - QoS 0: when libmosquitto's queue is drained into the socket and then
 *    one QoS 1 "fence" message on TOPIC/fence is acknowledged — the broker
 *    handles a connection's packets in order, so it has read them all.
 * Output, one line:
 *   bare qos=1 msgs=100000 bytes=200 seconds=1.234 msgs_per_s=81037 written_s=1.234
 * written_s: for QoS 0, until the last message was written to the socket
 * (before the fence), which is where gwiod's own figure for QoS 0 ends;
 * for QoS 1/2 the same as seconds.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#ifndef MAX_INFLIGHT		/* -DMAX_INFLIGHT=N to try another window */
#define MAX_INFLIGHT	1000
#endif
#define KEEPALIVE_S	60
#define CONNECT_TIMEOUT_MS	10000
#define LOOP_TIMEOUT_MS	100
/* let acknowledgements in every so many publishes, not only when the
 * window is full, so the window never drains completely */
#define READ_EVERY	64

struct state {
	bool connected;
	int connack_rc;
	bool lost;
	long done;		/* on_publish: QoS>0 acknowledged, QoS 0 sent */
	int fence_mid;
	bool fence_done;
};

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct state *st = obj;

	(void)mosq;
	st->connected = true;
	st->connack_rc = rc;
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct state *st = obj;

	(void)mosq;
	(void)rc;
	st->lost = true;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct state *st = obj;

	(void)mosq;
	if (st->fence_mid && mid == st->fence_mid)
		st->fence_done = true;
	else
		st->done++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "bare_pub: bad %s '%s' (%ld..%ld)\n",
			what, s, min, max);
		exit(2);
	}
	return v;
}

static void die_mosq(const char *what, int rc)
{
	fprintf(stderr, "bare_pub: %s: %s\n", what,
		rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	exit(1);
}

/* one round of network I/O; gives up when the connection is gone */
static void pump(struct mosquitto *mosq, const struct state *st, int timeout_ms)
{
	int rc = mosquitto_loop(mosq, timeout_ms, 1);

	if (rc != MOSQ_ERR_SUCCESS)
		die_mosq("connection", rc);
	if (st->lost) {
		fprintf(stderr, "bare_pub: disconnected by the broker\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct state st = { 0 };
	struct mosquitto *mosq;
	const char *host, *topic = "gwio/bench/bare";
	char fence_topic[256];
	long count, sent = 0, i;
	int port, qos, payload_len, rc;
	char *payload;
	double t0, t1, t_written = 0, deadline;

	if (argc < 6 || argc > 7) {
		fprintf(stderr,
			"usage: bare_pub HOST PORT QOS COUNT PAYLOAD_BYTES [TOPIC]\n");
		return 2;
	}
	host = argv[1];
	port = (int)parse_long(argv[2], "port", 1, 65535);
	qos = (int)parse_long(argv[3], "qos", 0, 2);
	count = parse_long(argv[4], "count", 1, LONG_MAX);
	payload_len = (int)parse_long(argv[5], "payload bytes", 0, 100000000);
	if (argc == 7)
		topic = argv[6];
	snprintf(fence_topic, sizeof(fence_topic), "%s/fence", topic);

	payload = malloc(payload_len ? (size_t)payload_len : 1);
	if (!payload) {
		perror("bare_pub: malloc");
		return 1;
	}
	memset(payload, 'x', payload_len ? (size_t)payload_len : 1);

	mosquitto_lib_init();
	mosq = mosquitto_new(NULL, true, &st);
	if (!mosq) {
		perror("bare_pub: mosquitto_new");
		return 1;
	}
	mosquitto_connect_callback_set(mosq, on_connect);
	mosquitto_disconnect_callback_set(mosq, on_disconnect);
	mosquitto_publish_callback_set(mosq, on_publish);
	/* libmosquitto's own window (default 20) must not be the limit */
	rc = mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, MAX_INFLIGHT);
	if (rc != MOSQ_ERR_SUCCESS)
		die_mosq("MOSQ_OPT_SEND_MAXIMUM", rc);

	rc = mosquitto_connect(mosq, host, port, KEEPALIVE_S);
	if (rc != MOSQ_ERR_SUCCESS)
		die_mosq("connect", rc);
	deadline = now_s() + CONNECT_TIMEOUT_MS / 1000.0;
	while (!st.connected) {
		pump(mosq, &st, LOOP_TIMEOUT_MS);
		if (now_s() > deadline) {
			fprintf(stderr, "bare_pub: no CONNACK\n");
			return 1;
		}
	}
	if (st.connack_rc) {
		fprintf(stderr, "bare_pub: connection refused: %s\n",
			mosquitto_connack_string(st.connack_rc));
		return 1;
	}

	t0 = now_s();
	while (sent < count) {
		if (qos > 0 && sent - st.done >= MAX_INFLIGHT) {
			/* window full: wait for acknowledgements */
			pump(mosq, &st, LOOP_TIMEOUT_MS);
			continue;
		}
		if (qos == 0 && mosquitto_want_write(mosq)) {
			/* socket full: drain libmosquitto's queue first */
			pump(mosq, &st, LOOP_TIMEOUT_MS);
			continue;
		}
		rc = mosquitto_publish(mosq, NULL, topic, payload_len, payload,
				       qos, false);
		if (rc != MOSQ_ERR_SUCCESS)
			die_mosq("publish", rc);
		sent++;
		if (sent % READ_EVERY == 0)
			pump(mosq, &st, 0);
	}
	if (qos > 0) {
		while (st.done < count)
			pump(mosq, &st, LOOP_TIMEOUT_MS);
	} else {
		while (mosquitto_want_write(mosq))
			pump(mosq, &st, LOOP_TIMEOUT_MS);
		t_written = now_s();
		rc = mosquitto_publish(mosq, &st.fence_mid, fence_topic, 0,
				       NULL, 1, false);
		if (rc != MOSQ_ERR_SUCCESS)
			die_mosq("publish fence", rc);
		while (!st.fence_done)
			pump(mosq, &st, LOOP_TIMEOUT_MS);
	}
	t1 = now_s();

	mosquitto_disconnect(mosq);
	for (i = 0; i < 10 && mosquitto_want_write(mosq); i++)
		mosquitto_loop(mosq, LOOP_TIMEOUT_MS, 1);
	mosquitto_destroy(mosq);
	mosquitto_lib_cleanup();
	free(payload);

	if (qos > 0)
		t_written = t1;
	printf("bare qos=%d msgs=%ld bytes=%d seconds=%.3f msgs_per_s=%.0f "
	       "written_s=%.6f\n", qos, count, payload_len, t1 - t0,
	       (double)count / (t1 - t0), t_written - t0);
	return 0;
}
