// SPDX-License-Identifier: GPL-2.0
/*
 * gwio-test-adcprobe: test-only board file adding one SPI ADC device to
 * the emulated bus of gwio-test-spi, described one of several ways, so the
 * VM suite can check what gwio.ko's probe accepts and refuses (dmesg says
 * why).  config= picks the description:
 *
 *	generic        "gwio,spi-adc" spelling out an MCP3008 (accepted):
 *	               channel "g2" reads input 2
 *	rx-shift-wrap  gwio,rx-shift 0xffffffff + gwio,rx-bits 1 (wraps to 0)
 *	tx-too-wide    a 3-byte gwio,tx-template in 2-byte transfers
 *	input-too-wide input 7 shifted to bit 22 of a 3-byte transfer
 *	label-long     a channel label of 40 characters
 *	label-slash    a channel label with a '/'
 *	label-empty    an empty channel label
 *	label-dotdot   the channel label ".."
 *	devlabel-long  a device label of 40 characters
 *	foreign        "microchip,mcp3008", the IIO driver's: modalias
 *	               "mcp3008" matches gwio's id table, gwio must decline
 *
 * on chip select cs (default 2: load gwio-test-spi with three models).
 */

#include <linux/module.h>
#include <linux/property.h>
#include <linux/spi/spi.h>
#include <linux/string.h>

#include "gwio-test.h"

static char *config = "generic";
module_param(config, charp, 0444);
MODULE_PARM_DESC(config, "which description (see the source), default generic");

static unsigned int cs = 2;
module_param(cs, uint, 0444);
MODULE_PARM_DESC(cs, "chip select (default 2)");

#define LONG_LABEL	"a-label-of-forty-characters-0123456789ab"

/* an ADC node in the generic description, with a label */
#define GENERIC_NODE(name, label, bytes, tx, ishift, rshift, rbits)	\
static const struct property_entry name[] = {				\
	PROPERTY_ENTRY_STRING("compatible", "gwio,spi-adc"),		\
	PROPERTY_ENTRY_STRING("label", label),				\
	PROPERTY_ENTRY_U32("gwio,period-us", 1000),			\
	PROPERTY_ENTRY_U32("gwio,transfer-bytes", bytes),		\
	PROPERTY_ENTRY_U32("gwio,tx-template", tx),			\
	PROPERTY_ENTRY_U32("gwio,input-shift", ishift),			\
	PROPERTY_ENTRY_U32("gwio,rx-shift", rshift),			\
	PROPERTY_ENTRY_U32("gwio,rx-bits", rbits),			\
	PROPERTY_ENTRY_U32("gwio,inputs", 8),				\
	{ }								\
}

/* an MCP3008: start, SGL, D2..D0 from bit 12, 10 bits at the end */
GENERIC_NODE(generic_props, "adcprobe", 3, 0x018000, 12, 0, 10);
GENERIC_NODE(rx_wrap_props, "adcprobe", 3, 0x018000, 12, 0xffffffff, 1);
GENERIC_NODE(tx_wide_props, "adcprobe", 2, 0x018000, 12, 0, 10);
GENERIC_NODE(input_wide_props, "adcprobe", 3, 0x018000, 22, 0, 10);
GENERIC_NODE(devlabel_long_props, LONG_LABEL, 3, 0x018000, 12, 0, 10);

static const struct property_entry foreign_props[] = {
	PROPERTY_ENTRY_STRING("compatible", "microchip,mcp3008"),
	PROPERTY_ENTRY_STRING("label", "adcprobe"),
	PROPERTY_ENTRY_U32("gwio,period-us", 1000),
	{ }
};

/* the one channel: input 2, with a label */
#define CHANNEL_NODE(name, label)					\
static const struct property_entry name[] = {				\
	PROPERTY_ENTRY_U32("reg", 0),					\
	PROPERTY_ENTRY_STRING("label", label),				\
	PROPERTY_ENTRY_U32("gwio,input", 2),				\
	{ }								\
}

CHANNEL_NODE(ch_good, "g2");
CHANNEL_NODE(ch_long, LONG_LABEL);
CHANNEL_NODE(ch_slash, "g/2");
CHANNEL_NODE(ch_empty, "");
CHANNEL_NODE(ch_dotdot, "..");

static const struct {
	const char *name;
	const char *modalias;
	const struct property_entry *dev_props;
	const struct property_entry *ch_props;
} configs[] = {
	{ "generic", "spi-adc", generic_props, ch_good },
	{ "rx-shift-wrap", "spi-adc", rx_wrap_props, ch_good },
	{ "tx-too-wide", "spi-adc", tx_wide_props, ch_good },
	{ "input-too-wide", "spi-adc", input_wide_props, ch_good },
	{ "label-long", "spi-adc", generic_props, ch_long },
	{ "label-slash", "spi-adc", generic_props, ch_slash },
	{ "label-empty", "spi-adc", generic_props, ch_empty },
	{ "label-dotdot", "spi-adc", generic_props, ch_dotdot },
	{ "devlabel-long", "spi-adc", devlabel_long_props, ch_good },
	{ "foreign", "mcp3008", foreign_props, ch_good },
};

static struct software_node nodes[2] = {
	{ .name = "adcprobe" },
	{ .name = "channel@0", .parent = &nodes[0] },
};

static const struct software_node *node_group[] = {
	&nodes[0], &nodes[1], NULL
};

static struct spi_device *adc;

static int __init gwio_test_adcprobe_init(void)
{
	struct spi_board_info info = {
		.max_speed_hz = 1000000,
		.mode = SPI_MODE_0,
		.swnode = &nodes[0],
	};
	struct spi_controller *ctlr = gwio_test_spi_controller();
	unsigned int i;
	int ret;

	if (!ctlr)
		return -ENODEV;
	for (i = 0; i < ARRAY_SIZE(configs); i++)
		if (!strcmp(config, configs[i].name))
			break;
	if (i == ARRAY_SIZE(configs)) {
		pr_err("gwio-test-adcprobe: unknown config '%s'\n", config);
		return -EINVAL;
	}
	nodes[0].properties = configs[i].dev_props;
	nodes[1].properties = configs[i].ch_props;
	strscpy(info.modalias, configs[i].modalias, sizeof(info.modalias));
	info.chip_select = cs;
	ret = software_node_register_node_group(node_group);
	if (ret)
		return ret;
	/* a device whose probe fails is still added: the test unbinds nothing */
	adc = spi_new_device(ctlr, &info);
	if (!adc) {
		software_node_unregister_node_group(node_group);
		gwio_test_swnodes_settle();
		return -ENODEV;
	}
	return 0;
}

static void __exit gwio_test_adcprobe_exit(void)
{
	spi_unregister_device(adc);
	software_node_unregister_node_group(node_group);
	gwio_test_swnodes_settle();
}

module_init(gwio_test_adcprobe_init);
module_exit(gwio_test_adcprobe_exit);

MODULE_DESCRIPTION("gwio test-only board: one SPI ADC, described well or badly");
MODULE_AUTHOR("The gwio developers");
MODULE_LICENSE("GPL");
