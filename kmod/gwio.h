/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gwio - internal interfaces of gwio.ko.
 */
#ifndef GWIO_INTERNAL_H
#define GWIO_INTERNAL_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/fwnode.h>
#include <linux/kobject.h>
#include <linux/platform_device.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "gwio_ring.h"

#define GWIO_RING_MIN_RECORDS	256U		/* 4 KiB; mappings are page-rounded */
#define GWIO_RING_MAX_RECORDS	(1U << 22)	/* 64 MiB of records */
#define GWIO_MAX_CHANNELS	256U
#define GWIO_MAX_DEVICES	256U		/* minors of /dev/gwioN */
#define GWIO_TIMEOUT_MAX_US	10000000U	/* 10 s */

struct gwio_dev;
struct gwio_channel;

/*
 * A source that belongs to the whole device rather than to one channel
 * (an ADC's sampling timer).  Called with gdev->lock held.  start may
 * fail (the controller refuses the message): the device then stays
 * disabled and the error goes back to the sysfs write or the ioctl.
 */
struct gwio_dev_source_ops {
	int (*start)(struct gwio_dev *gdev);
	void (*stop)(struct gwio_dev *gdev);
	/* optional: frees src_priv when the last reference to gdev goes */
	void (*release)(struct gwio_dev *gdev);
};

/* What a kind of channel (synthetic, GPIO edge, SPI ADC) plugs in. */
struct gwio_channel_ops {
	const char *type;
	u8 kind;			/* enum gwio_kind of its records */
	/* extra sysfs attributes of this kind, shown beside the common ones */
	const struct attribute_group *attrs;
	/*
	 * Optional: start and stop producing when the device is enabled and
	 * disabled.  Called with gdev->lock held, in process context; stop
	 * returns only once the channel's handlers have finished.  A
	 * channel's start cannot fail: what can (a bus) is a device source.
	 */
	void (*start)(struct gwio_channel *ch);
	void (*stop)(struct gwio_channel *ch);
	/*
	 * Optional: give the hardware back (interrupt, line), once the
	 * channel is stopped for good, at unregister or when probe fails.
	 */
	void (*remove)(struct gwio_channel *ch);
	/* Optional: free priv; the kobject's release, possibly much later. */
	void (*release)(struct gwio_channel *ch);
};

struct gwio_channel {
	struct kobject kobj;		/* /sys/class/gwio/gwioN/channels/<label> */
	struct gwio_dev *gdev;
	const struct gwio_channel_ops *ops;
	u16 index;
	bool enabled;
	char label[GWIO_LABEL_SIZE];
	/*
	 * Counters here and in the kinds' state are atomic64_t: they are
	 * bumped in interrupt, timer and thread context, maybe on two CPUs
	 * at once, and a plain u64 tears on 32-bit ARM.
	 */
	atomic64_t events;		/* records offered to the ring */
	void *priv;
};

struct gwio_dev {
	struct device dev;
	struct cdev cdev;
	int id;
	char label[GWIO_LABEL_SIZE];	/* sysfs "label", /dev/gwio/by-name/ */

	/* configuration, open state and the ring allocation */
	struct mutex lock;
	bool open;			/* one consumer at a time */
	bool dead;			/* removed while a file still refers to it */
	bool enabled;
	u32 ring_records;
	u32 overflow;
	clockid_t clock_id;
	u32 watermark;
	u32 timeout_us;
	atomic_t ring_users;		/* mappings and reads: no resize */
	struct mutex read_lock;		/* one read() at a time */

	void *ring_mem;			/* consumer page, producer page, records */
	size_t ring_bytes;		/* page-aligned: gwio_ring_layout() */
	struct gwio_consumer *ring_cons;
	struct gwio_producer *ring_shared;
	struct gwio_channel_entry *ring_table;	/* GWIO_MAX_CHANNELS slots */
	struct gwio_record *ring_recs;	/* never from the shared data_offset */

	/* hot path: producers serialise on prod_lock, never sleep under it */
	raw_spinlock_t prod_lock;
	struct gwio_ring_prod prod;
	/* all of these only under prod_lock */
	bool waiting;			/* a consumer sleeps in poll() or read() */
	bool timer_armed;
	bool timed_out;			/* timeout_pos is set */
	u32 timer_pos;			/* head when the timeout timer was armed */
	u32 timeout_pos;		/* records before it waited a full timeout */
	u64 tail_resets;		/* invalid tails read() started over from */
	u64 read_lost;			/* claimed by a read() that faulted */
	struct hrtimer timeout_timer;
	struct irq_work wake_work;
	wait_queue_head_t wq;

	/*
	 * sources: channels are added before the device is registered and
	 * removed after it is unregistered; channels[] and channel_count
	 * change under lock
	 */
	struct kobject *channels_kobj;
	struct gwio_channel **channels;	/* GWIO_MAX_CHANNELS slots */
	u16 channel_count;
	void *sim;
	const struct gwio_dev_source_ops *src_ops;
	void *src_priv;
};

static inline struct gwio_dev *to_gwio_dev(struct device *dev)
{
	return container_of(dev, struct gwio_dev, dev);
}

static inline struct gwio_record *gwio_ring_records_mem(struct gwio_dev *gdev)
{
	return gdev->ring_recs;
}

/* main.c: module-wide state and the defaults set by module parameters */
extern struct class *gwio_class;
extern dev_t gwio_devt;
extern u32 gwio_default_records;
extern u32 gwio_default_watermark;
extern u32 gwio_default_timeout_us;

/* core.c: devices, the ring, wakeups */
struct gwio_dev *gwio_dev_create(struct device *parent);
int gwio_dev_register(struct gwio_dev *gdev);
void gwio_dev_unregister(struct gwio_dev *gdev);
struct gwio_dev *devm_gwio_dev_create(struct device *parent);
int devm_gwio_dev_register(struct device *parent, struct gwio_dev *gdev);
void gwio_devs_wait_released(void);
/* what the module waits for before it goes: gwio_devs_wait_released() */
void gwio_object_made(void);
void gwio_object_released(void);
int gwio_dev_configure(struct gwio_dev *gdev, struct device *dev,
		       const char *label);
int gwio_dev_set_enabled(struct gwio_dev *gdev, bool enable);
int gwio_ring_resize(struct gwio_dev *gdev, u32 records);
int gwio_ring_reconfigure(struct gwio_dev *gdev, int overflow,
			  clockid_t clock_id);
void gwio_ring_flush(struct gwio_dev *gdev);
u32 gwio_ring_reset_tail(struct gwio_dev *gdev);
void gwio_ring_count_read_lost(struct gwio_dev *gdev, u32 n);
u64 gwio_clock_from_mono(clockid_t clock_id, u64 mono_ns);
void gwio_ring_describe_channel(struct gwio_dev *gdev,
				const struct gwio_channel *ch);

/*
 * Producers: take the lock, push, then commit.  Commit publishes head and
 * decides on a wakeup; it is what a hard IRQ handler or hrtimer calls.
 */
static inline unsigned long gwio_produce_begin(struct gwio_dev *gdev)
	__acquires(&gdev->prod_lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	return flags;
}

static inline bool gwio_produce(struct gwio_dev *gdev,
				const struct gwio_record *rec)
{
	return gwio_ring_prod_push(&gdev->prod, rec);
}

void gwio_produce_commit(struct gwio_dev *gdev, unsigned long flags)
	__releases(&gdev->prod_lock);

/* chardev.c */
extern const struct file_operations gwio_fops;
__poll_t gwio_consumer_ready(struct gwio_dev *gdev);

/* sysfs.c */
extern const struct attribute_group *gwio_dev_groups[];
ssize_t gwio_emit_choices(char *buf, const char * const *names, int nr,
			  int cur);

/* channel.c */
struct gwio_channel *gwio_channel_add(struct gwio_dev *gdev, u16 index,
				      const char *label,
				      const struct gwio_channel_ops *ops,
				      void *priv);
bool gwio_channel_label_used(struct gwio_dev *gdev, const char *label);
int gwio_channels_publish(struct gwio_dev *gdev);
void gwio_channels_unpublish(struct gwio_dev *gdev);
void gwio_channels_remove(struct gwio_dev *gdev);
void gwio_channels_announce(struct gwio_dev *gdev);
extern const struct kobj_type gwio_channel_ktype;

static inline struct gwio_channel *to_gwio_channel(struct kobject *kobj)
{
	return container_of(kobj, struct gwio_channel, kobj);
}

/*
 * A read-only counter in a channel kind's sysfs group: name_attr showing
 * @value, an expression of the attribute's kobject "kobj".
 */
#define GWIO_CHANNEL_COUNTER(name, value)				\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(value));	\
}									\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

/* platform.c: devices described by the device tree or a software node */
extern struct platform_driver gwio_platform_driver;

/* gpio_edge.c: GPIO edge channels */
int gwio_gpio_edge_add(struct gwio_dev *gdev, struct fwnode_handle *fwnode,
		       u16 index, const char *label);

/* spi_adc.c: SPI ADC devices */
extern struct spi_driver gwio_adc_driver;

/* sim.c: the synthetic source */
int gwio_sim_attach(struct gwio_dev *gdev, u16 nr_channels, u32 rate_hz);
void gwio_sim_start(struct gwio_dev *gdev);
void gwio_sim_stop(struct gwio_dev *gdev);
void gwio_sim_detach(struct gwio_dev *gdev);

/* platform.c: what every device and channel label must be (sysfs, udev) */
#define GWIO_LABEL_RULE	"1..31 characters, no '/', not . or .."
bool gwio_label_valid(const char *label);

/* sim.c: rate_hz and the sim_rate module parameter, 1..this */
#define GWIO_SIM_MAX_RATE	10000000U	/* Hz per channel */

#endif /* GWIO_INTERNAL_H */
