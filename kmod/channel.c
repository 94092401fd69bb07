// SPDX-License-Identifier: GPL-2.0
/*
 * gwio channels: one kobject per channel under gwioN/channels/<label>,
 * with the attributes every kind shares plus the kind's own group.
 */

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "gwio.h"

static ssize_t label_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", to_gwio_channel(kobj)->label);
}

static struct kobj_attribute label_attr = __ATTR_RO(label);

static ssize_t type_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_gwio_channel(kobj)->ops->type);
}

static struct kobj_attribute type_attr = __ATTR_RO(type);

static ssize_t index_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_gwio_channel(kobj)->index);
}

static struct kobj_attribute index_attr = __ATTR_RO(index);

static ssize_t enable_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_gwio_channel(kobj)->enabled));
}

static ssize_t enable_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t len)
{
	bool enable;
	int ret = kstrtobool(buf, &enable);

	if (ret)
		return ret;
	WRITE_ONCE(to_gwio_channel(kobj)->enabled, enable);
	return len;
}

static struct kobj_attribute enable_attr = __ATTR_RW(enable);

GWIO_CHANNEL_COUNTER(events, atomic64_read(&to_gwio_channel(kobj)->events));

static struct attribute *gwio_channel_attrs[] = {
	&label_attr.attr,
	&type_attr.attr,
	&index_attr.attr,
	&enable_attr.attr,
	&events_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(gwio_channel);

/* Memory only: the hardware went back in gwio_channels_remove(). */
static void gwio_channel_release(struct kobject *kobj)
{
	struct gwio_channel *ch = to_gwio_channel(kobj);

	if (ch->ops->release)
		ch->ops->release(ch);
	kfree(ch);
	gwio_object_released();
}

const struct kobj_type gwio_channel_ktype = {
	.release = gwio_channel_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = gwio_channel_groups,
};

/* With gdev->lock held: the channel called @label, or NULL. */
static struct gwio_channel *gwio_channel_find(struct gwio_dev *gdev,
					      const char *label)
{
	u16 i;

	for (i = 0; i < gdev->channel_count; i++)
		if (gdev->channels[i] &&
		    !strncmp(gdev->channels[i]->label, label,
			     sizeof(gdev->channels[i]->label)))
			return gdev->channels[i];
	return NULL;
}

bool gwio_channel_label_used(struct gwio_dev *gdev, const char *label)
{
	bool used;

	mutex_lock(&gdev->lock);
	used = gwio_channel_find(gdev, label);
	mutex_unlock(&gdev->lock);
	return used;
}

/*
 * A channel of a device not registered yet: its kind has acquired the
 * hardware (and left its interrupt disabled), so the channel is complete
 * from the moment it is in channels[].  Its kobject appears in sysfs when
 * gwio_dev_register() publishes the device.  On failure the caller still
 * owns @priv.  -EINVAL: index out of range or taken, -EEXIST: label taken,
 * -EBUSY: the device is already registered.
 */
struct gwio_channel *gwio_channel_add(struct gwio_dev *gdev, u16 index,
				      const char *label,
				      const struct gwio_channel_ops *ops,
				      void *priv)
{
	struct gwio_channel *ch;
	int ret = 0;

	if (index >= GWIO_MAX_CHANNELS)
		return ERR_PTR(-EINVAL);

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	ch->gdev = gdev;
	ch->ops = ops;
	ch->index = index;
	ch->enabled = true;
	ch->priv = priv;
	strscpy(ch->label, label, sizeof(ch->label));

	mutex_lock(&gdev->lock);
	if (device_is_registered(&gdev->dev))
		ret = -EBUSY;
	else if (gdev->channels[index])
		ret = -EINVAL;
	else if (gwio_channel_find(gdev, ch->label))
		ret = -EEXIST;
	if (ret) {
		mutex_unlock(&gdev->lock);
		kfree(ch);
		return ERR_PTR(ret);
	}
	kobject_init(&ch->kobj, &gwio_channel_ktype);
	gwio_object_made();
	gdev->channels[index] = ch;
	if (index >= gdev->channel_count)
		gdev->channel_count = index + 1;
	gwio_ring_describe_channel(gdev, ch);
	mutex_unlock(&gdev->lock);
	return ch;
}

/* Called by gwio_dev_register() before /dev/gwioN opens. */
int gwio_channels_publish(struct gwio_dev *gdev)
{
	int ret;
	u16 i;

	gdev->channels_kobj = kobject_create_and_add("channels",
						     &gdev->dev.kobj);
	if (!gdev->channels_kobj)
		return -ENOMEM;
	for (i = 0; i < gdev->channel_count; i++) {
		struct gwio_channel *ch = gdev->channels[i];

		if (!ch)
			continue;
		ret = kobject_add(&ch->kobj, gdev->channels_kobj, "%s",
				  ch->label);
		if (!ret && ch->ops->attrs)
			ret = sysfs_create_group(&ch->kobj, ch->ops->attrs);
		if (ret) {
			gwio_channels_unpublish(gdev);
			return ret;
		}
	}
	return 0;
}

/* The sysfs side only; waits for attribute callbacks that are running. */
void gwio_channels_unpublish(struct gwio_dev *gdev)
{
	u16 i;

	for (i = 0; i < gdev->channel_count; i++) {
		struct gwio_channel *ch = gdev->channels[i];

		if (!ch || !ch->kobj.state_in_sysfs)
			continue;
		if (ch->ops->attrs)
			sysfs_remove_group(&ch->kobj, ch->ops->attrs);
		kobject_del(&ch->kobj);
	}
	kobject_put(gdev->channels_kobj);
	gdev->channels_kobj = NULL;
}

/*
 * Channel kobjects are no devices and send no uevents of their own: the
 * device's "add" comes once they are all in place, and a "change" after
 * it for udev rules written against older versions (udev/gwio-links).
 */
void gwio_channels_announce(struct gwio_dev *gdev)
{
	kobject_uevent(&gdev->dev.kobj, KOBJ_CHANGE);
}

/*
 * Sources stopped, sysfs gone (or never there): each kind gives its
 * hardware back here, in the remove path, and the kobject release that
 * may come much later (CONFIG_DEBUG_KOBJECT_RELEASE) only frees memory.
 * Safe to call twice.
 */
void gwio_channels_remove(struct gwio_dev *gdev)
{
	u16 i, n;

	/* nothing walks channels[] past channel_count */
	mutex_lock(&gdev->lock);
	n = gdev->channel_count;
	gdev->channel_count = 0;
	mutex_unlock(&gdev->lock);

	for (i = 0; i < n; i++) {
		struct gwio_channel *ch = gdev->channels[i];

		if (!ch)
			continue;
		gdev->channels[i] = NULL;
		if (ch->ops->remove)
			ch->ops->remove(ch);
		kobject_put(&ch->kobj);
	}
}
