/* Shared by the bench-* workloads: the iteration count and the report.
 * Each benchmark checks its own result with an independent method and
 * exits 0 only when the check passes; the checksum line lets tests compare
 * emulators. BENCH_ITERS (compile-time -D) scales the run: the defaults
 * give a few tens of millions of guest instructions. */
#ifndef BENCH_H
#define BENCH_H
#include "runtime.h"

static inline int bench_report(const char *name, unsigned iters, uint32_t checksum, int ok)
{
    uart_printf("%s: iters=%u checksum=0x%08x %s\n", name, iters, (unsigned)checksum,
                ok ? "ok" : "FAILED");
#ifdef BENCH_REPORT_MTIME
    uart_printf("mtime=%lu\n", (unsigned long)mtime_read());
#endif
    return ok ? 0 : 1;
}
#endif
