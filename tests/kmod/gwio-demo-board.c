// SPDX-License-Identifier: GPL-2.0
/*
 * gwio-demo-board: the board `make demo` shows, described with software
 * nodes the way a device tree would describe a real gateway's I/O, on the
 * simulated hardware of gwio-test-gpio and gwio-test-spi:
 *
 *	"plant-io"   gwio,io      channel@0 "door"  line 0, both edges, debounced
 *	                          channel@1 "flow"  line 1, rising edges (pulses)
 *	"plant-adc"  MCP3008 cs0  channel@0 "temp"  input 0
 *	                          channel@1 "level" input 1
 *
 * What the lines and inputs carry is set by the demo script (debugfs of
 * the two simulators), not here: this file is only the wiring.  Test-only,
 * like the rest of tests/kmod.
 */

#include <linux/gpio/machine.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/spi/spi.h>

#include "gwio-test.h"

static unsigned int adc_period_us = 100000;
module_param(adc_period_us, uint, 0444);
MODULE_PARM_DESC(adc_period_us, "sample period of plant-adc (default 100000)");

static const struct property_entry io_props[] = {
	PROPERTY_ENTRY_STRING("label", "plant-io"),
	{ }
};

static const struct software_node io_node = {
	.name = "plant-io",
	.properties = io_props,
};

static const struct property_entry door_props[] = {
	PROPERTY_ENTRY_U32("reg", 0),
	PROPERTY_ENTRY_STRING("label", "door"),
	PROPERTY_ENTRY_STRING("gwio,type", "gpio-edge"),
	PROPERTY_ENTRY_STRING("gwio,edge", "both"),
	PROPERTY_ENTRY_U32("gwio,debounce-us", 2000),
	PROPERTY_ENTRY_REF("gpios", &gwio_test_gpio_swnode, 0, 0),
	{ }
};

static const struct property_entry flow_props[] = {
	PROPERTY_ENTRY_U32("reg", 1),
	PROPERTY_ENTRY_STRING("label", "flow"),
	PROPERTY_ENTRY_STRING("gwio,type", "gpio-edge"),
	PROPERTY_ENTRY_STRING("gwio,edge", "rising"),
	PROPERTY_ENTRY_REF("gpios", &gwio_test_gpio_swnode, 1, 0),
	{ }
};

/* not const: the period comes from the module parameter */
static struct property_entry adc_props[] = {
	PROPERTY_ENTRY_STRING("label", "plant-adc"),
	PROPERTY_ENTRY_U32("gwio,period-us", 100000),
	{ }
};

static const struct software_node adc_node = {
	.name = "plant-adc",
	.properties = adc_props,
};

static const struct property_entry temp_props[] = {
	PROPERTY_ENTRY_U32("reg", 0),
	PROPERTY_ENTRY_STRING("label", "temp"),
	PROPERTY_ENTRY_U32("gwio,input", 0),
	{ }
};

static const struct property_entry level_props[] = {
	PROPERTY_ENTRY_U32("reg", 1),
	PROPERTY_ENTRY_STRING("label", "level"),
	PROPERTY_ENTRY_U32("gwio,input", 1),
	{ }
};

static const struct software_node child_nodes[] = {
	{ .name = "channel@0", .parent = &io_node, .properties = door_props },
	{ .name = "channel@1", .parent = &io_node, .properties = flow_props },
	{ .name = "channel@0", .parent = &adc_node, .properties = temp_props },
	{ .name = "channel@1", .parent = &adc_node, .properties = level_props },
};

static const struct software_node *node_group[] = {
	&io_node, &adc_node,
	&child_nodes[0], &child_nodes[1], &child_nodes[2], &child_nodes[3],
	NULL
};

/*
 * 6.1 cannot follow software-node GPIO references: kmod/gpio_edge.c's
 * fallback.  Instance 1 of "gwio-io" (the driver binds by name), so that
 * gwio-test-board's instance (none) can be loaded beside it.
 */
#define DEMO_IO_ID	1

static struct gpiod_lookup_table io_gpios = {
	.dev_id = "gwio-io.1",
	.table = {
		GPIO_LOOKUP("gwio-test-gpio", 0, "door", GPIO_ACTIVE_HIGH),
		GPIO_LOOKUP("gwio-test-gpio", 1, "flow", GPIO_ACTIVE_HIGH),
		{ }
	},
};

static struct platform_device *io_pdev;
static struct spi_device *adc_spi;

static int __init gwio_demo_board_init(void)
{
	struct platform_device_info io_info = {
		.name = "gwio-io",
		.id = DEMO_IO_ID,
	};
	struct spi_board_info adc_info = {
		.modalias = "mcp3008",	/* "gwio,mcp3008" in DT */
		.max_speed_hz = 1000000,
		.chip_select = 0,
		.mode = SPI_MODE_0,
		.swnode = &adc_node,
	};
	struct spi_controller *ctlr = gwio_test_spi_controller();
	int ret;

	if (!ctlr)
		return -ENODEV;
	adc_props[1] = PROPERTY_ENTRY_U32("gwio,period-us", adc_period_us);
	ret = software_node_register_node_group(node_group);
	if (ret)
		return ret;
	gpiod_add_lookup_table(&io_gpios);
	io_info.fwnode = software_node_fwnode(&io_node);
	io_pdev = platform_device_register_full(&io_info);
	if (IS_ERR(io_pdev)) {
		ret = PTR_ERR(io_pdev);
		goto err_nodes;
	}
	adc_spi = spi_new_device(ctlr, &adc_info);
	if (!adc_spi) {
		ret = -ENODEV;
		goto err_io;
	}
	return 0;

err_io:
	platform_device_unregister(io_pdev);
err_nodes:
	gpiod_remove_lookup_table(&io_gpios);
	software_node_unregister_node_group(node_group);
	gwio_test_swnodes_settle();
	return ret;
}

static void __exit gwio_demo_board_exit(void)
{
	spi_unregister_device(adc_spi);
	platform_device_unregister(io_pdev);
	gpiod_remove_lookup_table(&io_gpios);
	software_node_unregister_node_group(node_group);
	gwio_test_swnodes_settle();
}

module_init(gwio_demo_board_init);
module_exit(gwio_demo_board_exit);

MODULE_DESCRIPTION("gwio test-only board for make demo: door, flow meter, temperature, level");
MODULE_AUTHOR("The gwio developers");
MODULE_LICENSE("GPL");
