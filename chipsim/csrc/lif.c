/* Closed-form LIF dynamics and a robust first-crossing search.
 *
 * Between events the membrane is V(t) = E + (V0-E) e^{-t/tm} + je0 K_e(t) - ji0 K_i(t): a sum of
 * exponentials (with a t e^{-t/tm} term when a synaptic time constant equals tm). Multiplying
 * a sum by e^{r t} for its slowest rate r and differentiating removes one term (Rolle), so the
 * zeros of such sums are found recursively, the last level in closed form. The crossing search
 * cuts [0, horizon] where V' e^{r t} turns (zeros of its derivative): on each piece V' changes
 * sign at most once, so V is monotone or has one extremum there. A piece whose end reaches the
 * threshold holds exactly one crossing (guarded Halley); a piece that rises and falls is
 * searched by Halley steps from its start, and only if they pass its maximum is the maximum
 * located. The search evaluates the membrane as that sum where a current flows and both
 * synaptic rates are well apart from the membrane's (and through the propagation's kernels
 * otherwise). The Python reference (chipsim/reference.py) mirrors this file operation by
 * operation.
 */
#include <float.h>
#include <math.h>
#include <string.h>
#include "core.h"
#include "lif.h"
#include "simd.h"

#define MAX_TERMS 4
#define DEGENERATE_REL 1e-6
#define ROOT_TOL 1e-7
#define CRIT_TOL 1e-4 /* a maximum is located only to decide whether it reaches theta */
#define MAX_ITER 200
/* a rising stretch is abandoned once its slope bound keeps it this far below theta */
#define BOUND_MARGIN 1e-12
/* a Halley step this short (ticks) towards a transversal crossing (the osculating parabola
 * rises past theta by more than the step's distance to it: s^2 > 4 |f c|) lands within
 * ~1e-10 ticks of the crossing (its error is cubic in the step, times about 1/tau^2), so the
 * search takes it without evaluating there */
#define CONVERGED_STEP 1e-2
/* both synaptic rates this far (relative) from the membrane's: the search evaluates the
 * membrane as an exponential sum (membrane below) */
#define SEPARATE_REL 0.05

typedef struct {
    int n;
    double rate[MAX_TERMS];
    double c0[MAX_TERMS];
    double c1[MAX_TERMS];
} expoly;

double bss2_kernel(double dt, double rate_mem, double rate_syn)
{
    double d = rate_mem - rate_syn;
    double x = dt * d;
    if (d == 0.0) {
        return dt * bss2_exp(-dt * rate_mem);
    }
    if (fabs(x) < BSS2_EXPM1_BELOW) {
        return bss2_exp(-dt * rate_mem) * (bss2_expm1_small(x) / d);
    }
    return (bss2_exp(-dt * rate_syn) - bss2_exp(-dt * rate_mem)) / d;
}

void bss2_exp_many(const double *x, double *out, int64_t n)
{
    for (int64_t i = 0; i < n; ++i) {
        out[i] = bss2_exp(x[i]);
    }
}

void bss2_expm1_small_many(const double *x, double *out, int64_t n)
{
    for (int64_t i = 0; i < n; ++i) {
        out[i] = bss2_expm1_small(x[i]);
    }
}

void bss2_rates_init(bss2_rates *r, double tau_mem, double tau_exc, double tau_inh)
{
    r->mem = 1.0 / tau_mem;
    r->exc = 1.0 / tau_exc;
    r->inh = 1.0 / tau_inh;
    double de = r->mem - r->exc, di = r->mem - r->inh;
    r->inv_d_exc = (de != 0.0) ? 1.0 / de : 0.0;
    r->inv_d_inh = (di != 0.0) ? 1.0 / di : 0.0;
    double tpeak = (r->mem == r->exc) ? tau_mem : log(r->exc / r->mem) / (r->exc - r->mem);
    r->peak_exc = bss2_kernel(tpeak, r->mem, r->exc);
    r->tau[0] = tau_mem;
    r->tau[1] = tau_exc;
    r->tau[2] = tau_inh;
    const double rate[3] = {r->mem, r->exc, r->inh};
    for (int k = 0; k < 3; ++k) {
        r->neg_rate[k] = -rate[k];
        r->rate2[k] = r->neg_rate[k] * r->neg_rate[k];
    }
    r->neg_rate[3] = r->rate2[3] = 0.0;
}

/* Slope and curvature of the membrane in the state (v, je, ji). */
static void slope_curvature(double v, double je, double ji, double e_leak, const bss2_rates *r,
                            double *slope, double *curvature)
{
    *slope = -(v - e_leak) * r->mem + je - ji;
    *curvature = -r->mem * *slope - r->exc * je + r->inh * ji;
}

/* The membrane a search evaluates: its state at t = 0 and, where a current flows and both
 * synaptic rates differ from the membrane's by more than SEPARATE_REL (without current the
 * propagation needs one exponential, the sum three), the same membrane as the exponential sum
 * e_leak + c[0] e^{-mem t} + c[1] e^{-exc t} + c[2] e^{-inh t}: fewer operations than the
 * propagation and no branches, and the coefficients stay within ~1/SEPARATE_REL of the state's
 * scale, so the sum loses no more than a digit or two to cancellation. */
typedef struct {
    double v0, je0, ji0, e_leak;
    const bss2_rates *r;
    int as_sum;
    double c[4]; /* the sum's coefficients; the fourth is empty (lanes) */
    const double *neg_rate, *rate2; /* the rates' (r's) */
} membrane;

static void membrane_init(membrane *mb, double v0, double je0, double ji0, double e_leak,
                          const bss2_rates *r)
{
    mb->v0 = v0;
    mb->je0 = je0;
    mb->ji0 = ji0;
    mb->e_leak = e_leak;
    mb->r = r;
    mb->neg_rate = r->neg_rate;
    mb->rate2 = r->rate2;
    mb->as_sum = (je0 != 0.0 || ji0 != 0.0) && fabs(r->mem - r->exc) > SEPARATE_REL * r->mem
                 && fabs(r->mem - r->inh) > SEPARATE_REL * r->mem;
    if (mb->as_sum) {
        mb->c[0] = (v0 - e_leak) - je0 * r->inv_d_exc + ji0 * r->inv_d_inh;
        mb->c[1] = je0 * r->inv_d_exc;
        mb->c[2] = -ji0 * r->inv_d_inh;
        mb->c[3] = 0.0;
    }
}

/* The sum's membrane, slope and curvature at t from its terms c[k] e^{-rate[k] t}. */
static inline double sum_of_terms(const membrane *mb, const double *term, double *slope,
                                  double *curvature)
{
    *slope = (term[0] * mb->neg_rate[0] + term[1] * mb->neg_rate[1])
             + term[2] * mb->neg_rate[2];
    *curvature = (term[0] * mb->rate2[0] + term[1] * mb->rate2[1]) + term[2] * mb->rate2[2];
    return ((term[0] + term[1]) + term[2]) + mb->e_leak;
}

#ifdef BSS2_HAVE_AVX2_PATH
/* The sum's terms on vector lanes (the same bits); 0 if an exponential needs bss2_exp's
 * special branches (nothing stored then). */
BSS2_AVX2 static int terms_on_lanes(const membrane *mb, double t, double *term)
{
    __m256d special = _mm256_setzero_pd();
    __m256d x = _mm256_mul_pd(_mm256_set1_pd(t), _mm256_loadu_pd(mb->neg_rate));
    __m256d y = bss2_exp4(x, &special);
    if (_mm256_movemask_pd(special)) {
        return 0;
    }
    _mm256_storeu_pd(term, _mm256_mul_pd(_mm256_loadu_pd(mb->c), y));
    return 1;
}

/* bss2_advance with its three exponentials on vector lanes (the same bits); 0 if one of them
 * needs bss2_exp's special branches (nothing stored then). */
BSS2_AVX2 static int advance_on_lanes(double dt, int move_v, double *v, double *je, double *ji,
                                      double e_leak, const bss2_rates *r)
{
    __m256d special = _mm256_setzero_pd();
    __m256d x = _mm256_mul_pd(_mm256_set1_pd(-dt), _mm256_set_pd(0.0, r->mem, r->inh, r->exc));
    __m256d y = bss2_exp4(x, &special);
    if (_mm256_movemask_pd(special)) {
        return 0;
    }
    double e[4];
    _mm256_storeu_pd(e, y);
    bss2_advance_with(dt, move_v, e[2], (*je != 0.0) ? e[0] : 0.0, (*ji != 0.0) ? e[1] : 0.0,
                      v, je, ji, e_leak, r);
    return 1;
}
#endif

/* Membrane potential, slope and curvature at t, sharing exponentials; inlined into the
 * search's loops (-3 % of the engine's instructions). */
static inline __attribute__((always_inline)) double
membrane_derivatives(const membrane *mb, double t, double *slope, double *curvature)
{
    if (mb->as_sum) {
        double term[4];
#ifdef BSS2_HAVE_AVX2_PATH
        if (!(bss2_simd_lanes && terms_on_lanes(mb, t, term)))
#endif
        {
            for (int k = 0; k < 3; ++k) {
                term[k] = mb->c[k] * bss2_exp(t * mb->neg_rate[k]);
            }
        }
        return sum_of_terms(mb, term, slope, curvature);
    }
    double v = mb->v0, je = mb->je0, ji = mb->ji0;
#ifdef BSS2_HAVE_AVX2_PATH
    if (!(bss2_simd_lanes && advance_on_lanes(t, 1, &v, &je, &ji, mb->e_leak, mb->r)))
#endif
    {
        bss2_advance(t, 1, &v, &je, &ji, mb->e_leak, mb->r);
    }
    slope_curvature(v, je, ji, mb->e_leak, mb->r, slope, curvature);
    return v;
}

void bss2_advance_one(double dt, int move_v, double *v, double *je, double *ji, double e_leak,
                      const bss2_rates *r)
{
#ifdef BSS2_HAVE_AVX2_PATH
    /* lanes pay where they replace two exponentials or three */
    int exponentials = (*je != 0.0) + (*ji != 0.0) + (move_v != 0);
    if (exponentials >= 2 && bss2_simd_lanes
        && advance_on_lanes(dt, move_v, v, je, ji, e_leak, r)) {
        return;
    }
#endif
    bss2_advance(dt, move_v, v, je, ji, e_leak, r);
}

static double expoly_eval(const expoly *f, double t)
{
    double s = 0.0;
    for (int k = 0; k < f->n; ++k) {
        double p = f->c0[k] + f->c1[k] * t;
        s += (f->rate[k] == 0.0 || t == 0.0) ? p : p * bss2_exp(-f->rate[k] * t);
    }
    return s;
}

/* Evaluate f and g at t where g has a subset of f's rates (as a scaled derivative does),
 * computing each exponential once. */
static void expoly_eval2(const expoly *f, const expoly *g, double t, double *fv, double *gv)
{
    double ex[MAX_TERMS];
    double s = 0.0;
    for (int k = 0; k < f->n; ++k) {
        ex[k] = (f->rate[k] == 0.0) ? 1.0 : bss2_exp(-f->rate[k] * t);
        s += (f->c0[k] + f->c1[k] * t) * ex[k];
    }
    double d = 0.0;
    for (int j = 0; j < g->n; ++j) {
        double e = -1.0;
        for (int k = 0; k < f->n; ++k) {
            if (f->rate[k] == g->rate[j]) {
                e = ex[k];
                break;
            }
        }
        if (e < 0.0) {
            e = (g->rate[j] == 0.0) ? 1.0 : bss2_exp(-g->rate[j] * t);
        }
        d += (g->c0[j] + g->c1[j] * t) * e;
    }
    *fv = s;
    *gv = d;
}

static int expoly_dimension(const expoly *f)
{
    int d = 0;
    for (int k = 0; k < f->n; ++k) {
        d += (f->c1[k] != 0.0) ? 2 : 1;
    }
    return d;
}

/* Derivative of f * e^{r0 t}, r0 the slowest rate: one term fewer (or one degree lower). */
static void expoly_scaled_derivative(const expoly *f, expoly *g)
{
    double r0 = f->rate[0];
    for (int k = 1; k < f->n; ++k) {
        if (f->rate[k] < r0) {
            r0 = f->rate[k];
        }
    }
    g->n = 0;
    for (int k = 0; k < f->n; ++k) {
        double r = f->rate[k] - r0;
        double c0 = f->c1[k] - r * f->c0[k];
        double c1 = -r * f->c1[k];
        if (c0 != 0.0 || c1 != 0.0) {
            g->rate[g->n] = r;
            g->c0[g->n] = c0;
            g->c1[g->n] = c1;
            g->n += 1;
        }
    }
}

/* Root of f on [a, b] where f(a) and f(b) differ in sign and f is monotone: bisection-guarded
 * Newton with the derivative df. Returns the bracket end on the side of sign(fb). */
static double refine_expoly(const expoly *f, const expoly *df, double a, double b, double fa,
                            double fb)
{
    double lo = a, hi = b;
    int rising = fa < 0.0;
    double t = a - fa * ((b - a) / (fb - fa));
    if (!(t > lo && t < hi)) {
        t = 0.5 * (lo + hi);
    }
    for (int it = 0; it < MAX_ITER; ++it) {
        double ft, slope;
        expoly_eval2(f, df, t, &ft, &slope);
        if (ft == 0.0) {
            return t;
        }
        if ((ft < 0.0) == rising) {
            lo = t;
        } else {
            hi = t;
        }
        if (hi - lo <= CRIT_TOL) {
            break;
        }
        double next = (slope != 0.0) ? t - ft / slope : lo;
        if (fabs(next - t) < 0.25 * CRIT_TOL && next > lo && next < hi) {
            return next;
        }
        if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        t = next;
    }
    return hi;
}

/* Beyond this time a term c0 e^{-r t} is below |c| / n_decay in magnitude. */
static double decay_below(int n_decay, double c0, double c, double r)
{
    return log(n_decay * fabs(c0) / c) / r;
}

/* Over log2's mantissa stretch: log2(m) - (m - 1) on [1, 2) peaks at 0.08607 (m = 1/ln 2). */
#define LOG2_LINEAR_GAP 0.0861
/* slack (log2 units) of log2_bracket: far above the roundings of what it is compared with */
#define LOG2_SLACK 1e-6
#define LN2 0.6931471805599453

/* Bounds lo <= log2 x <= hi without a logarithm, for a normal x = 2^e m (0 otherwise): its bit
 * pattern read as an integer gives A = e + (m - 1), and log2 x lies in [A, A + 0.0861]. Used to
 * skip logarithms whose result provably does not matter (the results keep their bits). */
static inline int log2_bracket(double x, double *lo, double *hi)
{
    if (!(x >= DBL_MIN && x <= DBL_MAX)) {
        return 0;
    }
    int64_t bits;
    memcpy(&bits, &x, sizeof bits);
    double a = (double)(bits - (int64_t)0x3FF0000000000000) * 0x1p-52;
    *lo = a - LOG2_SLACK;
    *hi = a + (LOG2_LINEAR_GAP + LOG2_SLACK);
    return 1;
}

/* max(0, decay_below(n_decay, c[k], size, rate[k]) over k < 3), the same bits with fewer
 * logarithms: log2_bracket brackets each term's time (tau[k] = 1/rate[k] up to rounding), and
 * only the terms whose bracket reaches past the highest lower end can hold the maximum and get
 * their logarithm (one of the three in 96 % of the Yin-Yang bench's searches). */
static double decay_cap3(int n_decay, const double *c, const double *rate, const double *tau,
                         double size)
{
    double hi[3], best = 0.0;
    const double scale = n_decay / size;
    for (int k = 0; k < 3; ++k) {
        double lo2, hi2; /* of decay_below's argument, up to rounding */
        if (!(log2_bracket(fabs(c[k]) * scale, &lo2, &hi2) && tau[k] < INFINITY)) {
            hi[k] = INFINITY; /* the logarithm it is */
            continue;
        }
        double lo = lo2 * (LN2 * tau[k]);
        hi[k] = hi2 * (LN2 * tau[k]);
        best = (lo > best) ? lo : best;
    }
    double cap = 0.0;
    for (int k = 0; k < 3; ++k) {
        if (hi[k] > best) {
            double t = decay_below(n_decay, c[k], size, rate[k]);
            if (t > cap) {
                cap = t;
            }
        }
    }
    return cap;
}

/* The root of ca e^{-ra t} + cb e^{-rb t} in (a, b), where e^{(rb - ra) t} = -cb/ca, if any.
 * The logarithm is skipped where the root lies at or before 0 <= a: by the signs of log q and
 * rb - ra (a third of the bench's calls). */
static int two_term_zero(double ca, double cb, double ra, double rb, double a, double b,
                         double *out)
{
    double q = -cb / ca;
    if (q <= 0.0) {
        return 0;
    }
    double d = rb - ra;
    if (a >= 0.0 && ((q > 1.0) != (d > 0.0) || q == 1.0)) {
        return 0;
    }
    double t = log(q) / d;
    if (t > a && t < b) {
        out[0] = t;
        return 1;
    }
    return 0;
}

/* For f = c + sum of decaying terms (one rate-0 constant c != 0): a time beyond which the
 * decaying terms sum to less than |c| in magnitude, so f keeps the sign of c; +inf if f has
 * no such constant. Uses (|c0| + |c1| t) e^{-r t} <= (|c0| + 2|c1|/(e r)) e^{-r t / 2}. */
static double expoly_cap(const expoly *f)
{
    double c = 0.0;
    int n_decay = 0;
    for (int k = 0; k < f->n; ++k) {
        if (f->rate[k] == 0.0) {
            if (f->c1[k] != 0.0) {
                return INFINITY;
            }
            c = fabs(f->c0[k]);
        } else {
            n_decay += 1;
        }
    }
    if (c == 0.0) {
        return INFINITY;
    }
    double cap = 0.0;
    for (int k = 0; k < f->n; ++k) {
        double r = f->rate[k];
        if (r == 0.0) {
            continue;
        }
        double t;
        if (f->c1[k] == 0.0) {
            t = decay_below(n_decay, f->c0[k], c, r);
        } else {
            double m = fabs(f->c0[k]) + 2.0 * fabs(f->c1[k]) / (2.718281828459045 * r);
            t = 2.0 * log(n_decay * m / c) / r;
        }
        if (t > cap) {
            cap = t;
        }
    }
    return cap;
}

/* All zeros of f in the open interval (a, b), ascending, at most MAX_TERMS + 1. */
static int expoly_zeros(const expoly *f, double a, double b, double *out)
{
    int dim = expoly_dimension(f);
    if (dim <= 1) {
        return 0;
    }
    if (f->n == 1) {
        /* (c0 + c1 t) e^{-r t}: one root at -c0/c1 */
        double t = -f->c0[0] / f->c1[0];
        if (t > a && t < b) {
            out[0] = t;
            return 1;
        }
        return 0;
    }
    if (f->n == 2 && dim == 2) {
        return two_term_zero(f->c0[0], f->c0[1], f->rate[0], f->rate[1], a, b, out);
    }
    /* f * e^{r0 t} (r0 the slowest rate) has the zeros of f and is monotone between the
     * zeros of its derivative g */
    expoly fs = *f;
    double r0 = f->rate[0];
    for (int k = 1; k < f->n; ++k) {
        if (f->rate[k] < r0) {
            r0 = f->rate[k];
        }
    }
    for (int k = 0; k < fs.n; ++k) {
        fs.rate[k] -= r0;
    }
    expoly g;
    expoly_scaled_derivative(f, &g);
    double crit[MAX_TERMS + 2];
    int nc = expoly_zeros(&g, a, b, crit);
    int nz = 0;
    double lo = a;
    double flo = expoly_eval(&fs, lo);
    for (int i = 0; i <= nc; ++i) {
        double hi = (i < nc) ? crit[i] : b;
        double fhi = expoly_eval(&fs, hi);
        if ((flo < 0.0 && fhi > 0.0) || (flo > 0.0 && fhi < 0.0)) {
            out[nz++] = refine_expoly(&fs, &g, lo, hi, flo, fhi);
        }
        lo = hi;
        flo = fhi;
    }
    return nz;
}

/* Add a term to an exponential polynomial, merging equal rates. */
static void expoly_add(expoly *f, double rate, double c0, double c1)
{
    if (c0 == 0.0 && c1 == 0.0) {
        return;
    }
    for (int k = 0; k < f->n; ++k) {
        if (f->rate[k] == rate) {
            f->c0[k] += c0;
            f->c1[k] += c1;
            return;
        }
    }
    f->rate[f->n] = rate;
    f->c0[f->n] = c0;
    f->c1[f->n] = c1;
    f->n += 1;
}

/* The synaptic term j * K(t; tm, ts) as exponential-polynomial terms. */
static void add_synaptic(expoly *f, double j, double rate_mem, double rate_syn, double inv_d)
{
    double d = rate_mem - rate_syn;
    if (fabs(d) < DEGENERATE_REL * rate_mem) {
        expoly_add(f, rate_mem, 0.0, j);
    } else {
        expoly_add(f, rate_mem, -j * inv_d, 0.0);
        expoly_add(f, rate_syn, j * inv_d, 0.0);
    }
}

/* Whether a Halley step from a point at f = V - theta with slope s and curvature c lands close
 * enough to a transversal crossing to be taken as it (CONVERGED_STEP). */
static inline int converged(double step, double f, double s, double c)
{
    return fabs(step) < CONVERGED_STEP && s * s > 4.0 * fabs(f * c);
}

/* Root of V - theta on [a, b] where V(a) = va < theta <= V(b) = vb and V crosses theta once
 * there: Halley's method from the linear interpolation, bracket-guarded, with a bisection
 * wherever a step leaves the bracket, meets a falling stretch, or is not at most half the step
 * before the last (a far end in a flat tail would make Halley crawl); stops once the step is
 * below ROOT_TOL/4, or a Halley step inside the bracket below CONVERGED_STEP (taken without an
 * evaluation there), or the bracket below ROOT_TOL. */
static double crossing_in(double a, double b, double va, double vb, const membrane *mb,
                          double theta)
{
    double t = (vb > va) ? a + (theta - va) * ((b - a) / (vb - va)) : 0.5 * (a + b);
    if (!(t > a && t < b)) {
        t = 0.5 * (a + b);
    }
    double step = b - a, step_before = b - a;
    for (int it = 0; it < MAX_ITER; ++it) {
        double s, c;
        double v = membrane_derivatives(mb, t, &s, &c);
        if (v >= theta) {
            b = t;
        } else {
            a = t;
        }
        if (b - a <= ROOT_TOL) {
            break;
        }
        double f = v - theta;
        double denom = 2.0 * s * s - f * c;
        double next = (s > 0.0 && denom > 0.0) ? t - 2.0 * f * s / denom : 0.5 * (a + b);
        if (fabs(next - t) < 0.25 * ROOT_TOL
            || (s > 0.0 && denom > 0.0 && next > a && next < b
                && converged(next - t, f, s, c))) {
            double up = next + 0.25 * ROOT_TOL;
            return (up < b) ? up : b;
        }
        if (!(next > a && next < b) || fabs(next - t) > 0.5 * step_before) {
            next = 0.5 * (a + b);
        }
        step_before = step;
        step = fabs(next - t);
        t = next;
    }
    return b;
}

/* On [a, b] the membrane rises (slope sa > 0 at a, membrane va < theta) to one maximum and
 * falls (sb < 0 at b; ca: the curvature at a). Halley steps towards theta from the left:
 * on the rising side they approach the crossing from below, or pass it (V >= theta: a
 * bracket), or pass the maximum (slope <= 0 with V < theta), after which Newton on the slope
 * locates the maximum between the last two points, watching the membrane. The slope only falls
 * up to the maximum (V' e^{r t} falls on the piece), so V(t) + V'(t) (b - t) bounds the
 * maximum from any rising point t before it: the search ends once that bound stays below
 * theta. A Halley step below CONVERGED_STEP is the crossing. Returns the crossing, or -1 if
 * the maximum stays below theta (located to CRIT_TOL or bounded) or once a rising point below
 * theta reaches discard_from (any crossing lies beyond). */
static double bump_crossing(double a, double b, double va, double sa, double ca,
                            const membrane *mb, double theta, double discard_from)
{
    double t = a, v = va, s = sa, c = ca;
    double below = theta - BOUND_MARGIN * (1.0 + fabs(theta));
    for (int it = 0; it < MAX_ITER; ++it) {
        if (v + s * (b - t) < below) {
            return -1.0;
        }
        double f = v - theta;
        double denom = 2.0 * s * s - f * c;
        double next = (denom > 0.0) ? t - 2.0 * f * s / denom : t - f / s;
        if (!(next < b)) {
            next = b; /* V(b) < theta: the maximum lies before b */
        }
        if (fabs(next - t) < 0.25 * ROOT_TOL
            || (next < b && denom > 0.0 && converged(next - t, f, s, c))) {
            return next + 0.25 * ROOT_TOL;
        }
        double sn, cn;
        double vn = membrane_derivatives(mb, next, &sn, &cn);
        if (vn >= theta) {
            return crossing_in(t, next, v, vn, mb, theta);
        }
        if (!(sn > 0.0)) { /* passed the maximum below theta: it lies in (t, next) */
            double lo = t, hi = next, slo = s;
            double u = lo + s * ((hi - lo) / (s - sn));
            for (int k = 0; k < MAX_ITER; ++k) {
                if (!(u > lo && u < hi)) {
                    u = 0.5 * (lo + hi);
                }
                double su, cu;
                double vu = membrane_derivatives(mb, u, &su, &cu);
                if (vu >= theta) {
                    return crossing_in(lo, u, v, vu, mb, theta);
                }
                if (su > 0.0) {
                    if (u >= discard_from) {
                        return -1.0;
                    }
                    lo = u;
                    v = vu;
                    slo = su;
                } else {
                    hi = u;
                }
                if (hi - lo <= CRIT_TOL || v + slo * (hi - lo) < below) {
                    break;
                }
                u = (cu < 0.0) ? u - su / cu : 0.5 * (lo + hi);
            }
            return -1.0;
        }
        if (next >= discard_from) {
            return -1.0;
        }
        t = next;
        v = vn;
        s = sn;
        c = cn;
    }
    return -1.0;
}

/* The pieces of [0, horizon] on which the membrane is monotone or has one extremum, for
 * f(t) = V(t) - theta built from the state: f' (rate 0 is f's slowest rate: this is exactly f')
 * times e^{r0 t}, r0 its slowest rate, is monotone between the zeros of its derivative g, so
 * the slope changes sign at most once on each piece. The horizon is cut first where the
 * membrane provably stays below threshold. Returns the number of cut points in piece_end. */
static int general_pieces(double v0, double je0, double ji0, double e_leak, double rest,
                          const bss2_rates *r, double *horizon, double *piece_end)
{
    expoly f = {0};
    f.n = 1; /* the constant term, kept even when zero: df below must be exactly f' */
    f.c0[0] = rest;
    if (v0 != e_leak) {
        expoly_add(&f, r->mem, v0 - e_leak, 0.0);
    }
    if (je0 != 0.0) {
        add_synaptic(&f, je0, r->mem, r->exc, r->inv_d_exc);
    }
    if (ji0 != 0.0) {
        add_synaptic(&f, -ji0, r->mem, r->inh, r->inv_d_inh);
    }
    double cap = expoly_cap(&f);
    if (rest < 0.0 && cap < *horizon) {
        *horizon = cap; /* beyond it the membrane stays below threshold */
    }
    expoly df, g;
    expoly_scaled_derivative(&f, &df);
    expoly_scaled_derivative(&df, &g);
    return expoly_zeros(&g, 0.0, *horizon, piece_end);
}

/* The common case f = rest + A e^{-m t} + B e^{-e t} + C e^{-i t} (membrane off rest, both
 * currents on, rates distinct, no degenerate kernel) without the general machinery: the
 * operations that expoly_add, expoly_cap, two expoly_scaled_derivative and expoly_zeros perform
 * on it, written out in the same order (the same bits, tested against the general path).
 * Returns what general_pieces returns, or -1 where the case does not apply. */
static int three_rate_pieces(double v0, double je0, double ji0, double e_leak, double rest,
                             const bss2_rates *r, double *horizon, double *piece_end)
{
    double m = r->mem, re = r->exc, ri = r->inh;
    if (v0 == e_leak || je0 == 0.0 || ji0 == 0.0 || re == ri
        || fabs(m - re) < DEGENERATE_REL * m || fabs(m - ri) < DEGENERATE_REL * m) {
        return -1;
    }
    double rate[3] = {m, re, ri};
    double c[3];
    c[0] = v0 - e_leak;
    c[0] += -je0 * r->inv_d_exc;
    c[0] += ji0 * r->inv_d_inh;
    c[1] = je0 * r->inv_d_exc;
    c[2] = -ji0 * r->inv_d_inh;
    double dc[3];
    for (int k = 0; k < 3; ++k) {
        dc[k] = 0.0 - rate[k] * c[k];
        if (c[k] == 0.0 || dc[k] == 0.0) {
            return -1;
        }
    }
    int slow = 0;
    for (int k = 1; k < 3; ++k) {
        if (rate[k] < rate[slow]) {
            slow = k;
        }
    }
    double gr[2], gc[2];
    int n = 0;
    for (int k = 0; k < 3; ++k) {
        if (k != slow) {
            gr[n] = rate[k] - rate[slow];
            gc[n] = -0.0 - gr[n] * dc[k];
            if (gc[n] == 0.0) {
                return -1;
            }
            n += 1;
        }
    }
    double size = fabs(rest);
    double cap = (size == 0.0) ? INFINITY : decay_cap3(3, c, rate, r->tau, size);
    if (rest < 0.0 && cap < *horizon) {
        *horizon = cap;
    }
    return two_term_zero(gc[0], gc[1], gr[0], gr[1], 0.0, *horizon, piece_end);
}

double bss2_first_crossing(double v0, double je0, double ji0, double e_leak, double theta,
                           const bss2_rates *r, double horizon, double discard_from)
{
    if (v0 >= theta) {
        return 0.0;
    }
    /* Fast rejection: the membrane stays below its rest, any lift above it and the excitatory
     * kernel's peak (at t = ln(tm/te)/(1/te - 1/tm), or 0) times the drive: je, or je - ji
     * where inhibition decays no faster than excitation (its kernel is then never smaller). */
    double rest = e_leak - theta;
    if (rest < 0.0) {
        double bound = rest + (v0 > e_leak ? v0 - e_leak : 0.0);
        double drive = (r->inh <= r->exc && ji0 > 0.0) ? je0 - ji0 : je0;
        if (drive > 0.0) {
            bound += drive * r->peak_exc;
        }
        if (bound < 0.0) {
            return INFINITY;
        }
    }
    double piece_end[MAX_TERMS + 2];
    int n_pieces = three_rate_pieces(v0, je0, ji0, e_leak, rest, r, &horizon, piece_end);
    if (n_pieces < 0) {
        n_pieces = general_pieces(v0, je0, ji0, e_leak, rest, r, &horizon, piece_end);
    }
    membrane mb;
    membrane_init(&mb, v0, je0, ji0, e_leak, r);
    double a = 0.0, va = v0;
    double sa, ca;
    slope_curvature(v0, je0, ji0, e_leak, r, &sa, &ca);
    for (int i = 0; i <= n_pieces; ++i) {
        double b = (i < n_pieces) ? piece_end[i] : horizon;
        double sb, cb;
        double vb = membrane_derivatives(&mb, b, &sb, &cb);
        if (vb >= theta) { /* one crossing on [a, b], whatever the piece's shape */
            return crossing_in(a, b, va, vb, &mb, theta);
        }
        if (sa > 0.0 && sb < 0.0) { /* a maximum inside: does it reach theta? */
            double tc = bump_crossing(a, b, va, sa, ca, &mb, theta, discard_from);
            if (tc >= 0.0) {
                return tc;
            }
        }
        if (b >= discard_from) {
            return INFINITY;
        }
        a = b;
        va = vb;
        sa = sb;
        ca = cb;
    }
    return INFINITY;
}

void bss2_first_crossing_many(const double *rows, double *out, int64_t n)
{
    for (int64_t i = 0; i < n; ++i) {
        const double *row = rows + 10 * i;
        bss2_rates r;
        bss2_rates_init(&r, row[0], row[1], row[2]);
        out[i] = bss2_first_crossing(row[3], row[4], row[5], row[6], row[7], &r, row[8],
                                     row[9]);
    }
}
