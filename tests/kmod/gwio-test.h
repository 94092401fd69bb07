/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What test modules need from the simulated hardware of tests/kmod/
 * (gwio-test-gpio, gwio-test-spi).  Test-only: nothing in gwio.ko uses it.
 */
#ifndef GWIO_TEST_H
#define GWIO_TEST_H

#include <linux/delay.h>
#include <linux/kconfig.h>
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

/*
 * After unregistering software nodes (module exit, or an init that fails
 * after registering them).  CONFIG_DEBUG_KOBJECT_RELEASE delays a node's
 * release by up to 4 s, and until then it stays on the kernel's list of
 * software nodes, pointing at this module's static node: a module loaded
 * meanwhile (this one again, at the same address) collides with it, with
 * a duplicate sysfs name or a refcount underflow in the core's unwinding.
 * The debug kernel's suites reload these modules quickly; outlive it.
 */
static inline void gwio_test_swnodes_settle(void)
{
	if (IS_ENABLED(CONFIG_DEBUG_KOBJECT_RELEASE))
		msleep(5000);
}

#endif /* GWIO_TEST_H */
