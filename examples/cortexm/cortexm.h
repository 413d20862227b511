/* What the Cortex-M examples share: the vector table's shape, a UART for
   each board (CMSDK UART0 on mps2-an385, PL011 UART0 on lm3s6965evb), and
   the semihosting exit (BKPT 0xAB, SYS_EXIT_EXTENDED). */
#ifndef CORTEXM_H
#define CORTEXM_H
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))

#if defined(BOARD_MPS2)
#define BOARD "mps2-an385"
static inline void uart_init(void) { REG(0x40004010) = 16; REG(0x40004008) = 1; } /* BAUDDIV, TX_EN */
static inline void uart_putc(char c) { while (REG(0x40004004) & 1) {} REG(0x40004000) = (uint8_t)c; }
#elif defined(BOARD_LM3S)
#define BOARD "lm3s6965evb"
static inline void uart_init(void) { REG(0x4000C030) = 0x301; }                  /* UARTEN, TXE, RXE */
static inline void uart_putc(char c) { while (REG(0x4000C018) & 0x20) {} REG(0x4000C000) = (uint8_t)c; }
#else
#error "define BOARD_MPS2 or BOARD_LM3S"
#endif

static inline void uart_puts(const char *s) { while (*s) uart_putc(*s++); }

static inline void uart_putu(uint32_t v) {
    char buf[11], *p = buf + sizeof buf;
    *--p = 0;
    do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
    uart_puts(p);
}

static inline void uart_puthex(uint32_t v) {
    uart_puts("0x");
    for (int i = 28; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

static inline __attribute__((noreturn)) void semihosting_exit(int code) {
    uint32_t block[2] = {0x20026, (uint32_t)code};      /* ADP_Stopped_ApplicationExit */
    register uint32_t r0 __asm__("r0") = 0x20;           /* SYS_EXIT_EXTENDED */
    register uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {}
}

/* crt.c: copies .data, clears .bss, calls main, exits with its status */
int main(void);
#endif
