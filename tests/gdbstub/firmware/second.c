/* A second program for gdb's `load`: linked at 0x80400000 (second.ld), it
 * brings its own _start, writes a marker and exits with code 5. */
#include <stdint.h>

volatile uint32_t marker;

void __attribute__((naked, section(".text.init"))) _start(void)
{
    __asm__ volatile ("la sp, __stack_top\n call second_main\n 1: j 1b");
}

void second_main(void)
{
    marker = 0x5ec04d;
    *(volatile uint32_t *)0x100000 = (5u << 16) | 0x3333;
    for (;;)
        ;
}
