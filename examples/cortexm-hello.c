/* UART hello on a Cortex-M board (examples/cortexm/: startup, UART, exit):
     emud -M mps2-an385 -nographic -semihosting -kernel build/cortexm-hello-mps2-an385.elf
     emud -M lm3s6965evb -cpu cortex-m3 -nographic -semihosting-config enable=on,target=native \
          -kernel build/cortexm-hello-lm3s6965evb.elf */
#include "cortexm.h"

static const char *greeting = "Hello from " BOARD "!\n";   /* in .data: crt.c copied it */
static uint32_t zeroed[4];                                  /* in .bss */

int main(void) {
    uart_puts(greeting);
    uart_puts("CPUID 0x");
    for (int i = 28; i >= 0; i -= 4) uart_putc("0123456789abcdef"[(REG(0xE000ED00) >> i) & 15]);
    uart_puts(zeroed[0] == 0 && zeroed[3] == 0 ? "\nbss ok\n" : "\nbss BAD\n");
    return 0;
}
