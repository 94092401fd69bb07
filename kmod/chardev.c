// SPDX-License-Identifier: GPL-2.0
/*
 * gwio character device: /dev/gwioN for the ring's one consumer.
 *
 * Semantics (docs/abi.md): one open file at a time (-EBUSY otherwise); the
 * consumer page maps read-write and shared, the producer page and records
 * read-only; the ring cannot be resized, nor its policy or clock changed,
 * while mapped or while a read() runs; after the device goes away, poll()
 * says EPOLLHUP and the rest -ENODEV, and the memory lives on until the
 * last mapping and file are gone.
 */

#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "gwio.h"

#define GWIO_READ_BATCH	16

static int gwio_open(struct inode *inode, struct file *file)
{
	struct gwio_dev *gdev = container_of(inode->i_cdev, struct gwio_dev,
					     cdev);
	int ret = 0;

	/*
	 * Killable here and in mmap, read and ioctl: a controller that never
	 * completes holds gdev->lock in a stop, and the callers of the file
	 * must stay killable meanwhile.  Not interruptible: an ordinary
	 * signal must not turn into EINTR from open() (vm-stress saw it).
	 */
	if (mutex_lock_killable(&gdev->lock))
		return -ERESTARTSYS;
	if (gdev->dead)
		ret = -ENODEV;
	else if (gdev->open)
		ret = -EBUSY;
	else
		gdev->open = true;
	mutex_unlock(&gdev->lock);
	if (ret)
		return ret;

	file->private_data = gdev;
	return stream_open(inode, file);
}

static int gwio_release(struct inode *inode, struct file *file)
{
	struct gwio_dev *gdev = file->private_data;

	mutex_lock(&gdev->lock);
	gdev->open = false;
	mutex_unlock(&gdev->lock);
	return 0;
}

static void gwio_vma_open(struct vm_area_struct *vma)
{
	struct gwio_dev *gdev = vma->vm_private_data;

	atomic_inc(&gdev->ring_users);
}

static void gwio_vma_close(struct vm_area_struct *vma)
{
	struct gwio_dev *gdev = vma->vm_private_data;

	atomic_dec(&gdev->ring_users);
}

static const struct vm_operations_struct gwio_vm_ops = {
	.open = gwio_vma_open,
	.close = gwio_vma_close,
};

static int gwio_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct gwio_dev *gdev = file->private_data;
	unsigned long size = vma->vm_end - vma->vm_start;
	struct gwio_ring_layout l;
	int ret = 0;

	if (mutex_lock_killable(&gdev->lock))
		return -ERESTARTSYS;
	if (gdev->dead) {
		ret = -ENODEV;
		goto out;
	}
	gwio_ring_layout(&l, gdev->ring_records, GWIO_MAX_CHANNELS, PAGE_SIZE);
	if (!gwio_ring_map_fits(&l, PAGE_SIZE, vma->vm_pgoff, size)) {
		ret = -EINVAL;
	} else if (vma->vm_pgoff == GWIO_CONSUMER_PGOFF) {
		/* a private copy's tail would never reach the producer */
		if (!(vma->vm_flags & VM_MAYSHARE))
			ret = -EINVAL;
	} else if (vma->vm_flags & VM_WRITE) {
		/* only the consumer page is the consumer's to write */
		ret = -EPERM;
	} else {
		gwio_vma_forbid_write(vma);
	}
	if (ret)
		goto out;

	ret = remap_vmalloc_range(vma, gdev->ring_mem, vma->vm_pgoff);
	if (ret)
		goto out;
	vma->vm_ops = &gwio_vm_ops;
	vma->vm_private_data = gdev;
	atomic_inc(&gdev->ring_users);
out:
	mutex_unlock(&gdev->lock);
	return ret;
}

static __poll_t gwio_poll(struct file *file, poll_table *wait)
{
	struct gwio_dev *gdev = file->private_data;

	poll_wait(file, &gdev->wq, wait);
	if (READ_ONCE(gdev->dead))
		return EPOLLHUP | EPOLLERR;
	return gwio_consumer_ready(gdev);
}

/*
 * Copy records out through a small bounce buffer; returns records copied.
 * Called with read_lock held.  One batch at a time through
 * gwio_ring_kread_begin()/_end() (gwio_ring.h, where the unit tests run
 * the same code): the tail it stores never moves backwards, so under the
 * overwrite policy a batch that faults is lost to this reader, and
 * counted (statistics/read_lost); under drop-newest it stays unread.
 *
 * tail is the consumer's to write through its mapping: it is re-read per
 * batch, an invalid value ends the read (the caller resets it), and the
 * loop is bounded by positions consumed, not by anything in that page.
 */
static ssize_t gwio_read_records(struct gwio_dev *gdev, char __user *buf,
				 size_t max)
{
	struct gwio_record batch[GWIO_READ_BATCH];
	u32 overflow = READ_ONCE(gdev->prod.overflow);
	u32 size = gdev->ring_records, lost;
	size_t done = 0, budget = (size_t)size + max;
	struct gwio_ring_kread k;
	bool delivered;
	int good;

	while (done < max && budget) {
		good = gwio_ring_kread_begin(gdev->ring_cons, gdev->ring_shared,
					     gwio_ring_records_mem(gdev), size,
					     overflow, batch,
					     min_t(size_t, GWIO_READ_BATCH,
						   max - done), &k);
		if (good < 0)
			return done ? done : -ERANGE;
		if (!k.n)
			break;
		budget -= min_t(size_t, budget, k.n);
		delivered = !copy_to_user(buf + done * sizeof(*batch),
					  batch + k.bad,
					  good * sizeof(*batch));
		lost = gwio_ring_kread_end(gdev->ring_cons, &k, overflow,
					   delivered);
		if (!delivered) {
			if (lost)
				gwio_ring_count_read_lost(gdev, lost);
			return done ? done : -EFAULT;
		}
		done += good;
		cond_resched();
	}
	return done;
}

/*
 * read_lock is held only while records are copied, not while waiting, so
 * that GWIO_IOC_FLUSH, which takes it to exclude the copy, never waits
 * for records to arrive.
 */
static ssize_t gwio_read(struct file *file, char __user *buf, size_t len,
			 loff_t *ppos)
{
	struct gwio_dev *gdev = file->private_data;
	size_t max = len / sizeof(struct gwio_record);
	ssize_t ret;

	if (!max)
		return -EINVAL;

	if (mutex_lock_killable(&gdev->lock))
		return -ERESTARTSYS;
	ret = gdev->dead ? -ENODEV : 0;
	if (!ret)
		atomic_inc(&gdev->ring_users);
	mutex_unlock(&gdev->lock);
	if (ret)
		return ret;

	for (;;) {
		/* an invalid tail: start again (docs/abi.md) */
		if (mutex_lock_interruptible(&gdev->read_lock)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!gwio_ring_tail_valid(gwio_load_acquire(&gdev->ring_shared->head),
					  READ_ONCE(gdev->ring_cons->tail),
					  gdev->ring_records,
					  READ_ONCE(gdev->prod.overflow)))
			gwio_ring_reset_tail(gdev);
		mutex_unlock(&gdev->read_lock);
		if (!(file->f_flags & O_NONBLOCK)) {
			ret = wait_event_interruptible(gdev->wq,
						       READ_ONCE(gdev->dead) ||
						       gwio_consumer_ready(gdev));
			if (ret)
				break;
		}
		if (READ_ONCE(gdev->dead)) {
			ret = -ENODEV;
			break;
		}
		if (mutex_lock_interruptible(&gdev->read_lock)) {
			ret = -ERESTARTSYS;
			break;
		}
		ret = gwio_read_records(gdev, buf, max);
		mutex_unlock(&gdev->read_lock);
		if (ret > 0) {
			ret *= sizeof(struct gwio_record);
			break;
		}
		if (ret < 0 && ret != -ERANGE)
			break;
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		/* ready but nothing read (a racing tail): never spin */
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		cond_resched();
	}
	atomic_dec(&gdev->ring_users);
	return ret;
}

static long gwio_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gwio_dev *gdev = file->private_data;
	struct gwio_info info = { 0 };
	struct gwio_ring_layout l;
	long ret = 0;

	/*
	 * A flush must not race a read(): one that had loaded the tail
	 * before it would store an older one after it.  read_lock first,
	 * as in read(); read() does not hold it while it sleeps.
	 */
	if (cmd == GWIO_IOC_FLUSH && mutex_lock_interruptible(&gdev->read_lock))
		return -ERESTARTSYS;
	if (mutex_lock_killable(&gdev->lock)) {
		ret = -ERESTARTSYS;
		goto out_read;
	}
	if (gdev->dead) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case GWIO_IOC_INFO:
		info.abi_major = GWIO_ABI_MAJOR;
		info.abi_minor = GWIO_ABI_MINOR;
		info.page_size = PAGE_SIZE;
		info.record_size = sizeof(struct gwio_record);
		info.record_count = gdev->ring_records;
		/* slots: the highest index + 1 (docs/abi.md) */
		info.channel_count = gdev->channel_count;
		gwio_ring_layout(&l, gdev->ring_records, GWIO_MAX_CHANNELS,
				 PAGE_SIZE);
		info.consumer_map_size = PAGE_SIZE;
		info.producer_map_size = l.producer_map_size;
		break;
	case GWIO_IOC_START:
		ret = gwio_dev_set_enabled(gdev, true);
		break;
	case GWIO_IOC_STOP:
		ret = gwio_dev_set_enabled(gdev, false);
		break;
	case GWIO_IOC_FLUSH:
		gwio_ring_flush(gdev);
		break;
	default:
		ret = -ENOTTY;
	}
out:
	mutex_unlock(&gdev->lock);
out_read:
	if (cmd == GWIO_IOC_FLUSH)
		mutex_unlock(&gdev->read_lock);
	/* outside the lock: a fault here may take mmap_lock, which mmap holds */
	if (!ret && cmd == GWIO_IOC_INFO &&
	    copy_to_user((void __user *)arg, &info, sizeof(info)))
		ret = -EFAULT;
	return ret;
}

const struct file_operations gwio_fops = {
	.owner = THIS_MODULE,
	.open = gwio_open,
	.release = gwio_release,
	.read = gwio_read,
	.poll = gwio_poll,
	.mmap = gwio_mmap,
	.unlocked_ioctl = gwio_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
