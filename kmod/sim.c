// SPDX-License-Identifier: GPL-2.0
/*
 * gwio synthetic source: channels that sample a waveform at a set rate,
 * so the whole path from producer to consumer runs without hardware.
 *
 * One hrtimer per device ticks every GWIO_SIM_TICK_NS and emits every
 * sample that fell due since the last tick, each stamped with its exact
 * scheduled time: high rates cost one timer interrupt per tick, not one
 * per sample, and timestamps do not inherit the timer's jitter.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "gwio.h"

#define GWIO_SIM_TICK_NS	(1 * NSEC_PER_MSEC)
#define GWIO_SIM_MAX_RATE	10000000U	/* Hz per channel */
/* records per tick, all channels together: bounds the irq-off time */
#define GWIO_SIM_MAX_PER_TICK	65536U
#define GWIO_SIM_FULL_SCALE	4095U		/* a 12-bit converter */

enum gwio_sim_wave {
	GWIO_SIM_COUNTER,	/* sample number: lets tests see every gap */
	GWIO_SIM_SINE,
	GWIO_SIM_SQUARE,
	GWIO_SIM_RAMP,
	GWIO_SIM_WAVE_NR,
};

static const char * const gwio_sim_wave_names[GWIO_SIM_WAVE_NR] = {
	[GWIO_SIM_COUNTER] = "counter",
	[GWIO_SIM_SINE] = "sine",
	[GWIO_SIM_SQUARE] = "square",
	[GWIO_SIM_RAMP] = "ramp",
};

/* round(2047 * sin(k * pi / 128)), k = 0..64: a quarter turn */
static const u16 gwio_quarter_sine[65] = {
	0, 50, 100, 151, 201, 251, 300, 350, 399, 449, 497, 546, 594, 642,
	690, 737, 783, 830, 875, 920, 965, 1009, 1052, 1095, 1137, 1179, 1219,
	1259, 1299, 1337, 1375, 1411, 1447, 1483, 1517, 1550, 1582, 1614,
	1644, 1674, 1702, 1729, 1756, 1781, 1805, 1828, 1850, 1871, 1891,
	1910, 1927, 1944, 1959, 1973, 1986, 1997, 2008, 2017, 2025, 2032,
	2037, 2041, 2045, 2046, 2047,
};

struct gwio_sim_chan {
	u32 rate_hz;
	u32 period_ns;
	u32 cycle;		/* samples per waveform period */
	u32 wave;		/* enum gwio_sim_wave */
	u64 next_ns;		/* CLOCK_MONOTONIC time of the next sample */
	u64 seq;		/* samples taken */
	struct gwio_channel *ch;
};

struct gwio_sim {
	struct gwio_dev *gdev;
	struct hrtimer timer;
	u16 first;		/* served first on the next tick: fairness */
	u16 nr_channels;
	struct gwio_sim_chan chans[];
};

static u32 gwio_sim_value(const struct gwio_sim_chan *c)
{
	u32 phase, quarter, step, pos;

	if (c->wave == GWIO_SIM_COUNTER)
		return (u32)c->seq;

	/* phase in 1/256 turns; div_u64_rem: no 64-bit '%' on 32-bit ARM */
	div_u64_rem(c->seq, c->cycle, &pos);
	phase = (u32)div_u64((u64)pos * 256, c->cycle);
	switch (c->wave) {
	case GWIO_SIM_SQUARE:
		return phase < 128 ? GWIO_SIM_FULL_SCALE : 0;
	case GWIO_SIM_RAMP:
		return phase * GWIO_SIM_FULL_SCALE / 255;
	default:
		quarter = phase >> 6;
		step = phase & 63;
		if (quarter & 1)
			step = 64 - step;
		if (quarter < 2)
			return 2048 + gwio_quarter_sine[step];
		return 2048 - gwio_quarter_sine[step];
	}
}

static enum hrtimer_restart gwio_sim_tick(struct hrtimer *timer)
{
	struct gwio_sim *sim = container_of(timer, struct gwio_sim, timer);
	struct gwio_dev *gdev = sim->gdev;
	struct gwio_record rec = { .kind = GWIO_KIND_SIM };
	u64 now = ktime_get_ns();
	u64 offset = gwio_clock_from_mono(gdev->clock_id, now) - now;
	u32 budget = GWIO_SIM_MAX_PER_TICK;
	unsigned long flags;
	u16 i, k;

	flags = gwio_produce_begin(gdev);
	/*
	 * One budget for the whole tick, whatever the number of channels;
	 * the channel served first rotates so that none starves when the
	 * budget runs out (a channel left behind catches up later).
	 */
	for (k = 0; k < sim->nr_channels; k++) {
		struct gwio_sim_chan *c;
		u32 n = 0;

		i = sim->first + k;
		if (i >= sim->nr_channels)
			i -= sim->nr_channels;
		c = &sim->chans[i];

		if (!READ_ONCE(c->ch->enabled)) {
			/* re-enabled channels start now, without a backlog */
			c->next_ns = now;
			continue;
		}
		rec.channel = c->ch->index;
		while (c->next_ns <= now && n < budget) {
			rec.ts_ns = c->next_ns + offset;
			rec.value = gwio_sim_value(c);
			gwio_produce(gdev, &rec);
			c->seq++;
			c->next_ns += c->period_ns;
			n++;
		}
		budget -= n;
		atomic64_add(n, &c->ch->events);
	}
	if (++sim->first >= sim->nr_channels)
		sim->first = 0;
	gwio_produce_commit(gdev, flags);

	hrtimer_forward_now(timer, ns_to_ktime(GWIO_SIM_TICK_NS));
	return HRTIMER_RESTART;
}

/* --------------------------------------------------- per-channel sysfs */

static struct gwio_sim_chan *to_sim_chan(struct kobject *kobj)
{
	return to_gwio_channel(kobj)->priv;
}

static ssize_t rate_hz_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_sim_chan(kobj)->rate_hz));
}

static ssize_t rate_hz_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t len)
{
	struct gwio_channel *ch = to_gwio_channel(kobj);
	struct gwio_sim_chan *c = ch->priv;
	unsigned long flags;
	u32 rate;
	int ret;

	ret = kstrtou32(buf, 0, &rate);
	if (ret)
		return ret;
	if (!rate || rate > GWIO_SIM_MAX_RATE)
		return -EINVAL;

	raw_spin_lock_irqsave(&ch->gdev->prod_lock, flags);
	WRITE_ONCE(c->rate_hz, rate);
	c->period_ns = NSEC_PER_SEC / rate;
	raw_spin_unlock_irqrestore(&ch->gdev->prod_lock, flags);
	return len;
}

static struct kobj_attribute rate_hz_attr = __ATTR_RW(rate_hz);

static ssize_t waveform_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return gwio_emit_choices(buf, gwio_sim_wave_names, GWIO_SIM_WAVE_NR,
				 READ_ONCE(to_sim_chan(kobj)->wave));
}

static ssize_t waveform_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t len)
{
	int wave = sysfs_match_string(gwio_sim_wave_names, buf);

	if (wave < 0)
		return -EINVAL;
	WRITE_ONCE(to_sim_chan(kobj)->wave, wave);
	return len;
}

static struct kobj_attribute waveform_attr = __ATTR_RW(waveform);

static ssize_t cycle_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_sim_chan(kobj)->cycle));
}

static ssize_t cycle_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t len)
{
	u32 cycle;
	int ret = kstrtou32(buf, 0, &cycle);

	if (ret)
		return ret;
	if (cycle < 2 || cycle > 1000000)
		return -EINVAL;
	WRITE_ONCE(to_sim_chan(kobj)->cycle, cycle);
	return len;
}

static struct kobj_attribute cycle_attr = __ATTR_RW(cycle);

static struct attribute *gwio_sim_attrs[] = {
	&rate_hz_attr.attr,
	&waveform_attr.attr,
	&cycle_attr.attr,
	NULL,
};

static const struct attribute_group gwio_sim_group = {
	.attrs = gwio_sim_attrs,
};

static const struct gwio_channel_ops gwio_sim_ops = {
	.type = "sim",
	.kind = GWIO_KIND_SIM,
	.attrs = &gwio_sim_group,
};

/* ------------------------------------------------------------ lifetime */

int gwio_sim_attach(struct gwio_dev *gdev, u16 nr_channels, u32 rate_hz)
{
	struct gwio_sim *sim;
	char label[16];
	u16 i;

	if (!rate_hz || rate_hz > GWIO_SIM_MAX_RATE)
		return -EINVAL;
	sim = kzalloc(struct_size(sim, chans, nr_channels), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	sim->gdev = gdev;
	sim->nr_channels = nr_channels;
	hrtimer_init(&sim->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	sim->timer.function = gwio_sim_tick;

	for (i = 0; i < nr_channels; i++) {
		struct gwio_sim_chan *c = &sim->chans[i];
		struct gwio_channel *ch;

		c->rate_hz = rate_hz;
		c->period_ns = NSEC_PER_SEC / rate_hz;
		c->cycle = 100;
		c->wave = GWIO_SIM_COUNTER;
		snprintf(label, sizeof(label), "sim%u", i);
		ch = gwio_channel_add(gdev, i, label, &gwio_sim_ops, c);
		if (IS_ERR(ch)) {
			gwio_channels_remove(gdev);
			kfree(sim);
			return PTR_ERR(ch);
		}
		c->ch = ch;
	}

	mutex_lock(&gdev->lock);
	gdev->sim = sim;
	mutex_unlock(&gdev->lock);
	return 0;
}

/* Called with gdev->lock held. */
void gwio_sim_start(struct gwio_dev *gdev)
{
	struct gwio_sim *sim = gdev->sim;
	u64 now = ktime_get_ns();
	unsigned long flags;
	u16 i;

	if (!sim)
		return;
	raw_spin_lock_irqsave(&gdev->prod_lock, flags);
	for (i = 0; i < sim->nr_channels; i++)
		sim->chans[i].next_ns = now + sim->chans[i].period_ns;
	raw_spin_unlock_irqrestore(&gdev->prod_lock, flags);
	hrtimer_start(&sim->timer, ns_to_ktime(now + GWIO_SIM_TICK_NS),
		      HRTIMER_MODE_ABS);
}

/* Called with gdev->lock held; returns with no tick running. */
void gwio_sim_stop(struct gwio_dev *gdev)
{
	struct gwio_sim *sim = gdev->sim;

	if (sim)
		hrtimer_cancel(&sim->timer);
}

/* After gwio_dev_unregister() or gwio_channels_remove(): no channels, no tick. */
void gwio_sim_detach(struct gwio_dev *gdev)
{
	struct gwio_sim *sim = gdev->sim;

	gdev->sim = NULL;
	kfree(sim);
}
