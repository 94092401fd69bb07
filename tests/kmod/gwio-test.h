/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What test modules need from the simulated hardware of tests/kmod/
 * (gwio-test-gpio, gwio-test-spi).  Test-only: nothing in gwio.ko uses it.
 */
#ifndef GWIO_TEST_H
#define GWIO_TEST_H

#include <linux/property.h>

struct spi_controller;

/*
 * The GPIO chip's node: reference its lines from a consumer's software node
 * with PROPERTY_ENTRY_REF("name-gpios", &gwio_test_gpio_swnode, LINE, FLAGS).
 * Also findable without linking: software_node_find_by_name(NULL,
 * "gwio-test-gpio").
 */
extern const struct software_node gwio_test_gpio_swnode;

/* The SPI host's node, software_node_find_by_name(NULL, "gwio-test-spi"). */
extern const struct software_node gwio_test_spi_swnode;

struct spi_controller *gwio_test_spi_controller(void);

#endif /* GWIO_TEST_H */
