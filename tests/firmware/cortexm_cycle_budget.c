/* How much of the core a 1 ms SysTick period holds, in realtime mode: a busy
   loop (six instructions an iteration, in asm so that the count is exact)
   runs while SysTick interrupts every millisecond of the core's clock; the
   handler keeps the fewest loop iterations seen in one period. A real
   Cortex-M3 retires at most one instruction a cycle, so firmware written for
   the board counts on about RELOAD instructions a period; emud's guest time
   must never give it fewer (clock.set_cpu_hz), even while guest time lags
   the host clock after a stall. The test stalls the host when "go" is
   printed. Built with examples/cortexm (-DBOARD_MPS2 or -DBOARD_LM3S). */
#include "cortexm.h"

#if defined(BOARD_MPS2)
#define RELOAD 25000u            /* 1 ms at the 25 MHz SYSCLK */
#else
#define RELOAD 12500u            /* 1 ms at ssys's 12.5 MHz reset clock */
#endif
#define TICKS 60u

volatile uint32_t counter, ticks, last, fewest = 0xFFFFFFFFu;

void systick_handler(void) {
    uint32_t now = counter;
    if (ticks >= 2) {            /* the first period started mid-loop */
        uint32_t d = now - last;
        if (d < fewest) fewest = d;
    }
    last = now;
    ticks++;
}

int main(void) {
    uart_init();
    uart_puts("go\n");
    REG(0xE000E014) = RELOAD - 1;    /* SYST_RVR */
    REG(0xE000E018) = 0;             /* SYST_CVR */
    REG(0xE000E010) = 7;             /* ENABLE | TICKINT | CLKSOURCE (the core's clock) */
    __asm__ volatile(
        ".syntax unified\n"
        "1: ldr r2, [%0]\n"
        "   adds r2, #1\n"
        "   str r2, [%0]\n"
        "   ldr r3, [%1]\n"
        "   cmp r3, %2\n"
        "   blo 1b\n"
        : : "r"(&counter), "r"(&ticks), "r"(TICKS) : "r2", "r3", "cc", "memory");
    REG(0xE000E010) = 0;
    uart_puts("fewest instructions in a period: ");
    uart_putu(fewest * 6);
    uart_puts(" of ");
    uart_putu(RELOAD);
    uart_puts(" cycles\n");
    return 0;
}
