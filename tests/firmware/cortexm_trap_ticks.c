/* Under -icount, how many SVCs, UDFs (UsageFault, skipped by its handler),
   divisions by zero (UsageFault DIVBYZERO, skipped too) and BKPTs (no
   debugger: HardFault, skipped) run between SysTick interrupts: QEMU 7.2
   counts an SVC, a UDF or a BKPT as executed (it raises them from its
   translated code) and not a division that faults (its helper gives the
   instruction back), so the counts printed are QEMU's only if emud charges
   the same. tests/machines/test_cortexm_trap_ticks.py */
#include "cortexm.h"

#define SYST_CSR REG(0xE000E010)
#define SYST_RVR REG(0xE000E014)
#define SYST_CVR REG(0xE000E018)
#define SHCSR    REG(0xE000ED24)
#define CCR      REG(0xE000ED14)

#define TICKS 8
#define PHASES 4
static volatile uint32_t ticks, traps, at[PHASES * TICKS];
volatile uint32_t skipped;        /* UsageFaults skipped (the handler's count) */

void svc_handler(void) { traps++; }

/* step over the faulting instruction: stacked PC += 2, or 4 when its first
   halfword starts a 32-bit encoding (0b11101, 0b11110, 0b11111) */
__attribute__((naked)) void usagefault_handler(void) {
    __asm__ volatile("ldr r0, [sp, #24]\n ldrh r1, [r0]\n lsrs r1, r1, #11\n cmp r1, #0x1d\n"
                     "blo 1f\n adds r0, #2\n1: adds r0, #2\n str r0, [sp, #24]\n"
                     "ldr r1, =skipped\n ldr r2, [r1]\n adds r2, #1\n str r2, [r1]\n bx lr");
}

/* BKPT escalated to HardFault: step over it (16 bits) */
__attribute__((naked)) void hardfault_handler(void) {
    __asm__ volatile("ldr r0, [sp, #24]\n adds r0, #2\n str r0, [sp, #24]\n"
                     "ldr r1, =skipped\n ldr r2, [r1]\n adds r2, #1\n str r2, [r1]\n bx lr");
}

void systick_handler(void) {
    if (ticks < PHASES * TICKS)
        at[ticks] = traps + skipped;
    ticks++;
}

int main(void) {
    SHCSR |= 1u << 18;                               /* UsageFault enabled */
    CCR |= 1u << 4;                                  /* DIV_0_TRP */
    int ref = !(SYST_CSR & 4);                       /* lm3s: no reference clock */
    SYST_RVR = ref ? 100 - 1 : 1250 - 1;
    SYST_CVR = 0;
    SYST_CSR = ref ? 3 : 7;
    while (ticks < TICKS) __asm__ volatile("svc #0" ::: "memory");
    while (ticks < 2 * TICKS) __asm__ volatile("udf #0" ::: "memory");
    volatile int zero = 0;
    while (ticks < 3 * TICKS) {
        int q;
        __asm__ volatile("sdiv %0, %1, %2" : "=r"(q) : "r"(7), "r"(zero) : "memory");
        (void)q;
    }
    while (ticks < 4 * TICKS) __asm__ volatile("bkpt #1" ::: "memory");
    SYST_CSR = 0;
    for (int i = 0; i < PHASES * TICKS; i++) { uart_putu(at[i]); uart_puts(" "); }
    uart_puts("\n");
    return 0;
}
