/* lm3s6965evb: ssys's USER0/USER1 (the MAC address QEMU 7.2 takes from its
   first network card) and the ethernet's IA0/IA1, printed on UART0; exits
   through semihosting. Built with examples/cortexm (-DBOARD_LM3S). */
#include "cortexm.h"

void fault_c(uint32_t *frame) { (void)frame; }
__attribute__((naked)) void hardfault_handler(void) { __asm__ volatile("b .\n"); }

static void show(const char *name, uint32_t v) { uart_puts(name); uart_puthex(v); uart_puts("\n"); }

int main(void) {
    uart_init();
    show("user0 ", REG(0x400FE1E0));
    show("user1 ", REG(0x400FE1E4));
    show("ia0 ", REG(0x40048014));
    show("ia1 ", REG(0x40048018));
    semihosting_exit(0);
}
