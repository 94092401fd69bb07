// SPDX-License-Identifier: GPL-2.0
/*
 * gwio-test-adcboard: test-only board file putting gwio SPI ADC devices on
 * the emulated bus of gwio-test-spi (the SPI core does not enumerate
 * software-node children, so a board adds them, as board files do):
 *
 *	cs0 "adc0"  an MCP3008, inputs 0..3 as channels a0..a3
 *	cs1 "adc1"  an MCP3208, inputs 5 and 7 as channels b5, b7,
 *	            a ring of 1024 records (gwio,ring-records)
 *
 * both sampled every period_us.  The modalias is what the SPI core makes
 * of a device-tree node's "gwio,mcp3008": the compatible after the comma.
 */

#include <linux/module.h>
#include <linux/property.h>
#include <linux/spi/spi.h>

#include "gwio-test.h"

static unsigned int period_us = 1000;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us, "sample period of both ADCs (default 1000)");

static struct property_entry adc0_props[] = {
	PROPERTY_ENTRY_STRING("label", "adc0"),
	PROPERTY_ENTRY_U32("gwio,period-us", 1000),
	{ }
};

static struct property_entry adc1_props[] = {
	PROPERTY_ENTRY_STRING("label", "adc1"),
	PROPERTY_ENTRY_U32("gwio,period-us", 1000),
	PROPERTY_ENTRY_U32("gwio,ring-records", 1024),
	{ }
};

static const struct software_node adc_nodes[] = {
	{ .name = "adc0", .properties = adc0_props },
	{ .name = "adc1", .properties = adc1_props },
};

static const struct property_entry a0_props[] = {
	PROPERTY_ENTRY_U32("reg", 0),
	PROPERTY_ENTRY_STRING("label", "a0"),
	{ }
};

static const struct property_entry a1_props[] = {
	PROPERTY_ENTRY_U32("reg", 1),
	PROPERTY_ENTRY_STRING("label", "a1"),
	{ }
};

static const struct property_entry a2_props[] = {
	PROPERTY_ENTRY_U32("reg", 2),
	PROPERTY_ENTRY_STRING("label", "a2"),
	{ }
};

static const struct property_entry a3_props[] = {
	PROPERTY_ENTRY_U32("reg", 3),
	PROPERTY_ENTRY_STRING("label", "a3"),
	{ }
};

static const struct property_entry b5_props[] = {
	PROPERTY_ENTRY_U32("reg", 0),
	PROPERTY_ENTRY_STRING("label", "b5"),
	PROPERTY_ENTRY_U32("gwio,input", 5),
	{ }
};

static const struct property_entry b7_props[] = {
	PROPERTY_ENTRY_U32("reg", 1),
	PROPERTY_ENTRY_STRING("label", "b7"),
	PROPERTY_ENTRY_U32("gwio,input", 7),
	{ }
};

static const struct software_node input_nodes[] = {
	{ .name = "channel@0", .parent = &adc_nodes[0], .properties = a0_props },
	{ .name = "channel@1", .parent = &adc_nodes[0], .properties = a1_props },
	{ .name = "channel@2", .parent = &adc_nodes[0], .properties = a2_props },
	{ .name = "channel@3", .parent = &adc_nodes[0], .properties = a3_props },
	{ .name = "channel@0", .parent = &adc_nodes[1], .properties = b5_props },
	{ .name = "channel@1", .parent = &adc_nodes[1], .properties = b7_props },
};

static const struct software_node *node_group[] = {
	&adc_nodes[0], &adc_nodes[1],
	&input_nodes[0], &input_nodes[1], &input_nodes[2], &input_nodes[3],
	&input_nodes[4], &input_nodes[5],
	NULL
};

static struct spi_device *adcs[2];

static int __init gwio_test_adcboard_init(void)
{
	struct spi_board_info info[2] = {
		{
			.modalias = "mcp3008",
			.max_speed_hz = 1000000,
			.chip_select = 0,
			.mode = SPI_MODE_0,
			.swnode = &adc_nodes[0],
		},
		{
			.modalias = "mcp3208",
			.max_speed_hz = 1000000,
			.chip_select = 1,
			.mode = SPI_MODE_0,
			.swnode = &adc_nodes[1],
		},
	};
	struct spi_controller *ctlr = gwio_test_spi_controller();
	int i, ret;

	if (!ctlr)
		return -ENODEV;
	adc0_props[1] = PROPERTY_ENTRY_U32("gwio,period-us", period_us);
	adc1_props[1] = PROPERTY_ENTRY_U32("gwio,period-us", period_us);
	ret = software_node_register_node_group(node_group);
	if (ret)
		return ret;
	for (i = 0; i < 2; i++) {
		adcs[i] = spi_new_device(ctlr, &info[i]);
		if (!adcs[i]) {
			while (--i >= 0)
				spi_unregister_device(adcs[i]);
			software_node_unregister_node_group(node_group);
			gwio_test_swnodes_settle();
			return -ENODEV;
		}
	}
	return 0;
}

static void __exit gwio_test_adcboard_exit(void)
{
	spi_unregister_device(adcs[1]);
	spi_unregister_device(adcs[0]);
	software_node_unregister_node_group(node_group);
	gwio_test_swnodes_settle();
}

module_init(gwio_test_adcboard_init);
module_exit(gwio_test_adcboard_exit);

MODULE_DESCRIPTION("gwio test-only board: gwio SPI ADCs on gwio-test-spi");
MODULE_AUTHOR("The gwio developers");
MODULE_LICENSE("GPL");
