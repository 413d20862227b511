/* UART hello, a timer interrupt and the FPGAIO counters on mps2-an385 (CMSDK
   UART0, timer 0 on IRQ 8), or UART hello on lm3s6965evb (PL011 UART0);
   exits through semihosting SYS_EXIT (BKPT 0xAB). Vector table at 0. */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
extern uint32_t __stack_top;
void reset(void);
void timer0_isr(void);
static void unused(void) { for (;;) {} }

__attribute__((section(".vectors"), used)) void (*const vectors[16 + 32])(void) = {
    (void (*)(void))&__stack_top, reset, unused, unused, unused, unused, unused, 0, 0, 0, 0,
    unused, unused, 0, unused, unused,
    [16 + 8] = timer0_isr,
};

#ifdef MPS2
static void putc_(char c) { REG(0x40004000) = (uint8_t)c; }
#else
static void putc_(char c) { while (REG(0x4000C018) & 0x20) {} REG(0x4000C000) = (uint8_t)c; }
#endif
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void puthex(uint32_t v) { for (int i = 28; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]); }

static void sys_exit(int code) {
    uint32_t block[2] = {0x20026, (uint32_t)code};   /* ADP_Stopped_ApplicationExit */
    register uint32_t r0 __asm__("r0") = 0x20;        /* SYS_EXIT_EXTENDED */
    register uint32_t r1 __asm__("r1") = (uint32_t)block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {}
}

static volatile int ticks;
void timer0_isr(void) { REG(0x4000000C) = 1; ticks++; }

void reset(void) {
#ifdef MPS2
    REG(0x40004010) = 16;              /* BAUDDIV */
    REG(0x40004008) = 1;               /* TX_EN */
    puts_("hello from mps2-an385\n");
    puts_("scc id "); puthex(REG(0x4002FFFC)); putc_('\n');
    REG(0xE000E100) = 1u << 8;         /* NVIC ISER0: timer 0 */
    REG(0x40000008) = 25000;           /* 1 ms at 25 MHz */
    REG(0x40000000) = 0x9;             /* EN | IRQEN */
    uint32_t start = REG(0x40028014);  /* CLK100HZ */
    while (ticks < 30) { __asm__ volatile("wfi"); }
    REG(0x40000000) = 0;
    uint32_t hundredths = REG(0x40028014) - start;
    puts_(ticks >= 30 && hundredths >= 2 && hundredths <= 4 ? "timer ok\n" : "timer BAD\n");
#else
    REG(0x4000C030) = 0x301;           /* UARTEN | TXE | RXE */
    puts_("hello from lm3s6965evb\n");
    puts_("did0 "); puthex(REG(0x400FE000)); putc_('\n');
#endif
    sys_exit(3);
}
