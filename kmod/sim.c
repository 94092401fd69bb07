// SPDX-License-Identifier: GPL-2.0
/*
 * gwio synthetic source: channels that sample a waveform at a set rate,
 * so the whole path from producer to consumer runs without hardware.
 *
 * One hrtimer per device ticks every GWIO_SIM_TICK_NS and emits every
 * sample that fell due since the last tick, each stamped with its exact
 * scheduled time: high rates cost one timer interrupt per tick, not one
 * per sample, and timestamps do not inherit the timer's jitter.
 *
 * What one tick may cost is bounded: the timer is a soft one (softirq,
 * interrupts on), prod_lock - which keeps interrupts off - is held for at
 * most GWIO_SIM_BATCH records at a time, a tick emits at most
 * GWIO_SIM_MAX_PER_TICK records, and a waveform's phase advances by
 * additions, never a division per record (out of line on 32-bit ARM).
 * A channel that falls behind (a late timer, or more rate x channels
 * than ticks emit) catches up on the next ticks; once it is more than
 * GWIO_SIM_MAX_LAG_NS behind it skips to now and counts the samples it
 * skipped, rather than lagging further behind the clock forever.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "gwio.h"

#define GWIO_SIM_TICK_NS	(1 * NSEC_PER_MSEC)
/* records per tick, all channels together: 65.5 M records/s a device */
#define GWIO_SIM_MAX_PER_TICK	65536U
/* records per hold of prod_lock: how long interrupts stay off at most */
#define GWIO_SIM_BATCH		1024U
/* behind the clock by more than this, a channel skips to now */
#define GWIO_SIM_MAX_LAG_NS	(1ULL * NSEC_PER_SEC)
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

/* Changed under prod_lock only; skipped is read without it (sysfs). */
struct gwio_sim_chan {
	u32 rate_hz;
	u32 period_ns;
	u32 cycle;		/* samples per waveform period */
	u32 wave;		/* enum gwio_sim_wave */
	/*
	 * The waveform's phase in 1/256 turns at sample pos of its cycle,
	 * kept as pos * 256 == phase * cycle + frac and advanced by
	 * step = 256 / cycle, step_frac = 256 % cycle per sample.
	 */
	u32 pos;
	u32 phase;
	u32 frac;
	u32 step;
	u32 step_frac;
	u64 next_ns;		/* CLOCK_MONOTONIC time of the next sample */
	u64 seq;		/* samples taken: the counter waveform */
	atomic64_t skipped;	/* samples skipped, never taken (sysfs) */
	struct gwio_channel *ch;
};

struct gwio_sim {
	struct gwio_dev *gdev;
	struct hrtimer timer;
	u16 first;		/* served first on the next tick: fairness */
	u16 nr_channels;
	struct gwio_sim_chan chans[];
};

/*
 * The phase of sample seq + skipped - where the waveform is in time,
 * skipped samples included - from scratch: after a change of cycle or
 * waveform, or a skip.  Divides, so never per record.
 */
static void gwio_sim_phase_sync(struct gwio_sim_chan *c)
{
	u32 pos;

	div_u64_rem(c->seq + atomic64_read(&c->skipped), c->cycle, &pos);
	c->pos = pos;
	c->phase = pos * 256 / c->cycle;	/* pos * 256 < 2^28 */
	c->frac = pos * 256 % c->cycle;
	c->step = 256 / c->cycle;
	c->step_frac = 256 % c->cycle;
}

/* One sample on: pos * 256 == phase * cycle + frac still holds. */
static void gwio_sim_phase_step(struct gwio_sim_chan *c)
{
	if (++c->pos == c->cycle) {
		c->pos = 0;
		c->phase = 0;
		c->frac = 0;
		return;
	}
	c->phase += c->step;
	c->frac += c->step_frac;
	if (c->frac >= c->cycle) {
		c->frac -= c->cycle;
		c->phase++;
	}
}

/* The value of the waveforms other than counter, at the current phase. */
static u32 gwio_sim_wave_value(const struct gwio_sim_chan *c)
{
	u32 phase = c->phase, quarter, step;

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

/*
 * The channel is more than GWIO_SIM_MAX_LAG_NS behind now.  Skip every
 * sample due, count them, and go on from the first one after now, so that
 * timestamps stay near the clock.
 */
static void gwio_sim_skip(struct gwio_sim_chan *c, u64 now)
{
	u64 behind = div_u64(now - c->next_ns, c->period_ns) + 1;

	c->next_ns += behind * c->period_ns;
	atomic64_add(behind, &c->skipped);
	gwio_sim_phase_sync(c);
}

static enum hrtimer_restart gwio_sim_tick(struct hrtimer *timer)
{
	struct gwio_sim *sim = container_of(timer, struct gwio_sim, timer);
	struct gwio_dev *gdev = sim->gdev;
	struct gwio_record rec = { .kind = GWIO_KIND_SIM };
	u64 now = ktime_get_ns();
	u64 offset = gwio_clock_from_mono(gdev->clock_id, now) - now;
	u32 budget = GWIO_SIM_MAX_PER_TICK, held = 0;
	unsigned long flags;
	u16 i, k;

	flags = gwio_produce_begin(gdev);
	/*
	 * One budget for the whole tick, whatever the number of channels;
	 * the channel served first rotates so that none starves when the
	 * budget runs out (a channel left behind catches up later, or skips
	 * once it is more than GWIO_SIM_MAX_LAG_NS behind).
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
			u32 m = 0, lim = min(budget - n, GWIO_SIM_BATCH - held);
			bool counter = c->wave == GWIO_SIM_COUNTER;

			if (!lim) {
				/* publish, and let interrupts in */
				gwio_produce_commit(gdev, flags);
				flags = gwio_produce_begin(gdev);
				held = 0;
				continue;
			}
			/* at most lim records, all due: one lock hold */
			do {
				rec.ts_ns = c->next_ns + offset;
				if (counter) {
					rec.value = (u32)c->seq;
				} else {
					rec.value = gwio_sim_wave_value(c);
					gwio_sim_phase_step(c);
				}
				gwio_produce(gdev, &rec);
				c->seq++;
				c->next_ns += c->period_ns;
			} while (++m < lim && c->next_ns <= now);
			n += m;
			held += m;
		}
		budget -= n;
		atomic64_add(n, &c->ch->events);
		if (c->next_ns + GWIO_SIM_MAX_LAG_NS < now)
			gwio_sim_skip(c, now);
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
	struct gwio_channel *ch = to_gwio_channel(kobj);
	struct gwio_sim_chan *c = ch->priv;
	int wave = sysfs_match_string(gwio_sim_wave_names, buf);
	unsigned long flags;

	if (wave < 0)
		return -EINVAL;
	/* only the other waveforms keep the phase: take it up where it is */
	raw_spin_lock_irqsave(&ch->gdev->prod_lock, flags);
	WRITE_ONCE(c->wave, wave);
	gwio_sim_phase_sync(c);
	raw_spin_unlock_irqrestore(&ch->gdev->prod_lock, flags);
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
	struct gwio_channel *ch = to_gwio_channel(kobj);
	struct gwio_sim_chan *c = ch->priv;
	unsigned long flags;
	u32 cycle;
	int ret = kstrtou32(buf, 0, &cycle);

	if (ret)
		return ret;
	if (cycle < 2 || cycle > 1000000)
		return -EINVAL;
	raw_spin_lock_irqsave(&ch->gdev->prod_lock, flags);
	WRITE_ONCE(c->cycle, cycle);
	gwio_sim_phase_sync(c);
	raw_spin_unlock_irqrestore(&ch->gdev->prod_lock, flags);
	return len;
}

static struct kobj_attribute cycle_attr = __ATTR_RW(cycle);

GWIO_CHANNEL_COUNTER(skipped, atomic64_read(&to_sim_chan(kobj)->skipped));

static struct attribute *gwio_sim_attrs[] = {
	&rate_hz_attr.attr,
	&waveform_attr.attr,
	&cycle_attr.attr,
	&skipped_attr.attr,
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

/* For the devices of the module parameters: @rate_hz is sim_rate. */
int gwio_sim_attach(struct gwio_dev *gdev, u16 nr_channels, u32 rate_hz)
{
	struct gwio_sim *sim;
	char label[16];
	u16 i;

	if (!rate_hz || rate_hz > GWIO_SIM_MAX_RATE) {
		pr_err("sim_rate=%u: need 1..%u\n", rate_hz, GWIO_SIM_MAX_RATE);
		return -EINVAL;
	}
	sim = kzalloc(struct_size(sim, chans, nr_channels), GFP_KERNEL);
	if (!sim)
		return -ENOMEM;
	sim->gdev = gdev;
	sim->nr_channels = nr_channels;
	/* soft: a tick runs with interrupts on, between its lock holds */
	gwio_hrtimer_setup(&sim->timer, gwio_sim_tick,
			   CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);

	for (i = 0; i < nr_channels; i++) {
		struct gwio_sim_chan *c = &sim->chans[i];
		struct gwio_channel *ch;

		c->rate_hz = rate_hz;
		c->period_ns = NSEC_PER_SEC / rate_hz;
		c->cycle = 100;
		c->wave = GWIO_SIM_COUNTER;
		atomic64_set(&c->skipped, 0);
		gwio_sim_phase_sync(c);
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
		      HRTIMER_MODE_ABS_SOFT);
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
