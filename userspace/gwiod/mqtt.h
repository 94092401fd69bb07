/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * gwiod's connection to the MQTT broker, on libmosquitto's non-threaded
 * API so that it lives in the daemon's one event loop: no locks, and the
 * callbacks run inside gwiod_mqtt_handle()/_tick() on the daemon thread.
 *
 * The connection is kept up on its own: connect errors and lost
 * connections are retried with exponential backoff (1 s doubling to
 * 60 s).  A retained "online" goes to the status topic on every
 * connection; "offline" is the will the broker publishes when gwiod
 * vanishes, and what gwiod_mqtt_finish() publishes on a clean exit.
 *
 * Messages of QoS 1 and 2 published while the broker is away are held by
 * libmosquitto and sent when it is back (not acknowledged = sent again),
 * up to the queue limits below; beyond them, and for QoS 0 while
 * disconnected, messages are refused and counted.  Keeping them across
 * longer outages is the disk spool's job, not this queue's.
 */
#ifndef GWIOD_MQTT_H
#define GWIOD_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * Messages held at most: QoS 1/2 not yet acknowledged plus QoS 0 not yet
 * written.  Bounded by MQTT's 16-bit packet identifiers too: two
 * messages in flight must never share one.
 */
#define GWIOD_MQTT_QUEUE_MESSAGES	30000
#define GWIOD_MQTT_QUEUE_BYTES		(8u << 20)
/* Unacknowledged messages on the wire at once; the rest wait in order. */
#define GWIOD_MQTT_INFLIGHT		256

#define GWIOD_MQTT_BACKOFF_MIN_MS	1000
#define GWIOD_MQTT_BACKOFF_MAX_MS	60000

enum gwiod_mqtt_state {
	GWIOD_MQTT_DISCONNECTED,	/* waiting for the next attempt */
	GWIOD_MQTT_CONNECTING,		/* TCP/TLS/CONNECT under way */
	GWIOD_MQTT_CONNECTED,		/* CONNACK accepted */
};

struct gwiod_mqtt_stats {
	uint64_t published;	/* accepted by gwiod_mqtt_publish() */
	uint64_t acked;		/* QoS 1/2 acknowledged by the broker */
	uint64_t written;	/* QoS 0 written to the socket (all MQTT can tell) */
	uint64_t refused_full;	/* refused: queue limits reached */
	uint64_t refused_offline; /* QoS 0 refused while disconnected */
	uint64_t failed;	/* refused for another reason */
	uint64_t connects;	/* CONNACKs accepted */
	uint64_t disconnects;	/* connections lost or refused */
	uint64_t lost_unsent;	/* QoS 0 accepted, then dropped with the connection */
	uint64_t queued;	/* now: QoS 1/2 not yet acknowledged */
	uint64_t queued_bytes;	/* their payload bytes */
	uint64_t unsent;	/* now: QoS 0 not yet written to the socket */
	uint64_t unsent_bytes;
	/* CLOCK_MONOTONIC ns of the first publish and the last message done
	 * (written for QoS 0, acknowledged for 1/2); 0 before that */
	uint64_t first_publish_ns;
	uint64_t last_done_ns;
};

struct gwiod_mqtt;

/*
 * Set up (no network yet).  @broker and @status_topic are copied.
 * NULL with a reason in @err on failure (bad TLS files, no memory).
 */
struct gwiod_mqtt *gwiod_mqtt_create(const struct gwiod_config_broker *broker,
				     char *err, size_t err_size);
/* Drops the connection without a clean disconnect: the will fires. */
void gwiod_mqtt_destroy(struct gwiod_mqtt *mqtt);

/*
 * The socket to watch, -1 while there is none.  It changes with every
 * connection attempt: re-read it after each call below.  Watch for
 * EPOLLIN, plus EPOLLOUT while gwiod_mqtt_want_write().
 */
int gwiod_mqtt_fd(const struct gwiod_mqtt *mqtt);
bool gwiod_mqtt_want_write(struct gwiod_mqtt *mqtt);
/*
 * Unique to each socket opened by any connection in the process, even
 * when a socket reuses the number of the last one (which epoll forgot
 * when it was closed).
 */
uint64_t gwiod_mqtt_socket_generation(const struct gwiod_mqtt *mqtt);

/* Socket ready: @readable / @writable from poll. */
void gwiod_mqtt_handle(struct gwiod_mqtt *mqtt, bool readable, bool writable);

/*
 * Keepalive and reconnects; call at least every few hundred ms.  @now_ms
 * is any monotonic millisecond count.  Returns the milliseconds until it
 * needs calling again at the latest.
 */
int gwiod_mqtt_tick(struct gwiod_mqtt *mqtt, uint64_t now_ms);

/*
 * Publish.  0: sent or queued.  -ENOBUFS: the queue is full.  -ENOTCONN:
 * QoS 0 while disconnected.  -EINVAL / -EMSGSIZE / -EIO: refused by
 * libmosquitto (bad topic, too big, ...).  Every refusal is counted.
 */
int gwiod_mqtt_publish(struct gwiod_mqtt *mqtt, const char *topic,
		       const void *payload, size_t len, int qos, bool retain);

/*
 * Half the queue limits are used, or a CONNECT waits for its CONNACK: stop
 * producing messages (leave samples in the rings) until this turns false,
 * so that a burst or a slow broker holds data back instead of dropping
 * it, and the birth ("online") goes out before any data.
 */
bool gwiod_mqtt_congested(const struct gwiod_mqtt *mqtt);

enum gwiod_mqtt_state gwiod_mqtt_state(const struct gwiod_mqtt *mqtt);
const char *gwiod_mqtt_state_name(enum gwiod_mqtt_state state);
void gwiod_mqtt_get_stats(const struct gwiod_mqtt *mqtt,
			  struct gwiod_mqtt_stats *stats);

/*
 * Clean exit: publish the retained "offline", wait up to @timeout_ms for
 * every queued message to be acknowledged, then disconnect so that the
 * will does not fire.  Returns the number of messages still
 * unacknowledged (lost) when it gives up; 0 is a clean finish.
 */
uint64_t gwiod_mqtt_finish(struct gwiod_mqtt *mqtt, int timeout_ms);

#endif /* GWIOD_MQTT_H */
