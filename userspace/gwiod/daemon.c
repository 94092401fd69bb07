// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The gwiod event loop (daemon.h): wires sources -> pipeline -> publisher
 * -> broker connection, and replaces them on reload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "clock.h"
#include "log.h"
#include "mqtt.h"
#include "pipeline.h"
#include "publisher.h"
#include "source.h"

/* Tick: flush windows and batches, keepalive, drain fd-less sources. */
#define TICK_FAST_MS	10	/* with a source that has no fd to poll */
#define TICK_SLOW_MS	100
/*
 * A window is closed this long after its end: records stamped before the
 * end may still be on their way into the ring.
 */
#define CLOSE_GRACE_NS	(50 * 1000000ull)
/*
 * Samples moved into the pipeline between looks at the broker's backlog,
 * and at most per drain before the loop serves the broker socket.
 */
#define DRAIN_CHUNK	4096
#define DRAIN_BUDGET	(256u * 1024)

/* epoll tags: the low 32 bits carry a source index */
enum {
	TAG_SIGNAL = 1,
	TAG_TIMER,
	TAG_MQTT,
	TAG_SOURCE,
};
#define TAG(kind, index)	(((uint64_t)(kind) << 32) | (uint32_t)(index))

/* Everything one config file describes, replaced as a whole on reload. */
struct setup {
	struct gwiod_config *config;
	struct gwiod_source **sources;	/* by device index */
	size_t source_count;
	struct gwiod_mqtt *mqtt;
	struct gwiod_publisher *publisher;
	struct gwiod_pipeline *pipeline;
	bool tick_driven;		/* a source without an fd */
};

struct daemon {
	const char *path;
	struct setup run;
	int epfd;
	int sigfd;
	int timerfd;
	uint64_t mqtt_generation;	/* of the registered socket */
	int mqtt_fd;			/* registered in epfd, or -1 */
	uint32_t mqtt_events;
	uint64_t started_ms;
	uint64_t next_health_ms;
	uint64_t reloads;
	uint64_t reload_failures;
	uint64_t source_errors;
	uint64_t pauses;		/* times backpressure paused the sources */
	uint64_t exit_idle_ms;		/* 0, or stop after this long idle */
	uint64_t last_sample_ms;
	struct gwiod_mqtt_stats reported;	/* as of the last report */
	bool paused;
	bool stopping;
};

/* systemd's readiness protocol: one datagram to $NOTIFY_SOCKET. */
static void sd_notify_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')	/* abstract namespace */
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, len) < 0)
		log_debug("sd_notify: %s", strerror(errno));
	close(fd);
}

static void log_config_warnings(const struct gwiod_config *config)
{
	char line[1024];
	size_t i;

	for (i = 0; i < config->warning_count; i++) {
		gwiod_config_warning_format(config, i, line, sizeof(line));
		log_warn("%s", line);
	}
}

/* ------------------------------------------------------------ setup */

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Whether a reload can keep the broker connection as it is. */
static bool broker_equal(const struct gwiod_config_broker *a,
			 const struct gwiod_config_broker *b)
{
	return str_equal(a->host, b->host) && a->port == b->port &&
	       str_equal(a->client_id, b->client_id) &&
	       str_equal(a->username, b->username) &&
	       str_equal(a->password, b->password) &&
	       str_equal(a->password_file, b->password_file) &&
	       a->keepalive_s == b->keepalive_s &&
	       a->protocol == b->protocol &&
	       a->tls.enabled == b->tls.enabled &&
	       str_equal(a->tls.ca_file, b->tls.ca_file) &&
	       str_equal(a->tls.cert_file, b->tls.cert_file) &&
	       str_equal(a->tls.key_file, b->tls.key_file) &&
	       a->tls.insecure == b->tls.insecure &&
	       str_equal(a->status_topic, b->status_topic);
}

/* What turns @clock's readings into CLOCK_REALTIME, the pipeline's clock. */
static int64_t realtime_offset(clockid_t clock)
{
	if (clock == CLOCK_REALTIME)
		return 0;
	return (int64_t)(gwiod_clock_ns(CLOCK_REALTIME) - gwiod_clock_ns(clock));
}

/* Pipeline point i is binding i; the publisher knows it that way too. */
static struct gwiod_pipeline *pipeline_build(const struct gwiod_config *cfg,
					     struct gwiod_publisher *publisher)
{
	struct gwiod_sink sink = gwiod_publisher_sink(publisher);
	struct gwiod_point_config *points;
	struct gwiod_pipeline *pipeline;
	char err[512];
	size_t i;

	points = calloc(cfg->binding_count, sizeof(*points));
	if (!points) {
		log_error("out of memory");
		return NULL;
	}
	for (i = 0; i < cfg->binding_count; i++)
		gwiod_config_point_config(cfg, i, &points[i]);
	pipeline = gwiod_pipeline_create(points, cfg->binding_count, &sink,
					 err, sizeof(err));
	if (!pipeline)
		log_error("%s: %s", cfg->path, err);
	free(points);
	return pipeline;
}

/*
 * Build @next from next->config, taking over what @prev (may be NULL) has
 * open and @next wants too: the same rings, and the broker connection if
 * its settings did not change.  What is taken is set to NULL in @prev.
 * On failure @prev is untouched and @next holds nothing but its config.
 */
static int setup_build(struct setup *next, struct setup *prev)
{
	const struct gwiod_config *cfg = next->config;
	bool *taken = NULL;
	char err[512];
	size_t i, j;

	next->sources = calloc(cfg->source_count, sizeof(*next->sources));
	if (prev)
		taken = calloc(prev->source_count + 1, sizeof(*taken));
	if (!next->sources || (prev && !taken)) {
		log_error("out of memory");
		goto fail;
	}
	next->source_count = cfg->source_count;

	for (i = 0; i < cfg->source_count; i++) {
		const struct gwiod_config_source *sc = &cfg->sources[i];

		for (j = 0; prev && j < prev->source_count; j++) {
			if (!taken[j] && prev->sources[j] &&
			    gwiod_source_same(prev->sources[j], sc)) {
				taken[j] = true;
				next->sources[i] = prev->sources[j];
				break;
			}
		}
		if (!next->sources[i]) {
			next->sources[i] = gwiod_source_open(sc, err, sizeof(err));
			if (!next->sources[i]) {
				log_error("%s:%u:%u: %s", cfg->path, sc->line,
					  sc->column, err);
				goto fail;
			}
		}
		if (!next->sources[i]->ts_offset_ns)
			next->sources[i]->ts_offset_ns =
				realtime_offset(next->sources[i]->clock_id);
		log_info("source %s: %s, clock %d, %s", sc->name,
			 next->sources[i]->ops->type_name,
			 (int)next->sources[i]->clock_id,
			 next->sources[i]->fd < 0 ? "drained by tick" :
			 "drained when readable");
		if (next->sources[i]->fd < 0)
			next->tick_driven = true;
	}

	if (prev && prev->mqtt && broker_equal(&prev->config->broker,
					       &cfg->broker)) {
		next->mqtt = prev->mqtt;
	} else {
		next->mqtt = gwiod_mqtt_create(&cfg->broker, err, sizeof(err));
		if (!next->mqtt) {
			log_error("%s: broker: %s", cfg->path, err);
			goto fail;
		}
	}
	next->publisher = gwiod_publisher_create(cfg, next->mqtt);
	if (!next->publisher) {
		log_error("out of memory");
		goto fail;
	}
	next->pipeline = pipeline_build(cfg, next->publisher);
	if (!next->pipeline)
		goto fail;

	/* commit: hand over what was taken */
	for (j = 0; prev && j < prev->source_count; j++)
		if (taken[j])
			prev->sources[j] = NULL;
	if (prev && next->mqtt == prev->mqtt)
		prev->mqtt = NULL;
	for (i = 0; i < next->source_count; i++)
		next->sources[i]->device = cfg->sources[i].device_index;
	free(taken);
	return 0;

fail:
	gwiod_publisher_destroy(next->publisher);
	next->publisher = NULL;
	if (next->mqtt && (!prev || next->mqtt != prev->mqtt))
		gwiod_mqtt_destroy(next->mqtt);
	next->mqtt = NULL;
	for (i = 0; next->sources && i < next->source_count; i++) {
		bool borrowed = false;

		for (j = 0; prev && j < prev->source_count; j++)
			borrowed |= next->sources[i] == prev->sources[j];
		if (!borrowed)
			gwiod_source_close(next->sources[i]);
	}
	free(next->sources);
	next->sources = NULL;
	next->source_count = 0;
	free(taken);
	return -1;
}

/* Frees what @s still owns; the pipeline must have been drained. */
static void setup_destroy(struct setup *s)
{
	size_t i;

	gwiod_pipeline_destroy(s->pipeline);
	gwiod_publisher_destroy(s->publisher);
	for (i = 0; i < s->source_count; i++)
		gwiod_source_close(s->sources[i]);
	free(s->sources);
	gwiod_mqtt_destroy(s->mqtt);
	gwiod_config_free(s->config);
	memset(s, 0, sizeof(*s));
}

/* "1 source, 2 points, 3 routes" for the log */
static const char *config_counts(const struct gwiod_config *cfg, char *buf,
				 size_t size)
{
	snprintf(buf, size, "%zu source%s, %zu point%s, %zu route%s",
		 cfg->source_count, gwiod_plural(cfg->source_count),
		 cfg->point_count, gwiod_plural(cfg->point_count),
		 cfg->route_count, gwiod_plural(cfg->route_count));
	return buf;
}

/* ------------------------------------------------------------- loop */

/*
 * CLOCK_REALTIME minus a ring's clock changes only when someone sets the
 * time (NTP slews both clocks alike): a step.  Everything read before it
 * goes out with the old offset; windows then start afresh, since samples
 * stepped back in time would otherwise all be late and dropped.
 */
#define CLOCK_STEP_NS	1000000

static void publish_everything(struct daemon *d);

static void follow_clock_steps(struct daemon *d)
{
	struct gwiod_pipeline *fresh;
	bool stepped = false;
	int64_t offset, delta;
	size_t i;

	for (i = 0; i < d->run.source_count; i++) {
		offset = realtime_offset(d->run.sources[i]->clock_id);
		delta = offset - d->run.sources[i]->ts_offset_ns;
		if (delta > CLOCK_STEP_NS || delta < -CLOCK_STEP_NS)
			stepped = true;
	}
	if (!stepped)
		return;
	publish_everything(d);
	for (i = 0; i < d->run.source_count; i++) {
		struct gwiod_source *src = d->run.sources[i];

		offset = realtime_offset(src->clock_id);
		log_notice("source %s: the clock stepped by %+.3f s; windows start afresh",
			   src->name, (double)(offset - src->ts_offset_ns) / 1e9);
		src->ts_offset_ns = offset;
	}
	fresh = pipeline_build(d->run.config, d->run.publisher);
	if (!fresh)
		return;	/* keep the old one: late samples are counted */
	gwiod_pipeline_destroy(d->run.pipeline);
	d->run.pipeline = fresh;
}

/*
 * Backpressure: while the broker connection holds half its queue limit,
 * samples stay in the rings (which were sized for this) instead of
 * becoming messages that would be refused.
 */
static bool congested(struct daemon *d)
{
	return gwiod_mqtt_congested(d->run.mqtt);
}

static void drain_source(struct daemon *d, size_t index)
{
	struct gwiod_source *src = d->run.sources[index];
	size_t moved = 0;
	long n;

	while (moved < DRAIN_BUDGET && !congested(d)) {
		n = src->ops->drain(src, d->run.pipeline, DRAIN_CHUNK);
		if (n < 0) {
			d->source_errors++;
			log_error("source %s: %s", src->name, strerror(errno));
			return;
		}
		moved += (size_t)n;
		if (n < DRAIN_CHUNK)
			break;
	}
	if (moved)
		d->last_sample_ms = gwiod_monotonic_ms();
}

static void drain_all(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->run.source_count; i++)
		drain_source(d, i);
}

static int epoll_set(struct daemon *d, int op, int fd, uint32_t events,
		     uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(d->epfd, op, fd, &ev);
}

/*
 * The broker socket changes with every connection attempt, and a closed
 * socket leaves epoll by itself: register each new one once.
 */
static void watch_mqtt(struct daemon *d)
{
	struct gwiod_mqtt *mqtt = d->run.mqtt;
	uint64_t generation = gwiod_mqtt_socket_generation(mqtt);
	int fd = gwiod_mqtt_fd(mqtt);
	uint32_t events = EPOLLIN | (gwiod_mqtt_want_write(mqtt) ? EPOLLOUT : 0);
	int op = EPOLL_CTL_MOD;

	if (generation != d->mqtt_generation) {
		/*
		 * No EPOLL_CTL_DEL of the old number: that socket is closed
		 * (so epoll dropped it) and the number may be a ring's now.
		 */
		d->mqtt_generation = generation;
		d->mqtt_fd = -1;
		op = EPOLL_CTL_ADD;
	} else if (fd != d->mqtt_fd) {
		op = EPOLL_CTL_ADD;	/* the socket of this attempt came later */
	} else if (events == d->mqtt_events) {
		return;
	}
	if (fd < 0)
		return;
	if (epoll_set(d, op, fd, events, TAG(TAG_MQTT, 0)) < 0 &&
	    epoll_set(d, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
		      fd, events, TAG(TAG_MQTT, 0)) < 0) {
		log_error("epoll: broker socket: %s", strerror(errno));
		return;
	}
	d->mqtt_fd = fd;
	d->mqtt_events = events;
}

static int watch_sources(struct daemon *d, const struct setup *old)
{
	size_t i;

	for (i = 0; old && i < old->source_count; i++)
		if (old->sources[i] && old->sources[i]->fd >= 0)
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, old->sources[i]->fd,
				  NULL);
	for (i = 0; i < d->run.source_count; i++) {
		int fd = d->run.sources[i]->fd;

		if (fd < 0)
			continue;
		if (epoll_set(d, EPOLL_CTL_ADD, fd, EPOLLIN,
			      TAG(TAG_SOURCE, i)) < 0 &&
		    (errno != EEXIST || epoll_set(d, EPOLL_CTL_MOD, fd, EPOLLIN,
						  TAG(TAG_SOURCE, i)) < 0)) {
			log_error("epoll: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Level-triggered ring fds would spin while we do not read them. */
static void follow_backpressure(struct daemon *d)
{
	bool pause = congested(d);
	size_t i;

	if (pause == d->paused)
		return;
	d->paused = pause;
	d->pauses += pause;
	for (i = 0; i < d->run.source_count; i++) {
		int fd = d->run.sources[i]->fd;

		if (fd >= 0)
			epoll_set(d, EPOLL_CTL_MOD, fd, pause ? 0 : EPOLLIN,
				  TAG(TAG_SOURCE, i));
	}
	log_debug("broker backlog %s: %s reading the sources",
		  pause ? "high" : "down", pause ? "pausing" : "resuming");
	if (!pause)
		drain_all(d);
}

static int arm_tick(struct daemon *d)
{
	long ms = d->run.tick_driven ? TICK_FAST_MS : TICK_SLOW_MS;
	struct itimerspec its = {
		.it_interval = { .tv_nsec = ms * 1000000 },
		.it_value = { .tv_nsec = ms * 1000000 },
	};

	return timerfd_settime(d->timerfd, 0, &its, NULL);
}

static void publish_health(struct daemon *d, uint64_t now_ms)
{
	struct gwiod_mqtt_stats ms;
	struct gwiod_publisher_stats ps;
	struct gwiod_point_stats pt, sum = { 0 };
	const struct gwiod_config *cfg = d->run.config;
	size_t i, n = gwiod_pipeline_point_count(d->run.pipeline);
	char topic[GWIOD_CONFIG_MAX_NAME * 4];
	char buf[8192];
	int len;

	for (i = 0; i < n; i++) {
		gwiod_pipeline_point_stats(d->run.pipeline, (uint32_t)i, &pt);
		sum.samples += pt.samples;
		sum.nonfinite += pt.nonfinite;
		sum.filtered += pt.filtered;
		sum.late += pt.late;
		sum.events += pt.events;
		sum.event_errors += pt.event_errors;
	}
	gwiod_mqtt_get_stats(d->run.mqtt, &ms);
	gwiod_publisher_get_stats(d->run.publisher, &ps);
	len = snprintf(buf, sizeof(buf),
		       "{\"uptime_s\":%" PRIu64 ",\"broker\":\"%s\""
		       ",\"published\":%" PRIu64 ",\"acked\":%" PRIu64
		       ",\"written\":%" PRIu64
		       ",\"queued\":%" PRIu64 ",\"unsent\":%" PRIu64
		       ",\"refused\":%" PRIu64 ",\"lost_unsent\":%" PRIu64
		       ",\"backpressure_pauses\":%" PRIu64
		       ",\"connects\":%" PRIu64 ",\"disconnects\":%" PRIu64
		       ",\"reloads\":%" PRIu64 ",\"reload_failures\":%" PRIu64
		       ",\"points\":{\"samples\":%" PRIu64
		       ",\"unmapped\":%" PRIu64 ",\"filtered\":%" PRIu64
		       ",\"late\":%" PRIu64 ",\"nonfinite\":%" PRIu64
		       ",\"events\":%" PRIu64 ",\"event_errors\":%" PRIu64 "}"
		       ",\"sources\":{",
		       (now_ms - d->started_ms) / 1000,
		       gwiod_mqtt_state_name(gwiod_mqtt_state(d->run.mqtt)),
		       ms.published, ms.acked, ms.written, ms.queued, ms.unsent,
		       ms.refused_full + ms.refused_offline + ms.failed,
		       ms.lost_unsent, d->pauses,
		       ms.connects, ms.disconnects, d->reloads,
		       d->reload_failures, sum.samples,
		       gwiod_pipeline_unmapped(d->run.pipeline), sum.filtered,
		       sum.late, sum.nonfinite, sum.events, sum.event_errors);
	for (i = 0; i < d->run.source_count && len > 0 &&
		    (size_t)len < sizeof(buf); i++) {
		struct gwiod_source *src = d->run.sources[i];

		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
				"%s\"%s\":{\"samples\":%" PRIu64,
				i ? "," : "", src->name, src->samples);
		if ((size_t)len >= sizeof(buf))
			break;
		len += src->ops->health(src, buf + len,
					sizeof(buf) - (size_t)len);
		if ((size_t)len >= sizeof(buf))
			break;
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "}");
	}
	if (len > 0 && (size_t)len < sizeof(buf))
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "}}");
	if (len < 0 || (size_t)len >= sizeof(buf)) {
		log_warn("health message too long, not published");
		return;
	}
	log_debug("health: %s", buf);
	/* a QoS 0 message while offline would only count as refused */
	if (gwiod_mqtt_state(d->run.mqtt) != GWIOD_MQTT_CONNECTED)
		return;
	snprintf(topic, sizeof(topic), "%s/health", cfg->broker.status_topic);
	gwiod_mqtt_publish(d->run.mqtt, topic, buf, (size_t)len, 0, false);
}

/* Dropped messages are worth a line in the log, but not one each. */
static void report_refusals(struct daemon *d)
{
	struct gwiod_mqtt_stats ms;
	uint64_t full, offline, failed;

	gwiod_mqtt_get_stats(d->run.mqtt, &ms);
	full = ms.refused_full - d->reported.refused_full;
	offline = ms.refused_offline - d->reported.refused_offline;
	failed = ms.failed - d->reported.failed;
	if (full || offline || failed)
		log_warn("mqtt: messages dropped since the last report: %llu for a full queue, %llu QoS 0 while disconnected, %llu refused by libmosquitto",
			 (unsigned long long)full, (unsigned long long)offline,
			 (unsigned long long)failed);
	d->reported = ms;
}

static void on_tick(struct daemon *d)
{
	uint64_t now_ms = gwiod_monotonic_ms();

	follow_clock_steps(d);
	drain_all(d);
	gwiod_pipeline_flush(d->run.pipeline,
			     gwiod_clock_ns(CLOCK_REALTIME) - CLOSE_GRACE_NS);
	gwiod_mqtt_tick(d->run.mqtt, now_ms);
	/* held back by the broker is not idle */
	if (d->exit_idle_ms && !congested(d) && now_ms > d->last_sample_ms &&
	    now_ms - d->last_sample_ms >= d->exit_idle_ms) {
		log_notice("no samples for %llu ms: exiting",
			   (unsigned long long)d->exit_idle_ms);
		d->stopping = true;
	}
	if (now_ms >= d->next_health_ms) {
		report_refusals(d);
		publish_health(d, now_ms);
		d->next_health_ms = now_ms +
			d->run.config->broker.health_interval_ns / 1000000u;
	}
}

/* Everything read so far goes out through the pipeline that has it. */
static void publish_everything(struct daemon *d)
{
	drain_all(d);
	gwiod_pipeline_drain(d->run.pipeline);
}

static void reload(struct daemon *d)
{
	struct gwiod_config_error cerr;
	struct setup next = { 0 };
	struct setup old;
	char msg[2048], counts[128];
	int ret;

	sd_notify_state("RELOADING=1");
	log_notice("reloading %s", d->path);
	ret = gwiod_config_load(d->path, &next.config, &cerr);
	if (ret < 0) {
		gwiod_config_error_format(&cerr, msg, sizeof(msg));
		log_error("%s; keeping the running configuration", msg);
		d->reload_failures++;
		sd_notify_state("READY=1");
		return;
	}
	log_config_warnings(next.config);
	/* the old pipeline must see every record the rings handed out */
	publish_everything(d);
	if (setup_build(&next, &d->run) < 0) {
		log_error("reload failed; keeping the running configuration");
		gwiod_config_free(next.config);
		d->reload_failures++;
		sd_notify_state("READY=1");
		return;
	}
	old = d->run;
	d->run = next;
	if (old.mqtt) {
		/* a new broker connection: finish the old one cleanly */
		gwiod_mqtt_finish(old.mqtt, GWIOD_EXIT_FLUSH_MS);
		memset(&d->reported, 0, sizeof(d->reported));
	}
	if (watch_sources(d, &old) < 0)
		d->stopping = true;
	d->paused = false;	/* the fds are watched again: look anew */
	setup_destroy(&old);
	arm_tick(d);
	d->reloads++;
	log_notice("reloaded %s: %s", d->path,
		   config_counts(d->run.config, counts, sizeof(counts)));
	sd_notify_state("READY=1");
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("signal %d: flushing and exiting",
				   (int)si.ssi_signo);
			d->stopping = true;
			break;
		}
	}
}

static void dispatch(struct daemon *d, const struct epoll_event *ev)
{
	uint32_t kind = (uint32_t)(ev->data.u64 >> 32);
	uint32_t index = (uint32_t)ev->data.u64;
	uint64_t expirations;

	switch (kind) {
	case TAG_SIGNAL:
		on_signal(d);
		break;
	case TAG_TIMER:
		if (read(d->timerfd, &expirations, sizeof(expirations)) > 0)
			on_tick(d);
		break;
	case TAG_MQTT:
		gwiod_mqtt_handle(d->run.mqtt,
				  ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR),
				  ev->events & EPOLLOUT);
		break;
	case TAG_SOURCE:
		if (index < d->run.source_count)
			drain_source(d, index);
		break;
	}
}

static int open_loop(struct daemon *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	/* a broker that resets the connection must not kill us */
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0)
		return -1;
	if (epoll_set(d, EPOLL_CTL_ADD, d->sigfd, EPOLLIN,
		      TAG(TAG_SIGNAL, 0)) < 0 ||
	    epoll_set(d, EPOLL_CTL_ADD, d->timerfd, EPOLLIN,
		      TAG(TAG_TIMER, 0)) < 0)
		return -1;
	return 0;
}

static void close_loop(struct daemon *d)
{
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

/*
 * What an operator (or a benchmark) wants to know at the end.  Every
 * message gwiod made is in exactly one of: delivered, unacknowledged at
 * exit, refused (never handed to libmosquitto) or lost unsent (QoS 0
 * handed over, then dropped with the connection).  "Published" is only
 * "handed to libmosquitto", which says nothing about the broker: the
 * line says so, so that 17 published with the broker down is not read
 * as 17 sent.  The benchmarks read "N messages published" and "X s from".
 */
static void log_summary(struct daemon *d)
{
	struct gwiod_mqtt_stats ms;
	uint64_t samples = 0, refused, made;
	double span = 0;
	size_t i;

	for (i = 0; i < d->run.source_count; i++)
		samples += d->run.sources[i]->samples;
	gwiod_mqtt_get_stats(d->run.mqtt, &ms);
	if (ms.first_publish_ns && ms.last_done_ns > ms.first_publish_ns)
		span = (double)(ms.last_done_ns - ms.first_publish_ns) / 1e9;
	refused = ms.refused_full + ms.refused_offline + ms.failed;
	made = ms.published + refused;
	log_notice("summary: %llu sample%s read; of %llu message%s, %llu delivered "
		   "(%llu acknowledged by the broker at QoS 1/2, %llu written "
		   "to the socket at QoS 0), %llu unacknowledged at exit, "
		   "%llu refused, %llu lost unsent; %llu message%s published "
		   "(handed to libmosquitto: all but the refused); "
		   "%.6f s from the first message to the last one delivered",
		   (unsigned long long)samples, gwiod_plural(samples),
		   (unsigned long long)made, gwiod_plural(made),
		   (unsigned long long)(ms.acked + ms.written),
		   (unsigned long long)ms.acked,
		   (unsigned long long)ms.written,
		   (unsigned long long)ms.queued,
		   (unsigned long long)refused,
		   (unsigned long long)(ms.lost_unsent + ms.unsent),
		   (unsigned long long)ms.published,
		   gwiod_plural(ms.published), span);
}

int gwiod_daemon_run(const char *path, struct gwiod_config *config,
		     const struct gwiod_daemon_options *options)
{
	struct daemon d = {
		.path = path, .epfd = -1, .sigfd = -1, .timerfd = -1,
		.mqtt_fd = -1,
	};
	struct epoll_event events[16];
	char counts[128];
	uint64_t lost;
	int i, n, status = 0;

	d.run.config = config;
	if (options)
		d.exit_idle_ms = options->exit_idle_ns / 1000000u;
	log_config_warnings(config);
	if (open_loop(&d) < 0) {
		log_error("setting up the event loop: %s", strerror(errno));
		gwiod_config_free(config);
		close_loop(&d);
		return 1;
	}
	if (setup_build(&d.run, NULL) < 0 || watch_sources(&d, NULL) < 0 ||
	    arm_tick(&d) < 0) {
		setup_destroy(&d.run);
		close_loop(&d);
		return 1;
	}
	d.started_ms = gwiod_monotonic_ms();
	d.next_health_ms = d.started_ms;
	d.last_sample_ms = d.started_ms;
	log_notice("started: %s; broker %s:%u",
		   config_counts(config, counts, sizeof(counts)),
		   config->broker.host, (unsigned int)config->broker.port);
	gwiod_mqtt_tick(d.run.mqtt, gwiod_monotonic_ms());
	sd_notify_state("READY=1");

	while (!d.stopping) {
		follow_backpressure(&d);
		watch_mqtt(&d);
		n = epoll_wait(d.epfd, events, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			status = 1;
			break;
		}
		for (i = 0; i < n && !d.stopping; i++)
			dispatch(&d, &events[i]);
	}

	sd_notify_state("STOPPING=1");
	publish_everything(&d);
	lost = gwiod_mqtt_finish(d.run.mqtt, GWIOD_EXIT_FLUSH_MS);
	if (lost)
		status = 1;
	log_summary(&d);
	setup_destroy(&d.run);
	close_loop(&d);
	log_notice("stopped");
	return status;
}
