/* Shared by the bench-* workloads: the iteration count and the report.
 * Each benchmark checks its own result with an independent method and
 * exits 0 only when the check passes; the checksum line lets tests compare
 * emulators. BENCH_ITERS (compile-time -D) scales the run: the defaults
 * give a few tens of millions of guest instructions.
 *
 * Two targets: RISC-V virt (tests/firmware/common: crt0, UART printf,
 * SiFive-test exit) and Cortex-M (examples/cortexm/: crt.c's startup, the
 * board's UART, the semihosting exit with main's return value), for which
 * this header supplies the small uart_printf the workloads use. */
#ifndef BENCH_H
#define BENCH_H
#if defined(__ARM_ARCH)
#include <stdarg.h>
#include <stddef.h>
#include "cortexm.h"

/* just what the workloads print: %s, %u, %x with an optional 0-padded width */
static int uart_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int uart_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            continue;
        }
        int width = 0;
        while (*++fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt - '0');
        if (*fmt == 's') {
            uart_puts(va_arg(ap, const char *));
        } else if (*fmt == 'u' || *fmt == 'x') {
            unsigned v = va_arg(ap, unsigned), base = *fmt == 'u' ? 10 : 16;
            char buf[12], *p = buf + sizeof buf;
            *--p = 0;
            do { *--p = "0123456789abcdef"[v % base]; v /= base; } while (v);
            while (buf + sizeof buf - 1 - p < width)
                *--p = '0';
            uart_puts(p);
        } else {
            uart_putc(*fmt);
        }
    }
    va_end(ap);
    return 0;
}
#else
#include "runtime.h"
#endif

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
