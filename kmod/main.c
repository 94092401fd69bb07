// SPDX-License-Identifier: GPL-2.0
/*
 * gwio - gateway I/O: timestamped samples into an mmap-able ring.
 *
 * Module entry: the class, the char device region, the devices made
 * from module parameters, and the platform driver for devices described
 * by the device tree (platform.c); all go through the same
 * gwio_dev_create()/gwio_dev_register() calls.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/spi/spi.h>

#include "compat.h"
#include "gwio.h"

#define GWIO_MAX_SIM_DEVICES	8

/*
 * Made by the driver core, not static here: its release can run after the
 * module is gone (CONFIG_DEBUG_KOBJECT_RELEASE delays it by seconds) and
 * reads the struct class.
 */
struct class *gwio_class;

dev_t gwio_devt;

u32 gwio_default_records = 16384;
module_param_named(ring_records, gwio_default_records, uint, 0444);
MODULE_PARM_DESC(ring_records, "records per ring, a power of two (default 16384)");

u32 gwio_default_watermark = 256;
module_param_named(watermark, gwio_default_watermark, uint, 0444);
MODULE_PARM_DESC(watermark, "unread records that wake a consumer (default 256)");

u32 gwio_default_timeout_us = 10000;
module_param_named(timeout_us, gwio_default_timeout_us, uint, 0444);
MODULE_PARM_DESC(timeout_us, "wake a consumer after this long with fewer than watermark records waiting (default 10000)");

static unsigned int sim_channels[GWIO_MAX_SIM_DEVICES];
static int sim_devices;
module_param_array(sim_channels, uint, &sim_devices, 0444);
MODULE_PARM_DESC(sim_channels, "synthetic devices to create: channels of each, e.g. sim_channels=4,2");

static unsigned int sim_rate = 1000;
module_param(sim_rate, uint, 0444);
MODULE_PARM_DESC(sim_rate, "initial sample rate of each synthetic channel in Hz (default 1000)");

static struct gwio_dev *gwio_sim_devs[GWIO_MAX_SIM_DEVICES];

static int gwio_check_params(void)
{
	int i;

	if (gwio_default_records < GWIO_RING_MIN_RECORDS ||
	    gwio_default_records > GWIO_RING_MAX_RECORDS ||
	    !is_power_of_2(gwio_default_records)) {
		pr_err("ring_records=%u: need a power of two in [%u, %u]\n",
		       gwio_default_records, GWIO_RING_MIN_RECORDS,
		       GWIO_RING_MAX_RECORDS);
		return -EINVAL;
	}
	if (!gwio_default_watermark ||
	    gwio_default_watermark > gwio_default_records) {
		pr_err("watermark=%u: need 1..ring_records\n",
		       gwio_default_watermark);
		return -EINVAL;
	}
	if (gwio_default_timeout_us > GWIO_TIMEOUT_MAX_US) {
		pr_err("timeout_us=%u: at most %u\n",
		       gwio_default_timeout_us, GWIO_TIMEOUT_MAX_US);
		return -EINVAL;
	}
	if (!sim_rate || sim_rate > GWIO_SIM_MAX_RATE) {
		pr_err("sim_rate=%u: need 1..%u\n", sim_rate, GWIO_SIM_MAX_RATE);
		return -EINVAL;
	}
	/* all of them before any device exists: nothing to unwind */
	for (i = 0; i < sim_devices; i++) {
		if (!sim_channels[i] || sim_channels[i] > GWIO_MAX_CHANNELS) {
			pr_err("sim_channels[%d]=%u: need 1..%u\n", i,
			       sim_channels[i], GWIO_MAX_CHANNELS);
			return -EINVAL;
		}
	}
	return 0;
}

static void gwio_sim_devices_remove(void)
{
	int i;

	for (i = GWIO_MAX_SIM_DEVICES - 1; i >= 0; i--) {
		struct gwio_dev *gdev = gwio_sim_devs[i];

		if (!gdev)
			continue;
		gwio_dev_unregister(gdev);
		gwio_sim_detach(gdev);
		put_device(&gdev->dev);
		gwio_sim_devs[i] = NULL;
	}
}

static int gwio_sim_devices_create(void)
{
	struct gwio_dev *gdev;
	int i, ret;

	for (i = 0; i < sim_devices; i++) {
		gdev = gwio_dev_create(NULL);
		if (IS_ERR(gdev)) {
			ret = PTR_ERR(gdev);
			goto err;
		}
		snprintf(gdev->label, sizeof(gdev->label), "sim%d", i);
		/* the channels first: the device appears complete */
		ret = gwio_sim_attach(gdev, sim_channels[i], sim_rate);
		if (ret) {
			put_device(&gdev->dev);
			goto err;
		}
		ret = gwio_dev_register(gdev);
		if (ret) {
			gwio_channels_remove(gdev);
			gwio_sim_detach(gdev);
			put_device(&gdev->dev);
			goto err;
		}
		gwio_sim_devs[i] = gdev;
	}
	return 0;

err:
	gwio_sim_devices_remove();
	return ret;
}

static int __init gwio_init(void)
{
	int ret;

	/* the uapi header asserts the offsets; these are the kernel's own */
	BUILD_BUG_ON(sizeof(struct gwio_producer) > PAGE_SIZE);
	BUILD_BUG_ON(GWIO_RING_MAX_RECORDS > (1U << 31));

	ret = gwio_check_params();
	if (ret)
		return ret;

	ret = alloc_chrdev_region(&gwio_devt, 0, GWIO_MAX_DEVICES, "gwio");
	if (ret)
		return ret;
	gwio_class = gwio_class_create("gwio");
	ret = PTR_ERR_OR_ZERO(gwio_class);
	if (ret)
		goto err_region;
	ret = gwio_sim_devices_create();
	if (ret)
		goto err_class;
	ret = platform_driver_register(&gwio_platform_driver);
	if (ret)
		goto err_sim;
	ret = spi_register_driver(&gwio_adc_driver);
	if (ret)
		goto err_platform;
	return 0;

err_platform:
	platform_driver_unregister(&gwio_platform_driver);
err_sim:
	gwio_sim_devices_remove();
err_class:
	class_destroy(gwio_class);
err_region:
	unregister_chrdev_region(gwio_devt, GWIO_MAX_DEVICES);
	/* as at exit: devices made and gone may still have releases queued */
	gwio_devs_wait_released();
	return ret;
}

static void __exit gwio_exit(void)
{
	spi_unregister_driver(&gwio_adc_driver);
	platform_driver_unregister(&gwio_platform_driver);
	gwio_sim_devices_remove();
	class_destroy(gwio_class);
	unregister_chrdev_region(gwio_devt, GWIO_MAX_DEVICES);
	gwio_devs_wait_released();
}

module_init(gwio_init);
module_exit(gwio_exit);

MODULE_DESCRIPTION("gwio: timestamped gateway I/O samples in an mmap-able ring");
MODULE_AUTHOR("The gwio developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
