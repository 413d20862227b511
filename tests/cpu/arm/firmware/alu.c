/* Integer work as gcc compiles it (IT blocks, flags, TBB/TBH, literal pools,
   long multiplies, divides, bitfields, 64-bit arithmetic, unaligned loads),
   each result printed so a differential run shows the first difference. */
#include <stdint.h>
#include <string.h>
#include "rt.h"

static uint32_t h = 2166136261u;
static void mix(const char *name, uint32_t v) {
    h = (h ^ v) * 16777619u;
    put_hex(name, v);
}

__attribute__((noinline)) static int classify(int x) {
    switch (x) {             /* a dense switch: a jump table (TBB at -O2) */
    case 0: return 11; case 1: return 22; case 2: return 33; case 3: return 44;
    case 4: return 55; case 5: return 66; case 6: return 77; case 7: return 88;
    case 8: return 99; default: return -1;
    }
}

__attribute__((noinline)) static int wide_switch(int x) {
    switch (x) {
    case 0: return x * 3; case 1: return x + 100; case 2: return x ^ 0x55; case 3: return 7;
    case 4: return x << 5; case 5: return -x; case 6: return x * x; case 7: return 1000;
    case 8: return x - 1000; case 9: return 0x1234; case 10: return 99; case 11: return x | 0x400;
    default: return 0;
    }
}

__attribute__((noinline)) static int32_t smax(int32_t a, int32_t b) { return a > b ? a : b; }
__attribute__((noinline)) static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
__attribute__((noinline)) static int sat_add(int a, int b) {
    int64_t s = (int64_t)a + b;
    if (s > 0x7fffffff) return 0x7fffffff;
    if (s < -0x7fffffff - 1) return -0x7fffffff - 1;
    return (int)s;
}

static volatile uint32_t seeds[8] = {1, 0x80000000u, 0xffffffffu, 0x7fffffffu, 12345, 0xdeadbeefu, 3, 0x10000};
static uint8_t bytes[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

int main(void) {
    uint32_t acc = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t a = seeds[i], b = seeds[(i + 3) & 7];
        mix("add", a + b);
        mix("sub", a - b);
        mix("mul", a * b);
        mix("umulh", (uint32_t)(((uint64_t)a * b) >> 32));
        mix("smulh", (uint32_t)(((int64_t)(int32_t)a * (int32_t)b) >> 32));
        mix("udiv", b ? a / b : 0);
        mix("sdiv", (int32_t)b ? (uint32_t)((int32_t)a / ((int32_t)b == -1 ? 1 : (int32_t)b)) : 0);
        mix("urem", b ? a % b : 0);
        mix("shl", a << (b & 31));
        mix("lsr", a >> (b & 31));
        mix("asr", (uint32_t)((int32_t)a >> (b & 31)));
        mix("ror", (a >> (i + 1)) | (a << (31 - i)));
        mix("clz", a ? (uint32_t)__builtin_clz(a) : 32);
        mix("rev", __builtin_bswap32(a));
        mix("max", (uint32_t)smax((int32_t)a, (int32_t)b));
        mix("min", umin(a, b));
        mix("sat", (uint32_t)sat_add((int)a, (int)b));
        mix("bf", (a >> 5) & 0x3ff);
        mix("sbf", (uint32_t)(((int32_t)(a << 3)) >> 20));
        mix("cls", (uint32_t)classify((int)(a & 15)));
        mix("wsw", (uint32_t)wide_switch((int)(b % 13)));
        uint64_t w = ((uint64_t)a << 32) | b;
        mix("w64a", (uint32_t)(w + 0x123456789ull));
        mix("w64b", (uint32_t)((w * 0x9e3779b97f4a7c15ull) >> 29));
        mix("w64c", (uint32_t)(w / 1000003u));
        acc += (a & 1) ? a : ~b;
        acc ^= (int32_t)a < (int32_t)b ? 0x5a5a : 0xa5a5;
    }
    uint32_t u;
    memcpy(&u, bytes + 1, 4);            /* an unaligned word */
    mix("unal", u);
    uint16_t s16;
    memcpy(&s16, bytes + 3, 2);
    mix("unal16", s16);
    mix("acc", acc);
    mix("hash", h);
    return (int)(h & 0x7f);
}
