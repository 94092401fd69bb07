// SPDX-License-Identifier: GPL-2.0
/*
 * gwio SPI ADC devices: an ADC on an SPI bus sampled on an hrtimer
 * period, every input on every tick (one message, one transfer per
 * input, chip select toggled between conversions).
 *
 * Nothing is allocated or sleeps on the hot path: the message, its
 * transfers and the DMA-safe buffers are built once when the device
 * starts (and optimized with spi_optimize_message() where the kernel has
 * it), the timer only queues it with spi_async(), and the completion
 * turns the received bits into records.  Each record carries the tick's
 * scheduled time, not the time the bus got around to it; how long the bus
 * took is measured as latency.  A tick that finds the previous message
 * still on the bus is an overrun: counted, never queued behind.
 *
 * Which bits to send and which to read is a small description (bytes per
 * conversion, a tx template with the input number shifted in, where the
 * value sits in rx) with presets for the MCP3008 and MCP3208; other
 * converters use "gwio,spi-adc" and give the description in the device
 * tree.
 *
 * The SPI core matches by modalias, the compatible without its vendor
 * ("gwio,mcp3008" is "mcp3008"): that is what the id table lists, and what
 * module autoloading uses.  The IIO driver for the same chip (mcp320x)
 * matches that modalias too, so the compatible does not choose between
 * the two: driver_override does (udev/60-gwio.rules, docs/sysfs.md).
 */

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spi/spi.h>
#include <linux/sysfs.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "gwio.h"

#define GWIO_ADC_PERIOD_MIN_US	10U
#define GWIO_ADC_PERIOD_MAX_US	10000000U
#define GWIO_ADC_MAX_INPUTS	32U
/* latencies kept for the percentiles in sysfs: the last this many ticks */
#define GWIO_ADC_LAT_WINDOW	4096U

/* One conversion: len bytes, big-endian in and out. */
struct gwio_adc_format {
	u32 len;		/* 1..4 bytes */
	u32 tx_template;	/* the bytes to send, right-aligned */
	u32 input_shift;	/* tx |= input << input_shift */
	u32 rx_shift;		/* value = rx >> rx_shift ... */
	u32 rx_bits;		/* ... & (2^rx_bits - 1) */
	u32 inputs;		/* input numbers 0..inputs-1 */
};

static const struct gwio_adc_format gwio_mcp3008 = {
	/* start bit, SGL, D2..D0; 10 bits at the end */
	.len = 3, .tx_template = 0x018000, .input_shift = 12,
	.rx_shift = 0, .rx_bits = 10, .inputs = 8,
};

static const struct gwio_adc_format gwio_mcp3208 = {
	.len = 3, .tx_template = 0x060000, .input_shift = 14,
	.rx_shift = 0, .rx_bits = 12, .inputs = 8,
};

struct gwio_adc_input {
	struct gwio_channel *ch;
	u32 input;
	u32 last_value;
	atomic64_t overruns;	/* records the full ring did not take */
};

struct gwio_adc {
	struct spi_device *spi;
	struct gwio_dev *gdev;
	struct gwio_adc_format fmt;
	u32 period_us;
	u64 period_ns;		/* up to 10 s: does not fit in 32 bits */

	struct hrtimer timer;
	u64 next_ns;		/* CLOCK_MONOTONIC time of the next tick */
	u64 inflight_ns;	/* scheduled time of the message on the bus */
	atomic_t busy;		/* a message is on the bus */
	bool running;
	bool optimized;

	struct spi_message msg;
	struct spi_transfer *xfers;
	u8 *tx;
	u8 *rx;

	u16 nr;
	struct gwio_adc_input *inputs;

	/*
	 * Written by the timer and the completion, read by sysfs: atomic64_t,
	 * as gwio.h's counters, since a u64 tears on 32-bit ARM.  Only the
	 * completion writes the latencies, one message at a time.
	 */
	atomic64_t ticks;
	atomic64_t ticks_skipped;	/* sent nothing: bus busy, or timer late */
	atomic64_t errors;	/* messages that failed, or could not start */
	atomic64_t latency_last_ns;	/* scheduled time to completion */
	atomic64_t latency_max_ns;
	atomic64_t latency_sum_ns;
	atomic64_t completions;
	u32 *lat_window;	/* GWIO_ADC_LAT_WINDOW latencies, ns, saturated */
};

static u32 gwio_adc_extract(const struct gwio_adc *adc, const u8 *rx)
{
	u32 v = 0, i;

	for (i = 0; i < adc->fmt.len; i++)
		v = v << 8 | rx[i];
	v >>= adc->fmt.rx_shift;
	return adc->fmt.rx_bits >= 32 ? v : v & (BIT(adc->fmt.rx_bits) - 1);
}

static void gwio_adc_complete(void *context)
{
	struct gwio_adc *adc = context;
	struct gwio_dev *gdev = adc->gdev;
	u64 lat = ktime_get_ns() - adc->inflight_ns;
	unsigned long flags;
	u64 done;
	u16 i;

	if (adc->msg.status) {
		atomic64_inc(&adc->errors);
	} else {
		struct gwio_record rec = {
			.ts_ns = gwio_clock_from_mono(gdev->clock_id,
						      adc->inflight_ns),
			.kind = GWIO_KIND_ADC,
		};

		flags = gwio_produce_begin(gdev);
		for (i = 0; i < adc->nr; i++) {
			struct gwio_adc_input *in = &adc->inputs[i];

			rec.value = gwio_adc_extract(adc,
						     adc->rx + i * adc->fmt.len);
			WRITE_ONCE(in->last_value, rec.value);
			if (!READ_ONCE(in->ch->enabled))
				continue;
			rec.channel = in->ch->index;
			if (!gwio_produce(gdev, &rec))
				atomic64_inc(&in->overruns);
			atomic64_inc(&in->ch->events);
		}
		gwio_produce_commit(gdev, flags);
	}
	atomic64_set(&adc->latency_last_ns, lat);
	if (lat > atomic64_read(&adc->latency_max_ns))
		atomic64_set(&adc->latency_max_ns, lat);
	atomic64_add(lat, &adc->latency_sum_ns);
	done = atomic64_read(&adc->completions);
	WRITE_ONCE(adc->lat_window[done % GWIO_ADC_LAT_WINDOW],
		   min_t(u64, lat, U32_MAX));
	atomic64_set(&adc->completions, done + 1);
	/*
	 * The buffers are free for the next tick, and adc may be freed as
	 * soon as busy reads 0: wake_up_var() only hashes the address.
	 */
	atomic_set_release(&adc->busy, 0);
	smp_mb();	/* busy before the waiter check: pairs with wait_var_event() */
	wake_up_var(&adc->busy);
}

static enum hrtimer_restart gwio_adc_tick(struct hrtimer *timer)
{
	struct gwio_adc *adc = container_of(timer, struct gwio_adc, timer);
	u64 now, missed;

	atomic64_inc(&adc->ticks);
	if (atomic_xchg(&adc->busy, 1)) {
		atomic64_inc(&adc->ticks_skipped);
	} else {
		adc->inflight_ns = adc->next_ns;
		if (spi_async(adc->spi, &adc->msg)) {
			atomic_set(&adc->busy, 0);
			atomic64_inc(&adc->errors);
		}
	}
	adc->next_ns += adc->period_ns;
	/* a late timer skips the ticks it missed, and says so */
	now = ktime_get_ns();
	if (adc->next_ns <= now) {
		missed = div64_u64(now - adc->next_ns, adc->period_ns) + 1;
		atomic64_add(missed, &adc->ticks_skipped);
		adc->next_ns += missed * adc->period_ns;
	}
	hrtimer_set_expires(timer, ns_to_ktime(adc->next_ns));
	return HRTIMER_RESTART;
}

/* The message is built once per start, in process context. */
static int gwio_adc_build(struct gwio_adc *adc)
{
	u32 len = adc->fmt.len;
	u16 i;
	int ret;

	spi_message_init(&adc->msg);
	for (i = 0; i < adc->nr; i++) {
		struct spi_transfer *x = &adc->xfers[i];
		u32 tx = adc->fmt.tx_template |
			 adc->inputs[i].input << adc->fmt.input_shift;
		u32 b;

		memset(x, 0, sizeof(*x));
		for (b = 0; b < len; b++)
			adc->tx[i * len + b] = tx >> (8 * (len - 1 - b));
		x->tx_buf = adc->tx + i * len;
		x->rx_buf = adc->rx + i * len;
		x->len = len;
		/* a new conversion starts with chip select going low */
		x->cs_change = i + 1 < adc->nr;
		spi_message_add_tail(x, &adc->msg);
	}
	adc->msg.complete = gwio_adc_complete;
	adc->msg.context = adc;
	ret = gwio_spi_optimize_message(adc->spi, &adc->msg);
	adc->optimized = !ret;
	return ret;
}

/*
 * With gdev->lock held.  A message the controller refuses (its
 * spi_optimize_message() validation) is counted in errors, said once per
 * attempt, and refuses the start: the device stays disabled.
 */
static int gwio_adc_run(struct gwio_adc *adc)
{
	u64 now;
	int ret;

	if (adc->running)
		return 0;
	ret = gwio_adc_build(adc);
	if (ret) {
		atomic64_inc(&adc->errors);
		dev_err(&adc->spi->dev,
			"not sampling: the controller refused the SPI message: %pe\n",
			ERR_PTR(ret));
		return ret;
	}
	/* ticks on whole multiples of the period: comparable timestamps */
	now = ktime_get_ns();
	adc->next_ns = (div64_u64(now, adc->period_ns) + 1) * adc->period_ns;
	adc->running = true;
	hrtimer_start(&adc->timer, ns_to_ktime(adc->next_ns), HRTIMER_MODE_ABS);
	return 0;
}

static int gwio_adc_start(struct gwio_dev *gdev)
{
	return gwio_adc_run(gdev->src_priv);
}

static void gwio_adc_halt(struct gwio_adc *adc)
{
	if (!adc->running)
		return;
	hrtimer_cancel(&adc->timer);
	/*
	 * The last message may still be on the bus, and the controller owns
	 * it and its buffers until it completes: wait for that, however
	 * long the bus takes.  No timeout: giving up would let the caller
	 * free memory the controller is about to write.
	 */
	wait_var_event(&adc->busy, !atomic_read_acquire(&adc->busy));
	if (adc->optimized)
		gwio_spi_unoptimize_message(&adc->msg);
	adc->optimized = false;
	adc->running = false;
}

static void gwio_adc_stop(struct gwio_dev *gdev)
{
	gwio_adc_halt(gdev->src_priv);
}

/*
 * The ADC's memory belongs to the refcounted gwio_dev, not to devm: an
 * open /dev/gwioN outlives the unbind.  Memory only, from its release.
 */
static void gwio_adc_release(struct gwio_dev *gdev)
{
	struct gwio_adc *adc = gdev->src_priv;

	kfree(adc->lat_window);
	kfree(adc->rx);
	kfree(adc->tx);
	kfree(adc->xfers);
	kfree(adc->inputs);
	kfree(adc);
}

static const struct gwio_dev_source_ops gwio_adc_source_ops = {
	.start = gwio_adc_start,
	.stop = gwio_adc_stop,
	.release = gwio_adc_release,
};

/* ------------------------------------------------------------- sysfs */

static struct gwio_adc_input *to_input(struct kobject *kobj)
{
	return to_gwio_channel(kobj)->priv;
}

static struct gwio_adc *to_adc(struct kobject *kobj)
{
	return to_gwio_channel(kobj)->gdev->src_priv;
}

static ssize_t input_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_input(kobj)->input);
}

static struct kobj_attribute input_attr = __ATTR_RO(input);

static ssize_t last_value_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_input(kobj)->last_value));
}

static struct kobj_attribute last_value_attr = __ATTR_RO(last_value);

/*
 * Two causes, two files: the ring's drops are this channel's, as on every
 * kind; ticks that sent nothing (bus busy, timer late) are the ADC's.
 */
GWIO_CHANNEL_COUNTER(overruns, atomic64_read(&to_input(kobj)->overruns));
GWIO_CHANNEL_COUNTER(ticks_skipped,
		     atomic64_read(&to_adc(kobj)->ticks_skipped));

/* The period is the ADC's: every input is converted on every tick. */
static ssize_t period_us_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_adc(kobj)->period_us));
}

static ssize_t period_us_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t len)
{
	struct gwio_adc *adc = to_adc(kobj);
	struct gwio_dev *gdev = adc->gdev;
	bool was_running;
	u32 us;
	int ret = kstrtou32(buf, 0, &us);

	if (ret)
		return ret;
	if (us < GWIO_ADC_PERIOD_MIN_US || us > GWIO_ADC_PERIOD_MAX_US)
		return -ERANGE;
	mutex_lock(&gdev->lock);
	was_running = adc->running;
	if (was_running)
		gwio_adc_halt(adc);
	WRITE_ONCE(adc->period_us, us);
	adc->period_ns = (u64)us * NSEC_PER_USEC;
	/*
	 * The period is set either way.  A restart the bus refuses leaves
	 * the device disabled, as a refused enable does, and says so.
	 */
	if (was_running) {
		ret = gwio_adc_run(adc);
		if (ret)
			gwio_dev_set_enabled(gdev, false);
	}
	mutex_unlock(&gdev->lock);
	return ret ?: len;
}

static struct kobj_attribute period_us_attr = __ATTR_RW(period_us);

GWIO_CHANNEL_COUNTER(ticks, atomic64_read(&to_adc(kobj)->ticks));
GWIO_CHANNEL_COUNTER(errors, atomic64_read(&to_adc(kobj)->errors));
GWIO_CHANNEL_COUNTER(latency_ns_last,
		     atomic64_read(&to_adc(kobj)->latency_last_ns));
GWIO_CHANNEL_COUNTER(latency_ns_max,
		     atomic64_read(&to_adc(kobj)->latency_max_ns));

static ssize_t latency_ns_mean_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct gwio_adc *adc = to_adc(kobj);
	u64 n = atomic64_read(&adc->completions);

	return sysfs_emit(buf, "%llu\n",
			  n ? div64_u64(atomic64_read(&adc->latency_sum_ns), n) : 0);
}

static struct kobj_attribute latency_ns_mean_attr = __ATTR_RO(latency_ns_mean);

static int gwio_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* Percentile @pct of the last GWIO_ADC_LAT_WINDOW latencies: the jitter. */
static ssize_t gwio_adc_latency_pct(struct kobject *kobj, char *buf, u32 pct)
{
	struct gwio_adc *adc = to_adc(kobj);
	u64 n = min_t(u64, atomic64_read(&adc->completions), GWIO_ADC_LAT_WINDOW);
	u32 *copy, v = 0;
	u64 i;

	if (n) {
		copy = kmalloc_array(n, sizeof(*copy), GFP_KERNEL);
		if (!copy)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			copy[i] = READ_ONCE(adc->lat_window[i]);
		sort(copy, n, sizeof(*copy), gwio_cmp_u32, NULL);
		v = copy[div_u64((n - 1) * pct + 50, 100)];
		kfree(copy);
	}
	return sysfs_emit(buf, "%u\n", v);
}

static ssize_t latency_ns_p50_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return gwio_adc_latency_pct(kobj, buf, 50);
}

static struct kobj_attribute latency_ns_p50_attr = __ATTR_RO(latency_ns_p50);

static ssize_t latency_ns_p99_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return gwio_adc_latency_pct(kobj, buf, 99);
}

static struct kobj_attribute latency_ns_p99_attr = __ATTR_RO(latency_ns_p99);

static struct attribute *gwio_adc_attrs[] = {
	&input_attr.attr,
	&last_value_attr.attr,
	&period_us_attr.attr,
	&overruns_attr.attr,
	&ticks_skipped_attr.attr,
	&ticks_attr.attr,
	&errors_attr.attr,
	&latency_ns_last_attr.attr,
	&latency_ns_max_attr.attr,
	&latency_ns_mean_attr.attr,
	&latency_ns_p50_attr.attr,
	&latency_ns_p99_attr.attr,
	NULL,
};

static const struct attribute_group gwio_adc_group = {
	.attrs = gwio_adc_attrs,
};

static const struct gwio_channel_ops gwio_adc_ops = {
	.type = "spi-adc",
	.kind = GWIO_KIND_ADC,
	.attrs = &gwio_adc_group,
};

/* ------------------------------------------------------------- probe */

static const struct of_device_id gwio_adc_of_match[] = {
	{ .compatible = "gwio,mcp3008", .data = &gwio_mcp3008 },
	{ .compatible = "gwio,mcp3208", .data = &gwio_mcp3208 },
	{ .compatible = "gwio,spi-adc" },
	{ }
};
MODULE_DEVICE_TABLE(of, gwio_adc_of_match);

/*
 * The modalias the SPI core gives a device: its compatible after the
 * comma (or a board file's modalias).  Without these, gwio.ko would not
 * autoload (MODALIAS=spi:mcp3008) and the core warns "has no
 * spi_device_id" for every compatible above.
 */
static const struct spi_device_id gwio_adc_ids[] = {
	{ "mcp3008", (kernel_ulong_t)&gwio_mcp3008 },
	{ "mcp3208", (kernel_ulong_t)&gwio_mcp3208 },
	{ "spi-adc", 0 },
	{ }
};
MODULE_DEVICE_TABLE(spi, gwio_adc_ids);

/*
 * The id table matches "microchip,mcp3008" as well: the modalias has no
 * vendor.  A node whose compatible is not one of ours belongs to another
 * driver (mcp320x), even through driver_override: decline it.
 */
static bool gwio_adc_node_is_ours(struct device *dev)
{
	const struct of_device_id *id;

	/* a board file's device: the modalias is all it has */
	if (!device_property_present(dev, "compatible"))
		return true;
	for (id = gwio_adc_of_match; id->compatible[0]; id++)
		if (device_property_match_string(dev, "compatible",
						 id->compatible) >= 0)
			return true;
	return false;
}

/*
 * Every field within the len bytes of a transfer, each checked on its own
 * so that no sum can wrap: the completion shifts by rx_shift in interrupt
 * context, and bits beyond len bytes would be dropped from tx unseen.
 */
static int gwio_adc_check_format(struct device *dev,
				 const struct gwio_adc_format *f)
{
	u32 bits = 8 * f->len;

	if (f->len < 1 || f->len > 4) {
		dev_err(dev, "gwio,transfer-bytes %u: 1..4\n", f->len);
		return -EINVAL;
	}
	if (!f->rx_bits || f->rx_bits > bits || f->rx_shift >= bits ||
	    f->rx_shift + f->rx_bits > bits) {
		dev_err(dev, "gwio,rx-bits %u at gwio,rx-shift %u: beyond the %u bits of a transfer\n",
			f->rx_bits, f->rx_shift, bits);
		return -EINVAL;
	}
	if (bits < 32 && f->tx_template >> bits) {
		dev_err(dev, "gwio,tx-template %#x: wider than %u bytes\n",
			f->tx_template, f->len);
		return -EINVAL;
	}
	if (!f->inputs || f->inputs > GWIO_ADC_MAX_INPUTS) {
		dev_err(dev, "gwio,inputs %u: 1..%u\n", f->inputs,
			GWIO_ADC_MAX_INPUTS);
		return -EINVAL;
	}
	/* input_shift < 32 here, so the u64 shifts are defined */
	if (f->input_shift >= bits ||
	    ((u64)(f->inputs - 1) << f->input_shift) >> bits) {
		dev_err(dev, "gwio,input-shift %u: input %u does not fit in %u bytes\n",
			f->input_shift, f->inputs - 1, f->len);
		return -EINVAL;
	}
	return 0;
}

static int gwio_adc_read_format(struct device *dev, struct gwio_adc *adc)
{
	const struct gwio_adc_format *preset = spi_get_device_match_data(adc->spi);
	struct gwio_adc_format *f = &adc->fmt;

	if (preset) {
		*f = *preset;
		return gwio_adc_check_format(dev, f);
	}
	if (device_property_read_u32(dev, "gwio,transfer-bytes", &f->len) ||
	    device_property_read_u32(dev, "gwio,tx-template", &f->tx_template) ||
	    device_property_read_u32(dev, "gwio,rx-bits", &f->rx_bits) ||
	    device_property_read_u32(dev, "gwio,inputs", &f->inputs)) {
		dev_err(dev, "gwio,spi-adc needs gwio,transfer-bytes, gwio,tx-template, gwio,rx-bits and gwio,inputs\n");
		return -EINVAL;
	}
	device_property_read_u32(dev, "gwio,input-shift", &f->input_shift);
	device_property_read_u32(dev, "gwio,rx-shift", &f->rx_shift);
	return gwio_adc_check_format(dev, f);
}

static int gwio_adc_add_inputs(struct device *dev, struct gwio_adc *adc)
{
	struct fwnode_handle *child;
	u16 n = 0;
	int ret;

	device_for_each_child_node(dev, child) {
		struct gwio_adc_input *in = &adc->inputs[n];
		const char *label;
		u32 index, input;

		if (fwnode_property_read_u32(child, "reg", &index) ||
		    index >= GWIO_MAX_CHANNELS) {
			dev_err(dev, "%pfwP: reg: the channel index, 0..%u\n",
				child, GWIO_MAX_CHANNELS - 1);
			ret = -EINVAL;
			goto err;
		}
		if (fwnode_property_read_string(child, "label", &label))
			label = fwnode_get_name(child);
		if (!gwio_label_valid(label)) {
			dev_err(dev, "%pfwP: label \"%s\": " GWIO_LABEL_RULE "\n",
				child, label ?: "");
			ret = -EINVAL;
			goto err;
		}
		input = index;
		fwnode_property_read_u32(child, "gwio,input", &input);
		if (input >= adc->fmt.inputs) {
			dev_err(dev, "channel %s: gwio,input %u: the ADC has %u\n",
				label, input, adc->fmt.inputs);
			ret = -EINVAL;
			goto err;
		}
		in->input = input;
		in->ch = gwio_channel_add(adc->gdev, index, label,
					  &gwio_adc_ops, in);
		if (IS_ERR(in->ch)) {
			ret = PTR_ERR(in->ch);
			if (ret == -EEXIST)
				dev_err(dev, "channel %s: label \"%s\" is used twice\n",
					label, label);
			else if (ret == -EINVAL)
				dev_err(dev, "channel %s: reg %u is used twice\n",
					label, index);
			else
				dev_err(dev, "channel %s: %pe\n", label, in->ch);
			goto err;
		}
		n++;
	}
	adc->nr = n;
	return 0;
err:
	fwnode_handle_put(child);
	return ret;
}

/*
 * Like drivers/iio/adc: everything is acquired, then published, and devm
 * undoes it in reverse (the interface first, then the timer and the last
 * message, then the reference).  Nothing here is devm memory.
 */
static int gwio_adc_probe(struct spi_device *spi)
{
	struct device *dev = &spi->dev;
	struct gwio_dev *gdev;
	struct gwio_adc *adc;
	const char *label;
	u32 period_us;
	unsigned int n;
	int ret;

	if (!gwio_adc_node_is_ours(dev)) {
		dev_dbg(dev, "compatible is not gwio's: left to its driver\n");
		return -ENODEV;
	}
	n = device_get_child_node_count(dev);
	if (!n || n > GWIO_ADC_MAX_INPUTS) {
		dev_err(dev, "1..%u channel nodes, found %u\n",
			GWIO_ADC_MAX_INPUTS, n);
		return -EINVAL;
	}
	if (device_property_read_u32(dev, "gwio,period-us", &period_us) ||
	    period_us < GWIO_ADC_PERIOD_MIN_US ||
	    period_us > GWIO_ADC_PERIOD_MAX_US) {
		dev_err(dev, "gwio,period-us: required, %u..%u\n",
			GWIO_ADC_PERIOD_MIN_US, GWIO_ADC_PERIOD_MAX_US);
		return -EINVAL;
	}

	gdev = devm_gwio_dev_create(dev);
	if (IS_ERR(gdev))
		return PTR_ERR(gdev);
	adc = kzalloc(sizeof(*adc), GFP_KERNEL);
	if (!adc)
		return -ENOMEM;
	/* from here on the device's release frees adc and its buffers */
	gdev->src_ops = &gwio_adc_source_ops;
	gdev->src_priv = adc;
	adc->gdev = gdev;
	adc->spi = spi;
	adc->period_us = period_us;
	adc->period_ns = (u64)period_us * NSEC_PER_USEC;
	atomic_set(&adc->busy, 0);
	gwio_hrtimer_setup(&adc->timer, gwio_adc_tick,
			   CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	ret = gwio_adc_read_format(dev, adc);
	if (ret)
		return ret;

	/* DMA-safe: each buffer its own kmalloc, never on the stack */
	adc->inputs = kcalloc(n, sizeof(*adc->inputs), GFP_KERNEL);
	adc->xfers = kcalloc(n, sizeof(*adc->xfers), GFP_KERNEL);
	adc->tx = kzalloc(n * adc->fmt.len, GFP_KERNEL);
	adc->rx = kzalloc(n * adc->fmt.len, GFP_KERNEL);
	adc->lat_window = kcalloc(GWIO_ADC_LAT_WINDOW,
				  sizeof(*adc->lat_window), GFP_KERNEL);
	if (!adc->inputs || !adc->xfers || !adc->tx || !adc->rx ||
	    !adc->lat_window)
		return -ENOMEM;

	if (device_property_read_string(dev, "label", &label))
		label = dev_name(dev);
	ret = gwio_dev_configure(gdev, dev, label);
	if (ret)
		return ret;
	ret = gwio_adc_add_inputs(dev, adc);
	if (ret)
		return ret;
	return devm_gwio_dev_register(dev, gdev);
}

struct spi_driver gwio_adc_driver = {
	.driver = {
		.name = "gwio-spi-adc",
		.of_match_table = gwio_adc_of_match,
	},
	.id_table = gwio_adc_ids,
	.probe = gwio_adc_probe,
};
