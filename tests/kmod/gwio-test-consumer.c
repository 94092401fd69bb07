// SPDX-License-Identifier: GPL-2.0
/*
 * gwio-test-consumer: exercises gwio-test-gpio and gwio-test-spi the way a
 * driver would, for the VM self-test of the simulated hardware (never for
 * production).
 *
 * At load time it
 *  - looks up line "line" of gwio-test-gpio through a software node
 *    reference (falling back to a gpiod lookup table on kernels whose
 *    gpiolib cannot follow software node references, i.e. before 6.2),
 *    and requests its interrupt for "edge" edges: a hard handler on a
 *    fast chip, a threaded one on a sleeping chip; each interrupt is
 *    stamped (CLOCK_MONOTONIC) and logged;
 *  - adds an spi_device on each chip select of gwio-test-spi and reads
 *    every channel three times with spi_sync(), checking the waveform;
 *  - sends async_count messages to CS0 channel 7 with spi_async() from an
 *    hrtimer every async_period_us and checks the sequence in the
 *    completion callback.
 *
 * Results are in /sys/kernel/debug/gwio-test-consumer/result as
 * "PASS name" / "FAIL name reason" lines; interrupts in "irq_count" and
 * "irq_log" ("ts_ns level" lines); "irq_enabled" takes 0/1 for
 * disable_irq()/enable_irq().
 */

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gpio/consumer.h>
#include <linux/gpio/machine.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/spi/spi.h>
#include <linux/uaccess.h>

#include "compat.h"	/* kmod/compat.h, copied beside by build.sh */
#include "gwio-test.h"

#define GTC_NAME	"gwio-test-consumer"
#define GTC_IRQ_LOG	65536
#define GTC_ROUNDS	3

static unsigned int line;
module_param(line, uint, 0444);
MODULE_PARM_DESC(line, "gwio-test-gpio line to request (default 0)");

static char *edge = "both";
module_param(edge, charp, 0444);
MODULE_PARM_DESC(edge, "rising, falling or both (default both)");

static bool do_spi = true;
module_param_named(spi, do_spi, bool, 0444);
MODULE_PARM_DESC(spi, "run the SPI checks (default 1; they expect fresh counters)");

static unsigned int async_count = 200;
module_param(async_count, uint, 0444);
MODULE_PARM_DESC(async_count, "spi_async messages from the hrtimer (default 200)");

static unsigned int async_period_us = 1000;
module_param(async_period_us, uint, 0444);
MODULE_PARM_DESC(async_period_us, "hrtimer period for spi_async (default 1000)");

struct gtc_stamp {
	u64 ts_ns;
	int level;
};

static struct {
	struct platform_device *pdev;
	struct gpio_desc *gpiod;
	int irq;
	bool irq_enabled;
	bool lookup_added;
	atomic_t irq_count;
	struct gtc_stamp *irq_log;

	struct spi_device *spi[2];
	struct hrtimer timer;
	struct spi_message msg;
	struct spi_transfer xfer;
	u8 tx[3], rx[3];
	atomic_t in_flight;
	unsigned int sent, done, bad, busy;
	int first;
	struct completion async_done;

	struct dentry *debugfs;
	char result[2048];
	size_t result_len;
} gtc;

/* filled in at load time: PROPERTY_ENTRY_REF() would fix the line */
static struct software_node_ref_args gtc_gpio_ref[1];

static const struct property_entry gtc_props[] = {
	PROPERTY_ENTRY_REF_ARRAY("test-gpios", gtc_gpio_ref),
	{ }
};

static struct software_node gtc_swnode = {
	.name = GTC_NAME,
	.properties = gtc_props,
};

static struct gpiod_lookup_table gtc_lookup = {
	.dev_id = GTC_NAME,
	.table = {
		GPIO_LOOKUP("gwio-test-gpio", 0, "test", GPIO_ACTIVE_HIGH),
		{ }
	},
};

static __printf(1, 2) void gtc_result(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	gtc.result_len += vscnprintf(gtc.result + gtc.result_len,
				     sizeof(gtc.result) - gtc.result_len,
				     fmt, args);
	va_end(args);
}

/* ---- GPIO interrupt ---------------------------------------------------- */

static void gtc_stamp(u64 ts)
{
	int n = atomic_inc_return(&gtc.irq_count) - 1;

	if (n < GTC_IRQ_LOG) {
		gtc.irq_log[n].ts_ns = ts;
		gtc.irq_log[n].level = gpiod_get_value(gtc.gpiod);
	}
}

static irqreturn_t gtc_hard(int irq, void *data)
{
	gtc_stamp(ktime_get_ns());
	return IRQ_HANDLED;
}

static irqreturn_t gtc_thread(int irq, void *data)
{
	u64 ts = ktime_get_ns();
	int n = atomic_inc_return(&gtc.irq_count) - 1;

	if (n < GTC_IRQ_LOG) {
		gtc.irq_log[n].ts_ns = ts;
		gtc.irq_log[n].level = gpiod_get_value_cansleep(gtc.gpiod);
	}
	return IRQ_HANDLED;
}

static int gtc_gpio_init(void)
{
	struct platform_device_info info = {
		.name = GTC_NAME,
		.id = PLATFORM_DEVID_NONE,
	};
	unsigned long trigger;
	const char *how = "swnode";
	int ret;

	if (!strcmp(edge, "rising"))
		trigger = IRQF_TRIGGER_RISING;
	else if (!strcmp(edge, "falling"))
		trigger = IRQF_TRIGGER_FALLING;
	else
		trigger = IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING;

	ret = software_node_register(&gtc_swnode);
	if (ret)
		return ret;
	info.fwnode = software_node_fwnode(&gtc_swnode);
	gtc.pdev = platform_device_register_full(&info);
	if (IS_ERR(gtc.pdev)) {
		ret = PTR_ERR(gtc.pdev);
		gtc.pdev = NULL;
		return ret;
	}

	gtc.gpiod = gpiod_get(&gtc.pdev->dev, "test", GPIOD_IN);
	if (IS_ERR(gtc.gpiod)) {
		/* before 6.2 gpiolib has no software node lookup */
		gtc_result("INFO gpio swnode lookup: %ld\n", PTR_ERR(gtc.gpiod));
		how = "lookup-table";
		gpiod_add_lookup_table(&gtc_lookup);
		gtc.lookup_added = true;
		gtc.gpiod = gpiod_get(&gtc.pdev->dev, "test", GPIOD_IN);
	}
	if (IS_ERR(gtc.gpiod)) {
		ret = PTR_ERR(gtc.gpiod);
		gtc.gpiod = NULL;
		gtc_result("FAIL gpio-get %d\n", ret);
		return 0;
	}
	gtc_result("PASS gpio-get-%s\n", how);

	gtc.irq = gpiod_to_irq(gtc.gpiod);
	if (gtc.irq < 0) {
		gtc_result("FAIL gpio-to-irq %d\n", gtc.irq);
		return 0;
	}
	if (gpiod_cansleep(gtc.gpiod))
		ret = request_threaded_irq(gtc.irq, NULL, gtc_thread,
					   trigger | IRQF_ONESHOT, GTC_NAME,
					   &gtc);
	else
		/*
		 * NO_THREAD: PREEMPT_RT force-threads plain handlers, and a
		 * thread woken again before it ran counts the wakeups as one,
		 * which is the irq core's doing, not the chip's; the check that
		 * every edge the chip raised reached the handler needs the hard
		 * handler everywhere. The chip's get takes a raw spinlock.
		 */
		ret = request_irq(gtc.irq, gtc_hard, trigger | IRQF_NO_THREAD,
				  GTC_NAME, &gtc);
	if (ret) {
		gtc_result("FAIL request-irq %d\n", ret);
		gtc.irq = -1;
		return 0;
	}
	gtc.irq_enabled = true;
	gtc_result("PASS request-irq-%s irq=%d\n",
		   gpiod_cansleep(gtc.gpiod) ? "threaded" : "hard", gtc.irq);
	return 0;
}

static void gtc_gpio_exit(void)
{
	if (gtc.irq > 0) {
		if (!gtc.irq_enabled)
			enable_irq(gtc.irq);
		free_irq(gtc.irq, &gtc);
	}
	if (gtc.gpiod)
		gpiod_put(gtc.gpiod);
	if (gtc.pdev)
		platform_device_unregister(gtc.pdev);
	if (gtc.lookup_added)
		gpiod_remove_lookup_table(&gtc_lookup);
	software_node_unregister(&gtc_swnode);
	gwio_test_swnodes_settle();
}

/* ---- SPI ------------------------------------------------------------------- */

static void gtc_cmd(bool mcp3208, unsigned int ch, u8 *tx)
{
	if (mcp3208) {
		tx[0] = 0x06 | ch >> 2;
		tx[1] = ch << 6;
	} else {
		tx[0] = 0x01;
		tx[1] = 0x80 | ch << 4;
	}
	tx[2] = 0;
}

static unsigned int gtc_value(bool mcp3208, const u8 *rx)
{
	return mcp3208 ? (rx[1] & 0x0f) << 8 | rx[2] : (rx[1] & 0x03) << 8 | rx[2];
}

static void gtc_spi_sync(struct spi_device *spi, bool mcp3208)
{
	unsigned int mask = mcp3208 ? 0xfff : 0x3ff;
	unsigned int r, ch, v, ok = 0, n = 0;
	u8 tx[3], rx[3];
	struct spi_transfer t = {
		.tx_buf = tx,
		.rx_buf = rx,
		.len = 3,
	};
	int ret;

	for (r = 0; r < GTC_ROUNDS; r++) {
		for (ch = 0; ch < 8; ch++) {
			gtc_cmd(mcp3208, ch, tx);
			ret = spi_sync_transfer(spi, &t, 1);
			n++;
			v = gtc_value(mcp3208, rx);
			if (!ret && v == ((r + 100 * ch) & mask)) {
				ok++;
			} else if (n - ok == 1) {
				gtc_result("INFO spi cs%u r%u ch%u: ret %d got %u rx %*ph\n",
					   spi_get_chipselect(spi, 0), r, ch,
					   ret, v, 3, rx);
			}
		}
	}
	gtc_result("%s spi-sync-%s %u/%u\n", ok == n ? "PASS" : "FAIL",
		   mcp3208 ? "mcp3208" : "mcp3008", ok, n);
}

static void gtc_async_complete(void *context)
{
	unsigned int v = gtc_value(false, gtc.rx);

	if (gtc.msg.status || (gtc.first >= 0 &&
			       v != ((gtc.first + gtc.done) & 0x3ff)))
		gtc.bad++;
	if (gtc.first < 0)
		gtc.first = v;
	gtc.done++;
	atomic_set(&gtc.in_flight, 0);
	if (gtc.done == async_count)
		complete(&gtc.async_done);
}

static enum hrtimer_restart gtc_async_timer(struct hrtimer *t)
{
	if (gtc.sent == async_count)
		return HRTIMER_NORESTART;
	if (atomic_cmpxchg(&gtc.in_flight, 0, 1) == 0) {
		gtc_cmd(false, 7, gtc.tx);
		gtc.sent++;
		if (spi_async(gtc.spi[0], &gtc.msg)) {
			gtc.bad++;
			atomic_set(&gtc.in_flight, 0);
		}
	} else {
		gtc.busy++;
	}
	hrtimer_forward_now(t, ns_to_ktime(async_period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void gtc_spi_async(void)
{
	unsigned long left;

	gtc.first = -1;
	init_completion(&gtc.async_done);
	gtc.xfer.tx_buf = gtc.tx;
	gtc.xfer.rx_buf = gtc.rx;
	gtc.xfer.len = 3;
	spi_message_init_with_transfers(&gtc.msg, &gtc.xfer, 1);
	gtc.msg.complete = gtc_async_complete;

	gwio_hrtimer_setup(&gtc.timer, gtc_async_timer, CLOCK_MONOTONIC,
			   HRTIMER_MODE_REL_HARD);
	hrtimer_start(&gtc.timer, ns_to_ktime(async_period_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	left = wait_for_completion_timeout(&gtc.async_done, 30 * HZ);
	hrtimer_cancel(&gtc.timer);
	/* a message still queued must finish before its buffers go */
	while (atomic_read(&gtc.in_flight))
		usleep_range(1000, 2000);
	gtc_result("%s spi-async sent %u done %u bad %u busy %u first %d\n",
		   left && !gtc.bad ? "PASS" : "FAIL", gtc.sent, gtc.done,
		   gtc.bad, gtc.busy, gtc.first);
}

static int gtc_spi_init(void)
{
	struct spi_controller *ctlr = gwio_test_spi_controller();
	struct spi_board_info bi = {
		.modalias = "gwio-test-adc",
		.max_speed_hz = 1000000,
		.mode = SPI_MODE_0,
	};
	unsigned int cs;

	if (!ctlr) {
		gtc_result("FAIL spi no controller\n");
		return 0;
	}
	for (cs = 0; cs < 2; cs++) {
		bi.chip_select = cs;
		gtc.spi[cs] = spi_new_device(ctlr, &bi);
		if (!gtc.spi[cs]) {
			gtc_result("FAIL spi-new-device cs%u\n", cs);
			return 0;
		}
		gtc_spi_sync(gtc.spi[cs], cs == 1);
	}
	if (async_count)
		gtc_spi_async();
	return 0;
}

static void gtc_spi_exit(void)
{
	unsigned int cs;

	for (cs = 0; cs < 2; cs++)
		if (gtc.spi[cs])
			spi_unregister_device(gtc.spi[cs]);
}

/* ---- debugfs ------------------------------------------------------------------ */

static ssize_t gtc_result_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, count, ppos, gtc.result,
				       gtc.result_len);
}

static const struct file_operations gtc_result_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = gtc_result_read,
	.llseek = default_llseek,
};

static int gtc_irq_log_show(struct seq_file *m, void *v)
{
	int i, n = min(atomic_read(&gtc.irq_count), GTC_IRQ_LOG);

	for (i = 0; i < n; i++)
		seq_printf(m, "%llu %d\n", gtc.irq_log[i].ts_ns,
			   gtc.irq_log[i].level);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gtc_irq_log);

static int gtc_irq_count_get(void *data, u64 *val)
{
	*val = atomic_read(&gtc.irq_count);
	return 0;
}

static int gtc_irq_count_set(void *data, u64 val)
{
	atomic_set(&gtc.irq_count, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(gtc_irq_count_fops, gtc_irq_count_get,
			 gtc_irq_count_set, "%llu\n");

static int gtc_irq_enabled_get(void *data, u64 *val)
{
	*val = gtc.irq_enabled;
	return 0;
}

static int gtc_irq_enabled_set(void *data, u64 val)
{
	if (gtc.irq <= 0)
		return -ENODEV;
	if (val && !gtc.irq_enabled)
		enable_irq(gtc.irq);
	else if (!val && gtc.irq_enabled)
		disable_irq(gtc.irq);
	gtc.irq_enabled = val;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(gtc_irq_enabled_fops, gtc_irq_enabled_get,
			 gtc_irq_enabled_set, "%llu\n");

static int __init gtc_init(void)
{
	int ret;

	gtc.irq_log = kvcalloc(GTC_IRQ_LOG, sizeof(*gtc.irq_log), GFP_KERNEL);
	if (!gtc.irq_log)
		return -ENOMEM;
	gtc_lookup.table[0].chip_hwnum = line;
	gtc_gpio_ref[0] = SOFTWARE_NODE_REFERENCE(&gwio_test_gpio_swnode,
						  line, GPIO_ACTIVE_HIGH);

	ret = gtc_gpio_init();
	if (ret) {
		gtc_gpio_exit();
		kvfree(gtc.irq_log);
		return ret;
	}
	if (do_spi)
		gtc_spi_init();

	gtc.debugfs = debugfs_create_dir(GTC_NAME, NULL);
	debugfs_create_file("result", 0400, gtc.debugfs, NULL,
			    &gtc_result_fops);
	debugfs_create_file("irq_log", 0400, gtc.debugfs, NULL,
			    &gtc_irq_log_fops);
	debugfs_create_file_unsafe("irq_count", 0600, gtc.debugfs, NULL,
				   &gtc_irq_count_fops);
	debugfs_create_file_unsafe("irq_enabled", 0600, gtc.debugfs, NULL,
				   &gtc_irq_enabled_fops);
	pr_info("%s", gtc.result);
	return 0;
}
module_init(gtc_init);

static void __exit gtc_exit(void)
{
	debugfs_remove_recursive(gtc.debugfs);
	gtc_spi_exit();
	gtc_gpio_exit();
	kvfree(gtc.irq_log);
}
module_exit(gtc_exit);

MODULE_DESCRIPTION("gwio test-only consumer of gwio-test-gpio and gwio-test-spi");
MODULE_LICENSE("GPL");
