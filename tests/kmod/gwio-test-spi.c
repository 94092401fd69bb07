// SPDX-License-Identifier: GPL-2.0
/*
 * gwio-test-spi: a simulated SPI host with MCP3008/MCP3208 ADCs on its chip
 * selects, for tests only.  Consumers go through the real SPI core: message
 * queue, controller kthread, spi_sync()/spi_async(), chip-select handling.
 *
 * The ADCs are emulated clock by clock, as the chips see the bus (SPI mode
 * 0,0 or 1,1, MSB first, DOUT changes after each clock's DIN is sampled):
 * leading zeros are ignored until the start bit, then SGL/DIFF and D2 D1 D0
 * select the input, one clock samples, a null bit (0) follows, then the
 * result MSB first (10 bits MCP3008, 12 bits MCP3208); further clocks with
 * chip select still low shift the result out again LSB first (datasheet
 * section 5/6), then zeros.  A new conversion needs chip select to go high
 * and low again.  DOUT is high impedance before the null bit: it reads as
 * the hiz parameter (default 1), so a consumer that does not mask the
 * undefined bits sees it.
 *
 * The waveform is a counter per chip select and channel: the Nth
 * conversion (from 0) of channel ch returns (N + 100 * ch) masked to the
 * resolution, so a test can check that no sample was skipped or repeated.
 * debugfs "wave" gives a single-ended input a signal a person recognises
 * instead (a slow sine, a ramp), taken from the clock at the moment of the
 * conversion, so it looks the same at any sample rate (make demo).
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fixp-arith.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/seq_file.h>
#include <linux/spi/spi.h>
#include <linux/spinlock.h>

#include "gwio-test.h"

#define GTS_NAME	"gwio-test-spi"
#define GTS_MAX_CS	4
#define GTS_CHANNELS	8
#define GTS_BUSY_MAX_NS	10000	/* longer delays sleep on an hrtimer */

static char *model[GTS_MAX_CS] = { "mcp3008", "mcp3208" };
static int nmodel;
module_param_array(model, charp, &nmodel, 0444);
MODULE_PARM_DESC(model,
		 "chip per chip select: mcp3008, mcp3208 or none (default mcp3008,mcp3208)");

static unsigned int delay_ns;
module_param(delay_ns, uint, 0644);
MODULE_PARM_DESC(delay_ns,
		 "extra time per transfer, busy below 10 us, else sleeping (default 0)");

static bool hiz = true;
module_param(hiz, bool, 0644);
MODULE_PARM_DESC(hiz, "level read while DOUT is high impedance (default 1)");

static int bus_num = -1;
module_param(bus_num, int, 0444);
MODULE_PARM_DESC(bus_num, "SPI bus number (default -1: dynamic)");

const struct software_node gwio_test_spi_swnode = {
	.name = GTS_NAME,
};
EXPORT_SYMBOL_GPL(gwio_test_spi_swnode);

enum gts_model {
	GTS_NONE,
	GTS_MCP3008,
	GTS_MCP3208,
};

static const struct {
	const char *name;
	unsigned int bits;
	u32 max_hz;		/* datasheet maximum at 5 V */
} gts_models[] = {
	[GTS_NONE] = { "none", 0, 0 },
	[GTS_MCP3008] = { "mcp3008", 10, 3600000 },
	[GTS_MCP3208] = { "mcp3208", 12, 2000000 },
};

static int gts_model_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gts_models); i++)
		if (sysfs_streq(name, gts_models[i].name))
			return i;
	return -EINVAL;
}

enum gts_wave_kind {
	GTS_WAVE_COUNTER,
	GTS_WAVE_SINE,
	GTS_WAVE_RAMP,
};

static const char *const gts_wave_names[] = {
	[GTS_WAVE_COUNTER] = "counter",
	[GTS_WAVE_SINE] = "sine",
	[GTS_WAVE_RAMP] = "ramp",
};

/* A time-based signal between lo and hi (ADC codes), period_ms long. */
struct gts_wave {
	enum gts_wave_kind kind;
	u16 lo, hi;
	u32 period_ms;
};

enum gts_state {
	GTS_IDLE,	/* waiting for the start bit */
	GTS_CMD,	/* SGL/DIFF, D2, D1, D0 */
	GTS_SAMPLE,	/* the sampling clock */
	GTS_NULL,	/* the null bit */
	GTS_MSB,	/* result, MSB first */
	GTS_LSB,	/* result again, LSB first */
	GTS_ZEROS,	/* all shifted out */
};

struct gts_adc {
	enum gts_model model;
	unsigned int bits;

	/* the chip's view of the bus, reset by chip select */
	enum gts_state state;
	unsigned int cmd;	/* SGL D2 D1 D0 as received */
	unsigned int ncmd;
	int bit;		/* next result bit to shift out */
	u16 value;

	/* waveform and statistics */
	struct gts_wave wave[GTS_CHANNELS];
	u64 count[GTS_CHANNELS];	/* single-ended conversions */
	u64 diff;			/* differential conversions */
	u64 conversions;
	u64 selects;
	int last_cmd;			/* SGL<<3 | D2D1D0; -1 none */
	u16 last_value;
	u8 last_tx[4];
	unsigned int last_len;
};

struct gts {
	struct spi_controller *ctlr;
	struct dentry *debugfs;
	spinlock_t lock;	/* the emulation state and statistics */
	unsigned int ncs;
	struct gts_adc adc[GTS_MAX_CS];
	u64 transfers;
	u64 bytes;
	u64 mode_errors;	/* transfers in a mode the chip cannot follow */
	u64 overspeed;		/* transfers above the chip's maximum clock */
	u64 t0_ns;		/* phase origin of the waves: load or reset */
};

static struct platform_device *gts_pdev;
static struct spi_controller *gts_ctlr;

/* fixp_sin32_rad() BUG()s on a turn above 2^18 steps: 720 per degree */
#define GTS_TURN	(360 * 720)

static u16 gts_wave_value(const struct gts_wave *w, u64 t_ns)
{
	u64 period_ns = (u64)w->period_ms * NSEC_PER_MSEC;
	u32 span = w->hi - w->lo;
	u32 phase;
	u64 rem;
	s32 sin;

	div64_u64_rem(t_ns, period_ns, &rem);
	/* rem < 1 h in ns, so rem * GTS_TURN stays below 2^64 */
	phase = div64_u64(rem * GTS_TURN, period_ns);
	if (w->kind == GTS_WAVE_RAMP)
		return w->lo + div_u64((u64)span * phase, GTS_TURN);
	sin = fixp_sin32_rad(phase, GTS_TURN);
	/* lo + span/2 * (1 + sin), rounded; sin is scaled by 2^31 - 1 */
	return w->lo + div64_u64((u64)span * ((s64)sin + S32_MAX) + S32_MAX,
				 2ULL * S32_MAX);
}

/* One clock: the DOUT bit the host samples, then the chip takes DIN. */
static int gts_clock(struct gts *g, struct gts_adc *a, int din)
{
	int dout = hiz;

	switch (a->state) {
	case GTS_IDLE:
		if (din) {
			a->state = GTS_CMD;
			a->cmd = 0;
			a->ncmd = 0;
		}
		break;
	case GTS_CMD:
		a->cmd = a->cmd << 1 | din;
		if (++a->ncmd < 4)
			break;
		/* D0 is in: the conversion of this input happens now */
		if (a->cmd & 8) {
			unsigned int ch = a->cmd & 7;

			if (a->wave[ch].kind == GTS_WAVE_COUNTER)
				a->value = (a->count[ch] + 100 * ch) &
					   GENMASK(a->bits - 1, 0);
			else
				a->value = gts_wave_value(&a->wave[ch],
							  ktime_get_ns() - g->t0_ns);
			a->count[ch]++;
		} else {
			/* differential: the same waveform, its own counter */
			a->value = (a->diff + 100 * (a->cmd & 7)) &
				   GENMASK(a->bits - 1, 0);
			a->diff++;
		}
		a->conversions++;
		a->last_cmd = a->cmd;
		a->last_value = a->value;
		a->state = GTS_SAMPLE;
		break;
	case GTS_SAMPLE:
		a->state = GTS_NULL;
		break;
	case GTS_NULL:
		dout = 0;
		a->state = GTS_MSB;
		a->bit = a->bits - 1;
		break;
	case GTS_MSB:
		dout = (a->value >> a->bit) & 1;
		if (a->bit-- == 0) {
			a->state = GTS_LSB;
			a->bit = 1;	/* B0 is shared by both orders */
		}
		break;
	case GTS_LSB:
		dout = (a->value >> a->bit) & 1;
		if (++a->bit == a->bits)
			a->state = GTS_ZEROS;
		break;
	case GTS_ZEROS:
		dout = 0;
		break;
	}
	return dout;
}

static void gts_set_cs(struct spi_device *spi, bool level)
{
	struct gts *g = spi_controller_get_devdata(spi->controller);
	u8 cs = spi_get_chipselect(spi, 0);
	unsigned long flags;

	if (cs >= g->ncs)
		return;
	spin_lock_irqsave(&g->lock, flags);
	/* either edge of chip select ends what the chip was doing */
	g->adc[cs].state = GTS_IDLE;
	if (!level)
		g->adc[cs].selects++;
	spin_unlock_irqrestore(&g->lock, flags);
}

static int gts_transfer_one(struct spi_controller *ctlr,
			    struct spi_device *spi, struct spi_transfer *xfer)
{
	struct gts *g = spi_controller_get_devdata(ctlr);
	u8 cs = spi_get_chipselect(spi, 0);
	const u8 *tx = xfer->tx_buf;
	u8 *rx = xfer->rx_buf;
	struct gts_adc *a = NULL;
	unsigned long flags;
	bool garbled;
	size_t i;

	if (cs < g->ncs && g->adc[cs].model != GTS_NONE)
		a = &g->adc[cs];
	/* MCP3x08: modes 0,0 and 1,1 only, MSB first, active-low select */
	garbled = spi->mode & (SPI_CS_HIGH | SPI_LSB_FIRST | SPI_3WIRE) ||
		  !(spi->mode & SPI_CPOL) != !(spi->mode & SPI_CPHA);

	spin_lock_irqsave(&g->lock, flags);
	g->transfers++;
	g->bytes += xfer->len;
	if (a && garbled)
		g->mode_errors++;
	if (a && xfer->speed_hz > gts_models[a->model].max_hz)
		g->overspeed++;
	if (a && tx) {
		a->last_len = min_t(size_t, xfer->len, sizeof(a->last_tx));
		memcpy(a->last_tx, tx, a->last_len);
	}
	for (i = 0; i < xfer->len; i++) {
		u8 out = 0, in = tx ? tx[i] : 0;
		int b;

		for (b = 7; b >= 0; b--) {
			int dout = hiz;

			if (a && !garbled)
				dout = gts_clock(g, a, (in >> b) & 1);
			out |= dout << b;
		}
		if (rx)
			rx[i] = out;
	}
	spin_unlock_irqrestore(&g->lock, flags);

	if (delay_ns >= GTS_BUSY_MAX_NS)
		fsleep(DIV_ROUND_UP(delay_ns, NSEC_PER_USEC));
	else if (delay_ns)
		ndelay(delay_ns);
	return 0;	/* done: the core finalizes the transfer */
}

/* ---- debugfs ------------------------------------------------------------ */

static int gts_stats_show(struct seq_file *m, void *v)
{
	struct gts *g = m->private;
	unsigned int cs, ch;

	spin_lock_irq(&g->lock);
	seq_printf(m, "bus %d\n", g->ctlr->bus_num);
	seq_printf(m, "transfers %llu\n", g->transfers);
	seq_printf(m, "bytes %llu\n", g->bytes);
	seq_printf(m, "mode_errors %llu\n", g->mode_errors);
	seq_printf(m, "overspeed %llu\n", g->overspeed);
	for (cs = 0; cs < g->ncs; cs++) {
		const struct gts_adc *a = &g->adc[cs];

		seq_printf(m, "cs%u.model %s\n", cs, gts_models[a->model].name);
		if (a->model == GTS_NONE)
			continue;
		seq_printf(m, "cs%u.selects %llu\n", cs, a->selects);
		seq_printf(m, "cs%u.conversions %llu\n", cs, a->conversions);
		for (ch = 0; ch < GTS_CHANNELS; ch++)
			seq_printf(m, "cs%u.ch%u %llu\n", cs, ch, a->count[ch]);
		seq_printf(m, "cs%u.diff %llu\n", cs, a->diff);
		if (a->last_cmd < 0)
			continue;
		seq_printf(m, "cs%u.last_cmd %s ch=%d\n", cs,
			   a->last_cmd & 8 ? "sgl" : "diff", a->last_cmd & 7);
		seq_printf(m, "cs%u.last_value %u\n", cs, a->last_value);
		seq_printf(m, "cs%u.last_tx %*phN\n", cs, a->last_len,
			   a->last_tx);
	}
	spin_unlock_irq(&g->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gts_stats);

static void gts_reset(struct gts *g)
{
	unsigned int cs;

	spin_lock_irq(&g->lock);
	g->transfers = 0;
	g->bytes = 0;
	g->mode_errors = 0;
	g->overspeed = 0;
	g->t0_ns = ktime_get_ns();
	for (cs = 0; cs < g->ncs; cs++) {
		struct gts_adc *a = &g->adc[cs];

		memset(a->count, 0, sizeof(a->count));
		a->diff = 0;
		a->conversions = 0;
		a->selects = 0;
		a->last_cmd = -1;
		a->last_len = 0;
	}
	spin_unlock_irq(&g->lock);
}

/* Any write: counters and the waves' phase back to 0 (waves and chip-select state kept). */
static ssize_t gts_reset_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	gts_reset(file_inode(file)->i_private);
	return count;
}

static const struct file_operations gts_reset_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = gts_reset_write,
	.llseek = noop_llseek,
};

static int gts_wave_show(struct seq_file *m, void *v)
{
	struct gts *g = m->private;
	unsigned int cs, ch;

	spin_lock_irq(&g->lock);
	for (cs = 0; cs < g->ncs; cs++) {
		for (ch = 0; ch < GTS_CHANNELS; ch++) {
			const struct gts_wave *w = &g->adc[cs].wave[ch];

			if (g->adc[cs].model == GTS_NONE)
				break;
			if (w->kind == GTS_WAVE_COUNTER)
				continue;
			seq_printf(m, "%u %u %s %u %u %u\n", cs, ch,
				   gts_wave_names[w->kind], w->lo, w->hi,
				   w->period_ms);
		}
	}
	spin_unlock_irq(&g->lock);
	return 0;
}

static int gts_wave_open(struct inode *inode, struct file *file)
{
	return single_open(file, gts_wave_show, inode->i_private);
}

/*
 * "CS CH counter" or "CS CH sine|ramp LO HI PERIOD_MS": the signal of
 * single-ended input CH of the chip on CS, in ADC codes.
 */
static ssize_t gts_wave_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct gts *g = file_inode(file)->i_private;
	unsigned int num[5] = { };	/* cs ch lo hi period_ms */
	char buf[64], *p = buf, *tok, *kind = NULL;
	unsigned int n = 0, nnum = 0;
	struct gts_wave w = { };
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	/* whole words only: a number out of range or trailing junk is refused */
	while ((tok = strsep(&p, " \t\n"))) {
		if (!*tok)
			continue;
		if (n++ == 2) {
			kind = tok;
			continue;
		}
		if (nnum == ARRAY_SIZE(num))
			return -EINVAL;
		ret = kstrtouint(tok, 10, &num[nnum++]);
		if (ret)
			return ret;
	}
	if (!kind || num[0] >= g->ncs || g->adc[num[0]].model == GTS_NONE ||
	    num[1] >= GTS_CHANNELS)
		return -EINVAL;
	ret = match_string(gts_wave_names, ARRAY_SIZE(gts_wave_names), kind);
	if (ret < 0)
		return ret;
	w.kind = ret;
	if (w.kind == GTS_WAVE_COUNTER) {
		if (nnum != 2)
			return -EINVAL;
	} else {
		/* an hour at most: gts_wave_value()'s arithmetic stays in 64 bits */
		if (nnum != 5 || num[2] > num[3] ||
		    num[3] > GENMASK(g->adc[num[0]].bits - 1, 0) ||
		    !num[4] || num[4] > 3600000)
			return -EINVAL;
		w.lo = num[2];
		w.hi = num[3];
		w.period_ms = num[4];
	}
	spin_lock_irq(&g->lock);
	g->adc[num[0]].wave[num[1]] = w;
	spin_unlock_irq(&g->lock);
	return count;
}

static const struct file_operations gts_wave_fops = {
	.owner = THIS_MODULE,
	.open = gts_wave_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = gts_wave_write,
};

static void gts_debugfs_remove(void *data)
{
	struct gts *g = data;

	debugfs_remove_recursive(g->debugfs);
}

/* ---- probe ------------------------------------------------------------------ */

static int gts_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct spi_controller *ctlr;
	unsigned int cs;
	struct gts *g;
	int ret;

	ctlr = devm_spi_alloc_host(dev, sizeof(*g));
	if (!ctlr)
		return -ENOMEM;
	g = spi_controller_get_devdata(ctlr);
	g->ctlr = ctlr;
	spin_lock_init(&g->lock);
	g->ncs = nmodel ? nmodel : 2;
	g->t0_ns = ktime_get_ns();
	for (cs = 0; cs < g->ncs; cs++) {
		int m = gts_model_of(model[cs]);

		if (m < 0)
			return dev_err_probe(dev, -EINVAL,
					     "model[%u]: unknown chip '%s'\n",
					     cs, model[cs]);
		g->adc[cs].model = m;
		g->adc[cs].bits = gts_models[m].bits;
		g->adc[cs].last_cmd = -1;
	}

	device_set_node(&ctlr->dev, dev_fwnode(dev));
	ctlr->bus_num = bus_num;
	ctlr->num_chipselect = g->ncs;
	/* accept what a real host would: the chip judges the mode */
	ctlr->mode_bits = SPI_CPOL | SPI_CPHA | SPI_CS_HIGH | SPI_LSB_FIRST;
	ctlr->bits_per_word_mask = SPI_BPW_MASK(8);
	ctlr->max_speed_hz = 20000000;
	ctlr->set_cs = gts_set_cs;
	ctlr->transfer_one = gts_transfer_one;

	ret = devm_spi_register_controller(dev, ctlr);
	if (ret)
		return dev_err_probe(dev, ret, "cannot register the controller\n");
	gts_ctlr = ctlr;

	g->debugfs = debugfs_create_dir(GTS_NAME, NULL);
	debugfs_create_file("stats", 0400, g->debugfs, g, &gts_stats_fops);
	debugfs_create_file("reset", 0200, g->debugfs, g, &gts_reset_fops);
	debugfs_create_file("wave", 0600, g->debugfs, g, &gts_wave_fops);
	/* a host that refuses slow transfers: the core's validation fails */
	debugfs_create_u32("min_speed_hz", 0600, g->debugfs,
			   &ctlr->min_speed_hz);
	ret = devm_add_action_or_reset(dev, gts_debugfs_remove, g);
	if (ret)
		return ret;

	for (cs = 0; cs < g->ncs; cs++)
		dev_info(dev, "spi%d cs%u: %s\n", ctlr->bus_num, cs,
			 gts_models[g->adc[cs].model].name);
	return 0;
}

/**
 * gwio_test_spi_controller() - the simulated SPI host
 *
 * For test modules that add devices with spi_new_device().  Valid as long
 * as gwio-test-spi is loaded, which the caller's use of this symbol
 * guarantees.
 *
 * Return: the controller, or NULL if it did not probe.
 */
struct spi_controller *gwio_test_spi_controller(void)
{
	return gts_ctlr;
}
EXPORT_SYMBOL_GPL(gwio_test_spi_controller);

static struct platform_driver gts_driver = {
	.probe = gts_probe,
	.driver = {
		.name = GTS_NAME,
	},
};

static int __init gts_init(void)
{
	struct platform_device_info info = {
		.name = GTS_NAME,
		.id = PLATFORM_DEVID_NONE,
	};
	int ret;

	if (nmodel > GTS_MAX_CS)
		return -EINVAL;
	ret = software_node_register(&gwio_test_spi_swnode);
	if (ret)
		return ret;
	ret = platform_driver_register(&gts_driver);
	if (ret)
		goto err_node;

	info.fwnode = software_node_fwnode(&gwio_test_spi_swnode);
	gts_pdev = platform_device_register_full(&info);
	if (IS_ERR(gts_pdev)) {
		ret = PTR_ERR(gts_pdev);
		goto err_driver;
	}
	if (!gts_ctlr) {
		ret = -ENODEV;	/* probe failed: say so at load time */
		goto err_pdev;
	}
	return 0;

err_pdev:
	platform_device_unregister(gts_pdev);
err_driver:
	platform_driver_unregister(&gts_driver);
err_node:
	software_node_unregister(&gwio_test_spi_swnode);
	gwio_test_swnodes_settle();
	return ret;
}
module_init(gts_init);

static void __exit gts_exit(void)
{
	platform_device_unregister(gts_pdev);
	platform_driver_unregister(&gts_driver);
	software_node_unregister(&gwio_test_spi_swnode);
	gwio_test_swnodes_settle();
	gts_ctlr = NULL;
}
module_exit(gts_exit);

MODULE_DESCRIPTION("gwio test-only simulated SPI host with MCP3008/MCP3208 ADCs");
MODULE_LICENSE("GPL");
