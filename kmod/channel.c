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

GWIO_CHANNEL_COUNTER(events, READ_ONCE(to_gwio_channel(kobj)->events));

static struct attribute *gwio_channel_attrs[] = {
	&label_attr.attr,
	&type_attr.attr,
	&index_attr.attr,
	&enable_attr.attr,
	&events_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(gwio_channel);

static void gwio_channel_release(struct kobject *kobj)
{
	struct gwio_channel *ch = to_gwio_channel(kobj);

	if (ch->ops->release)
		ch->ops->release(ch);
	kfree(ch);
}

const struct kobj_type gwio_channel_ktype = {
	.release = gwio_channel_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = gwio_channel_groups,
};

struct gwio_channel *gwio_channel_add(struct gwio_dev *gdev, u16 index,
				      const char *label,
				      const struct gwio_channel_ops *ops,
				      void *priv)
{
	struct gwio_channel *ch;
	int ret;

	if (index >= GWIO_MAX_CHANNELS || gdev->channels[index])
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

	ret = kobject_init_and_add(&ch->kobj, &gwio_channel_ktype,
				   gdev->channels_kobj, "%s", ch->label);
	if (ret)
		goto err_put;
	if (ops->attrs) {
		ret = sysfs_create_group(&ch->kobj, ops->attrs);
		if (ret)
			goto err_del;
	}
	gdev->channels[index] = ch;
	if (index >= gdev->channel_count)
		gdev->channel_count = index + 1;
	mutex_lock(&gdev->lock);
	gwio_ring_describe_channel(gdev, ch);
	mutex_unlock(&gdev->lock);
	return ch;

err_del:
	kobject_del(&ch->kobj);
err_put:
	kobject_put(&ch->kobj);	/* frees ch through the release */
	return ERR_PTR(ret);
}

/*
 * Channel kobjects are no devices and send no uevents of their own: once
 * all are in place, a "change" on the device lets udev make the
 * /dev/gwio/by-label/<label> links (udev/gwio-links).
 */
void gwio_channels_announce(struct gwio_dev *gdev)
{
	kobject_uevent(&gdev->dev.kobj, KOBJ_CHANGE);
}

void gwio_channels_remove(struct gwio_dev *gdev)
{
	u16 i;

	for (i = 0; i < gdev->channel_count; i++) {
		struct gwio_channel *ch = gdev->channels[i];

		if (!ch)
			continue;
		gdev->channels[i] = NULL;
		if (ch->ops->attrs)
			sysfs_remove_group(&ch->kobj, ch->ops->attrs);
		kobject_del(&ch->kobj);
		kobject_put(&ch->kobj);
	}
	gdev->channel_count = 0;
}
