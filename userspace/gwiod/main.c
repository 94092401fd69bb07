// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * gwiod: gwio samples to MQTT.  Command line only; daemon.c does the work.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

#define DEFAULT_CONFIG	"/etc/gwiod/gwiod.yaml"
#define GWIOD_VERSION	"0.1.0"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: gwiod [OPTION]...\n"
		"Publish gwio samples to an MQTT broker (docs/gwiod.md).\n\n"
		"  -c, --config=FILE        configuration (default " DEFAULT_CONFIG ")\n"
		"      --check-config[=FILE] validate the configuration and exit:\n"
		"                           0 valid, 1 invalid (errors name FILE:LINE:COL)\n"
		"      --exit-idle=DURATION exit (as on SIGTERM) once no sample came for\n"
		"                           DURATION, e.g. 2s: for replaying a capture\n"
		"  -l, --log-level=LEVEL    error, warn, notice, info (default), debug\n"
		"  -v, --verbose            same as --log-level=debug\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               this text\n\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT flush and exit.\n");
}

/* Loads and prints errors; NULL when the file is not usable. */
static struct gwiod_config *load(const char *path, bool quiet_ok)
{
	struct gwiod_config_error err;
	struct gwiod_config *config;
	char msg[2048];

	if (gwiod_config_load(path, &config, &err) < 0) {
		gwiod_config_error_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return NULL;
	}
	if (!quiet_ok) {
		for (size_t i = 0; i < config->warning_count; i++) {
			gwiod_config_warning_format(config, i, msg, sizeof(msg));
			fprintf(stderr, "%s\n", msg);
		}
	}
	return config;
}

static int check_config(const char *path)
{
	struct gwiod_config *config = load(path, false);

	if (!config)
		return 1;
	printf("%s: OK: %zu source%s, %zu point%s, %zu route%s, %zu published stream%s\n",
	       path, config->source_count, gwiod_plural(config->source_count),
	       config->point_count, gwiod_plural(config->point_count),
	       config->route_count, gwiod_plural(config->route_count),
	       config->binding_count, gwiod_plural(config->binding_count));
	gwiod_config_free(config);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 0x100, OPT_EXIT_IDLE };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", optional_argument, NULL, OPT_CHECK },
		{ "exit-idle", required_argument, NULL, OPT_EXIT_IDLE },
		{ "log-level", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = DEFAULT_CONFIG;
	struct gwiod_daemon_options options = { 0 };
	struct gwiod_config *config;
	const char *why;
	bool check = false;
	int opt, level, status;
	struct timespec ts;

	while ((opt = getopt_long(argc, argv, "c:l:vVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case OPT_CHECK:
			check = true;
			if (optarg)
				path = optarg;
			else if (optind < argc && argv[optind][0] != '-')
				path = argv[optind++];
			break;
		case OPT_EXIT_IDLE:
			if (gwiod_duration_parse(optarg, &options.exit_idle_ns,
						 &why) < 0) {
				fprintf(stderr, "gwiod: --exit-idle %s: %s\n",
					optarg, why);
				return 2;
			}
			break;
		case 'l':
			level = gwiod_log_parse_level(optarg);
			if (level < 0) {
				fprintf(stderr, "gwiod: unknown log level '%s'\n",
					optarg);
				return 2;
			}
			gwiod_log_set_level((enum gwiod_log_level)level);
			break;
		case 'v':
			gwiod_log_set_level(GWIOD_LOG_DEBUG);
			break;
		case 'V':
			printf("gwiod " GWIOD_VERSION "\n");
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gwiod: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (check)
		return check_config(path);

	/* Never start half-configured: a bad file stops us here. */
	config = load(path, true);
	if (!config)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	srandom((unsigned int)(ts.tv_nsec ^ getpid()));
	mosquitto_lib_init();
	status = gwiod_daemon_run(path, config, &options);
	mosquitto_lib_cleanup();
	return status;
}
