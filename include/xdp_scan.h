/*
 * xdp_scan.h - what the XDP program (src/syn/xdp_scan.bpf.c) and user space
 * (src/syn/afxdp.c) share: the size of the XSKMAP and the layout of the one
 * configuration entry user space writes into the program's "cfg" map.
 *
 * Both sides include this file, so there is one definition to change;
 * both also assert its size and offsets at compile time, because the BPF
 * side is built by another compiler for another target, and a field that
 * moved there would only show as a filter that matches nothing.  Fixed
 * width kernel types (linux/types.h) so that it compiles in either world.
 */
#ifndef RINGSCAN_XDP_SCAN_H
#define RINGSCAN_XDP_SCAN_H

#include <linux/types.h>

#define XDP_SCAN_MAX_QUEUES 64 /* the program's XSKMAP size: queues served */

#define XDP_SCAN_SRC4 1u /* flags: src4 is set */
#define XDP_SCAN_SRC6 2u /* flags: src6 is set */

struct xdp_scan_cfg {
	__u32 src6[4]; /* network order */
	__u32 src4; /* network order */
	__u16 port_lo; /* host order: our source ports, inclusive */
	__u16 port_hi;
	__u32 flags; /* XDP_SCAN_* */
};

#define XDP_SCAN_ASSERT_LAYOUT()                                               \
	_Static_assert(sizeof(struct xdp_scan_cfg) == 28, "cfg size");         \
	_Static_assert(__builtin_offsetof(struct xdp_scan_cfg, src4) == 16,    \
		       "cfg src4");                                            \
	_Static_assert(__builtin_offsetof(struct xdp_scan_cfg, port_lo) == 20, \
		       "cfg port_lo");                                         \
	_Static_assert(__builtin_offsetof(struct xdp_scan_cfg, port_hi) == 22, \
		       "cfg port_hi");                                         \
	_Static_assert(__builtin_offsetof(struct xdp_scan_cfg, flags) == 24,   \
		       "cfg flags")

#endif
