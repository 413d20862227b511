/* guest_errors: the bad register accesses a driver under development makes,
 * for `-d guest_errors` (tests/devices/test_guest_errors.py runs it on QEMU
 * 7.2 and on emud and compares the two logs line by line).
 *
 * Each probe makes one load or store of a given width at a given address of
 * the virt machine: at no device (the bus refuses it: an access fault), of a
 * width the device does not accept (refused too), or at a device offset
 * with no register (the device ignores it). An access fault is caught and
 * the access skipped; each probe prints one UART line with the value read
 * and the trap taken (0: none), so the output compares those as well.
 *
 * Only naturally aligned accesses: QEMU splits a misaligned access to a
 * device into other accesses before the device or the bus sees it.
 * goldfish_rtc's own (an offset of its 0x24 bytes with no register for
 * the access) and the bus's, for a width it refuses or an address around
 * it, are in.
 *
 * first_half() runs one probe, second_half() the rest: the test of the
 * monitor's `log guest_errors` stops at second_half and turns the item on
 * there, so only the second half's messages may appear. */
#include "runtime.h"

enum op { LB, LH, LW, LD, SB, SH, SW, SD };
static const char *const op_names[] = { "lb", "lh", "lw", "ld", "sb", "sh", "sw", "sd" };

struct probe {
    enum op op;
    uint32_t addr;
    uint32_t value;     /* stored by SB..SD */
};

static const struct probe first[] = {
    { LW, 0x00000000, 0 },          /* no device: "... region '(null)', reason: rejected" */
};

static const struct probe second[] = {
    /* the bus: no device here */
    { SW, 0x00000000, 1 },
    { LW, 0x00010000, 0 },          /* just past the reset ROM */
    { LW, 0x0200c000, 0 },          /* just past the ACLINT */
    { LW, 0x10000100, 0 },          /* in the UART's page, past its 8 bytes: a second line */
    { SB, 0x10000008, 0x41 },
    { LW, 0x00101100, 0 },          /* in goldfish_rtc's page */
    { SW, 0x00101024, 1 },
    /* the bus: a width the device does not accept ("invalid size (min:N max:M)") */
    { LB, 0x0c000004, 0 },          /* PLIC: 4 bytes only */
    { SH, 0x0c000004, 1 },
    { LB, 0x02000000, 0 },          /* ACLINT SWI: 4 bytes only */
    { SH, 0x02000000, 1 },
    { LB, 0x02004000, 0 },          /* ACLINT MTIMER: 4 or 8 */
    { SB, 0x0200bff8, 1 },
    { LB, 0x00100000, 0 },          /* sifive_test: 2 or 4 */
    { SB, 0x00100000, 0x55 },
    { LB, 0x00101000, 0 },          /* goldfish_rtc: 4 only, in a page it shares: two lines */
    { SH, 0x00101008, 1 },
#if __riscv_xlen == 64
    { LD, 0x0c000008, 0 },
    { SD, 0x0c000008, 1 },
    { LD, 0x02000000, 0 },
    { SD, 0x00100000, 0x5555 },     /* too wide: refused, not a pass */
#endif
    /* the PLIC: offsets with no register */
    { LW, 0x0c000000, 0 },          /* source 0 has no priority (QEMU 7.2: priorities from +4) */
    { SW, 0x0c000000, 1 },
    { LW, 0x0c00100c, 0 },          /* pending: 96 sources, 12 bytes */
    { SW, 0x0c001000, 5 },          /* pending is read-only (QEMU's line has no newline) */
    { SW, 0x0c00100c, 5 },
    { LW, 0x0c001800, 0 },
    { SW, 0x0c001800, 5 },
    { LW, 0x0c00200c, 0 },          /* enable word 3 of context 0: 3 words only */
    { SW, 0x0c00200c, 5 },
    { LW, 0x0c002100, 0 },          /* enables of context 2: one hart, two contexts */
    { SW, 0x0c002100, 5 },
    { LW, 0x0c200008, 0 },          /* context 0: threshold and claim only */
    { SW, 0x0c200008, 5 },
    { LW, 0x0c202000, 0 },          /* context 2 */
    { SW, 0x0c202004, 5 },
    { LW, 0x0c5ffffc, 0 },
    /* goldfish_rtc: offsets with no register for the access */
    { LW, 0x00101014, 0 },          /* CLEAR_ALARM reads as nothing */
    { LW, 0x0010101c, 0 },          /* CLEAR_INTERRUPT */
    { LW, 0x00101020, 0 },          /* past the registers, inside the region */
    { SW, 0x00101018, 1 },          /* ALARM_STATUS is read-only */
    { SW, 0x00101020, 1 },
    /* the PLIC: registers, quietly (a priority, a complete of no source) */
    { SW, 0x0c000180, 1 },
    { SW, 0x0c200004, 200 },
    /* ACLINT: the offsets it has not are LOG_UNIMP, not guest errors */
    { LW, 0x02000004, 0 },
    { SW, 0x02000004, 1 },
    { LW, 0x02004010, 0 },
    { SW, 0x02004010, 1 },
    { LW, 0x0200bff0, 0 },
#if __riscv_xlen == 64
    { LD, 0x0200bff0, 0 },
#endif
    /* sifive_test: anything but pass, fail or reset at offset 0 */
    { SW, 0x00100000, 0x1234 },
    { SW, 0x00100004, 0x5555 },
    { SH, 0x00100008, 0xbeef },
    { LW, 0x00100004, 0 },
    /* the UART: every offset is a register, any width */
    { SB, 0x10000007, 0x5a },
    { LW, 0x10000004, 0 },
    { SH, 0x10000006, 0x5a },
};

static volatile unsigned long trap_cause;

/* Load and store access faults (5, 7) skip the access; anything else ends the run. */
__attribute__((interrupt("machine"), aligned(4)))
static void fault_handler(void)
{
    unsigned long cause = csr_read(mcause), epc = csr_read(mepc);
    if (cause != 5 && cause != 7)
        fw_unexpected_trap(cause, epc, csr_read(mtval));
    trap_cause = cause;
    uint16_t insn = *(volatile uint16_t *)epc;
    csr_write(mepc, epc + ((insn & 3) == 3 ? 4 : 2));
}

#define LOAD(insn, p) __asm__ volatile (insn " %0, 0(%1)" : "+r"(v) : "r"(p) : "memory")
#define STORE(insn, p) __asm__ volatile (insn " %0, 0(%1)" :: "r"(v), "r"(p) : "memory")

static void run(const struct probe *p)
{
    uintptr_t a = p->addr;
    unsigned long v = 0;
    trap_cause = 0;
    switch (p->op) {
    case LB: LOAD("lbu", a); break;
    case LH: LOAD("lhu", a); break;
    case LW: LOAD("lw", a); break;
#if __riscv_xlen == 64
    case LD: LOAD("ld", a); break;
#endif
    default:
        v = p->value;
        switch (p->op) {
        case SB: STORE("sb", a); break;
        case SH: STORE("sh", a); break;
        case SW: STORE("sw", a); break;
#if __riscv_xlen == 64
        case SD: STORE("sd", a); break;
#endif
        default: break;
        }
    }
    if (p->op >= SB)
        uart_printf("%s %08x <- %x: trap %lu\n", op_names[p->op], (unsigned)a, (unsigned)v, trap_cause);
    else
        uart_printf("%s %08x -> %lx: trap %lu\n", op_names[p->op], (unsigned)a, v, trap_cause);
}

__attribute__((noinline)) void first_half(void)
{
    for (unsigned i = 0; i < sizeof first / sizeof first[0]; i++)
        run(&first[i]);
}

__attribute__((noinline)) void second_half(void)
{
    for (unsigned i = 0; i < sizeof second / sizeof second[0]; i++)
        run(&second[i]);
}

int main(void)
{
    uart_init();
    csr_write(mtvec, (uintptr_t)fault_handler);
    first_half();
    second_half();
    uart_puts("done\n");
    return 0;
}
