/* SCR.SLEEPONEXIT and SEVONPEND, which QEMU 7.2 ignores (architecturally
   permitted): a return to Thread mode with SLEEPONEXIT set goes on running;
   then BKPT (not 0xAB) without a debugger: a DebugMonitor event, which with the
   monitor disabled (QEMU has no DEMCR to enable it) escalates to HardFault. */
#include "rt.h"

#define REG(a) (*(volatile uint32_t *)(a))
#define SCR  REG(0xE000ED10)
#define ICSR REG(0xE000ED04)
#define DFSR REG(0xE000ED30)
#define DEMCR REG(0xE000EDFC)

static volatile uint32_t pendsv_runs;
void pendsv_handler(void) { pendsv_runs++; }

int main(void) {
    SCR = 0x12;                              /* SLEEPONEXIT, SEVONPEND */
    put_hex("scr", SCR);
    ICSR = 1u << 28;                         /* PendSV */
    __asm__ volatile("dsb\n isb" ::: "memory");
    put_hex("pendsv", pendsv_runs);
    ICSR = 1u << 28;
    __asm__ volatile("dsb\n isb" ::: "memory");
    put_hex("pendsv", pendsv_runs);
    SCR = 0;
    DEMCR = 1u << 16;                        /* MON_EN: not in QEMU 7.2's NVIC */
    put_hex("demcr", DEMCR);
    __asm__ volatile("bkpt #1");
    put_hex("faults", fault_count);
    put_hex("hfsr", last_hfsr);
    put_hex("dfsr", DFSR);
    put_hex("fault pc", last_fault_pc);
    return 0;
}
