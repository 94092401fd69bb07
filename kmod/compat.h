/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gwio - differences between the kernels gwio builds for, from 6.1 on.
 * The one place that tests LINUX_VERSION_CODE, as out-of-tree modules must.
 */
#ifndef GWIO_COMPAT_H
#define GWIO_COMPAT_H

#include <linux/device/class.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/spi/spi.h>
#include <linux/version.h>

/* vm_flags became read-only behind helpers in 6.3 */
static inline void gwio_vma_forbid_write(struct vm_area_struct *vma)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, VM_MAYWRITE);
#else
	vma->vm_flags &= ~VM_MAYWRITE;
#endif
}

/* class_create() lost its owner argument in 6.4 */
static inline struct class *gwio_class_create(const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	return class_create(name);
#else
	return class_create(THIS_MODULE, name);
#endif
}

/* spi_optimize_message() arrived in 6.9; before, every spi_async() validates. */
static inline int gwio_spi_optimize_message(struct spi_device *spi,
					    struct spi_message *msg)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	return spi_optimize_message(spi, msg);
#else
	return 0;
#endif
}

static inline void gwio_spi_unoptimize_message(struct spi_message *msg)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	spi_unoptimize_message(msg);
#endif
}

/*
 * hrtimer_setup() arrived in 6.13 and hrtimer_init() is gone from 6.15:
 * the new call everywhere, spelt the old way before 6.13.
 */
static inline void
gwio_hrtimer_setup(struct hrtimer *timer,
		   enum hrtimer_restart (*fn)(struct hrtimer *),
		   clockid_t clock_id, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, fn, clock_id, mode);
#else
	hrtimer_init(timer, clock_id, mode);
	timer->function = fn;
#endif
}

#endif /* GWIO_COMPAT_H */
