/* Stores whose device write (or code overwrite) makes the emulator leave the
   running block, followed by more of the same instruction: the later stores
   of STM/STRD/PUSH, the base writeback of STM and pre/post-indexed STR, the
   IT state advance after a conditional store. Each result is printed. */
#include "rt.h"

#define REG(a) (*(volatile uint32_t *)(a))
#define NVIC_IPR 0xE000E400u     /* priority registers: every NVIC write asks for an exit */
#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
/* only the top 3 bits of each priority byte: the same on every NVIC */
#define P0 0x20406080u
#define P1 0xa0c0e020u
#define P2 0x40608000u
#define P3 0x60e0a020u

static volatile uint32_t smc_word;

static void clear_ipr(void) {
    for (int i = 0; i < 4; i++)
        REG(NVIC_IPR + 4 * i) = 0;
}

static __attribute__((noinline)) void t_stmia(void) {
    clear_ipr();
    register uint32_t r0 __asm__("r0") = NVIC_IPR;
    register uint32_t r1 __asm__("r1") = P0;
    register uint32_t r2 __asm__("r2") = P1;
    __asm__ volatile("stmia r0!, {r1, r2}" : "+r"(r0) : "r"(r1), "r"(r2) : "memory");
    put_hex("stm_wb", r0 - NVIC_IPR);
    put_hex("stm_ipr0", REG(NVIC_IPR));
    put_hex("stm_ipr1", REG(NVIC_IPR + 4));
}

static __attribute__((noinline)) void t_stmdb(void) {
    clear_ipr();
    register uint32_t r0 __asm__("r0") = NVIC_IPR + 12;
    register uint32_t r1 __asm__("r1") = P2;
    register uint32_t r2 __asm__("r2") = P3;
    register uint32_t r3 __asm__("r3") = P0;
    __asm__ volatile("stmdb r0!, {r1, r2, r3}" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3) : "memory");
    put_hex("stmdb_wb", r0 - NVIC_IPR);
    put_hex("stmdb_ipr0", REG(NVIC_IPR));
    put_hex("stmdb_ipr1", REG(NVIC_IPR + 4));
    put_hex("stmdb_ipr2", REG(NVIC_IPR + 8));
}

static __attribute__((noinline)) void t_push(void) {
    /* push onto a "stack" in the NVIC's priority registers (interrupts masked) */
    clear_ipr();
    register uint32_t r0 __asm__("r0") = NVIC_IPR + 8;
    register uint32_t r1 __asm__("r1") = P1;
    register uint32_t r2 __asm__("r2") = P2;
    __asm__ volatile("cpsid i\n"
                     "mov r12, sp\n"
                     "mov sp, r0\n"
                     "push {r1, r2}\n"
                     "mov r0, sp\n"
                     "mov sp, r12\n"
                     "cpsie i\n"
                     : "+r"(r0) : "r"(r1), "r"(r2) : "r12", "memory");
    put_hex("push_sp", r0 - NVIC_IPR);
    put_hex("push_ipr0", REG(NVIC_IPR));
    put_hex("push_ipr1", REG(NVIC_IPR + 4));
}

static __attribute__((noinline)) void t_str_index(void) {
    clear_ipr();
    register uint32_t r0 __asm__("r0") = NVIC_IPR;
    register uint32_t r1 __asm__("r1") = P3;
    uint32_t post;
    __asm__ volatile("str r1, [r0], #4\n"
                     "mov %1, r0\n"
                     "str r1, [r0, #4]!\n"
                     : "+r"(r0), "=&r"(post) : "r"(r1) : "memory");
    post -= NVIC_IPR;
    uint32_t pre = r0 - NVIC_IPR;
    put_hex("post_wb", post);
    put_hex("pre_wb", pre);
    put_hex("idx_ipr0", REG(NVIC_IPR));
    put_hex("idx_ipr2", REG(NVIC_IPR + 8));
    /* SysTick: the write that enables it arms a timer */
    REG(SYST_RVR) = 0xffffff;
    r0 = SYST_CSR;
    r1 = 5;                     /* ENABLE, the processor clock, no interrupt */
    __asm__ volatile("str r1, [r0], #4" : "+r"(r0) : "r"(r1) : "memory");
    put_hex("syst_wb", r0 - SYST_CSR);
    put_hex("syst_on", REG(SYST_CSR) & 1);
    REG(SYST_CSR) = 0;
}

static __attribute__((noinline)) void t_strd(void) {
    clear_ipr();
    register uint32_t r0 __asm__("r0") = NVIC_IPR + 4;
    register uint32_t r2 __asm__("r2") = P2;
    register uint32_t r3 __asm__("r3") = P3;
    __asm__ volatile("strd r2, r3, [r0], #-4" : "+r"(r0) : "r"(r2), "r"(r3) : "memory");
    put_hex("strd_wb", r0 - NVIC_IPR);
    put_hex("strd_ipr1", REG(NVIC_IPR + 4));
    put_hex("strd_ipr2", REG(NVIC_IPR + 8));
}

static __attribute__((noinline)) void t_it(void) {
    /* a conditional store first in an ITE block: the movne after it is skipped,
       the add after the block runs */
    clear_ipr();
    register uint32_t r0 __asm__("r0") = NVIC_IPR;
    register uint32_t r1 __asm__("r1") = P0;
    register uint32_t r3 __asm__("r3") = 0;
    __asm__ volatile("cmp r0, r0\n"
                     "ite eq\n"
                     "streq r1, [r0]\n"
                     "movne r3, #1\n"
                     "add r3, r3, #5\n"
                     : "+r"(r3) : "r"(r0), "r"(r1) : "cc", "memory");
    put_hex("it_r3", r3);
    put_hex("it_ipr0", REG(NVIC_IPR));
}

static __attribute__((noinline)) uint32_t t_smc(void) {
    /* STM whose first store rewrites (with the same bytes) a word of code that
       already ran in this block, the second one the word after it; returns
       the writeback (the base register's advance) */
    register uint32_t r0 __asm__("r0");
    uint32_t start;
    __asm__ volatile(".align 2\n"
                     "1: .short 0xbf00, 0xbf00\n"      /* two nops: the code word */
                     "adr.w r0, 1b\n"
                     "mov %1, r0\n"
                     "ldr r1, [r0]\n"
                     "movw r2, #0x5a5a\n"
                     "stmia r0!, {r1, r2}\n"           /* the adr.w's word becomes 0x5a5a */
                     : "=r"(r0), "=&r"(start) : : "r1", "r2", "memory");
    smc_word = REG(start + 4);
    return r0 - start;
}

int main(void) {
    t_stmia();
    t_stmdb();
    t_push();
    t_str_index();
    t_strd();
    t_it();
    put_hex("smc_wb", t_smc());
    put_hex("smc_word", smc_word);
    clear_ipr();
    return 0;
}
