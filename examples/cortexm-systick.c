/* SysTick and PendSV on a Cortex-M board: a 1 ms SysTick interrupt counts
   ticks; every 10th tick pends PendSV, which (at the lowest priority) runs
   after SysTick returns and counts "switches", as an RTOS's scheduler does. */
#include "cortexm.h"

#define SYST_CSR REG(0xE000E010)
#define SYST_RVR REG(0xE000E014)
#define SYST_CVR REG(0xE000E018)
#define ICSR     REG(0xE000ED04)
#define SHPR3    REG(0xE000ED20)

static volatile uint32_t ticks, switches, pendsv_in_tick;
static volatile int in_systick;

void systick_handler(void) {
    in_systick = 1;
    if (++ticks % 10 == 0)
        ICSR = 1u << 28;                          /* PENDSVSET: taken once we return */
    in_systick = 0;
}

void pendsv_handler(void) {
    pendsv_in_tick += in_systick;                 /* never preempts SysTick */
    switches++;
}

int main(void) {
    SHPR3 = 0xFFu << 16 | 0x80u << 24;            /* PendSV lowest, SysTick above it */
    int ref = !(SYST_CSR & 4);                    /* CLKSOURCE stuck at 1 on lm3s: no reference clock */
    SYST_RVR = ref ? 1000 - 1 : 12500 - 1;        /* 1 ms of mps2's 1 MHz reference, or of lm3s's 12.5 MHz */
    SYST_CVR = 0;
    SYST_CSR = ref ? 3 : 7;                       /* ENABLE | TICKINT (| CLKSOURCE) */
    while (ticks < 50) __asm__ volatile("wfi");
    SYST_CSR = 0;
    uart_puts("ticks "); uart_putu(ticks);
    uart_puts(" switches "); uart_putu(switches);
    uart_puts(pendsv_in_tick ? " PendSV preempted SysTick\n" : " ok\n");
    return 0;
}
