/* See runtime.h. Kept free of libc so every firmware links the same way. */
#include <stdarg.h>
#include "runtime.h"

/* 8N1; the FIFO is left as reset leaves it: toggling FCR.FE clears the
 * receive FIFO and would drop input that arrived before this call. */
void uart_init(void)
{
    MMIO8(UART_BASE + UART_LCR) = 0x03;
}

void uart_putc(char c)
{
    while (!(MMIO8(UART_BASE + UART_LSR) & UART_LSR_THRE))
        ;
    MMIO8(UART_BASE + UART_THR) = (uint8_t)c;
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

int uart_getc_nowait(void)
{
    if (MMIO8(UART_BASE + UART_LSR) & UART_LSR_DR)
        return MMIO8(UART_BASE + UART_RBR);
    return -1;
}

static int put_unsigned(unsigned long long v, unsigned base, int width, char pad)
{
    char buf[24];
    int n = 0, out = 0;
    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (width-- > n) {
        uart_putc(pad);
        out++;
    }
    while (n) {
        uart_putc(buf[--n]);
        out++;
    }
    return out;
}

/* %d %i %u %x %p %s %c %% with optional '0', width and 'l'/'ll'. */
int uart_printf(const char *fmt, ...)
{
    va_list ap;
    int out = 0;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_putc(*fmt);
            out++;
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, lng = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd': case 'i': {
            long long v = lng >= 2 ? va_arg(ap, long long)
                        : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                uart_putc('-');
                out++;
                if (width)
                    width--;
                out += put_unsigned(-(unsigned long long)v, 10, width, pad);
            } else {
                out += put_unsigned((unsigned long long)v, 10, width, pad);
            }
            break;
        }
        case 'u': case 'x': {
            unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
                        : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            out += put_unsigned(v, *fmt == 'u' ? 10 : 16, width, pad);
            break;
        }
        case 'p':
            uart_puts("0x");
            out += 2 + put_unsigned((uintptr_t)va_arg(ap, void *), 16, width, pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s) {
                uart_putc(*s++);
                out++;
            }
            break;
        }
        case 'c':
            uart_putc((char)va_arg(ap, int));
            out++;
            break;
        case '%':
            uart_putc('%');
            out++;
            break;
        default:
            uart_putc('?');
            out++;
            break;
        }
    }
    va_end(ap);
    return out;
}

void fw_exit(int code)
{
    uint32_t v = code == 0 ? SIFIVE_TEST_PASS
                           : (((uint32_t)code & 0xffff) << 16) | SIFIVE_TEST_FAIL;
    MMIO32(SIFIVE_TEST_BASE) = v;
    for (;;)
        __asm__ volatile ("wfi");
}

uint64_t mtime_read(void)
{
#if __riscv_xlen == 64
    return *(volatile uint64_t *)CLINT_MTIME;
#else
    uint32_t hi, lo;
    do {
        hi = MMIO32(CLINT_MTIME + 4);
        lo = MMIO32(CLINT_MTIME);
    } while (hi != MMIO32(CLINT_MTIME + 4));
    return ((uint64_t)hi << 32) | lo;
#endif
}

void mtimecmp_write(uint64_t value)
{
#if __riscv_xlen == 64
    *(volatile uint64_t *)CLINT_MTIMECMP = value;
#else
    /* never let a half-written compare value fire early */
    MMIO32(CLINT_MTIMECMP + 4) = 0xffffffff;
    MMIO32(CLINT_MTIMECMP) = (uint32_t)value;
    MMIO32(CLINT_MTIMECMP + 4) = (uint32_t)(value >> 32);
#endif
}

void fw_unexpected_trap(unsigned long mcause, unsigned long mepc, unsigned long mtval)
{
    uart_printf("\nunexpected trap: mcause=0x%lx mepc=0x%lx mtval=0x%lx\n",
                mcause, mepc, mtval);
    fw_exit(0xdead);
}
