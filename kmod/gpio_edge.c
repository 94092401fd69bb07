// SPDX-License-Identifier: GPL-2.0
/*
 * gwio GPIO edge channels: each edge of a line becomes a record.
 *
 * The timestamp is taken and the line level read in the hard interrupt
 * handler, so an edge is classified by the level right after it, not by a
 * read in a thread milliseconds later (which turns fast pulses into runs
 * of same-direction events).  A pulse shorter than the interrupt latency
 * still reads the level after both of its edges: such records carry
 * GWIO_REC_F_GLITCH and are counted, never silently misclassified.
 *
 * Debounce runs on an hrtimer, so its resolution is the timer's, not a
 * jiffy: an edge is reported once the line has been quiet for the
 * debounce time, with the time of the last transition.
 *
 * Lines on controllers that sleep (I2C/SPI expanders) use a threaded
 * handler; the timestamp is still taken as early as the kernel lets us:
 * in the primary handler when there is one, else first thing in the
 * thread (nested interrupts have no primary handler).
 *
 * On PREEMPT_RT a controller's get() may take a sleeping lock, so the level
 * cannot be read in hard interrupt context.  The handler stays there
 * (IRQF_NO_THREAD: a forced thread would stamp late and, being
 * IRQF_ONESHOT, mask the line, and controllers drop the edges that come
 * while masked) and reports each edge, its direction following from the
 * line's last one.  Lines with both edges wake a thread that reads the
 * level: where it finds the line at a level the reported edges do not
 * lead to (the controller merged or dropped an edge), it reports the
 * missed edge, flagged GWIO_REC_F_GLITCH.  The debounce timer is a soft
 * one there (it runs in a thread on RT) for the same reason.
 *
 * The line and its interrupt are acquired before the channel is added,
 * with the interrupt left disabled until the device is enabled, and given
 * back in gwio_channels_remove(); the kobject release only frees memory.
 */

#include <linux/delay.h>
#include <linux/gpio/consumer.h>
#include <linux/interrupt.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "gwio.h"

#define GWIO_DEBOUNCE_MAX_US	1000000U	/* 1 s */


/* where the level may be read: hard irq context, or a thread on RT */
#define GWIO_DEBOUNCE_MODE	(IS_ENABLED(CONFIG_PREEMPT_RT) ?	\
				 HRTIMER_MODE_REL_SOFT : HRTIMER_MODE_REL_HARD)

enum gwio_edge {
	GWIO_EDGE_RISING,
	GWIO_EDGE_FALLING,
	GWIO_EDGE_BOTH,
	GWIO_EDGE_NR,
};

static const char * const gwio_edge_names[GWIO_EDGE_NR] = {
	[GWIO_EDGE_RISING] = "rising",
	[GWIO_EDGE_FALLING] = "falling",
	[GWIO_EDGE_BOTH] = "both",
};

struct gwio_gpio_line {
	struct gwio_channel *ch;
	struct gpio_desc *gpiod;
	int irq;
	enum gwio_edge edge;
	bool sleeping;		/* controller can sleep: threaded handler */
	bool running;
	char name[GWIO_LABEL_SIZE];	/* the interrupt's, in /proc/interrupts */

	/* written by the handlers, read by sysfs */
	u32 debounce_ns;
	struct hrtimer debounce_timer;
	/*
	 * The edge handler against the debounce timer (pending_ns) and,
	 * on PREEMPT_RT, against the thread that checks the level
	 * (last_level, edges): they may run on two CPUs.
	 */
	raw_spinlock_t lock;
	int last_level;		/* last level reported; -1: none yet */
	u64 pending_ns;		/* debounce: time of the last transition */
	u64 stamp_ns;		/* threaded: stamped by the primary handler */
	u32 edges;		/* PREEMPT_RT: edges reported, wrapping */
	bool astray;		/* PREEMPT_RT thread: the line disagreed */

	u32 last_value;
	atomic64_t overruns;	/* edges the full ring did not take */
	atomic64_t errors;	/* level reads that failed */
	atomic64_t glitches;
	atomic64_t bounces;	/* edges the debounce swallowed */
};

static u64 gwio_now_mono(void)
{
	return ktime_get_ns();
}

/*
 * One record; callable from hard IRQ, timer and thread context.  A level
 * that contradicts the direction means a pulse shorter than we could see.
 */
static void gwio_gpio_emit(struct gwio_gpio_line *l, u64 mono_ns, int level,
			   bool rising, bool glitch)
{
	struct gwio_channel *ch = l->ch;
	struct gwio_dev *gdev = ch->gdev;
	struct gwio_record rec = {
		.ts_ns = gwio_clock_from_mono(gdev->clock_id, mono_ns),
		.value = level,
		.channel = ch->index,
		.kind = GWIO_KIND_EDGE,
		.flags = rising ? GWIO_REC_F_RISING : GWIO_REC_F_FALLING,
	};
	unsigned long flags;
	bool taken;

	if (glitch || (level != 0) != rising) {
		rec.flags |= GWIO_REC_F_GLITCH;
		atomic64_inc(&l->glitches);
	}
	WRITE_ONCE(l->last_level, level);
	WRITE_ONCE(l->last_value, level);
	if (!READ_ONCE(ch->enabled))
		return;

	flags = gwio_produce_begin(gdev);
	taken = gwio_produce(gdev, &rec);
	gwio_produce_commit(gdev, flags);
	atomic64_inc(&ch->events);
	if (!taken)
		atomic64_inc(&l->overruns);
}

/*
 * Which edge raised the interrupt: with one edge configured, that one;
 * with both, the one that leads away from the last level reported.
 */
static bool gwio_gpio_rising(const struct gwio_gpio_line *l, int level)
{
	switch (l->edge) {
	case GWIO_EDGE_RISING:
		return true;
	case GWIO_EDGE_FALLING:
		return false;
	default:
		if (l->last_level < 0)
			return level;
		return !l->last_level;
	}
}

static void gwio_gpio_edge(struct gwio_gpio_line *l, u64 mono_ns, int level)
{
	if (level < 0) {
		atomic64_inc(&l->errors);
		return;
	}
	gwio_gpio_emit(l, mono_ns, level, gwio_gpio_rising(l, level), false);
}

/* Debounce: report when the line has been quiet for debounce_ns. */
static void gwio_gpio_debounce(struct gwio_gpio_line *l, u64 now,
			       u32 debounce_ns)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&l->lock, flags);
	if (hrtimer_active(&l->debounce_timer))
		atomic64_inc(&l->bounces);
	l->pending_ns = now;
	hrtimer_start(&l->debounce_timer, ns_to_ktime(debounce_ns),
		      GWIO_DEBOUNCE_MODE);
	raw_spin_unlock_irqrestore(&l->lock, flags);
}

static irqreturn_t gwio_gpio_hardirq(int irq, void *data)
{
	struct gwio_gpio_line *l = data;
	u64 now = gwio_now_mono();
	u32 debounce_ns = READ_ONCE(l->debounce_ns);

	if (debounce_ns) {
		gwio_gpio_debounce(l, now, debounce_ns);
		return IRQ_HANDLED;
	}
	gwio_gpio_edge(l, now, gpiod_get_value(l->gpiod));
	return IRQ_HANDLED;
}

static enum hrtimer_restart gwio_gpio_debounced(struct hrtimer *timer)
{
	struct gwio_gpio_line *l = container_of(timer, struct gwio_gpio_line,
						debounce_timer);
	int level = gpiod_get_value(l->gpiod);
	unsigned long flags;
	u64 pending_ns;

	raw_spin_lock_irqsave(&l->lock, flags);
	pending_ns = l->pending_ns;
	raw_spin_unlock_irqrestore(&l->lock, flags);

	/*
	 * With both edges, a change is a level other than the last one
	 * reported.  With one, the other edge raises no interrupt and the
	 * last level says nothing: the interrupt proved a transition to
	 * the edge's level, so settling there is the edge.
	 */
	if (level < 0)
		atomic64_inc(&l->errors);
	else if (l->edge == GWIO_EDGE_BOTH ? level == l->last_level :
		 level != (l->edge == GWIO_EDGE_RISING))
		atomic64_inc(&l->bounces);	/* it bounced back */
	else
		gwio_gpio_emit(l, pending_ns, level, level, false);
	return HRTIMER_NORESTART;
}

/* Threaded lines: the primary handler only stamps the time. */
static irqreturn_t gwio_gpio_stamp(int irq, void *data)
{
	struct gwio_gpio_line *l = data;

	l->stamp_ns = gwio_now_mono();
	return IRQ_WAKE_THREAD;
}

static irqreturn_t gwio_gpio_thread(int irq, void *data)
{
	struct gwio_gpio_line *l = data;
	/*
	 * IRQF_ONESHOT keeps the line masked until this thread returns, so
	 * the primary that stamped it ran before us and cannot run again
	 * meanwhile: plain accesses, no 64-bit xchg (32-bit ARM has none).
	 */
	u64 ts = l->stamp_ns;

	l->stamp_ns = 0;
	/* nested interrupts (expanders) come here without a primary */
	if (!ts)
		ts = gwio_now_mono();
	gwio_gpio_edge(l, ts, gpiod_get_value_cansleep(l->gpiod));
	return IRQ_HANDLED;
}

/* PREEMPT_RT, a controller that does not sleep: hard interrupt context. */
static irqreturn_t gwio_gpio_rt_hardirq(int irq, void *data)
{
	struct gwio_gpio_line *l = data;
	u64 now = gwio_now_mono();
	u32 debounce_ns = READ_ONCE(l->debounce_ns);
	bool rising;

	if (debounce_ns) {
		gwio_gpio_debounce(l, now, debounce_ns);
		return IRQ_HANDLED;
	}
	raw_spin_lock(&l->lock);
	/* a line whose level could not be read at start: take it as low */
	rising = gwio_gpio_rising(l, 1);
	gwio_gpio_emit(l, now, rising, rising, false);
	l->edges++;
	raw_spin_unlock(&l->lock);
	return l->edge == GWIO_EDGE_BOTH ? IRQ_WAKE_THREAD : IRQ_HANDLED;
}

/*
 * Is the line at a level other than the one the last edge reported led
 * to, with no edge since EDGES?  Then that record's level, or an edge in
 * between, was wrong.
 */
static bool gwio_gpio_rt_astray(struct gwio_gpio_line *l, u32 edges, int level)
{
	return level >= 0 && READ_ONCE(l->edges) == edges &&
	       READ_ONCE(l->last_level) >= 0 &&
	       READ_ONCE(l->last_level) != level;
}

/*
 * PREEMPT_RT, lines with both edges: after edges, check that the line is
 * where they left it.  An edge changes the level a moment before its
 * interrupt arrives, and under load that moment can stretch (its CPU
 * preempted by a hypervisor, say), so a disagreement counts only if it
 * holds with no edge meanwhile: for 10 ms, or until the check after the
 * next edge finds one again.  An edge the controller lost leaves the line
 * out of step until it is put right; an edge on its way does not.  The
 * missed edge is then reported, stamped when it was first seen, flagged
 * GWIO_REC_F_GLITCH; records in between carry the directions it inverted.
 */
static irqreturn_t gwio_gpio_rt_thread(int irq, void *data)
{
	struct gwio_gpio_line *l = data;
	unsigned long flags;
	u32 edges = READ_ONCE(l->edges);
	u64 seen;
	int level;

	level = gpiod_get_value(l->gpiod);
	if (level < 0) {
		atomic64_inc(&l->errors);
		return IRQ_HANDLED;
	}
	if (!gwio_gpio_rt_astray(l, edges, level)) {
		if (READ_ONCE(l->edges) == edges)
			l->astray = false;
		return IRQ_HANDLED;
	}
	seen = gwio_now_mono();
	usleep_range(100, 200);
	level = gpiod_get_value(l->gpiod);
	if (!gwio_gpio_rt_astray(l, edges, level))
		return IRQ_HANDLED;
	if (!l->astray) {
		l->astray = true;
		usleep_range(10000, 20000);
		level = gpiod_get_value(l->gpiod);
	}

	raw_spin_lock_irqsave(&l->lock, flags);
	if (gwio_gpio_rt_astray(l, edges, level)) {
		gwio_gpio_emit(l, seen, level, level, true);
		l->edges++;
		l->astray = false;
	}
	raw_spin_unlock_irqrestore(&l->lock, flags);
	return IRQ_HANDLED;
}

static void gwio_gpio_start(struct gwio_channel *ch)
{
	struct gwio_gpio_line *l = ch->priv;
	int level;

	if (l->running)
		return;
	level = gpiod_get_value_cansleep(l->gpiod);
	WRITE_ONCE(l->last_level, level < 0 ? -1 : level);
	l->astray = false;
	l->running = true;
	enable_irq(l->irq);
}

static void gwio_gpio_stop(struct gwio_channel *ch)
{
	struct gwio_gpio_line *l = ch->priv;

	if (!l->running)
		return;
	disable_irq(l->irq);	/* waits for running handlers */
	hrtimer_cancel(&l->debounce_timer);
	l->running = false;
}

/* Stopped for good: the interrupt and the line go back. */
static void gwio_gpio_remove(struct gwio_channel *ch)
{
	struct gwio_gpio_line *l = ch->priv;

	free_irq(l->irq, l);
	hrtimer_cancel(&l->debounce_timer);
	gpiod_put(l->gpiod);
	l->gpiod = NULL;
}

static void gwio_gpio_release(struct gwio_channel *ch)
{
	kfree(ch->priv);
}

/* ------------------------------------------------------------- sysfs */

static struct gwio_gpio_line *to_line(struct kobject *kobj)
{
	return to_gwio_channel(kobj)->priv;
}

static ssize_t edge_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", gwio_edge_names[to_line(kobj)->edge]);
}

static struct kobj_attribute edge_attr = __ATTR_RO(edge);

static ssize_t debounce_us_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	u32 ns = READ_ONCE(to_line(kobj)->debounce_ns);

	return sysfs_emit(buf, "%u\n", ns / (u32)NSEC_PER_USEC);
}

static ssize_t debounce_us_store(struct kobject *kobj,
				 struct kobj_attribute *attr,
				 const char *buf, size_t len)
{
	struct gwio_gpio_line *l = to_line(kobj);
	u32 us;
	int ret = kstrtou32(buf, 0, &us);

	if (ret)
		return ret;
	if (us > GWIO_DEBOUNCE_MAX_US)
		return -ERANGE;
	/* the threaded path reads the level in the thread, after the fact */
	if (us && l->sleeping)
		return -EOPNOTSUPP;
	/*
	 * An edge may still be waiting out the old debounce; its timer must
	 * not emit beside a handler that already follows the new value.
	 * With the interrupt off nothing re-arms it: let it fire, then
	 * switch (at most the old debounce, 1 s, and nothing is lost).
	 */
	disable_irq(l->irq);
	while (hrtimer_active(&l->debounce_timer))
		usleep_range(100, 200);
	WRITE_ONCE(l->debounce_ns, us * NSEC_PER_USEC);
	enable_irq(l->irq);
	return len;
}

static struct kobj_attribute debounce_us_attr = __ATTR_RW(debounce_us);

GWIO_CHANNEL_COUNTER(overruns, atomic64_read(&to_line(kobj)->overruns));
GWIO_CHANNEL_COUNTER(errors, atomic64_read(&to_line(kobj)->errors));
GWIO_CHANNEL_COUNTER(glitches, atomic64_read(&to_line(kobj)->glitches));
GWIO_CHANNEL_COUNTER(bounces, atomic64_read(&to_line(kobj)->bounces));

static ssize_t last_value_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_line(kobj)->last_value));
}

static struct kobj_attribute last_value_attr = __ATTR_RO(last_value);

static ssize_t threaded_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", to_line(kobj)->sleeping);
}

static struct kobj_attribute threaded_attr = __ATTR_RO(threaded);

static struct attribute *gwio_gpio_attrs[] = {
	&edge_attr.attr,
	&debounce_us_attr.attr,
	&overruns_attr.attr,
	&errors_attr.attr,
	&glitches_attr.attr,
	&bounces_attr.attr,
	&last_value_attr.attr,
	&threaded_attr.attr,
	NULL,
};

static const struct attribute_group gwio_gpio_group = {
	.attrs = gwio_gpio_attrs,
};

static const struct gwio_channel_ops gwio_gpio_ops = {
	.type = "gpio-edge",
	.kind = GWIO_KIND_EDGE,
	.attrs = &gwio_gpio_group,
	.start = gwio_gpio_start,
	.stop = gwio_gpio_stop,
	.remove = gwio_gpio_remove,
	.release = gwio_gpio_release,
};

/* ------------------------------------------------------------- setup */

static const unsigned long gwio_edge_trigger[GWIO_EDGE_NR] = {
	[GWIO_EDGE_RISING] = IRQF_TRIGGER_RISING,
	[GWIO_EDGE_FALLING] = IRQF_TRIGGER_FALLING,
	[GWIO_EDGE_BOTH] = IRQF_TRIGGER_RISING | IRQF_TRIGGER_FALLING,
};

/*
 * Disabled until the device is enabled (gwio_gpio_start()).  gwio,edge
 * names the line's logical edge, as the GPIO character device's edge
 * flags do: records carry logical levels, so "rising" on an active-low
 * line is its physical falling edge, and its records say level 1.
 */
static int gwio_gpio_request_irq(struct gwio_gpio_line *l)
{
	enum gwio_edge edge = l->edge;
	unsigned long flags;

	if (gpiod_is_active_low(l->gpiod) && edge != GWIO_EDGE_BOTH)
		edge = edge == GWIO_EDGE_RISING ? GWIO_EDGE_FALLING :
						  GWIO_EDGE_RISING;
	flags = gwio_edge_trigger[edge] | IRQF_NO_AUTOEN;

	if (l->sleeping)
		return request_threaded_irq(l->irq, gwio_gpio_stamp,
					    gwio_gpio_thread,
					    flags | IRQF_ONESHOT, l->name, l);
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return request_threaded_irq(l->irq, gwio_gpio_rt_hardirq,
					    l->edge == GWIO_EDGE_BOTH ?
					    gwio_gpio_rt_thread : NULL,
					    flags | IRQF_NO_THREAD, l->name, l);
	/* threadirqs must not move the stamp into a thread: hard-IRQ safe */
	return request_irq(l->irq, gwio_gpio_hardirq, flags | IRQF_NO_THREAD,
			   l->name, l);
}

/*
 * A child node of a gwio device with type "gpio-edge":
 *   gpios = <&gpio 17 GPIO_ACTIVE_HIGH>;   the line (active-low inverts)
 *   gwio,edge = "rising" | "falling" | "both";   default "both", logical
 *   gwio,debounce-us = <500>;              default 0, at most 1 s
 */
int gwio_gpio_edge_add(struct gwio_dev *gdev, struct fwnode_handle *fwnode,
		       u16 index, const char *label)
{
	struct device *dev = gdev->dev.parent;
	struct gwio_gpio_line *l;
	struct gwio_channel *ch;
	const char *edge;
	u32 debounce_us = 0;
	int ret;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->last_level = -1;
	strscpy(l->name, label, sizeof(l->name));
	raw_spin_lock_init(&l->lock);
	gwio_hrtimer_setup(&l->debounce_timer, gwio_gpio_debounced,
			   CLOCK_MONOTONIC, GWIO_DEBOUNCE_MODE);

	l->edge = GWIO_EDGE_BOTH;
	if (!fwnode_property_read_string(fwnode, "gwio,edge", &edge)) {
		ret = match_string(gwio_edge_names, GWIO_EDGE_NR, edge);
		if (ret < 0) {
			dev_err(dev, "channel %s: gwio,edge \"%s\": expected rising, falling or both\n",
				label, edge);
			goto err_free;
		}
		l->edge = ret;
	}
	fwnode_property_read_u32(fwnode, "gwio,debounce-us", &debounce_us);
	if (debounce_us > GWIO_DEBOUNCE_MAX_US) {
		dev_err(dev, "channel %s: gwio,debounce-us %u: at most %u\n",
			label, debounce_us, GWIO_DEBOUNCE_MAX_US);
		ret = -EINVAL;
		goto err_free;
	}
	l->debounce_ns = debounce_us * NSEC_PER_USEC;

	l->gpiod = fwnode_gpiod_get_index(fwnode, NULL, 0, GPIOD_IN, label);
	/*
	 * Boards without firmware GPIO references describe the line in a
	 * GPIO lookup table: device name, con_id = the channel label.  So
	 * do software nodes on 6.1, whose gpiolib cannot follow a reference
	 * from one (-EINVAL there).
	 */
	if (PTR_ERR(l->gpiod) == -ENOENT ||
	    (PTR_ERR(l->gpiod) == -EINVAL && is_software_node(fwnode)))
		l->gpiod = gpiod_get(dev, label, GPIOD_IN);
	if (IS_ERR(l->gpiod)) {
		ret = dev_err_probe(dev, PTR_ERR(l->gpiod),
				    "channel %s: no usable gpios\n", label);
		goto err_free;
	}
	l->sleeping = gpiod_cansleep(l->gpiod);
	if (l->sleeping && l->debounce_ns) {
		dev_err(dev, "channel %s: debounce needs a controller that does not sleep\n",
			label);
		ret = -EINVAL;
		goto err_put;
	}
	l->irq = gpiod_to_irq(l->gpiod);
	if (l->irq < 0) {
		ret = dev_err_probe(dev, l->irq,
				    "channel %s: the line has no interrupt\n",
				    label);
		goto err_put;
	}

	ret = gwio_gpio_request_irq(l);
	if (ret) {
		dev_err(dev, "channel %s: requesting IRQ %d: %pe\n", label,
			l->irq, ERR_PTR(ret));
		goto err_put;
	}

	/* the interrupt stays off until the device starts: l->ch is set first */
	ch = gwio_channel_add(gdev, index, label, &gwio_gpio_ops, l);
	if (IS_ERR(ch)) {
		ret = PTR_ERR(ch);
		dev_err(dev, "channel %s: %pe\n", label, ch);
		goto err_irq;
	}
	/* from here on gwio_channels_remove() gives it all back */
	l->ch = ch;
	return 0;

err_irq:
	free_irq(l->irq, l);
err_put:
	gpiod_put(l->gpiod);
err_free:
	kfree(l);
	return ret;
}
