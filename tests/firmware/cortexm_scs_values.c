/* Every word of the SCS read and printed, then what writes leave in the
   registers a Cortex-M0 and a Cortex-M3 treat differently (CCR, SHPR1-3, IPR,
   SHCSR, MMFAR, BFAR, VTOR, AIRCR's PRIGROUP, STIR), and an unaligned load
   (ARMv6-M: CCR.UNALIGN_TRP reads as one, the load faults); run on
   lm3s6965evb with -cpu cortex-m0 and cortex-m3, output and -d guest_errors
   compared with qemu-system-arm 7.2 (tests/devices/test_nvic_scs_vs_qemu.py).
   Built with examples/cortexm (-DBOARD_LM3S). */
#include "cortexm.h"

volatile uint32_t faults;

/* a fault: count it, skip the faulting instruction (16-bit here) */
void fault_c(uint32_t *frame) {
    faults++;
    uint16_t hw = *(uint16_t *)frame[6];
    frame[6] += (hw >> 11) >= 0x1D ? 4 : 2;
}

__attribute__((naked)) void hardfault_handler(void) {
    __asm__ volatile(".syntax unified\n movs r0, #4\n mov r1, lr\n tst r0, r1\n beq 1f\n mrs r0, psp\n b 2f\n"
                     "1: mrs r0, msp\n 2: push {r4, lr}\n bl fault_c\n pop {r4, pc}\n");
}

static void show(uint32_t off, uint32_t v) {
    uart_puthex(off); uart_puts("="); uart_puthex(v); uart_puts("\n");
}

static const uint32_t written[] = {0xD08, 0xD10, 0xD14, 0xD18, 0xD1C, 0xD20, 0xD24, 0xD34, 0xD38, 0xD88,
                                   0x400, 0x404, 0x43C};

int main(void) {
    uart_init();
    for (uint32_t off = 0; off < 0x1000; off += 4)
        if ((off < 0x10 || off >= 0xF0) && off != 0xD04)    /* (SysTick and ICSR move on their own) */
            show(off, REG(0xE000E000 + off));
    uart_puts("written with ones\n");
    for (unsigned i = 0; i < sizeof written / sizeof written[0]; i++) {
        REG(0xE000E000 + written[i]) = 0xFFFFFFFF;
        show(written[i], REG(0xE000E000 + written[i]));
    }
    REG(0xE000ED24) = 0;                 /* SHCSR: the fault handlers off again */
    REG(0xE000ED08) = 0;                 /* VTOR back */
    REG(0xE000ED0C) = 0x05FA0500;        /* PRIGROUP 5 */
    show(0xD0C, REG(0xE000ED0C));
    REG(0xE000EF00) = 3;                 /* STIR: IRQ 3 (disabled) pending? */
    show(0x200, REG(0xE000E200));
    /* (no initialised data: QEMU's loader would log its zero-fill of .bss's load address in flash) */
    static volatile uint32_t words[2];
    words[0] = 0x11223344;
    words[1] = 0x55667788;
    uint32_t f = faults, v = 0;
    __asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"((volatile char *)words + 1) : "memory");
    show(faults - f, v);
    uart_puts("done\n");
    semihosting_exit(0);
}
