// SPDX-License-Identifier: GPL-2.0
/*
 * gwio devices described by firmware: a device-tree node compatible with
 * "gwio,io" (dts/bindings/gwio,io.yaml), or a software node on machines
 * without a device tree (what the tests use).  One node is one
 * /dev/gwioN; its child nodes are the channels:
 *
 *	gwio {
 *		compatible = "gwio,io";
 *		#address-cells = <1>;
 *		#size-cells = <0>;
 *		channel@0 {
 *			reg = <0>;		// index in the ring's records
 *			label = "door";		// sysfs name, unique
 *			gwio,type = "gpio-edge";
 *			gpios = <&gpio 17 GPIO_ACTIVE_LOW>;
 *		};
 *	};
 *
 * Only the unified device-property API is used, so device tree, ACPI
 * _DSD and software nodes all work the same.
 */

#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>

#include "gwio.h"

/*
 * A label names a sysfs directory (channels/<label>) and a udev link
 * (/dev/gwio/by-name/, /dev/gwio/by-label/), and is copied into a
 * GWIO_LABEL_SIZE array: 1..31 characters, no '/', not "." or "..".
 * For every kind of device and channel, so that none is truncated or
 * renamed behind the firmware's back.
 */
bool gwio_label_valid(const char *label)
{
	BUILD_BUG_ON(GWIO_LABEL_SIZE != 32);	/* GWIO_LABEL_RULE's 31 */
	return label && *label &&
	       strnlen(label, GWIO_LABEL_SIZE) < GWIO_LABEL_SIZE &&
	       !strchr(label, '/') && strcmp(label, ".") && strcmp(label, "..");
}

struct gwio_channel_kind {
	const char *type;
	int (*add)(struct gwio_dev *gdev, struct fwnode_handle *fwnode,
		   u16 index, const char *label);
};

static const struct gwio_channel_kind gwio_channel_kinds[] = {
	{ "gpio-edge", gwio_gpio_edge_add },
};

static int gwio_add_channel(struct gwio_dev *gdev, struct fwnode_handle *child)
{
	struct device *dev = gdev->dev.parent;
	const char *label, *type;
	u32 index;
	size_t i;

	if (fwnode_property_read_u32(child, "reg", &index)) {
		dev_err(dev, "%pfwP: missing reg (the channel index)\n", child);
		return -EINVAL;
	}
	if (index >= GWIO_MAX_CHANNELS) {
		dev_err(dev, "%pfwP: reg %u: at most %u\n", child, index,
			GWIO_MAX_CHANNELS - 1);
		return -EINVAL;
	}
	if (fwnode_property_read_string(child, "label", &label))
		label = fwnode_get_name(child);
	if (!gwio_label_valid(label)) {
		dev_err(dev, "%pfwP: label \"%s\": " GWIO_LABEL_RULE "\n",
			child, label ?: "");
		return -EINVAL;
	}
	if (gdev->channels[index]) {
		dev_err(dev, "%pfwP: reg %u is used twice\n", child, index);
		return -EINVAL;
	}
	/* the sysfs directory's name: checked before any hardware is taken */
	if (gwio_channel_label_used(gdev, label)) {
		dev_err(dev, "%pfwP: label \"%s\" is used twice\n", child,
			label);
		return -EEXIST;
	}
	if (fwnode_property_read_string(child, "gwio,type", &type)) {
		dev_err(dev, "channel %s: missing gwio,type\n", label);
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(gwio_channel_kinds); i++)
		if (!strcmp(type, gwio_channel_kinds[i].type))
			return gwio_channel_kinds[i].add(gdev, child, index,
							 label);
	dev_err(dev, "channel %s: unknown gwio,type \"%s\"\n", label, type);
	return -EINVAL;
}

/*
 * Everything is acquired before anything is published, and all of it is
 * devm: a failed probe and an unbind undo it in reverse, the interface
 * first.  Unbind with a consumer attached: the device is marked dead and
 * its sources stopped; the ring lives on until the last mapping goes.
 */
static int gwio_platform_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct fwnode_handle *child;
	const char *label = NULL;
	struct gwio_dev *gdev;
	int ret;

	if (!device_get_child_node_count(dev)) {
		dev_err(dev, "no channels: add child nodes\n");
		return -EINVAL;
	}
	gdev = devm_gwio_dev_create(dev);
	if (IS_ERR(gdev))
		return PTR_ERR(gdev);
	if (device_property_read_string(dev, "label", &label))
		label = fwnode_get_name(dev_fwnode(dev));
	ret = gwio_dev_configure(gdev, dev, label ?: dev_name(dev));
	if (ret)
		return ret;
	device_for_each_child_node(dev, child) {
		ret = gwio_add_channel(gdev, child);
		if (ret) {
			fwnode_handle_put(child);
			return ret;
		}
	}
	return devm_gwio_dev_register(dev, gdev);
}

static const struct of_device_id gwio_of_match[] = {
	{ .compatible = "gwio,io" },
	{ }
};
MODULE_DEVICE_TABLE(of, gwio_of_match);

/* software nodes (tests, boards without a device tree) match by name */
static const struct platform_device_id gwio_platform_ids[] = {
	{ .name = "gwio-io" },
	{ }
};
MODULE_DEVICE_TABLE(platform, gwio_platform_ids);

struct platform_driver gwio_platform_driver = {
	.driver = {
		.name = "gwio-io",
		.of_match_table = gwio_of_match,
	},
	.id_table = gwio_platform_ids,
	.probe = gwio_platform_probe,
};
