/* Sorting: recursive quicksort and insertion sort of the same pseudo-random arrays must agree;
 * the sorted arrays stay in memory. */
#include "corpus.h"

#define COUNT 200

int32_t quick[COUNT];
int16_t insertion[COUNT];

static void quicksort(int32_t *a, int low, int high)
{
    while (low < high) {
        int32_t pivot = a[(low + high) / 2];
        int i = low, j = high;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                int32_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        /* recurse into the smaller half, loop on the larger one */
        if (j - low < high - i) {
            quicksort(a, low, j);
            low = i;
        } else {
            quicksort(a, i, high);
            high = j;
        }
    }
}

static void insertion_sort(int16_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        int16_t key = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = key;
    }
}

int start(void)
{
    uint32_t state = 12345;
    for (int i = 0; i < COUNT; i++) {
        int32_t value = (int32_t)lcg_next(&state) >> 8;
        quick[i] = value;
        insertion[i] = (int16_t)(value >> 8);
    }
    quicksort(quick, 0, COUNT - 1);
    insertion_sort(insertion, COUNT);
    uint32_t hash = MIX_START;
    for (int i = 0; i < COUNT; i++) {
        if (i > 0 && (quick[i - 1] > quick[i] || insertion[i - 1] > insertion[i]))
            return -1;
        hash = mix(hash, (uint32_t)quick[i]);
        hash = mix(hash, (uint32_t)(int32_t)insertion[i]);
    }
    return (int)hash;
}
