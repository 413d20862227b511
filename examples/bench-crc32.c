/* bench-crc32: table-driven CRC-32 (IEEE, reflected) over a 4 KiB buffer,
 * checked against a bitwise CRC and the standard check value. */
#include "bench.h"

#ifndef BENCH_ITERS
#define BENCH_ITERS 700
#endif
#define BUF_SIZE 4096

static uint8_t buf[BUF_SIZE];
static uint32_t table[256];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32_table(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--)
        c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

int main(void)
{
    uint32_t seed = 12345;
    for (int i = 0; i < BUF_SIZE; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (uint8_t)(seed >> 16);
    }
    make_table();
    int ok = crc32_table((const uint8_t *)"123456789", 9) == 0xcbf43926u
          && crc32_table(buf, BUF_SIZE) == crc32_bitwise(buf, BUF_SIZE);

    uint32_t sum = 0;
    for (unsigned it = 0; it < BENCH_ITERS; it++) {
        buf[it % BUF_SIZE] ^= (uint8_t)it;
        sum = (sum << 1 | sum >> 31) ^ crc32_table(buf, BUF_SIZE);
    }
    return bench_report("crc32", BENCH_ITERS, sum, ok);
}
