/* Faults on a Cortex-M3: UsageFaults (UDF, and SDIV by zero with
   CCR.DIV_0_TRP), a precise BusFault (a load from an address nothing
   decodes), an SVC whose handler pends PendSV (taken when it returns), then a
   UDF with UsageFault disabled, escalated to HardFault (HFSR.FORCED). The
   configurable handlers print CFSR (and BFAR), clear it and return past the
   faulting instruction; HardFault prints HFSR and CFSR and exits with 3. */
#include "cortexm.h"

#define SHCSR REG(0xE000ED24)
#define CCR   REG(0xE000ED14)
#define CFSR  REG(0xE000ED28)
#define HFSR  REG(0xE000ED2C)
#define BFAR  REG(0xE000ED38)
#define ICSR  REG(0xE000ED04)
#define UNMAPPED 0x60000000u            /* external RAM space: nothing there on either board */

static volatile uint32_t pendsv_runs, svc_runs;

/* The handlers get the exception frame (r0-r3, r12, lr, pc, xpsr) from the
   stack the exception used. */
#define FRAME_HANDLER(name) \
    void name##_c(uint32_t *frame); \
    __attribute__((naked)) void name(void) { \
        __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n b " #name "_c"); }

static void skip_faulting_insn(uint32_t *frame) {
    uint16_t first = *(uint16_t *)frame[6];
    frame[6] += (first >> 11) >= 0x1d ? 4 : 2;      /* 32-bit Thumb-2 or 16-bit */
}

static void report(const char *what, uint32_t cfsr) {
    uart_puts(what); uart_puts(" CFSR="); uart_puthex(cfsr);
}

FRAME_HANDLER(usagefault_handler)
void usagefault_handler_c(uint32_t *frame) {
    uint32_t cfsr = CFSR;
    report("usagefault", cfsr); uart_puts("\n");
    CFSR = cfsr;                                     /* write-one-to-clear */
    skip_faulting_insn(frame);
}

FRAME_HANDLER(busfault_handler)
void busfault_handler_c(uint32_t *frame) {
    uint32_t cfsr = CFSR;
    report("busfault", cfsr);
    if (cfsr & (1u << 15)) { uart_puts(" BFAR="); uart_puthex(BFAR); }   /* BFARVALID */
    uart_puts("\n");
    CFSR = cfsr;
    skip_faulting_insn(frame);
}

void svc_handler(void) { svc_runs++; ICSR = 1u << 28; }   /* PendSV: same priority, runs after us */
void pendsv_handler(void) { pendsv_runs += svc_runs; }

void hardfault_handler(void) {
    uart_puts("hardfault HFSR="); uart_puthex(HFSR);
    uart_puts(" CFSR="); uart_puthex(CFSR); uart_puts("\n");
    semihosting_exit(3);
}

int main(void) {
    SHCSR |= 7u << 16;                               /* MemManage, BusFault, UsageFault enabled */
    CCR |= 1u << 4;                                  /* DIV_0_TRP */
    uart_puts("udf\n");
    __asm__ volatile("udf #1");
    uart_puts("sdiv by zero\n");
    volatile int zero = 0, q;
    q = 7 / zero;
    (void)q;
    uart_puts("load from unmapped\n");
    (void)REG(UNMAPPED);
    uart_puts("svc\n");
    __asm__ volatile("svc #0" ::: "memory");
    uart_puts("pendsv ran "); uart_putu(pendsv_runs); uart_puts("\n");
    uart_puts("udf, UsageFault disabled\n");
    SHCSR &= ~(1u << 18);
    __asm__ volatile("udf #2");
    uart_puts("not reached\n");
    return 0;
}
