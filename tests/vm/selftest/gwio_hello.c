// SPDX-License-Identifier: GPL-2.0
/*
 * gwio_hello - proves the VM harness end to end: built out of tree against
 * the downloaded headers, loaded in the matching Debian kernel under qemu.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/utsname.h>

static int __init gwio_hello_init(void)
{
	pr_info("gwio_hello: loaded on %s\n", init_utsname()->release);
	return 0;
}

static void __exit gwio_hello_exit(void)
{
	pr_info("gwio_hello: unloaded\n");
}

module_init(gwio_hello_init);
module_exit(gwio_hello_exit);
MODULE_DESCRIPTION("gwio VM harness self-test module");
MODULE_LICENSE("GPL");
