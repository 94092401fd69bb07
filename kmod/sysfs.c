// SPDX-License-Identifier: GPL-2.0
/*
 * gwio device attributes: /sys/class/gwio/gwioN/{knobs, statistics/}.
 *
 * Every store validates the whole value before it changes anything, so a
 * rejected write (-EINVAL, -ERANGE from kstrtou32, -EBUSY) leaves the
 * device exactly as it was.  The one exception: a resize whose restart
 * the device's source refuses keeps the new size and leaves the device
 * disabled (gwio_ring_resize()).
 */

#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "gwio.h"

static const char * const gwio_overflow_names[] = {
	[GWIO_OVERFLOW_DROP_NEWEST] = "drop-newest",
	[GWIO_OVERFLOW_OVERWRITE] = "overwrite",
};

/* the two arrays index together: sysfs names and their clock ids */
static const char * const gwio_clock_names[] = {
	"monotonic", "boottime", "realtime", "tai",
};

static const clockid_t gwio_clock_ids[] = {
	CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME, CLOCK_TAI,
};

/* "a [b] c\n": the kernel's way of listing choices with the current one */
ssize_t gwio_emit_choices(char *buf, const char * const *names, int nr,
			  int cur)
{
	ssize_t n = 0;
	int i;

	for (i = 0; i < nr; i++)
		n += sysfs_emit_at(buf, n, i == cur ? "[%s]%s" : "%s%s",
				   names[i], i + 1 < nr ? " " : "\n");
	return n;
}

static ssize_t ring_records_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_gwio_dev(dev)->ring_records));
}

static ssize_t ring_records_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t len)
{
	u32 records;
	int ret = kstrtou32(buf, 0, &records);

	if (ret)
		return ret;
	ret = gwio_ring_resize(to_gwio_dev(dev), records);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(ring_records);

static ssize_t watermark_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_gwio_dev(dev)->watermark));
}

static ssize_t watermark_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t len)
{
	struct gwio_dev *gdev = to_gwio_dev(dev);
	u32 wm;
	int ret = kstrtou32(buf, 0, &wm);

	if (ret)
		return ret;
	mutex_lock(&gdev->lock);
	if (!wm || wm > gdev->ring_records)
		ret = -EINVAL;
	else
		WRITE_ONCE(gdev->watermark, wm);
	mutex_unlock(&gdev->lock);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(watermark);

static ssize_t timeout_us_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_gwio_dev(dev)->timeout_us));
}

static ssize_t timeout_us_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t len)
{
	u32 us;
	int ret = kstrtou32(buf, 0, &us);

	if (ret)
		return ret;
	if (us > GWIO_TIMEOUT_MAX_US)
		return -EINVAL;
	WRITE_ONCE(to_gwio_dev(dev)->timeout_us, us);
	return len;
}
static DEVICE_ATTR_RW(timeout_us);

static ssize_t overflow_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return gwio_emit_choices(buf, gwio_overflow_names,
				 ARRAY_SIZE(gwio_overflow_names),
				 READ_ONCE(to_gwio_dev(dev)->overflow));
}

/*
 * Policy and clock describe every record in the ring, and consumers cache
 * them: only while stopped and unmapped, and a change empties the ring
 * (gwio_ring_reconfigure()).
 */
static ssize_t overflow_store(struct device *dev,
			      struct device_attribute *attr,
			      const char *buf, size_t len)
{
	struct gwio_dev *gdev = to_gwio_dev(dev);
	int policy = sysfs_match_string(gwio_overflow_names, buf);
	int ret;

	if (policy < 0)
		return -EINVAL;
	ret = gwio_ring_reconfigure(gdev, policy, -1);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(overflow);

static ssize_t clock_show(struct device *dev,
			  struct device_attribute *attr, char *buf)
{
	clockid_t cur = READ_ONCE(to_gwio_dev(dev)->clock_id);
	int i;

	for (i = 0; i < ARRAY_SIZE(gwio_clock_ids); i++)
		if (gwio_clock_ids[i] == cur)
			break;
	return gwio_emit_choices(buf, gwio_clock_names,
				 ARRAY_SIZE(gwio_clock_names), i);
}

static ssize_t clock_store(struct device *dev,
			   struct device_attribute *attr,
			   const char *buf, size_t len)
{
	struct gwio_dev *gdev = to_gwio_dev(dev);
	int i = sysfs_match_string(gwio_clock_names, buf);
	int ret;

	if (i < 0)
		return -EINVAL;
	ret = gwio_ring_reconfigure(gdev, -1, gwio_clock_ids[i]);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(clock);

static ssize_t enable_show(struct device *dev,
			   struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_gwio_dev(dev)->enabled));
}

static ssize_t enable_store(struct device *dev,
			    struct device_attribute *attr,
			    const char *buf, size_t len)
{
	struct gwio_dev *gdev = to_gwio_dev(dev);
	bool enable;
	int ret = kstrtobool(buf, &enable);

	if (ret)
		return ret;
	mutex_lock(&gdev->lock);
	ret = gwio_dev_set_enabled(gdev, enable);
	mutex_unlock(&gdev->lock);
	return ret ? ret : len;
}
static DEVICE_ATTR_RW(enable);

static ssize_t label_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", to_gwio_dev(dev)->label);
}
static DEVICE_ATTR_RO(label);

static struct attribute *gwio_dev_attrs[] = {
	&dev_attr_label.attr,
	&dev_attr_ring_records.attr,
	&dev_attr_watermark.attr,
	&dev_attr_timeout_us.attr,
	&dev_attr_overflow.attr,
	&dev_attr_clock.attr,
	&dev_attr_enable.attr,
	NULL,
};

static const struct attribute_group gwio_dev_group = {
	.attrs = gwio_dev_attrs,
};

/*
 * statistics/: the producer's counters, for people and scripts.  Read
 * from its private 64-bit copies under prod_lock: a 32-bit CPU cannot
 * load them in one go.
 */
#define GWIO_STAT_ATTR(field, expr)					\
static ssize_t field##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct gwio_dev *gdev = to_gwio_dev(dev);			\
	unsigned long flags;						\
	u64 val;							\
									\
	raw_spin_lock_irqsave(&gdev->prod_lock, flags);			\
	val = (expr);							\
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);		\
	return sysfs_emit(buf, "%llu\n", val);				\
}									\
static DEVICE_ATTR_RO(field)

GWIO_STAT_ATTR(produced, gdev->prod.produced);
GWIO_STAT_ATTR(dropped, gdev->prod.dropped);
GWIO_STAT_ATTR(overruns, gdev->prod.overruns);
GWIO_STAT_ATTR(wakeups, gdev->prod.wakeups);
GWIO_STAT_ATTR(tail_resets, gdev->tail_resets);
GWIO_STAT_ATTR(read_lost, gdev->read_lost);
/* a lapped overwrite ring shows a ring; 0 for an invalid drop-newest tail */
GWIO_STAT_ATTR(unread, gwio_ring_unread(gdev->prod.head,
					READ_ONCE(gdev->ring_cons->tail),
					gdev->prod.mask + 1,
					gdev->prod.overflow));

static struct attribute *gwio_stat_attrs[] = {
	&dev_attr_produced.attr,
	&dev_attr_dropped.attr,
	&dev_attr_overruns.attr,
	&dev_attr_wakeups.attr,
	&dev_attr_unread.attr,
	&dev_attr_tail_resets.attr,
	&dev_attr_read_lost.attr,
	NULL,
};

static const struct attribute_group gwio_stat_group = {
	.name = "statistics",
	.attrs = gwio_stat_attrs,
};

const struct attribute_group *gwio_dev_groups[] = {
	&gwio_dev_group,
	&gwio_stat_group,
	NULL,
};
