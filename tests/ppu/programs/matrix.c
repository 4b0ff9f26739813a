/* Matrix multiply: 12x12 int32 and 8x8 int16 with 32-bit accumulation, plus the transpose
 * identity (A B)^T = B^T A^T as a self-check. */
#include "corpus.h"

#define N 12
#define M 8

int32_t a[N][N], b[N][N], c[N][N], ct[N][N];
int16_t p[M][M], q[M][M];
int32_t r[M][M];

static void multiply(int32_t (*x)[N], int32_t (*y)[N], int32_t (*z)[N], int transpose)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t sum = 0;
            for (int k = 0; k < N; k++)
                sum += transpose ? y[j][k] * x[k][i] : x[i][k] * y[k][j];
            z[i][j] = sum;
        }
}

int start(void)
{
    uint32_t state = 5;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a[i][j] = (int32_t)(lcg_next(&state) >> 20) - 2048;
            b[i][j] = (int32_t)(lcg_next(&state) >> 22) - 512;
        }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            p[i][j] = (int16_t)(lcg_next(&state) >> 16);
            q[i][j] = (int16_t)(lcg_next(&state) >> 20); /* 12 bits: 8 products fit int32 */
        }
    multiply(a, b, c, 0);
    multiply(b, a, ct, 1); /* ct[i][j] = sum_k a[j][k] * b[k][i] = c[j][i] */
    uint32_t hash = MIX_START;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            if (ct[i][j] != c[j][i])
                return 1;
            hash = mix(hash, (uint32_t)c[i][j]);
        }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            int32_t sum = 0;
            for (int k = 0; k < M; k++)
                sum += (int32_t)p[i][k] * q[k][j];
            r[i][j] = sum;
            hash = mix(hash, (uint32_t)sum);
        }
    return (int)hash;
}
