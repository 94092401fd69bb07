// SPDX-License-Identifier: GPL-2.0
/*
 * gwio-test-gpio: a simulated GPIO controller for tests, never for production.
 *
 * One platform device with a gpio_chip and an interrupt domain (through
 * gpiolib's gpio_irq_chip), so consumers go through the real gpiolib and
 * irq core paths: gpiod lookup through a software node, gpiod_to_irq(),
 * request_irq(), irq_set_type(), mask/unmask, lazy disable and resend.
 *
 * Edges are made by the test, through debugfs (see tests/kmod/README.md):
 * a per-line hrtimer toggles the line at a chosen period, and each toggle
 * raises the interrupt the way a real chained controller does, from hard
 * interrupt context.  With sleeping=1 the chip behaves like an I2C
 * expander instead: can_sleep lines and nested threaded interrupts,
 * delivered by a kthread with handle_nested_irq().
 *
 * Every generated edge is logged (CLOCK_MONOTONIC ns, line, level) in a
 * preallocated array, so a test can compare what it received with what
 * was generated.
 */

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/gpio/driver.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"	/* kmod/compat.h, copied beside by build.sh */
#include "gwio-test.h"

#define GTG_NAME		"gwio-test-gpio"
#define GTG_MAX_LINES		64
#define GTG_MIN_PERIOD_NS	1000	/* 1 MHz toggle rate: beyond TCG */

static unsigned int ngpio = 8;
module_param(ngpio, uint, 0444);
MODULE_PARM_DESC(ngpio, "number of lines (1-64, default 8)");

static unsigned int log_size = 1 << 20;
module_param(log_size, uint, 0444);
MODULE_PARM_DESC(log_size, "edges kept in the edge log (default 1M)");

static bool catch_up;
module_param(catch_up, bool, 0644);
MODULE_PARM_DESC(catch_up,
		 "a late pulse timer makes up the missed toggles at once (default 0)");

static bool sleeping;
module_param(sleeping, bool, 0444);
MODULE_PARM_DESC(sleeping,
		 "can_sleep chip with nested threaded interrupts (default 0)");

/* The software node consumers reference: PROPERTY_ENTRY_REF("x-gpios", ...) */
const struct software_node gwio_test_gpio_swnode = {
	.name = GTG_NAME,
};
EXPORT_SYMBOL_GPL(gwio_test_gpio_swnode);

/* toggles one timer callback makes up at most (catch_up=1) */
#define GTG_MAX_CATCH_UP	256

struct gtg_edge {
	u64 ts_ns;
	u32 line;
	u32 level;
};

struct gtg_line {
	struct gtg_chip *chip;
	unsigned int offset;
	struct hrtimer timer;
	/* pulse train state, owned by the timer once started */
	unsigned int remaining;
	u64 period_ns;
	u64 edges;
	u64 irqs;
	u64 masked;
	atomic_t lose;		/* interrupts still to drop, like a merging controller */
	u64 lost;
};

struct gtg_chip {
	struct gpio_chip gc;
	struct device *dev;
	struct dentry *debugfs;
	struct gtg_line lines[GTG_MAX_LINES];

	/* protects levels, the log and its counters */
	raw_spinlock_t lock;
	DECLARE_BITMAP(levels, GTG_MAX_LINES);
	DECLARE_BITMAP(output, GTG_MAX_LINES);
	struct gtg_edge *log;
	unsigned int log_len;	/* smp_store_release'd under lock */
	u64 log_dropped;

	/* irq configuration, atomic bitops */
	DECLARE_BITMAP(rising, GTG_MAX_LINES);
	DECLARE_BITMAP(falling, GTG_MAX_LINES);
	DECLARE_BITMAP(unmasked, GTG_MAX_LINES);

	/* sleeping=1: lines with an interrupt waiting for the thread */
	DECLARE_BITMAP(pending, GTG_MAX_LINES);
	struct kthread_worker *worker;
	struct kthread_work irq_work;

	atomic64_t edges;	/* edges generated */
	atomic64_t irqs;	/* interrupts delivered to the irq core */
	atomic64_t masked;	/* edges of a configured type while masked */
	atomic64_t coalesced;	/* sleeping=1: edges merged into a pending irq */
	atomic64_t overruns;	/* timer periods missed (late timer) */
};

static struct platform_device *gtg_pdev;

/* ---- interrupt delivery ------------------------------------------------ */

static void gtg_deliver(struct gtg_chip *chip, unsigned int offset, int level)
{
	struct gtg_line *l = &chip->lines[offset];
	bool want;

	want = level ? test_bit(offset, chip->rising) :
		       test_bit(offset, chip->falling);
	if (!want)
		return;
	if (!test_bit(offset, chip->unmasked)) {
		atomic64_inc(&chip->masked);
		WRITE_ONCE(l->masked, l->masked + 1);
		return;
	}
	if (atomic_add_unless(&l->lose, -1, 0)) {
		WRITE_ONCE(l->lost, l->lost + 1);
		return;
	}
	if (chip->worker) {
		/* like an expander: one status read serves all edges so far */
		if (test_and_set_bit(offset, chip->pending))
			atomic64_inc(&chip->coalesced);
		else
			kthread_queue_work(chip->worker, &chip->irq_work);
		return;
	}
	if (!generic_handle_domain_irq_safe(chip->gc.irq.domain, offset)) {
		atomic64_inc(&chip->irqs);
		WRITE_ONCE(l->irqs, l->irqs + 1);
	}
}

static void gtg_irq_work(struct kthread_work *work)
{
	struct gtg_chip *chip = container_of(work, struct gtg_chip, irq_work);
	unsigned int offset, irq;

	for_each_set_bit(offset, chip->pending, chip->gc.ngpio) {
		if (!test_and_clear_bit(offset, chip->pending))
			continue;
		irq = irq_find_mapping(chip->gc.irq.domain, offset);
		if (!irq)
			continue;
		handle_nested_irq(irq);
		atomic64_inc(&chip->irqs);
		WRITE_ONCE(chip->lines[offset].irqs,
			   chip->lines[offset].irqs + 1);
	}
}

/* Drive a line: log the edge (if it is one) and raise its interrupt. */
static void gtg_drive(struct gtg_chip *chip, unsigned int offset, int level)
{
	struct gtg_line *l = &chip->lines[offset];
	unsigned long flags;
	unsigned int n;

	level = !!level;
	raw_spin_lock_irqsave(&chip->lock, flags);
	if (test_bit(offset, chip->levels) == level) {
		raw_spin_unlock_irqrestore(&chip->lock, flags);
		return;
	}
	__assign_bit(offset, chip->levels, level);
	n = chip->log_len;
	if (n < log_size) {
		chip->log[n].ts_ns = ktime_get_ns();
		chip->log[n].line = offset;
		chip->log[n].level = level;
		/* pairs with the edges reader: entry written, then counted */
		smp_store_release(&chip->log_len, n + 1);
	} else {
		chip->log_dropped++;
	}
	raw_spin_unlock_irqrestore(&chip->lock, flags);

	atomic64_inc(&chip->edges);
	WRITE_ONCE(l->edges, l->edges + 1);
	gtg_deliver(chip, offset, level);
}

static enum hrtimer_restart gtg_pulse_timer(struct hrtimer *t)
{
	struct gtg_line *l = container_of(t, struct gtg_line, timer);
	struct gtg_chip *chip = l->chip;
	u64 missed;

	gtg_drive(chip, l->offset, !test_bit(l->offset, chip->levels));
	if (--l->remaining == 0)
		return HRTIMER_NORESTART;
	missed = hrtimer_forward_now(t, ns_to_ktime(l->period_ns));
	if (missed <= 1)
		return HRTIMER_RESTART;
	atomic64_add(missed - 1, &chip->overruns);
	if (!READ_ONCE(catch_up))
		return HRTIMER_RESTART;	/* the train just takes longer */
	/*
	 * Keep the average rate: the missed toggles now, back to back; but
	 * a bounded number, or on a kernel where an edge costs more than
	 * the period (KASAN under TCG) the debt only grows and the CPU
	 * never leaves the interrupt (RCU stalls).
	 */
	missed = min3(missed - 1, (u64)l->remaining, (u64)GTG_MAX_CATCH_UP);
	l->remaining -= missed;
	while (missed--)
		gtg_drive(chip, l->offset, !test_bit(l->offset, chip->levels));
	return l->remaining ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

/* ---- irq_chip -------------------------------------------------------------- */

static void gtg_irq_mask(struct irq_data *d)
{
	struct gtg_chip *chip = irq_data_get_irq_chip_data(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);

	clear_bit(hwirq, chip->unmasked);
	gpiochip_disable_irq(&chip->gc, hwirq);
}

static void gtg_irq_unmask(struct irq_data *d)
{
	struct gtg_chip *chip = irq_data_get_irq_chip_data(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);

	gpiochip_enable_irq(&chip->gc, hwirq);
	set_bit(hwirq, chip->unmasked);
}

/* Edge status is not latched: nothing to acknowledge. */
static void gtg_irq_ack(struct irq_data *d)
{
}

static int gtg_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct gtg_chip *chip = irq_data_get_irq_chip_data(d);
	irq_hw_number_t hwirq = irqd_to_hwirq(d);

	if (type & ~IRQ_TYPE_EDGE_BOTH)
		return -EINVAL;		/* level types: not this chip */
	assign_bit(hwirq, chip->rising, type & IRQ_TYPE_EDGE_RISING);
	assign_bit(hwirq, chip->falling, type & IRQ_TYPE_EDGE_FALLING);
	irq_set_handler_locked(d, handle_edge_irq);
	return 0;
}

static const struct irq_chip gtg_irq_chip = {
	.name = GTG_NAME,
	.irq_ack = gtg_irq_ack,
	.irq_mask = gtg_irq_mask,
	.irq_unmask = gtg_irq_unmask,
	.irq_set_type = gtg_irq_set_type,
	.flags = IRQCHIP_IMMUTABLE | IRQCHIP_SKIP_SET_WAKE,
	GPIOCHIP_IRQ_RESOURCE_HELPERS,
};

/* ---- gpio_chip -------------------------------------------------------------- */

static int gtg_get(struct gpio_chip *gc, unsigned int offset)
{
	struct gtg_chip *chip = gpiochip_get_data(gc);

	return test_bit(offset, chip->levels);
}

static void gtg_set(struct gpio_chip *gc, unsigned int offset, int value)
{
	gtg_drive(gpiochip_get_data(gc), offset, value);
}

static int gtg_get_direction(struct gpio_chip *gc, unsigned int offset)
{
	struct gtg_chip *chip = gpiochip_get_data(gc);

	return test_bit(offset, chip->output) ? GPIO_LINE_DIRECTION_OUT :
						GPIO_LINE_DIRECTION_IN;
}

static int gtg_direction_input(struct gpio_chip *gc, unsigned int offset)
{
	struct gtg_chip *chip = gpiochip_get_data(gc);

	clear_bit(offset, chip->output);
	return 0;
}

static int gtg_direction_output(struct gpio_chip *gc, unsigned int offset,
				int value)
{
	struct gtg_chip *chip = gpiochip_get_data(gc);

	set_bit(offset, chip->output);
	gtg_drive(chip, offset, value);
	return 0;
}

/* ---- debugfs ------------------------------------------------------------------ */

static ssize_t gtg_pulse_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct gtg_chip *chip = file_inode(file)->i_private;
	unsigned int offset, n;
	struct gtg_line *l;
	char buf[64];
	u64 period;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %u %llu", &offset, &n, &period) != 3)
		return -EINVAL;
	if (offset >= chip->gc.ngpio)
		return -EINVAL;
	l = &chip->lines[offset];
	if (n == 0) {			/* "LINE 0 0": stop a running train */
		hrtimer_cancel(&l->timer);
		return count;
	}
	if (period < GTG_MIN_PERIOD_NS)
		return -EINVAL;
	if (hrtimer_active(&l->timer))
		return -EBUSY;
	l->remaining = n;
	l->period_ns = period;
	hrtimer_start(&l->timer, 0, HRTIMER_MODE_REL_HARD);
	return count;
}

static const struct file_operations gtg_pulse_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = gtg_pulse_write,
	.llseek = noop_llseek,
};

static void *gtg_edges_start(struct seq_file *m, loff_t *pos)
{
	struct gtg_chip *chip = m->private;

	/* pairs with gtg_drive(): entries below log_len are complete */
	if (*pos >= smp_load_acquire(&chip->log_len))
		return NULL;
	return &chip->log[*pos];
}

static void *gtg_edges_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return gtg_edges_start(m, pos);
}

static void gtg_edges_stop(struct seq_file *m, void *v)
{
}

static int gtg_edges_show(struct seq_file *m, void *v)
{
	const struct gtg_edge *e = v;

	seq_printf(m, "%llu %u %u\n", e->ts_ns, e->line, e->level);
	return 0;
}

static const struct seq_operations gtg_edges_sops = {
	.start = gtg_edges_start,
	.next = gtg_edges_next,
	.stop = gtg_edges_stop,
	.show = gtg_edges_show,
};

static int gtg_edges_open(struct inode *inode, struct file *file)
{
	int ret = seq_open(file, &gtg_edges_sops);

	if (!ret)
		((struct seq_file *)file->private_data)->private =
			inode->i_private;
	return ret;
}

static void gtg_reset(struct gtg_chip *chip)
{
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&chip->lock, flags);
	/* readers already past the new end just stop (see gtg_edges_start) */
	smp_store_release(&chip->log_len, 0);
	chip->log_dropped = 0;
	raw_spin_unlock_irqrestore(&chip->lock, flags);
	atomic64_set(&chip->edges, 0);
	atomic64_set(&chip->irqs, 0);
	atomic64_set(&chip->masked, 0);
	atomic64_set(&chip->coalesced, 0);
	atomic64_set(&chip->overruns, 0);
	for (i = 0; i < chip->gc.ngpio; i++) {
		WRITE_ONCE(chip->lines[i].edges, 0);
		WRITE_ONCE(chip->lines[i].irqs, 0);
		WRITE_ONCE(chip->lines[i].masked, 0);
		WRITE_ONCE(chip->lines[i].lost, 0);
	}
}

/* Any write clears the log and the counters (levels are kept). */
static ssize_t gtg_reset_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	gtg_reset(file_inode(file)->i_private);
	return count;
}

static const struct file_operations gtg_edges_fops = {
	.owner = THIS_MODULE,
	.open = gtg_edges_open,
	.read = seq_read,
	.write = gtg_reset_write,
	.llseek = seq_lseek,
	.release = seq_release,
};

static const struct file_operations gtg_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = gtg_reset_write,
	.llseek = noop_llseek,
};

static int gtg_stats_show(struct seq_file *m, void *v)
{
	struct gtg_chip *chip = m->private;
	unsigned int i;

	seq_printf(m, "edges %lld\n", atomic64_read(&chip->edges));
	seq_printf(m, "irqs %lld\n", atomic64_read(&chip->irqs));
	seq_printf(m, "masked %lld\n", atomic64_read(&chip->masked));
	seq_printf(m, "coalesced %lld\n", atomic64_read(&chip->coalesced));
	seq_printf(m, "overruns %lld\n", atomic64_read(&chip->overruns));
	seq_printf(m, "logged %u\n", READ_ONCE(chip->log_len));
	seq_printf(m, "log_dropped %llu\n", READ_ONCE(chip->log_dropped));
	for (i = 0; i < chip->gc.ngpio; i++) {
		const struct gtg_line *l = &chip->lines[i];

		seq_printf(m, "line%u level %d edges %llu irqs %llu masked %llu busy %d lost %llu\n",
			   i, test_bit(i, chip->levels), READ_ONCE(l->edges),
			   READ_ONCE(l->irqs), READ_ONCE(l->masked),
			   hrtimer_active(&l->timer), READ_ONCE(l->lost));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gtg_stats);

/* lineN/level: read 0/1; write 0/1 drives the line (an edge if it changes) */
static ssize_t gtg_level_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct gtg_line *l = file_inode(file)->i_private;
	char buf[4];
	int len;

	len = scnprintf(buf, sizeof(buf), "%d\n",
			test_bit(l->offset, l->chip->levels));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t gtg_level_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct gtg_line *l = file_inode(file)->i_private;
	bool level;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &level);
	if (ret)
		return ret;
	gtg_drive(l->chip, l->offset, level);
	return count;
}

/* lineN/lose: the next N interrupts of the line are never raised */
static ssize_t gtg_lose_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct gtg_line *l = file_inode(file)->i_private;
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &n);
	if (ret)
		return ret;
	atomic_set(&l->lose, n);
	return count;
}

static const struct file_operations gtg_lose_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = gtg_lose_write,
	.llseek = default_llseek,
};

static const struct file_operations gtg_level_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = gtg_level_read,
	.write = gtg_level_write,
	.llseek = default_llseek,
};

static void gtg_debugfs_init(struct gtg_chip *chip)
{
	struct dentry *d;
	unsigned int i;
	char name[16];

	chip->debugfs = debugfs_create_dir(GTG_NAME, NULL);
	debugfs_create_file("pulse", 0200, chip->debugfs, chip,
			    &gtg_pulse_fops);
	debugfs_create_file("edges", 0600, chip->debugfs, chip,
			    &gtg_edges_fops);
	debugfs_create_file("reset", 0200, chip->debugfs, chip,
			    &gtg_reset_fops);
	debugfs_create_file("stats", 0400, chip->debugfs, chip,
			    &gtg_stats_fops);
	for (i = 0; i < chip->gc.ngpio; i++) {
		snprintf(name, sizeof(name), "line%u", i);
		d = debugfs_create_dir(name, chip->debugfs);
		debugfs_create_file("level", 0600, d, &chip->lines[i],
				    &gtg_level_fops);
		debugfs_create_file("lose", 0200, d, &chip->lines[i],
				    &gtg_lose_fops);
	}
}

/* ---- probe and teardown (all devres) ---------------------------------------------- */

static void gtg_debugfs_remove(void *data)
{
	struct gtg_chip *chip = data;

	debugfs_remove_recursive(chip->debugfs);
}

static void gtg_timers_cancel(void *data)
{
	struct gtg_chip *chip = data;
	unsigned int i;

	for (i = 0; i < chip->gc.ngpio; i++)
		hrtimer_cancel(&chip->lines[i].timer);
	if (chip->worker)
		kthread_flush_worker(chip->worker);
}

static void gtg_worker_destroy(void *data)
{
	kthread_destroy_worker(data);
}

static void gtg_log_free(void *data)
{
	vfree(data);
}

static int gtg_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct gpio_irq_chip *girq;
	struct gtg_chip *chip;
	unsigned int i;
	int ret;

	chip = devm_kzalloc(dev, sizeof(*chip), GFP_KERNEL);
	if (!chip)
		return -ENOMEM;
	chip->dev = dev;
	raw_spin_lock_init(&chip->lock);

	chip->log = vmalloc(array_size(max(log_size, 1U), sizeof(*chip->log)));
	if (!chip->log)
		return -ENOMEM;
	ret = devm_add_action_or_reset(dev, gtg_log_free, chip->log);
	if (ret)
		return ret;

	if (sleeping) {
		chip->worker = kthread_create_worker(0, "irq/%s", GTG_NAME);
		if (IS_ERR(chip->worker))
			return PTR_ERR(chip->worker);
		/* the priority of an irq thread, as a real expander gets */
		sched_set_fifo(chip->worker->task);
		kthread_init_work(&chip->irq_work, gtg_irq_work);
		ret = devm_add_action_or_reset(dev, gtg_worker_destroy,
					       chip->worker);
		if (ret)
			return ret;
	}

	for (i = 0; i < ngpio; i++) {
		chip->lines[i].chip = chip;
		chip->lines[i].offset = i;
		gwio_hrtimer_setup(&chip->lines[i].timer, gtg_pulse_timer,
				   CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	}

	/* swnode lookup in gpiolib finds the chip by label == node name */
	chip->gc.label = GTG_NAME;
	chip->gc.parent = dev;
	chip->gc.owner = THIS_MODULE;
	chip->gc.base = -1;
	chip->gc.ngpio = ngpio;
	chip->gc.can_sleep = sleeping;
	chip->gc.get = gtg_get;
	chip->gc.set = gtg_set;
	chip->gc.get_direction = gtg_get_direction;
	chip->gc.direction_input = gtg_direction_input;
	chip->gc.direction_output = gtg_direction_output;

	girq = &chip->gc.irq;
	gpio_irq_chip_set_chip(girq, &gtg_irq_chip);
	girq->handler = handle_bad_irq;	/* until irq_set_type() */
	girq->default_type = IRQ_TYPE_NONE;
	girq->threaded = sleeping;	/* nested thread irqs */

	ret = devm_gpiochip_add_data(dev, &chip->gc, chip);
	if (ret)
		return dev_err_probe(dev, ret, "cannot add the gpio chip\n");
	/* runs before the chip is removed: no edge after that */
	ret = devm_add_action_or_reset(dev, gtg_timers_cancel, chip);
	if (ret)
		return ret;

	gtg_debugfs_init(chip);
	ret = devm_add_action_or_reset(dev, gtg_debugfs_remove, chip);
	if (ret)
		return ret;

	dev_info(dev, "%u lines%s, edge log of %u\n", ngpio,
		 sleeping ? " (sleeping, nested irqs)" : "", log_size);
	return 0;
}

static struct platform_driver gtg_driver = {
	.probe = gtg_probe,
	.driver = {
		.name = GTG_NAME,
	},
};

static int __init gtg_init(void)
{
	struct platform_device_info info = {
		.name = GTG_NAME,
		.id = PLATFORM_DEVID_NONE,
	};
	int ret;

	if (ngpio < 1 || ngpio > GTG_MAX_LINES)
		return -EINVAL;

	ret = software_node_register(&gwio_test_gpio_swnode);
	if (ret)
		return ret;
	ret = platform_driver_register(&gtg_driver);
	if (ret)
		goto err_node;

	info.fwnode = software_node_fwnode(&gwio_test_gpio_swnode);
	gtg_pdev = platform_device_register_full(&info);
	if (IS_ERR(gtg_pdev)) {
		ret = PTR_ERR(gtg_pdev);
		goto err_driver;
	}
	if (!gtg_pdev->dev.driver) {
		/* probe failed: report it instead of loading a dead module */
		ret = -ENODEV;
		goto err_pdev;
	}
	return 0;

err_pdev:
	platform_device_unregister(gtg_pdev);
err_driver:
	platform_driver_unregister(&gtg_driver);
err_node:
	software_node_unregister(&gwio_test_gpio_swnode);
	gwio_test_swnodes_settle();
	return ret;
}
module_init(gtg_init);

static void __exit gtg_exit(void)
{
	platform_device_unregister(gtg_pdev);
	platform_driver_unregister(&gtg_driver);
	software_node_unregister(&gwio_test_gpio_swnode);
	gwio_test_swnodes_settle();
}
module_exit(gtg_exit);

MODULE_DESCRIPTION("gwio test-only simulated GPIO controller with edge injection");
MODULE_LICENSE("GPL");
