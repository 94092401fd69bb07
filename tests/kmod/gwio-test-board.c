// SPDX-License-Identifier: GPL-2.0
/*
 * gwio-test-board: test-only "board file" describing a gwio device the way
 * a device tree would, with software nodes, on lines of gwio-test-gpio:
 *
 *	channel@0 "both0"     line 0, both edges
 *	channel@1 "rise1"     line 1, rising
 *	channel@2 "fall2"     line 2, falling
 *	channel@3 "bounce3"   line 3, both edges, debounce_us (default 1000)
 *
 * rise1_active_low=1 makes line 1 active-low: "rising" is then the
 * line's logical edge, its physical falling one.
 *
 * 6.1's gpiolib cannot follow a GPIO reference from a software node, so
 * the same lines are also given in a lookup table keyed by channel label,
 * the fallback gwio.ko uses (kmod/gpio_edge.c).
 */

#include <linux/gpio/machine.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>

#include "gwio-test.h"

static unsigned int debounce_us = 1000;
module_param(debounce_us, uint, 0444);
MODULE_PARM_DESC(debounce_us, "debounce of channel bounce3 (default 1000)");

static bool rise1_active_low;
module_param(rise1_active_low, bool, 0444);
MODULE_PARM_DESC(rise1_active_low, "line 1 (rise1) is active-low (default 0)");

static const struct property_entry board_props[] = {
	PROPERTY_ENTRY_STRING("label", "testboard"),
	PROPERTY_ENTRY_U32("gwio,ring-records", 65536),
	{ }
};

static const struct software_node board_node = {
	.name = "gwio-test-board",
	.properties = board_props,
};

static const struct property_entry ch0_props[] = {
	PROPERTY_ENTRY_U32("reg", 0),
	PROPERTY_ENTRY_STRING("label", "both0"),
	PROPERTY_ENTRY_STRING("gwio,type", "gpio-edge"),
	PROPERTY_ENTRY_STRING("gwio,edge", "both"),
	PROPERTY_ENTRY_REF("gpios", &gwio_test_gpio_swnode, 0, 0),
	{ }
};

static const struct property_entry ch1_props[] = {
	PROPERTY_ENTRY_U32("reg", 1),
	PROPERTY_ENTRY_STRING("label", "rise1"),
	PROPERTY_ENTRY_STRING("gwio,type", "gpio-edge"),
	PROPERTY_ENTRY_STRING("gwio,edge", "rising"),
	PROPERTY_ENTRY_REF("gpios", &gwio_test_gpio_swnode, 1, 0),
	{ }
};

static const struct property_entry ch1_active_low_props[] = {
	PROPERTY_ENTRY_U32("reg", 1),
	PROPERTY_ENTRY_STRING("label", "rise1"),
	PROPERTY_ENTRY_STRING("gwio,type", "gpio-edge"),
	PROPERTY_ENTRY_STRING("gwio,edge", "rising"),
	PROPERTY_ENTRY_REF("gpios", &gwio_test_gpio_swnode, 1, GPIO_ACTIVE_LOW),
	{ }
};

static const struct property_entry ch2_props[] = {
	PROPERTY_ENTRY_U32("reg", 2),
	PROPERTY_ENTRY_STRING("label", "fall2"),
	PROPERTY_ENTRY_STRING("gwio,type", "gpio-edge"),
	PROPERTY_ENTRY_STRING("gwio,edge", "falling"),
	PROPERTY_ENTRY_REF("gpios", &gwio_test_gpio_swnode, 2, 0),
	{ }
};

/* not const: the debounce comes from the module parameter */
static struct property_entry ch3_props[] = {
	PROPERTY_ENTRY_U32("reg", 3),
	PROPERTY_ENTRY_STRING("label", "bounce3"),
	PROPERTY_ENTRY_STRING("gwio,type", "gpio-edge"),
	PROPERTY_ENTRY_STRING("gwio,edge", "both"),
	PROPERTY_ENTRY_REF("gpios", &gwio_test_gpio_swnode, 3, 0),
	PROPERTY_ENTRY_U32("gwio,debounce-us", 1000),
	{ }
};

/* not const: channel@1's properties follow rise1_active_low */
static struct software_node ch_nodes[] = {
	{ .name = "channel@0", .parent = &board_node, .properties = ch0_props },
	{ .name = "channel@1", .parent = &board_node, .properties = ch1_props },
	{ .name = "channel@2", .parent = &board_node, .properties = ch2_props },
	{ .name = "channel@3", .parent = &board_node, .properties = ch3_props },
};

static const struct software_node *node_group[] = {
	&board_node, &ch_nodes[0], &ch_nodes[1], &ch_nodes[2], &ch_nodes[3],
	NULL
};

static struct gpiod_lookup_table board_gpios = {
	.dev_id = "gwio-io",
	.table = {
		GPIO_LOOKUP("gwio-test-gpio", 0, "both0", GPIO_ACTIVE_HIGH),
		GPIO_LOOKUP("gwio-test-gpio", 1, "rise1", GPIO_ACTIVE_HIGH),
		GPIO_LOOKUP("gwio-test-gpio", 2, "fall2", GPIO_ACTIVE_HIGH),
		GPIO_LOOKUP("gwio-test-gpio", 3, "bounce3", GPIO_ACTIVE_HIGH),
		{ }
	},
};

static struct platform_device *board_pdev;

static int __init gwio_test_board_init(void)
{
	struct platform_device_info info = {
		.name = "gwio-io",
		.id = PLATFORM_DEVID_NONE,
	};
	int ret;

	/* the last entry before the terminator is gwio,debounce-us */
	ch3_props[ARRAY_SIZE(ch3_props) - 2] =
		PROPERTY_ENTRY_U32("gwio,debounce-us", debounce_us);
	if (rise1_active_low) {
		ch_nodes[1].properties = ch1_active_low_props;
		board_gpios.table[1].flags = GPIO_ACTIVE_LOW;
	}
	ret = software_node_register_node_group(node_group);
	if (ret)
		return ret;
	gpiod_add_lookup_table(&board_gpios);
	info.fwnode = software_node_fwnode(&board_node);
	board_pdev = platform_device_register_full(&info);
	if (IS_ERR(board_pdev)) {
		ret = PTR_ERR(board_pdev);
		gpiod_remove_lookup_table(&board_gpios);
		software_node_unregister_node_group(node_group);
		gwio_test_swnodes_settle();
		return ret;
	}
	return 0;
}

static void __exit gwio_test_board_exit(void)
{
	platform_device_unregister(board_pdev);
	gpiod_remove_lookup_table(&board_gpios);
	software_node_unregister_node_group(node_group);
	gwio_test_swnodes_settle();
}

module_init(gwio_test_board_init);
module_exit(gwio_test_board_exit);

MODULE_DESCRIPTION("gwio test-only board: a gwio device on gwio-test-gpio lines");
MODULE_AUTHOR("The gwio developers");
MODULE_LICENSE("GPL");
