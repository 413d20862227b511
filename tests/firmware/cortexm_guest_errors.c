/* -d guest_errors on the Cortex-M boards: bad register accesses to each of
   the board's devices, the SCS (NVIC, SysTick), the PPB's unassigned area
   and addresses with nothing mapped, each printed with the value read (and,
   on mps2-an385, the faults taken); the -d guest_errors log and this output
   are compared with QEMU's line by line (tests/devices/test_guest_errors_cortexm.py).
   Built with examples/cortexm (-DBOARD_MPS2 or -DBOARD_LM3S). */
#include "cortexm.h"

#define R8(a) (*(volatile uint8_t *)(a))
#define R16(a) (*(volatile uint16_t *)(a))

volatile uint32_t faults;

/* a fault (a BusFault escalated): count it, skip the faulting instruction */
void fault_c(uint32_t *frame) {
    faults++;
    REG(0xE000ED28) = REG(0xE000ED28);      /* CFSR, HFSR: write one to clear */
    REG(0xE000ED2C) = REG(0xE000ED2C);
    uint16_t hw = *(uint16_t *)frame[6];
    frame[6] += (hw >> 11) >= 0x1D ? 4 : 2;
}

__attribute__((naked)) void hardfault_handler(void) {
    __asm__ volatile(
        ".syntax unified\n"          /* ARMv6-M too */
        "movs r0, #4\n"
        "mov r1, lr\n"
        "tst r0, r1\n"
        "beq 1f\n"
        "mrs r0, psp\n"
        "b 2f\n"
        "1: mrs r0, msp\n"
        "2: push {r4, lr}\n"
        "bl fault_c\n"
        "pop {r4, pc}\n");
}

static void show(const char *what, uint32_t v) {
    uart_puts(what); uart_puts(" "); uart_puthex(v); uart_puts("\n");
}

static void rd(const char *what, uint32_t addr) { uint32_t f = faults; uint32_t v = REG(addr); show(what, v); if (faults != f) uart_puts(" fault\n"); }
static void wr(const char *what, uint32_t addr, uint32_t v) { uint32_t f = faults; REG(addr) = v; uart_puts(what); uart_puts(faults != f ? " fault\n" : "\n"); }

static void scs(void) {
    /* every word of the SCS outside the priority bytes, read (the log tells which are registers) */
    for (uint32_t off = 0; off < 0x1000; off += 4)
        if ((off < 0x10 || off >= 0xF0) && (off < 0x400 || off >= 0x5F0) && off != 0xD04)
            (void)REG(0xE000E000 + off);
    /* and written with 0 (harmless where there is a register; STIR pends IRQ 0, which is disabled) */
    for (uint32_t off = 0; off < 0x1000; off += 4)
        if ((off < 0x400 || off >= 0x5F0) && off != 0xD08 && off != 0xD14)
            REG(0xE000E000 + off) = 0;
    for (uint32_t off = 0xD78; off < 0xD90; off += 4) show("nvic cache/cpacr", REG(0xE000E000 + off));
    show("nvic pid0", REG(0xE000EFE0));
    show("nvic pid1", REG(0xE000EFE4));
    show("nvic cid3", REG(0xE000EFFC));
    wr("mpu rnr 9", 0xE000ED98, 9);
    wr("mpu rbar region 12", 0xE000ED9C, 0x1C);
    rd("nvic 0x0", 0xE000E000);
    rd("nvic 0xf00", 0xE000EF00);
    rd("nvic 0xe00", 0xE000EE00);
    wr("nvic cpuid", 0xE000ED00, 1);
    wr("nvic ictr", 0xE000E004, 1);
    show("nvic cpuid byte", R8(0xE000ED01));
    show("nvic vtor half", R16(0xE000ED08));
    R16(0xE000ED08) = 0x200; uart_puts("nvic vtor half write\n");
    show("nvic vtor", REG(0xE000ED08));
    show("nvic prio byte", R8(0xE000E401));
    /* the enable and pending bits take bytes and halfwords (IRQ 31: nothing raises it) */
    R8(0xE000E103) = 0x80; show("nvic iser", REG(0xE000E100));
    R16(0xE000E182) = 0x8000; show("nvic icer", REG(0xE000E100));
    R8(0xE000E203) = 0x80; show("nvic ispr", REG(0xE000E200));
    R8(0xE000E283) = 0x80; show("nvic icpr", REG(0xE000E200));
    show("nvic iabr byte", R8(0xE000E300));
    R8(0xE000E300) = 1;
    R8(0xE000ED2F) = 0; show("nvic hfsr byte", R8(0xE000ED2F));
    show("nvic shcsr byte", R8(0xE000ED25));
    R8(0xE000ED25) = 0;
    show("nvic cfsr byte", R8(0xE000ED29));
    rd("systick 0x20", 0xE000E020);
    wr("systick 0xe0", 0xE000E0E0, 1);
    wr("systick calib", 0xE000E01C, 1);
    show("systick byte", R8(0xE000E018));
    rd("ppb 0x1000", 0xE0001000);
    wr("ppb 0x2000", 0xE0002000, 1);
    rd("ppb 0xf0000", 0xE00F0000);
    rd("nothing 0x60000000", 0x60000000);
    wr("nothing 0x60000004", 0x60000004, 1);
    rd("nothing 0xa0000000", 0xA0000000);
    show("nothing byte", R8(0x60000001));
}

#if defined(BOARD_MPS2)
static void board(void) {
    rd("uart 0x14", 0x40004014);
    wr("uart 0x14", 0x40004014, 1);
    wr("uart pid", 0x40004FE0, 1);
    show("uart pid0", REG(0x40004FE0));
    REG(0x40005008) = 1; uart_puts("uart1 tx without baud\n");
    REG(0x40005008) = 0;
    rd("timer 0x10", 0x40000010);
    wr("timer 0x10", 0x40000010, 1);
    wr("timer cid", 0x40000FFC, 1);
    rd("dualtimer 0x1c", 0x4000201C);
    rd("dualtimer 0x40", 0x40002040);
    rd("dualtimer itop", 0x40002F04);
    rd("dualtimer 0xf08", 0x40002F08);
    wr("dualtimer ris", 0x40002010, 1);
    wr("dualtimer 0x44", 0x40002044, 1);
    wr("dualtimer pid", 0x40002FE0, 1);
    rd("watchdog intclr", 0x4000800C);
    rd("watchdog itop", 0x40008F04);
    rd("watchdog 0x18", 0x40008018);
    wr("watchdog value", 0x40008004, 1);
    wr("watchdog ris", 0x40008010, 1);
    wr("watchdog 0x18", 0x40008018, 1);
    wr("watchdog pid", 0x40008FE0, 1);
    wr("watchdog lock", 0x40008C00, 0);
    wr("watchdog ctrl locked", 0x40008008, 0);
    wr("watchdog unlock", 0x40008C00, 0x1ACCE551);
    rd("fpgaio 0x30", 0x40028030);
    wr("fpgaio 0x30", 0x40028030, 1);
    rd("fpgaio switch", 0x40028028);
    wr("fpgaio button", 0x40028008, 1);
    rd("scc 0x50", 0x4002F050);
    wr("scc 0x50", 0x4002F050, 1);
    rd("scc cfg2", 0x4002F008);
    wr("scc id", 0x4002FFFC, 1);
    wr("scc cfg read", 0x4002F0A8, 0x80000000u | (2u << 20) | 3);
    show("scc cfgstat", REG(0x4002F0AC));
    wr("scc cfg write", 0x4002F0A8, 0xC0000000u | (1u << 20) | 9);
    show("scc cfgstat", REG(0x4002F0AC));
    rd("unimp gpio", 0x40010000);
    rd("vga end", 0x41200000);
}
#elif defined(BOARD_LM3S)
static void board(void) {
    rd("watchdog itcr", 0x40000F00);
    rd("watchdog intclr", 0x4000000C);
    rd("watchdog 0x18", 0x40000018);
    wr("watchdog itop", 0x40000F04, 1);
    wr("watchdog value", 0x40000004, 1);
    rd("watchdog test", 0x40000418);
    rd("pl011 0x44", 0x4000D044);
    rd("pl011 0x100", 0x4000D100);
    wr("pl011 ris", 0x4000D03C, 1);
    wr("pl011 pid", 0x4000DFE0, 1);
    rd("pl061 0x430", 0x40004430);
    wr("pl061 0x430", 0x40004430, 1);
    wr("pl061 pid", 0x40004FD0, 1);
    rd("gptm 0x60", 0x40030060);
    wr("gptm 0x60", 0x40030060, 1);
    rd("ssys 0x200", 0x400FE200);
    wr("ssys 0x200", 0x400FE200, 1);
    /* USER0/USER1 are registers (their values: QEMU's NIC's MAC, 0 with -nodefaults) */
    (void)REG(0x400FE1E0);
    (void)REG(0x400FE1E4);
    rd("ssys srcr0", 0x400FE040);
    wr("ssys srcr0", 0x400FE040, 0);
    rd("gptm icr", 0x40030024);
    wr("gptm ris", 0x4003001C, 1);
    rd("gptm tbr", 0x4003004C);
    rd("unimp pwm", 0x40028000);
    rd("no adc model", 0x40039000);
}
#endif

int main(void) {
    uart_puts(BOARD " guest errors\n");
    board();
    scs();
    show("faults", faults);
    uart_puts("done\n");
    return 0;
}
