/* soak: long, deterministic UART output for the robustness soak test
 * (tests/robustness/test_soak.py). LINES times: WORK rounds of an FNV-1a
 * style hash, then "soak <line> <hash>"; then "soak done" and exit code 7
 * through sifive_test. Nothing depends on time or input, so every run
 * prints the same bytes however often gdb, the monitor or QMP stop it. */
#include "runtime.h"

#ifndef LINES
#define LINES 200
#endif
#ifndef WORK
#define WORK 20000
#endif

volatile uint32_t soak_hash;      /* for a debugger to look at */
volatile unsigned soak_line;

int main(void)
{
    uint32_t h = 2166136261u;
    uart_init();
    uart_puts("soak start\n");
    for (unsigned line = 0; line < LINES; line++) {
        for (unsigned i = 0; i < WORK; i++)
            h = (h ^ (i & 0xff)) * 16777619u;
        soak_hash = h;
        soak_line = line;
        uart_printf("soak %u %08lx\n", line, (unsigned long)h);
    }
    uart_puts("soak done\n");
    return 7;
}
