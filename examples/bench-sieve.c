/* bench-sieve: sieve of Eratosthenes below SIEVE_N, repeated; the count is
 * checked against trial division. */
#include "bench.h"

#ifndef BENCH_ITERS
#define BENCH_ITERS 200
#endif
#ifndef SIEVE_N
#define SIEVE_N 8192
#endif

static uint8_t composite[SIEVE_N];

static unsigned sieve(void)
{
    unsigned count = 0;
    for (unsigned i = 0; i < SIEVE_N; i++)
        composite[i] = 0;
    for (unsigned i = 2; i < SIEVE_N; i++) {
        if (composite[i])
            continue;
        count++;
        for (unsigned j = i + i; j < SIEVE_N; j += i)
            composite[j] = 1;
    }
    return count;
}

static unsigned trial_division(void)
{
    unsigned count = 0;
    for (unsigned n = 2; n < SIEVE_N; n++) {
        unsigned d = 2;
        while (d * d <= n && n % d)
            d++;
        count += d * d > n;
    }
    return count;
}

int main(void)
{
    uint32_t sum = 0;
    unsigned count = 0;
    for (unsigned it = 0; it < BENCH_ITERS; it++) {
        count = sieve();
        sum = sum * 31 + count;
    }
    int ok = BENCH_ITERS == 0 || count == trial_division();
    uart_printf("sieve: %u primes below %u\n", count, SIEVE_N);
    return bench_report("sieve", BENCH_ITERS, sum, ok);
}
