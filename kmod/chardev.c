// SPDX-License-Identifier: GPL-2.0
/*
 * gwio character device: /dev/gwioN for the ring's one consumer.
 *
 * Semantics (docs/abi.md): one open file at a time (-EBUSY otherwise); the
 * consumer page maps read-write and shared, the producer page and records
 * read-only; the ring cannot be resized while mapped or while a read()
 * runs; after the device goes away, poll() says EPOLLHUP and the rest
 * -ENODEV, and the memory lives on until the last mapping and file are
 * gone.
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

	mutex_lock(&gdev->lock);
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

	mutex_lock(&gdev->lock);
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
	return gwio_consumer_ready(gdev) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * Copy records out through a small bounce buffer; returns records copied.
 *
 * Records are claimed (tail moved) only once they are in the user's
 * buffer, so a faulting buffer costs nothing: drop-newest copies to the
 * bounce buffer, then to user space, then publishes tail.  Under the
 * overwrite policy a copy is only known to be intact after tail is
 * published and oldest checked (docs/abi.md), so tail is published first
 * and put back if the copy to user space faults; the producer never
 * writes tail, so putting it back cannot undo anything of its.
 *
 * tail is the consumer's to write through its mapping: it is re-read per
 * batch, an invalid value (gwio_ring_tail_valid()) ends the read (the
 * caller resets it), and the loop is bounded by positions consumed, not
 * by anything in that page.
 */
static ssize_t gwio_read_records(struct gwio_dev *gdev, char __user *buf,
				 size_t max)
{
	struct gwio_record batch[GWIO_READ_BATCH];
	struct gwio_consumer *cons = gdev->ring_cons;
	const struct gwio_producer *sh = gdev->ring_shared;
	const struct gwio_record *recs = gwio_ring_records_mem(gdev);
	bool overwrite = READ_ONCE(gdev->prod.overflow) ==
			 GWIO_OVERFLOW_OVERWRITE;
	u32 size = gdev->ring_records, mask = size - 1;
	u32 tail, head, avail, n, i, bad;
	size_t done = 0, budget = (size_t)size + max;
	s32 behind;

	while (done < max && budget) {
		tail = READ_ONCE(cons->tail);
		head = gwio_load_acquire(&sh->head);
		if (!gwio_ring_tail_valid(head, tail, size, overwrite ?
					  GWIO_OVERFLOW_OVERWRITE :
					  GWIO_OVERFLOW_DROP_NEWEST)) {
			if (!done)
				return -ERANGE;
			break;
		}
		avail = head - tail;
		if (avail > size) {
			/* lapped (overwrite): more than a ring back is gone */
			tail = head - size;
			avail = size;
			gwio_store_release(&cons->tail, tail);
		}
		if (overwrite) {
			/* overwritten before we got to them: lost */
			behind = (s32)(READ_ONCE(sh->oldest) - tail);
			if (behind > 0) {
				bad = min_t(u32, behind, avail);
				tail += bad;
				avail -= bad;
				gwio_store_release(&cons->tail, tail);
			}
		}
		n = min_t(size_t, min_t(u32, avail, GWIO_READ_BATCH),
			  max - done);
		if (!n)
			break;
		budget -= min_t(size_t, budget, n);
		for (i = 0; i < n; i++)
			gwio_slot_read(batch[i], recs[(tail + i) & mask]);
		bad = 0;
		if (overwrite) {
			gwio_store_release(&cons->tail, tail + n);
			/* tail before oldest: pairs with gwio_ring_prod_overrun() */
			gwio_mb();
			behind = (s32)(READ_ONCE(sh->oldest) - tail);
			if (behind > 0)
				bad = min_t(u32, behind, n);
		}
		if (copy_to_user(buf + done * sizeof(*batch), batch + bad,
				 (n - bad) * sizeof(*batch))) {
			/* nothing of this batch was delivered: hand it back */
			if (overwrite)
				gwio_store_release(&cons->tail, tail + bad);
			return done ? done : -EFAULT;
		}
		if (!overwrite)
			gwio_store_release(&cons->tail, tail + n);
		done += n - bad;
		cond_resched();
	}
	return done;
}

static ssize_t gwio_read(struct file *file, char __user *buf, size_t len,
			 loff_t *ppos)
{
	struct gwio_dev *gdev = file->private_data;
	size_t max = len / sizeof(struct gwio_record);
	ssize_t ret;

	if (!max)
		return -EINVAL;
	if (mutex_lock_interruptible(&gdev->read_lock))
		return -ERESTARTSYS;

	mutex_lock(&gdev->lock);
	ret = gdev->dead ? -ENODEV : 0;
	if (!ret)
		atomic_inc(&gdev->ring_users);
	mutex_unlock(&gdev->lock);
	if (ret)
		goto out_unlock;

	for (;;) {
		/* a hostile tail: start again at head (docs/abi.md) */
		if (!gwio_ring_tail_valid(gwio_load_acquire(&gdev->ring_shared->head),
					  READ_ONCE(gdev->ring_cons->tail),
					  gdev->ring_records,
					  READ_ONCE(gdev->prod.overflow)))
			gwio_ring_reset_tail(gdev);
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
		ret = gwio_read_records(gdev, buf, max);
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
out_unlock:
	mutex_unlock(&gdev->read_lock);
	return ret;
}

static long gwio_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gwio_dev *gdev = file->private_data;
	struct gwio_info info = { 0 };
	struct gwio_ring_layout l;
	long ret = 0;

	mutex_lock(&gdev->lock);
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
