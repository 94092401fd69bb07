// SPDX-License-Identifier: GPL-2.0
/*
 * gwio core: device lifetime, ring memory, publishing and wakeups.
 *
 * Lifetime: struct gwio_dev embeds its struct device, and the cdev is the
 * device's child, so an open file keeps the whole object (ring included)
 * alive after removal; removal marks it dead and wakes every sleeper.
 */

#include <linux/build_bug.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "gwio.h"

static DEFINE_IDA(gwio_ida);
/*
 * gwio_devs and channel kobjects made and not yet released.  A release can
 * run long after remove (a file or a mapping holds the device;
 * CONFIG_DEBUG_KOBJECT_RELEASE delays every one by seconds) and its code
 * is ours: the module waits for the last one before it goes, at exit and
 * when init fails.  Channels count on their own: kobject_del() drops
 * their parent's reference, so nothing orders their release before the
 * device's.
 */
static atomic_t gwio_devs_alive = ATOMIC_INIT(0);

void gwio_object_made(void)
{
	atomic_inc(&gwio_devs_alive);
}

void gwio_object_released(void)
{
	if (atomic_dec_and_test(&gwio_devs_alive))
		wake_up_var(&gwio_devs_alive);
}

/* A CLOCK_MONOTONIC time in the ring's clock, without a second clock read. */
u64 gwio_clock_from_mono(clockid_t clock_id, u64 mono_ns)
{
	switch (clock_id) {
	case CLOCK_BOOTTIME:
		return ktime_mono_to_any(mono_ns, TK_OFFS_BOOT);
	case CLOCK_REALTIME:
		return ktime_mono_to_any(mono_ns, TK_OFFS_REAL);
	case CLOCK_TAI:
		return ktime_mono_to_any(mono_ns, TK_OFFS_TAI);
	default:
		return mono_ns;
	}
}

/*
 * The mapped layout is the same for every ABI, 32- and 64-bit processes
 * on any architecture (docs/abi.md); tests/unit/test_ring.c checks the
 * same offsets from userspace.
 */
static void gwio_abi_check(void)
{
	BUILD_BUG_ON(sizeof(struct gwio_record) != 16);
	BUILD_BUG_ON(sizeof(struct gwio_consumer) != 64);
	BUILD_BUG_ON(offsetof(struct gwio_producer, head) != 64);
	BUILD_BUG_ON(offsetof(struct gwio_producer, oldest) != 68);
	BUILD_BUG_ON(offsetof(struct gwio_producer, stats_seq) != 128);
	BUILD_BUG_ON(offsetof(struct gwio_producer, produced) != 136);
	BUILD_BUG_ON(offsetof(struct gwio_producer, wakeups) != 160);
	BUILD_BUG_ON(sizeof(struct gwio_producer) != 192);
	BUILD_BUG_ON(sizeof(struct gwio_channel_entry) != 48);
	BUILD_BUG_ON(sizeof(struct gwio_info) != 72);
	BUILD_BUG_ON(offsetof(struct gwio_info, consumer_map_size) != 24);
	/* the producer page header fits in front of the channel table */
	BUILD_BUG_ON(sizeof(struct gwio_producer) > PAGE_SIZE);
}

/* Userspace finds channels by label here (docs/abi.md). */
void gwio_ring_describe_channel(struct gwio_dev *gdev,
				const struct gwio_channel *ch)
{
	struct gwio_channel_entry *e = &gdev->ring_table[ch->index];

	memset(e, 0, sizeof(*e));
	strscpy(e->label, ch->label, sizeof(e->label));
	e->kind = ch->ops->kind;
	e->flags = GWIO_CHANNEL_F_VALID;
}

static void gwio_ring_describe(struct gwio_dev *gdev,
			       const struct gwio_ring_layout *l)
{
	struct gwio_producer *sh = gdev->ring_shared;

	sh->magic = GWIO_MAGIC;
	sh->abi_major = GWIO_ABI_MAJOR;
	sh->abi_minor = GWIO_ABI_MINOR;
	sh->record_size = sizeof(struct gwio_record);
	sh->record_count = gdev->ring_records;
	sh->data_offset = l->data_offset;
	sh->clock_id = gdev->clock_id;
	sh->overflow = gdev->overflow;
	sh->channel_table_offset = l->table_offset;
	sh->channel_table_entries = GWIO_MAX_CHANNELS;
}

/*
 * With prod_lock held, sources stopped, nothing mapped and no read()
 * running: start the ring memory over as a new, empty ring of the current
 * size, policy and clock, its counters at zero.  The kernel writes the
 * consumer page here because no consumer has it.
 */
static void gwio_ring_init_locked(struct gwio_dev *gdev)
{
	struct gwio_ring_layout l;

	/* a poll() may have armed the timer again since it was cancelled */
	if (gdev->timer_armed)
		hrtimer_try_to_cancel(&gdev->timeout_timer);
	gwio_ring_layout(&l, gdev->ring_records, GWIO_MAX_CHANNELS, PAGE_SIZE);
	gwio_ring_describe(gdev, &l);
	WRITE_ONCE(gdev->ring_cons->tail, GWIO_RING_POS_INIT);
	gwio_ring_prod_init(&gdev->prod, gdev->ring_shared, gdev->ring_cons,
			    gdev->ring_recs, gdev->ring_records,
			    gdev->overflow);
	/* head and the counters, at zero, into the producer page */
	gwio_ring_prod_publish(&gdev->prod);
	gdev->timer_armed = false;
	gdev->timed_out = false;
	gdev->timer_pos = 0;
	gdev->timeout_pos = 0;
	gdev->tail_resets = 0;
	gdev->read_lost = 0;
}

/* Called with gdev->lock held, sources stopped and nothing mapped. */
static int gwio_ring_alloc(struct gwio_dev *gdev, u32 records)
{
	struct gwio_ring_layout l;
	unsigned long flags;
	void *mem;
	u16 i;

	/* page-rounded, so that a last page of records maps too */
	gwio_ring_layout(&l, records, GWIO_MAX_CHANNELS, PAGE_SIZE);
	mem = vmalloc_user(l.bytes);
	if (!mem)
		return -ENOMEM;

	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	swap(gdev->ring_mem, mem);
	gdev->ring_bytes = l.bytes;
	gdev->ring_records = records;
	gdev->ring_cons = gdev->ring_mem;
	gdev->ring_shared = gdev->ring_mem + PAGE_SIZE;
	gdev->ring_table = (void *)gdev->ring_shared + l.table_offset;
	gdev->ring_recs = (void *)gdev->ring_shared + l.data_offset;
	gwio_ring_init_locked(gdev);
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);

	vfree(mem);
	for (i = 0; i < gdev->channel_count; i++)
		if (gdev->channels && gdev->channels[i])
			gwio_ring_describe_channel(gdev, gdev->channels[i]);
	return 0;
}

/*
 * Every source of the device: the synthetic timer, the device's own
 * source and each channel.  Only the device source can refuse; then
 * nothing is left running.
 */
static int gwio_sources_start(struct gwio_dev *gdev)
{
	u16 i;
	int ret;

	gwio_sim_start(gdev);
	if (gdev->src_ops) {
		ret = gdev->src_ops->start(gdev);
		if (ret) {
			gwio_sim_stop(gdev);
			return ret;
		}
	}
	for (i = 0; i < gdev->channel_count; i++) {
		struct gwio_channel *ch = gdev->channels[i];

		if (ch && ch->ops->start)
			ch->ops->start(ch);
	}
	return 0;
}

static void gwio_sources_stop(struct gwio_dev *gdev)
{
	u16 i;

	for (i = 0; i < gdev->channel_count; i++) {
		struct gwio_channel *ch = gdev->channels[i];

		if (ch && ch->ops->stop)
			ch->ops->stop(ch);
	}
	if (gdev->src_ops)
		gdev->src_ops->stop(gdev);
	gwio_sim_stop(gdev);
}

int gwio_ring_resize(struct gwio_dev *gdev, u32 records)
{
	bool was_enabled;
	int ret;

	if (records < GWIO_RING_MIN_RECORDS || records > GWIO_RING_MAX_RECORDS ||
	    !is_power_of_2(records))
		return -EINVAL;

	mutex_lock(&gdev->lock);
	/*
	 * The current size is no change: a boot script or udev rule that
	 * writes its setting every time must not empty a ring in use.
	 */
	if (records == gdev->ring_records) {
		ret = 0;
		goto out;
	}
	if (atomic_read(&gdev->ring_users)) {
		ret = -EBUSY;
		goto out;
	}
	was_enabled = gdev->enabled;
	if (was_enabled)
		gwio_sources_stop(gdev);
	hrtimer_cancel(&gdev->timeout_timer);
	irq_work_sync(&gdev->wake_work);
	ret = gwio_ring_alloc(gdev, records);
	/*
	 * A watermark above the ring would never be reached: lower it, for
	 * sysfs and the device tree's gwio,ring-records alike.
	 */
	if (!ret && gdev->watermark > records) {
		dev_info(&gdev->dev, "watermark %u lowered to the ring size %u\n",
			 gdev->watermark, records);
		WRITE_ONCE(gdev->watermark, records);
	}
	/*
	 * The ring is resized either way; a restart its source refuses
	 * leaves the device disabled and says why.
	 */
	if (was_enabled) {
		int err = gwio_sources_start(gdev);

		if (err) {
			WRITE_ONCE(gdev->enabled, false);
			ret = ret ?: err;
		}
	}
out:
	mutex_unlock(&gdev->lock);
	return ret;
}

/*
 * Change the overflow policy or the clock.  They describe every record in
 * the ring and consumers cache them, so only while the device is stopped
 * and nothing maps the ring or reads it (-EBUSY, as for a resize), and a
 * change starts the ring over empty, its counters at zero: no record is
 * left that the header does not describe.  Writing the current values
 * changes nothing and succeeds even then, as for a resize to the current
 * size.  A negative @overflow or @clock_id keeps that one.
 */
int gwio_ring_reconfigure(struct gwio_dev *gdev, int overflow,
			  clockid_t clock_id)
{
	unsigned long flags;
	int ret = 0;

	mutex_lock(&gdev->lock);
	if (overflow < 0)
		overflow = gdev->overflow;
	if (clock_id < 0)
		clock_id = gdev->clock_id;
	if (overflow == gdev->overflow && clock_id == gdev->clock_id)
		goto out;
	if (gdev->enabled || atomic_read(&gdev->ring_users)) {
		ret = -EBUSY;
		goto out;
	}
	hrtimer_cancel(&gdev->timeout_timer);
	irq_work_sync(&gdev->wake_work);
	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	WRITE_ONCE(gdev->overflow, overflow);
	WRITE_ONCE(gdev->clock_id, clock_id);
	gwio_ring_init_locked(gdev);
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
out:
	mutex_unlock(&gdev->lock);
	return ret;
}

/*
 * Discard every unread record: tail = head.  The consumer's own request
 * (the ioctl, with read_lock held so that no read() stores an older tail
 * after it), so a plain store in process context: the producer never
 * writes the consumer page.
 */
void gwio_ring_flush(struct gwio_dev *gdev)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	gwio_store_release(&gdev->ring_cons->tail, gdev->prod.head);
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
}

/*
 * read() found a tail that is not valid (gwio_ring_tail_valid()): written
 * through the mapping, or on an overwrite ring lapped beyond the 2^31
 * horizon.  Start again where gwio_ring_resync_tail() says (head; a ring
 * behind it under overwrite) and count it.  Returns the new tail.  Called
 * with read_lock held.
 */
u32 gwio_ring_reset_tail(struct gwio_dev *gdev)
{
	struct gwio_ring_prod *p = &gdev->prod;
	unsigned long flags;
	u32 tail;

	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	tail = READ_ONCE(gdev->ring_cons->tail);
	if (!gwio_ring_tail_valid(p->head, tail, p->mask + 1, p->overflow)) {
		tail = gwio_ring_resync_tail(p->head, p->mask + 1, p->overflow);
		gwio_store_release(&gdev->ring_cons->tail, tail);
		/*
		 * Under overwrite the new tail can be below the one the
		 * producer cached: it must announce the slots it reuses
		 * from there on (oldest), not take them as released.
		 */
		p->tail_cache = tail;
		gdev->tail_resets++;
	}
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
	return tail;
}

/*
 * A read() claimed @n records (overwrite policy) and could not copy them
 * to a faulting buffer: they are gone for it (statistics/read_lost).
 */
void gwio_ring_count_read_lost(struct gwio_dev *gdev, u32 n)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	gdev->read_lost += n;
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
}

/*
 * Before registration: the device's label and the firmware's
 * gwio,ring-records, each refused with a message naming the property.
 */
int gwio_dev_configure(struct gwio_dev *gdev, struct device *dev,
		       const char *label)
{
	u32 records;
	int ret;

	if (!gwio_label_valid(label)) {
		dev_err(dev, "label \"%s\": " GWIO_LABEL_RULE "\n", label);
		return -EINVAL;
	}
	strscpy(gdev->label, label, sizeof(gdev->label));
	if (device_property_read_u32(dev, "gwio,ring-records", &records))
		return 0;
	ret = gwio_ring_resize(gdev, records);
	if (ret == -EINVAL)
		dev_err(dev, "gwio,ring-records %u: a power of two in [%u, %u]\n",
			records, GWIO_RING_MIN_RECORDS, GWIO_RING_MAX_RECORDS);
	else if (ret)
		dev_err(dev, "gwio,ring-records %u: %pe\n", records,
			ERR_PTR(ret));
	return ret;
}

/* Called with gdev->lock held. */
int gwio_dev_set_enabled(struct gwio_dev *gdev, bool enable)
{
	if (gdev->dead)
		return -ENODEV;
	if (enable == gdev->enabled)
		return 0;
	if (enable) {
		int ret = gwio_sources_start(gdev);

		if (ret)
			return ret;
	} else {
		gwio_sources_stop(gdev);
	}
	WRITE_ONCE(gdev->enabled, enable);
	return 0;
}

static void gwio_wake_fn(struct irq_work *work)
{
	struct gwio_dev *gdev = container_of(work, struct gwio_dev, wake_work);
	unsigned long flags;

	/* a timeout may fire for a consumer that has stopped waiting */
	if (wq_has_sleeper(&gdev->wq)) {
		raw_spin_lock_irqsave(&gdev->prod_lock, flags);
		gdev->prod.wakeups++;
		gwio_ring_prod_publish_stats(&gdev->prod);
		raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
	}
	wake_up_interruptible(&gdev->wq);
}

static enum hrtimer_restart gwio_timeout_fn(struct hrtimer *timer)
{
	struct gwio_dev *gdev = container_of(timer, struct gwio_dev,
					     timeout_timer);
	unsigned long flags;

	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	gdev->timer_armed = false;
	gdev->timeout_pos = gdev->timer_pos;
	gdev->timed_out = true;
	gdev->waiting = false;
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);

	irq_work_queue(&gdev->wake_work);
	return HRTIMER_NORESTART;
}

/*
 * With prod_lock held: a consumer is waiting and records are unread, start
 * the timeout clock once.  It runs from when the consumer started waiting
 * with a record unread, or from when the first record came for a waiting
 * consumer, whichever is later (docs/abi.md, "Waiting").
 */
static void gwio_arm_timeout(struct gwio_dev *gdev)
{
	u32 timeout_us = READ_ONCE(gdev->timeout_us);

	/* a poll() racing with removal must not re-arm the cancelled timer */
	if (gdev->timer_armed || !timeout_us || READ_ONCE(gdev->dead))
		return;
	gdev->timer_armed = true;
	gdev->timer_pos = gdev->prod.head;
	hrtimer_start(&gdev->timeout_timer,
		      ns_to_ktime((u64)timeout_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL);
}

/*
 * With prod_lock held: the consumer is woken or ready without the timeout,
 * which would only fire later for nobody.  If it is running already it is
 * waiting for prod_lock (hrtimer_try_to_cancel() returns -1) and clears
 * timer_armed itself; never wait for it here.
 */
static void gwio_disarm_timeout(struct gwio_dev *gdev)
{
	if (gdev->timer_armed &&
	    hrtimer_try_to_cancel(&gdev->timeout_timer) >= 0)
		gdev->timer_armed = false;
}

void gwio_produce_commit(struct gwio_dev *gdev, unsigned long flags)
	__releases(&gdev->prod_lock)
{
	struct gwio_ring_prod *p = &gdev->prod;
	u32 avail;

	gwio_ring_prod_publish(p);
	/*
	 * "waiting" is set and cleared under prod_lock only (here, in
	 * gwio_consumer_ready() and the timeout), so no barrier pairs with
	 * the consumer's check: the lock orders head against it.
	 */
	if (gdev->waiting) {
		avail = gwio_ring_prod_avail(p);
		if (gwio_ring_wake_due(avail, READ_ONCE(gdev->watermark),
				       p->mask + 1)) {
			gdev->waiting = false;
			gwio_disarm_timeout(gdev);
			irq_work_queue(&gdev->wake_work);
		} else if (avail) {
			gwio_arm_timeout(gdev);
		}
	}
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
}

/*
 * Would a consumer sleeping for records be woken now?  EPOLLIN when the
 * watermark (at most the ring) is reached or a record has waited out the
 * timeout, with EPOLLPRI when the tail is lapped beyond the horizon of an
 * overwrite ring (the reader resyncs: docs/abi.md).
 *
 * Either way the poller is marked waiting, so that the next commit that
 * finds the watermark reached (or the timeout) wakes it.  A ready answer
 * must not clear that: an edge-triggered epoll (or io_uring's multishot
 * poll) asks once per event and then relies on the wait queue alone, and
 * would sleep forever.  Each wake is thus preceded by a call here: a
 * level-triggered poller costs at most one wake per poll.
 */
__poll_t gwio_consumer_ready(struct gwio_dev *gdev)
{
	struct gwio_ring_prod *p = &gdev->prod;
	unsigned long flags;
	__poll_t mask = 0;
	bool late;
	u32 avail;

	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	avail = gwio_ring_prod_avail(p);
	/* a flag, so that an old timeout_pos never counts */
	late = gdev->timed_out &&
	       gwio_ring_timed_out(p->head, gdev->timeout_pos, avail);
	gdev->timed_out = late;
	if (late || gwio_ring_wake_due(avail, READ_ONCE(gdev->watermark),
				       p->mask + 1)) {
		mask = EPOLLIN | EPOLLRDNORM;
		if (!gwio_ring_tail_valid(p->head, p->tail_cache, p->mask + 1,
					  p->overflow))
			mask |= EPOLLPRI;
		gwio_disarm_timeout(gdev);
	} else if (avail) {
		gwio_arm_timeout(gdev);
	}
	gdev->waiting = true;
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
	return mask;
}

static void gwio_dev_release(struct device *dev)
{
	struct gwio_dev *gdev = to_gwio_dev(dev);

	hrtimer_cancel(&gdev->timeout_timer);
	irq_work_sync(&gdev->wake_work);
	if (gdev->src_ops && gdev->src_ops->release)
		gdev->src_ops->release(gdev);
	vfree(gdev->ring_mem);
	kfree(gdev->channels);
	ida_free(&gwio_ida, gdev->id);
	kfree(gdev);
	gwio_object_released();
}

/* Module exit: every release done, nothing of ours left to run. */
void gwio_devs_wait_released(void)
{
	wait_var_event(&gwio_devs_alive, !atomic_read(&gwio_devs_alive));
	ida_destroy(&gwio_ida);
}

struct gwio_dev *gwio_dev_create(struct device *parent)
{
	struct gwio_dev *gdev;
	int ret;

	gwio_abi_check();
	gdev = kzalloc(sizeof(*gdev), GFP_KERNEL);
	if (!gdev)
		return ERR_PTR(-ENOMEM);

	ret = ida_alloc_max(&gwio_ida, GWIO_MAX_DEVICES - 1, GFP_KERNEL);
	if (ret < 0) {
		kfree(gdev);
		return ERR_PTR(ret);
	}
	gdev->id = ret;

	mutex_init(&gdev->lock);
	mutex_init(&gdev->read_lock);
	raw_spin_lock_init(&gdev->prod_lock);
	init_waitqueue_head(&gdev->wq);
	init_irq_work(&gdev->wake_work, gwio_wake_fn);
	gwio_hrtimer_setup(&gdev->timeout_timer, gwio_timeout_fn,
			   CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	atomic_set(&gdev->ring_users, 0);
	gdev->overflow = GWIO_OVERFLOW_DROP_NEWEST;
	gdev->clock_id = CLOCK_MONOTONIC;

	/* from here on, put_device() frees everything */
	gwio_object_made();
	device_initialize(&gdev->dev);
	gdev->dev.class = gwio_class;
	gdev->dev.parent = parent;
	gdev->dev.devt = MKDEV(MAJOR(gwio_devt), gdev->id);
	gdev->dev.groups = gwio_dev_groups;
	gdev->dev.release = gwio_dev_release;
	dev_set_drvdata(&gdev->dev, gdev);
	ret = dev_set_name(&gdev->dev, "gwio%d", gdev->id);
	if (ret)
		goto err_put;

	gdev->channels = kcalloc(GWIO_MAX_CHANNELS, sizeof(*gdev->channels),
				 GFP_KERNEL);
	if (!gdev->channels) {
		ret = -ENOMEM;
		goto err_put;
	}

	/*
	 * The ring exists from the start, at the default size: probe may
	 * resize it (gwio,ring-records) and describe channels in it before
	 * the device is registered.
	 */
	gdev->watermark = gwio_default_watermark;
	gdev->timeout_us = gwio_default_timeout_us;
	mutex_lock(&gdev->lock);
	ret = gwio_ring_alloc(gdev, gwio_default_records);
	mutex_unlock(&gdev->lock);
	if (ret)
		goto err_put;
	return gdev;

err_put:
	put_device(&gdev->dev);
	return ERR_PTR(ret);
}

/*
 * Publish a complete device: every channel added and its hardware
 * acquired, the ring at its final size.  The interface comes last: the
 * sysfs directory (without a uevent), the channels in it, then the char
 * device, and only then the "add" uevent; /dev/gwioN does not open before
 * (-ENXIO from the char device core).
 */
int gwio_dev_register(struct gwio_dev *gdev)
{
	int ret;

	dev_set_uevent_suppress(&gdev->dev, true);
	ret = device_add(&gdev->dev);
	if (ret)
		goto err_uevent;
	ret = gwio_channels_publish(gdev);
	if (ret)
		goto err_del;

	cdev_init(&gdev->cdev, &gwio_fops);
	gdev->cdev.owner = THIS_MODULE;
	/* an open file holds the device, and with it the ring */
	cdev_set_parent(&gdev->cdev, &gdev->dev.kobj);
	ret = cdev_add(&gdev->cdev, gdev->dev.devt, 1);
	if (ret)
		goto err_unpublish;

	dev_set_uevent_suppress(&gdev->dev, false);
	kobject_uevent(&gdev->dev.kobj, KOBJ_ADD);
	gwio_channels_announce(gdev);
	return 0;

err_unpublish:
	gwio_channels_unpublish(gdev);
err_del:
	device_del(&gdev->dev);
err_uevent:
	dev_set_uevent_suppress(&gdev->dev, false);
	return ret;
}

/*
 * The reverse: the interface goes first (no new opens, sysfs callbacks
 * drained), then the sources stop and the device is marked dead for the
 * files still open, then the hardware goes back.  The memory stays until
 * the last reference (an open file or mapping, the caller's) is dropped.
 */
void gwio_dev_unregister(struct gwio_dev *gdev)
{
	unsigned long flags;

	cdev_del(&gdev->cdev);
	gwio_channels_unpublish(gdev);
	device_del(&gdev->dev);

	mutex_lock(&gdev->lock);
	gwio_dev_set_enabled(gdev, false);
	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	WRITE_ONCE(gdev->dead, true);
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
	mutex_unlock(&gdev->lock);

	hrtimer_cancel(&gdev->timeout_timer);
	irq_work_sync(&gdev->wake_work);
	wake_up_interruptible_all(&gdev->wq);

	gwio_channels_remove(gdev);
}

/* devm: what drivers/iio and drivers/gpio drivers do, undone in reverse. */
static void gwio_dev_put_action(void *data)
{
	struct gwio_dev *gdev = data;

	put_device(&gdev->dev);
}

static void gwio_channels_remove_action(void *data)
{
	gwio_channels_remove(data);
}

static void gwio_dev_unregister_action(void *data)
{
	gwio_dev_unregister(data);
}

/*
 * A device whose reference, and whose channels' hardware, go back when
 * @parent's probe fails or its driver unbinds.
 */
struct gwio_dev *devm_gwio_dev_create(struct device *parent)
{
	struct gwio_dev *gdev = gwio_dev_create(parent);
	int ret;

	if (IS_ERR(gdev))
		return gdev;
	ret = devm_add_action_or_reset(parent, gwio_dev_put_action, gdev);
	if (ret)
		return ERR_PTR(ret);
	ret = devm_add_action_or_reset(parent, gwio_channels_remove_action,
				       gdev);
	if (ret)
		return ERR_PTR(ret);
	return gdev;
}

int devm_gwio_dev_register(struct device *parent, struct gwio_dev *gdev)
{
	int ret = gwio_dev_register(gdev);

	if (ret)
		return ret;
	return devm_add_action_or_reset(parent, gwio_dev_unregister_action,
					gdev);
}
