/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The gwiod daemon: one thread, one epoll loop over the sources' fds, the
 * broker socket, a tick timer and a signalfd.
 *
 *   SIGHUP          reload the config file: a bad file is logged and
 *                   ignored; a good one replaces the running setup after
 *                   everything open was published, and rings that stay
 *                   keep their position, so no sample is lost or repeated
 *   SIGTERM/SIGINT  drain the sources, publish every open window and
 *                   batch, wait for the broker's acknowledgements, say
 *                   "offline", exit 0
 */
#ifndef GWIOD_DAEMON_H
#define GWIOD_DAEMON_H

#include <stdint.h>

#include "config.h"

/* How long a clean exit waits for the broker's acknowledgements. */
#define GWIOD_EXIT_FLUSH_MS	5000

struct gwiod_daemon_options {
	/*
	 * Non-zero: stop as on SIGTERM once no source has delivered a
	 * sample for this long, e.g. at the end of a replayed capture.
	 */
	uint64_t exit_idle_ns;
};

/*
 * Run with @config (taken over: the daemon frees it) loaded from @path,
 * which SIGHUP reads again.  @options may be NULL.  Returns the process
 * exit status.
 */
int gwiod_daemon_run(const char *path, struct gwiod_config *config,
		     const struct gwiod_daemon_options *options);

#endif /* GWIOD_DAEMON_H */
