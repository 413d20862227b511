/* bench-matmul: N x N integer matrix multiply, repeated; each product is
 * checked through sum(C) = sum_k colsum(A)[k] * rowsum(B)[k]. */
#include "bench.h"

#ifndef BENCH_ITERS
#define BENCH_ITERS 250
#endif
#define N 24

static int32_t A[N][N], B[N][N], C[N][N];

static void matmul(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++)
                s += A[i][k] * B[k][j];
            C[i][j] = s;
        }
}

static int check(uint32_t *sum_out)
{
    uint32_t sum = 0, expect = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += (uint32_t)C[i][j];
    for (int k = 0; k < N; k++) {
        uint32_t ca = 0, rb = 0;
        for (int i = 0; i < N; i++) {
            ca += (uint32_t)A[i][k];
            rb += (uint32_t)B[k][i];
        }
        expect += ca * rb;
    }
    *sum_out = sum;
    return sum == expect;
}

int main(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (i * 7 + j * 3) % 17 - 8;
            B[i][j] = (i * 5 - j * 11) % 13 + i - j;
        }
    int ok = 1;
    uint32_t checksum = 0;
    for (unsigned it = 0; it < BENCH_ITERS; it++) {
        A[it % N][(it / N) % N] += (int32_t)it;   /* every product differs */
        matmul();
        uint32_t s;
        ok &= check(&s);
        checksum = (checksum ^ s) * 16777619u;
    }
    return bench_report("matmul", BENCH_ITERS, checksum, ok);
}
