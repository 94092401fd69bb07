// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The broker connection (mqtt.h).  libmosquitto does the protocol; this
 * file decides when to connect, what to say on connecting and leaving,
 * and how much to hold while the broker is away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#include "clock.h"
#include "log.h"
#include "mqtt.h"

#define STATUS_ONLINE	"online"
#define STATUS_OFFLINE	"offline"
/* MQTT 5 reason "Unsupported Protocol Version"; 3.1.1 says 1. */
#define CONNACK_BAD_PROTOCOL_V5	0x84
#define CONNACK_BAD_PROTOCOL_V3	1
/* MQTT packet identifiers are 16 bits. */
#define MID_SPACE	65536
#define PENDING_QOS0	0x80000000u

struct gwiod_mqtt {
	struct mosquitto *mosq;
	char *host;
	int port;
	int keepalive_s;
	int protocol;		/* MQTT_PROTOCOL_V311 or _V5, may fall back */
	char *username;
	char *password;		/* from the config, or NULL */
	char *password_file;	/* read at every connection attempt */
	char *status_topic;

	enum gwiod_mqtt_state state;
	bool started;		/* connect_async done once: reconnect after */
	bool finishing;		/* say "offline", not "online" */
	uint64_t now_ms;
	uint64_t next_attempt_ms;
	unsigned int backoff_ms;
	int offline_mid;	/* the finishing "offline", until acknowledged */
	uint64_t socket_generation;
	int written_in_call;	/* mid on_publish saw during a publish call */

	/*
	 * By mid, each message of ours not yet done with: payload bytes + 1,
	 * with PENDING_QOS0 set for QoS 0 (done once written to the socket;
	 * QoS 1/2 are done when acknowledged).  0: nothing pending.
	 */
	uint32_t *pending;
	struct gwiod_mqtt_stats stats;
};

/* Across connections, so that no two sockets ever share a generation. */
static uint64_t socket_generations;

const char *gwiod_mqtt_state_name(enum gwiod_mqtt_state state)
{
	switch (state) {
	case GWIOD_MQTT_DISCONNECTED:
		return "disconnected";
	case GWIOD_MQTT_CONNECTING:
		return "connecting";
	case GWIOD_MQTT_CONNECTED:
		return "connected";
	}
	return "unknown";
}

static const char *mosq_error(int rc)
{
	return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

/* The next attempt after a failure: doubling, with up to 25 % jitter so
 * that a fleet of gateways does not reconnect in lockstep. */
static void schedule_retry(struct gwiod_mqtt *m)
{
	unsigned int delay = m->backoff_ms;

	delay += (unsigned int)(random() % (delay / 4 + 1));
	m->next_attempt_ms = m->now_ms + delay;
	m->backoff_ms = m->backoff_ms * 2 > GWIOD_MQTT_BACKOFF_MAX_MS ?
			GWIOD_MQTT_BACKOFF_MAX_MS : m->backoff_ms * 2;
	m->state = GWIOD_MQTT_DISCONNECTED;
	log_info("mqtt: next connection attempt in %u ms", delay);
}

static void publish_status(struct gwiod_mqtt *m, const char *status, int *mid)
{
	int rc = mosquitto_publish(m->mosq, mid, m->status_topic,
				   (int)strlen(status), status, 1, true);

	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
		log_warn("mqtt: publishing status '%s': %s", status,
			 mosq_error(rc));
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct gwiod_mqtt *m = obj;

	(void)mosq;
	if (rc == 0) {
		m->state = GWIOD_MQTT_CONNECTED;
		m->backoff_ms = GWIOD_MQTT_BACKOFF_MIN_MS;
		m->stats.connects++;
		log_notice("mqtt: connected to %s:%d (MQTT %s)", m->host,
			   m->port, m->protocol == MQTT_PROTOCOL_V5 ? "5" :
			   "3.1.1");
		publish_status(m, m->finishing ? STATUS_OFFLINE : STATUS_ONLINE,
			       m->finishing ? &m->offline_mid : NULL);
		return;
	}
	if (m->protocol == MQTT_PROTOCOL_V5 &&
	    (rc == CONNACK_BAD_PROTOCOL_V5 || rc == CONNACK_BAD_PROTOCOL_V3)) {
		log_warn("mqtt: %s:%d does not speak MQTT 5, using 3.1.1",
			 m->host, m->port);
		m->protocol = MQTT_PROTOCOL_V311;
		mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION,
				     m->protocol);
		/* no backoff: this is not the broker's fault */
		m->backoff_ms = 0;
		return;
	}
	log_error("mqtt: %s:%d refused the connection: %s", m->host, m->port,
		  m->protocol == MQTT_PROTOCOL_V5 ? mosquitto_reason_string(rc) :
		  mosquitto_connack_string(rc));
}

static void forget_unsent(struct gwiod_mqtt *m);

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct gwiod_mqtt *m = obj;

	(void)mosq;
	if (m->finishing && rc == 0) {
		m->state = GWIOD_MQTT_DISCONNECTED;
		forget_unsent(m);
		return;
	}
	if (m->state == GWIOD_MQTT_CONNECTED)
		log_warn("mqtt: lost the connection to %s:%d: %s", m->host,
			 m->port, rc ? mosq_error(rc) : "closed");
	else if (!m->finishing)
		log_warn("mqtt: could not connect to %s:%d: %s", m->host,
			 m->port, rc ? mosq_error(rc) : "closed");
	m->stats.disconnects++;
	forget_unsent(m);
	schedule_retry(m);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct gwiod_mqtt *m = obj;
	uint32_t *slot = &m->pending[(unsigned int)mid % MID_SPACE];
	uint32_t bytes = (*slot & ~PENDING_QOS0) - 1;

	(void)mosq;
	if (mid == m->offline_mid)
		m->offline_mid = -1;
	if (!*slot) {
		/* a QoS 0 written at once, inside mosquitto_publish() */
		m->written_in_call = mid;
		return;
	}
	m->stats.last_done_ns = gwiod_clock_ns(CLOCK_MONOTONIC);
	if (*slot & PENDING_QOS0) {
		m->stats.written++;
		m->stats.unsent--;
		m->stats.unsent_bytes -= bytes;
	} else {
		m->stats.acked++;
		m->stats.queued--;
		m->stats.queued_bytes -= bytes;
	}
	*slot = 0;
}

/*
 * libmosquitto throws away the QoS 0 packets it had not written when a
 * connection ends (QoS 1/2 stay queued and are sent again): count them.
 */
static void forget_unsent(struct gwiod_mqtt *m)
{
	unsigned int mid;

	if (!m->stats.unsent)
		return;
	for (mid = 0; mid < MID_SPACE; mid++) {
		if (m->pending[mid] & PENDING_QOS0)
			m->pending[mid] = 0;
	}
	log_warn("mqtt: %llu QoS 0 message%s unsent when the connection ended",
		 (unsigned long long)m->stats.unsent,
		 gwiod_plural(m->stats.unsent));
	m->stats.lost_unsent += m->stats.unsent;
	m->stats.unsent = 0;
	m->stats.unsent_bytes = 0;
}

static void on_log(struct mosquitto *mosq, void *obj, int level,
		   const char *text)
{
	(void)mosq;
	(void)obj;
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
		log_warn("libmosquitto: %s", text);
	else
		log_debug("libmosquitto: %s", text);
}

static char *read_password_file(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	char *pw = NULL;

	if (!f) {
		log_error("mqtt: password_file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		pw = strdup(line);
	} else {
		pw = strdup("");
	}
	fclose(f);
	return pw;
}

static int set_credentials(struct gwiod_mqtt *m)
{
	char *pw = m->password;
	int rc;

	if (!m->username && !m->password && !m->password_file)
		return 0;
	if (m->password_file) {
		pw = read_password_file(m->password_file);
		if (!pw)
			return -1;
	}
	rc = mosquitto_username_pw_set(m->mosq, m->username, pw);
	if (pw != m->password) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static void attempt_connect(struct gwiod_mqtt *m)
{
	int rc;

	if (set_credentials(m) < 0) {
		schedule_retry(m);
		return;
	}
	m->state = GWIOD_MQTT_CONNECTING;
	m->socket_generation = ++socket_generations;
	if (m->started) {
		rc = mosquitto_reconnect_async(m->mosq);
	} else {
		rc = mosquitto_connect_async(m->mosq, m->host, m->port,
					     m->keepalive_s);
		m->started = rc == MOSQ_ERR_SUCCESS;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		log_warn("mqtt: connecting to %s:%d: %s", m->host, m->port,
			 mosq_error(rc));
		m->stats.disconnects++;
		schedule_retry(m);
	}
}

static int setup_tls(struct gwiod_mqtt *m, const struct gwiod_config_tls *tls,
		     char *err, size_t err_size)
{
	int rc;

	if (!tls->ca_file)
		mosquitto_int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
	rc = mosquitto_tls_set(m->mosq, tls->ca_file, NULL, tls->cert_file,
			       tls->key_file, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(err, err_size,
			 "TLS files (ca %s, cert %s, key %s): %s",
			 tls->ca_file ? tls->ca_file : "system",
			 tls->cert_file ? tls->cert_file : "none",
			 tls->key_file ? tls->key_file : "none",
			 rc == MOSQ_ERR_INVAL ? "missing or unreadable" :
			 mosq_error(rc));
		return -1;
	}
	if (tls->insecure) {
		/* 0 is SSL_VERIFY_NONE: no chain check, no host name check */
		mosquitto_tls_opts_set(m->mosq, 0, NULL, NULL);
		mosquitto_tls_insecure_set(m->mosq, true);
	}
	return 0;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

struct gwiod_mqtt *gwiod_mqtt_create(const struct gwiod_config_broker *broker,
				     char *err, size_t err_size)
{
	struct gwiod_mqtt *m = calloc(1, sizeof(*m));
	bool nomem = false;

	if (!m)
		goto nomem;
	m->port = broker->port;
	m->keepalive_s = broker->keepalive_s;
	m->protocol = broker->protocol == GWIOD_MQTT_5 ? MQTT_PROTOCOL_V5 :
			MQTT_PROTOCOL_V311;
	m->backoff_ms = GWIOD_MQTT_BACKOFF_MIN_MS;
	m->offline_mid = -1;
	m->now_ms = gwiod_monotonic_ms();
	m->host = dup_or_null(broker->host, &nomem);
	m->username = dup_or_null(broker->username, &nomem);
	m->password = dup_or_null(broker->password, &nomem);
	m->password_file = dup_or_null(broker->password_file, &nomem);
	m->status_topic = dup_or_null(broker->status_topic, &nomem);
	m->pending = calloc(MID_SPACE, sizeof(*m->pending));
	if (nomem || !m->pending)
		goto nomem;

	/* clean session: what we queue is ours; nothing to resume */
	m->mosq = mosquitto_new(broker->client_id, true, m);
	if (!m->mosq)
		goto nomem;
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, m->protocol);
	mosquitto_int_option(m->mosq, MOSQ_OPT_SEND_MAXIMUM,
			     GWIOD_MQTT_INFLIGHT);
	mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	mosquitto_publish_callback_set(m->mosq, on_publish);
	mosquitto_log_callback_set(m->mosq, on_log);
	if (mosquitto_will_set(m->mosq, m->status_topic,
			       (int)strlen(STATUS_OFFLINE), STATUS_OFFLINE, 1,
			       true) != MOSQ_ERR_SUCCESS) {
		snprintf(err, err_size, "status topic '%s' refused as a will",
			 m->status_topic);
		goto fail;
	}
	if (broker->tls.enabled && setup_tls(m, &broker->tls, err, err_size))
		goto fail;
	return m;

nomem:
	snprintf(err, err_size, "out of memory");
fail:
	gwiod_mqtt_destroy(m);
	return NULL;
}

void gwiod_mqtt_destroy(struct gwiod_mqtt *m)
{
	if (!m)
		return;
	if (m->mosq)
		mosquitto_destroy(m->mosq);
	free(m->pending);
	free(m->host);
	free(m->username);
	if (m->password)
		explicit_bzero(m->password, strlen(m->password));
	free(m->password);
	free(m->password_file);
	free(m->status_topic);
	free(m);
}

int gwiod_mqtt_fd(const struct gwiod_mqtt *m)
{
	return mosquitto_socket(m->mosq);
}

bool gwiod_mqtt_want_write(struct gwiod_mqtt *m)
{
	return mosquitto_want_write(m->mosq);
}

uint64_t gwiod_mqtt_socket_generation(const struct gwiod_mqtt *m)
{
	return m->socket_generation;
}

/*
 * libmosquitto closes the socket and calls on_disconnect itself on every
 * error it returns; this only catches a socket that vanished quietly.
 */
static void check_socket(struct gwiod_mqtt *m)
{
	if (m->state != GWIOD_MQTT_DISCONNECTED && mosquitto_socket(m->mosq) < 0) {
		m->stats.disconnects++;
		forget_unsent(m);
		schedule_retry(m);
	}
}

void gwiod_mqtt_handle(struct gwiod_mqtt *m, bool readable, bool writable)
{
	m->now_ms = gwiod_monotonic_ms();
	if (readable && mosquitto_loop_read(m->mosq, 64) != MOSQ_ERR_SUCCESS) {
		check_socket(m);
		return;
	}
	if (writable && mosquitto_socket(m->mosq) >= 0)
		mosquitto_loop_write(m->mosq, 64);
	check_socket(m);
}

int gwiod_mqtt_tick(struct gwiod_mqtt *m, uint64_t now_ms)
{
	m->now_ms = now_ms;
	if (m->state == GWIOD_MQTT_DISCONNECTED) {
		if (now_ms < m->next_attempt_ms)
			return (int)(m->next_attempt_ms - now_ms);
		attempt_connect(m);
	}
	if (mosquitto_socket(m->mosq) >= 0)
		mosquitto_loop_misc(m->mosq);
	check_socket(m);
	if (m->state == GWIOD_MQTT_DISCONNECTED)
		return (int)(m->next_attempt_ms > now_ms ?
			     m->next_attempt_ms - now_ms : 0);
	return 1000;
}

static uint64_t backlog(const struct gwiod_mqtt *m)
{
	return m->stats.queued + m->stats.unsent;
}

static uint64_t backlog_bytes(const struct gwiod_mqtt *m)
{
	return m->stats.queued_bytes + m->stats.unsent_bytes;
}

bool gwiod_mqtt_congested(const struct gwiod_mqtt *m)
{
	/*
	 * While the CONNECT is unanswered, libmosquitto would write whatever
	 * we publish right behind it, ahead of the "online" that on_connect()
	 * sends: the birth must be the first message, so the samples wait in
	 * the rings.  Also when the socket is full and more than a window of
	 * QoS 0 waits behind it: publishing more would only queue it in
	 * libmosquitto and retry a write that cannot succeed, once per message.
	 */
	return m->state == GWIOD_MQTT_CONNECTING ||
	       backlog(m) >= GWIOD_MQTT_QUEUE_MESSAGES / 2 ||
	       backlog_bytes(m) >= GWIOD_MQTT_QUEUE_BYTES / 2 ||
	       (m->stats.unsent >= GWIOD_MQTT_INFLIGHT &&
		mosquitto_want_write(m->mosq));
}

int gwiod_mqtt_publish(struct gwiod_mqtt *m, const char *topic,
		       const void *payload, size_t len, int qos, bool retain)
{
	int mid = 0, rc;

	if (len >= INT32_MAX) {
		m->stats.failed++;
		return -EMSGSIZE;
	}
	if (backlog(m) >= GWIOD_MQTT_QUEUE_MESSAGES ||
	    backlog_bytes(m) + len > GWIOD_MQTT_QUEUE_BYTES) {
		m->stats.refused_full++;
		return -ENOBUFS;
	}
	m->written_in_call = -1;
	rc = mosquitto_publish(m->mosq, &mid, topic, (int)len, payload, qos,
			       retain);
	/* QoS 1/2 refused for want of a connection is still queued */
	if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos > 0)) {
		uint32_t *slot = &m->pending[(unsigned int)mid % MID_SPACE];

		m->stats.published++;
		if (!m->stats.first_publish_ns)
			m->stats.first_publish_ns = gwiod_clock_ns(CLOCK_MONOTONIC);
		if (qos > 0) {
			*slot = (uint32_t)len + 1;
			m->stats.queued++;
			m->stats.queued_bytes += len;
		} else if (m->written_in_call != mid) {
			*slot = ((uint32_t)len + 1) | PENDING_QOS0;
			m->stats.unsent++;
			m->stats.unsent_bytes += len;
		} else {
			m->stats.written++;
			m->stats.last_done_ns = gwiod_clock_ns(CLOCK_MONOTONIC);
		}
		return 0;
	}
	if (rc == MOSQ_ERR_NO_CONN) {
		m->stats.refused_offline++;
		return -ENOTCONN;
	}
	m->stats.failed++;
	log_debug("mqtt: publish to %s refused: %s", topic, mosq_error(rc));
	switch (rc) {
	case MOSQ_ERR_PAYLOAD_SIZE:
	case MOSQ_ERR_OVERSIZE_PACKET:
		return -EMSGSIZE;
	case MOSQ_ERR_INVAL:
	case MOSQ_ERR_MALFORMED_UTF8:
		return -EINVAL;
	case MOSQ_ERR_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

enum gwiod_mqtt_state gwiod_mqtt_state(const struct gwiod_mqtt *m)
{
	return m->state;
}

void gwiod_mqtt_get_stats(const struct gwiod_mqtt *m,
			  struct gwiod_mqtt_stats *stats)
{
	*stats = m->stats;
}

uint64_t gwiod_mqtt_finish(struct gwiod_mqtt *m, int timeout_ms)
{
	uint64_t deadline = gwiod_monotonic_ms() + (uint64_t)(timeout_ms > 0 ?
							 timeout_ms : 0);
	uint64_t now;

	m->finishing = true;
	if (m->state == GWIOD_MQTT_CONNECTED)
		publish_status(m, STATUS_OFFLINE, &m->offline_mid);
	while ((now = gwiod_monotonic_ms()) < deadline &&
	       (m->stats.queued || m->offline_mid >= 0)) {
		struct pollfd pfd = { .fd = mosquitto_socket(m->mosq) };
		int wait;

		wait = gwiod_mqtt_tick(m, now);
		if (wait > 50)
			wait = 50;
		pfd.fd = mosquitto_socket(m->mosq);
		pfd.events = POLLIN | (mosquitto_want_write(m->mosq) ?
				       POLLOUT : 0);
		if (pfd.fd < 0) {
			poll(NULL, 0, wait);
			continue;
		}
		if (poll(&pfd, 1, wait) > 0)
			gwiod_mqtt_handle(m, pfd.revents & (POLLIN | POLLHUP |
							     POLLERR),
					  pfd.revents & POLLOUT);
	}
	if (m->state == GWIOD_MQTT_CONNECTED) {
		mosquitto_disconnect(m->mosq);
		/* DISCONNECT is queued: push it out before the socket goes */
		while (mosquitto_want_write(m->mosq) &&
		       mosquitto_loop_write(m->mosq, 1) == MOSQ_ERR_SUCCESS)
			;
	}
	if (m->stats.queued)
		log_error("mqtt: %llu message%s not acknowledged at exit",
			  (unsigned long long)m->stats.queued,
			  gwiod_plural(m->stats.queued));
	return m->stats.queued;
}
