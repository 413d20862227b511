/* M-profile SP has bits [1:0] zero: each way of writing it with an unaligned
   value (mov, add, ldr, subw, msr msp, msr psp, on the main and the process
   stack) and what SP then reads, with the fault count (a later push must not
   fault). On QEMU 7.2 store_reg and v7m_msr clear the two bits. */
#include "rt.h"

static uint32_t stack_area[64] __attribute__((aligned(8)));
static volatile uint32_t sp_word;

/* each returns the SP the operation left (read with mov from sp), SP restored after */
#define SP_OP(name, body)                                                   \
    __attribute__((naked, noinline)) static uint32_t name(uint32_t v) {   \
        __asm__ volatile(".syntax unified\n mov r12, sp\n" body             \
                         " push {r1}\n pop {r1}\n"                          \
                         " mov r0, sp\n mov sp, r12\n bx lr\n");            \
    }

SP_OP(mov_sp, " mov sp, r0\n")
SP_OP(add_sp, " mov sp, r12\n add sp, r0\n")
SP_OP(ldr_sp, " ldr r1, =sp_word\n str r0, [r1]\n ldr.w sp, [r1]\n")
SP_OP(subw_sp, " mov sp, r0\n subw sp, sp, #0x101\n")
SP_OP(addw_sp, " mov sp, r0\n addw sp, sp, #0x102\n")

__attribute__((naked, noinline)) static uint32_t msr_msp(uint32_t v) {
    __asm__ volatile(".syntax unified\n mrs r12, msp\n msr msp, r0\n mrs r0, msp\n msr msp, r12\n bx lr\n");
}

__attribute__((naked, noinline)) static uint32_t msr_psp(uint32_t v) {
    __asm__ volatile(".syntax unified\n msr psp, r0\n mrs r0, psp\n bx lr\n");
}

/* on the process stack (CONTROL.SPSEL): mov sp, r0 then read PSP */
__attribute__((naked, noinline)) static uint32_t mov_sp_on_psp(uint32_t v) {
    __asm__ volatile(".syntax unified\n"
                     " mrs r3, control\n orr r2, r3, #2\n"
                     " mrs r12, msp\n msr psp, r12\n msr control, r2\n isb\n"
                     " mov sp, r0\n push {r1}\n pop {r1}\n"
                     " mrs r0, psp\n msr control, r3\n isb\n bx lr\n");
}

int main(void) {
    uint32_t base = (uint32_t)&stack_area[48];
    for (uint32_t low = 1; low < 4; low++) {
        /* what SP became, from base (add: its low bits) */
        put_hex("mov", mov_sp(base + low) - base);
        put_hex("add", add_sp(low) & 3);
        put_hex("ldr", ldr_sp(base + low) - base);
        put_hex("subw", subw_sp(base + low + 0x100) - base);
        put_hex("addw", addw_sp(base - 0x100 + low) - base);
        put_hex("msr msp", msr_msp(base + low) - base);
        put_hex("msr psp", msr_psp(base + low) - base);
        put_hex("mov psp", mov_sp_on_psp(base + low) - base);
    }
    put_hex("faults", fault_count);
    return 0;
}
