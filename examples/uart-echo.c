/* uart-echo: interrupt-driven UART receive through the PLIC (source 10,
 * context 0 = hart 0 M-mode); echoes what it reads, exits 0 on 'q'. */
#include "runtime.h"

#if __riscv_xlen == 64
#define MCAUSE_MEI ((1UL << 63) | 11)
#else
#define MCAUSE_MEI ((1UL << 31) | 11)
#endif

static volatile char ring[64];
static volatile unsigned head, tail;   /* head: written by the handler */

__attribute__((interrupt("machine"), aligned(4)))
static void external_handler(void)
{
    if (csr_read(mcause) != MCAUSE_MEI)
        fw_exit(2);
    uint32_t irq = MMIO32(PLIC_CLAIM(0));
    if (irq == UART_IRQ) {
        int c;
        while ((c = uart_getc_nowait()) >= 0) {
            ring[head % sizeof ring] = (char)c;
            head++;
        }
    }
    if (irq)
        MMIO32(PLIC_CLAIM(0)) = irq;   /* complete */
}

int main(void)
{
    uart_init();
    uart_puts("uart-echo: type something, 'q' quits\n");
    csr_write(mtvec, (uintptr_t)external_handler);
    MMIO32(PLIC_PRIORITY(UART_IRQ)) = 1;
    MMIO32(PLIC_ENABLE(0)) = 1u << UART_IRQ;
    MMIO32(PLIC_THRESHOLD(0)) = 0;
    MMIO8(UART_BASE + UART_IER) = 0x01;          /* received data available */
    csr_set(mie, MIE_MEIE);
    csr_set(mstatus, MSTATUS_MIE);

    for (;;) {
        /* sleep only if nothing arrived; with MIE off an interrupt that
         * comes between the test and wfi still wakes wfi */
        csr_clear(mstatus, MSTATUS_MIE);
        if (tail == head)
            __asm__ volatile ("wfi");
        csr_set(mstatus, MSTATUS_MIE);
        while (tail != head) {
            char c = ring[tail % sizeof ring];
            tail++;
            if (c == 'q') {
                uart_puts("\nuart-echo: bye\n");
                return 0;
            }
            if (c == '\r')
                uart_putc('\n');
            else
                uart_putc(c);
        }
    }
}
