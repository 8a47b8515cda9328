/*
 * rowreport.c - targets, ports and a store rebuilt from rows (see
 * rowreport.h).
 *
 * The rows arrive sorted by (host, port), so hosts are counted and added
 * in one pass and the ports seen are marked in a 64 Ki table.  The rows
 * fill their rectangle exactly when there are hosts x ports of them (they
 * are deduplicated, so none counts twice); then every row has a cell in a
 * store of that size and the report writers see what one scan of those
 * hosts and ports would have left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rowreport.h"

#define FIX \
	"so a report would have to guess the missing ones; write -oC/-oJ instead, or merge rows of scans run with --states open,closed,filtered, or merge the checkpoint files (--checkpoint)"

void rowreport_free(struct rowreport *r)
{
	store_free(r->store);
	targets_free(r->targets);
	free(r->ports);
	memset(r, 0, sizeof(*r));
}

static int add_hosts(struct rowreport *r, const struct rowmerge *rm,
		     uint8_t *seen, struct rowreport_shape *shape,
		     struct rs_error *err)
{
	struct rs_addr prev;
	char host[RS_ADDR_STRLEN];
	size_t n = rowmerge_count(rm);
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct output_result row;

		rowmerge_row(rm, i, &row);
		/* bit 0: seen as TCP, bit 1: as UDP (1 << enum rs_proto) */
		seen[row.port] |= (uint8_t)(1u << row.proto);
		if (i && !addr_cmp(row.addr, &prev))
			continue;
		prev = *row.addr;
		shape->hosts++;
		addr_format(row.addr, host, sizeof(host));
		ret = targets_add(r->targets, host, err);
		if (ret && ret != -ENOMEM)
			rs_error_set(err, host, strlen(host),
				     err->reason ? err->reason :
						   "not a usable address");
		if (ret)
			return ret;
		if (row.hostname &&
		    targets_add_name(r->targets, row.addr, row.hostname))
			return -ENOMEM;
	}
	return 0;
}

static int fill_store(struct rowreport *r, const struct rowmerge *rm)
{
	size_t n = rowmerge_count(rm);

	for (size_t i = 0; i < n; i++) {
		struct output_result row;
		enum store_state st;
		uint64_t h;
		uint32_t pi;

		rowmerge_row(rm, i, &row);
		/* Built from these very rows: a bug if it happens. */
		if (targets_index(r->targets, row.addr, &h) ||
		    ports_index_proto(r->ports, row.proto, row.port, &pi))
			return -EFAULT;
		st = row.state == OUT_OPEN    ? STORE_OPEN :
		     row.state == OUT_CLOSED  ? STORE_CLOSED :
		     row.state == OUT_UNREACH ? STORE_UNREACH :
						STORE_NONE;
		if (st == STORE_NONE)
			continue;
		store_set(r->store, h * r->ports->count + pi, st);
		/* The row's own reason, for the text and XML reports;
		 * -ENOMEM leaves the default one. */
		if (st == STORE_UNREACH && row.reason)
			(void)store_set_reason(r->store,
					       h * r->ports->count + pi,
					       store_reason_code(row.reason));
	}
	return 0;
}

int rowreport_build(struct rowreport *r, const struct rowmerge *rm,
		    struct rowreport_shape *shape, struct rs_error *err)
{
	size_t n = rowmerge_count(rm);
	uint8_t *seen = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	memset(shape, 0, sizeof(*shape));
	memset(err, 0, sizeof(*err));
	shape->rows = n;
	if (!n) {
		err->reason = "the inputs hold no rows, " FIX;
		return -EINVAL;
	}
	ret = -ENOMEM;
	seen = calloc(65536, 1);
	r->ports = calloc(1, sizeof(*r->ports));
	if (!seen || !r->ports || targets_new(&r->targets))
		goto out_free;
	ret = add_hosts(r, rm, seen, shape, err);
	if (ret)
		goto out_free;
	/* The scan's layout (ports.h): TCP ports, then UDP ports. */
	for (unsigned pr = RS_TCP; pr <= RS_UDP; pr++)
		for (unsigned p = 1; p < 65536; p++)
			if (seen[p] & (1u << pr))
				r->ports->port[r->ports->count++] = (uint16_t)p;
	for (unsigned p = 1; p < 65536; p++)
		r->ports->nudp += !!(seen[p] & (1u << RS_UDP));
	shape->ports = r->ports->count;
	shape->cells = shape->hosts * shape->ports;
	if (shape->cells != n) {
		err->reason = FIX;
		ret = -ERANGE;
		goto out_free;
	}
	ret = -ENOMEM;
	if (targets_finalize(r->targets) || store_new(&r->store, shape->cells))
		goto out_free;
	ret = fill_store(r, rm);
	if (ret)
		goto out_free;
	free(seen);
	return 0;
out_free:
	free(seen);
	rowreport_free(r);
	return ret;
}
