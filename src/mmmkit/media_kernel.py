"""Fused adstock + saturation: one numba pass over each channel's and geo's weeks.

The reference graph (:meth:`mmmkit.media.MediaBlock.build` with ``fused=False``) builds the
media block from PyTensor's generic pieces: a lag array ``(C, G*T, L)`` times the adstock
weights, then the curve elementwise. Its gradient streams the lag array and several
``(G, T, C)`` temporaries, and numba calls the scalar libm ``log``/``exp`` once per cell. On a
150-geo panel that was most of a log-density gradient's 15-26 ms.

:class:`AdstockSaturation` computes the same function, ``curve(sum_l w[c, l] x[c, g, t-l])``,
as one Op, and :class:`AdstockSaturationGrad` its vector-Jacobian product, each in one pass
over the spend ``(C, G, T)`` (1.9 MB on the large panel, which stays in cache): the
convolution is recomputed from spend rather than stored, and the curve's ``log`` and ``exp``
are written here as polynomials that LLVM vectorises. Both keep double precision (relative
error ~1e-16, tested against numpy) because NUTS's energy error must not pick up noise.

Curves: ``"hill"`` (``sigmoid(s (log a - log K))``, 0 at ``a = 0``), ``"logistic"``
(``tanh(lam a / 2)``) and ``"michaelis_menten"`` (``a / (K + a)``), the forms of
:mod:`mmmkit.saturation`.
"""

from __future__ import annotations

import numpy as np

CURVES: dict[str, tuple[str, ...]] = {
    "hill": ("half_saturation", "slope"),
    "logistic": ("lam",),
    "michaelis_menten": ("half_saturation",),
}

_LN2 = 0.6931471805599453
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634
_HALF_SQRT2_BITS = 0x3FE6A09E667F3BCD  # float64 bits of sqrt(2) / 2


def _kernels():
    """Compile (once, lazily) the numba functions; numba is imported only when needed."""
    global _KERNELS
    if _KERNELS is not None:
        return _KERNELS
    import numba
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def _bits_to_float(typingctx, i):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())

        return types.float64(types.int64), codegen

    @intrinsic
    def _float_to_bits(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))

        return types.int64(types.float64), codegen

    # no fastmath in the elementary functions: their error analysis assumes IEEE order.
    # error_model="numpy": a float division must not check for zero (a branch that stops
    # LLVM vectorising the loop); the curves never divide by zero where it matters
    jit = numba.njit(inline="always", cache=True, error_model="numpy")

    @jit
    def log_(x):
        # x > 0 and normal. x = 2**e * m with m in [sqrt(2)/2, sqrt(2)): subtracting the bits
        # of sqrt(2)/2 moves the exponent's boundary there, branch-free. log m = 2 atanh(f),
        # f = (m - 1) / (m + 1), |f| <= 0.172: the series in f**2 to f**22 is exact to 1e-17
        bits = _float_to_bits(x)
        e = (bits - _HALF_SQRT2_BITS) >> 52
        m = _bits_to_float(bits - (e << 52))
        ef = np.float64(e)
        f = (m - 1.0) / (m + 1.0)
        s = f * f
        p = 1.0 / 23.0
        p = p * s + 1.0 / 21.0
        p = p * s + 1.0 / 19.0
        p = p * s + 1.0 / 17.0
        p = p * s + 1.0 / 15.0
        p = p * s + 1.0 / 13.0
        p = p * s + 1.0 / 11.0
        p = p * s + 1.0 / 9.0
        p = p * s + 1.0 / 7.0
        p = p * s + 1.0 / 5.0
        p = p * s + 1.0 / 3.0
        p = p * s + 1.0
        return ef * _LN2_HI + (2.0 * f * p + ef * _LN2_LO)

    @jit
    def exp_(x):
        # exp(x) = 2**k exp(r), |r| <= ln(2)/2; Taylor to r**14/14! (error < 1e-17)
        x = min(max(x, -708.0), 709.0)
        k = np.floor(x * _LOG2E + 0.5)
        r = (x - k * _LN2_HI) - k * _LN2_LO
        p = 1.0 / 87178291200.0
        p = p * r + 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        return p * _bits_to_float((np.int64(k) + 1023) << 52)

    # -- curves: value, and (value, d/da, d/dp1, d/dp2 times the upstream gradient) ---------
    @jit
    def hill(a, k, s, log_k):
        pos = a > 0.0
        z = s * (log_(a if pos else 1.0) - log_k)
        h = 1.0 / (1.0 + exp_(-z))
        return h if pos else 0.0

    @jit
    def hill_grad(a, k, s, log_k, g):
        pos = a > 0.0
        safe = a if pos else 1.0
        lz = log_(safe) - log_k
        h = 1.0 / (1.0 + exp_(-s * lz))
        q = g * h * (1.0 - h) if pos else 0.0  # g dh/dz
        # the third term is d/dK up to the per-channel factor -s/K, applied after the sum
        return (h if pos else 0.0), q * s / safe, q, q * lz

    @jit
    def logistic(a, lam, unused, unused2):
        # tanh(y) = 1 - 2 / (exp(2y) + 1) for y = lam a / 2 >= 0
        return 1.0 - 2.0 / (exp_(lam * a) + 1.0)

    @jit
    def logistic_grad(a, lam, unused, unused2, g):
        h = 1.0 - 2.0 / (exp_(lam * a) + 1.0)
        q = g * 0.5 * (1.0 - h * h)  # g dh/dy
        return h, q * lam, q * a, 0.0

    @jit
    def menten(a, k, unused, unused2):
        return a / (k + a)

    @jit
    def menten_grad(a, k, unused, unused2, g):
        d = 1.0 / (k + a)
        q = g * d * d
        return a * d, q * k, q * a, 0.0  # d/dK = -sum(q a), the sign applied after the sum

    @jit
    def minus_s_over_k(k, s):
        return -s / k

    @jit
    def one(k, s):
        return 1.0

    @jit
    def minus_one(k, s):
        return -1.0

    # (value, gradient terms, factor for the first parameter's summed term)
    curves = {
        "hill": (hill, hill_grad, minus_s_over_k),
        "logistic": (logistic, logistic_grad, one),
        "michaelis_menten": (menten, menten_grad, minus_one),
    }
    # sums may be reordered (so they vectorise). Not inlined by numba: numba-level inlining
    # would compile them with the caller's (strict) flags; LLVM still inlines them, keeping
    # each instruction's own flags
    reduce = numba.njit(fastmath={"reassoc", "contract", "nsz"}, cache=True, error_model="numpy")

    # (indices are written i + lag, never t - lag: numba wraps negative indices, and a
    # subtraction LLVM cannot prove non-negative keeps that check and the loop scalar)
    @jit
    def convolve(x, w, a):
        # a[t] = sum_l w[l] x[t - l]  (x is one channel-geo series, zeros before t = 0)
        n_weeks = x.shape[0]
        a[:] = 0.0
        for lag in range(min(w.shape[0], n_weeks)):
            wl = w[lag]
            for i in range(n_weeks - lag):
                a[i + lag] += wl * x[i]

    @reduce
    def lag_products(x, ga, gw):
        # gw[l] += sum_t ga[t] x[t - l]
        n_weeks = x.shape[0]
        for lag in range(min(gw.shape[0], n_weeks)):
            acc = 0.0
            for i in range(n_weeks - lag):
                acc += ga[i + lag] * x[i]
            gw[lag] += acc

    @jit
    def accumulate(out, c, h):
        for t in range(h.shape[0]):
            out[t] += c * h[t]

    @reduce
    def total(v):
        acc = 0.0
        for t in range(v.shape[0]):
            acc += v[t]
        return acc

    def make(kind: str):
        value, grad, scale1 = curves[kind]

        @numba.njit(cache=True, error_model="numpy")
        def forward(x, w, p1, p2, coef, weighted):
            # the curve divided by its value at scaled spend 1: weighted, its sum over
            # channels sum_c coef[g, c] curve[c, g, t], (G, T); else the curve, (C, G, T);
            # flattened (the callers reshape: numba types each branch, so one rank for both)
            n_channels, n_geos, n_weeks = x.shape
            out = np.zeros((n_geos if weighted else n_channels * n_geos) * n_weeks)
            a = np.empty(n_weeks)
            h = np.empty(n_weeks)
            for c in range(n_channels):
                k, s = p1[c], p2[c]
                log_k = np.log(k)
                inv = 1.0 / value(1.0, k, s, log_k)
                for g in range(n_geos):
                    convolve(x[c, g], w[c], a)
                    for t in range(n_weeks):
                        h[t] = value(a[t], k, s, log_k)
                    row = g if weighted else c * n_geos + g
                    accumulate(out[row * n_weeks:(row + 1) * n_weeks],
                               (coef[g, c] if weighted else 1.0) * inv, h)
            return out

        @numba.njit(cache=True, error_model="numpy")
        def backward(x, w, p1, p2, coef, gout, weighted):
            # gradients for w (C, L), p1 and p2 (C,), and coef (G, C) if weighted; gout is
            # the upstream gradient, flattened like forward's output. With the normaliser
            # h1 = curve(1): d(h / h1) = dh / h1 - (h / h1) dh1 / h1
            n_channels, n_geos, n_weeks = x.shape
            gw = np.zeros(w.shape)
            gp1 = np.zeros(n_channels)
            gp2 = np.zeros(n_channels)
            gcoef = np.zeros((n_geos, n_channels))
            a = np.empty(n_weeks)
            ga = np.empty(n_weeks)
            d1 = np.empty(n_weeks)
            d2 = np.empty(n_weeks)
            hu = np.empty(n_weeks)
            up = np.empty(n_weeks)
            for c in range(n_channels):
                k, s = p1[c], p2[c]
                log_k = np.log(k)
                h1, _, e1, e2 = grad(1.0, k, s, log_k, 1.0)
                inv = 1.0 / h1
                weighted_total = 0.0  # sum over cells of upstream * coef * h / h1
                for g in range(n_geos):
                    convolve(x[c, g], w[c], a)
                    row = g if weighted else c * n_geos + g
                    up[:] = gout[row * n_weeks:(row + 1) * n_weeks]
                    cg = (coef[g, c] if weighted else 1.0) * inv
                    for t in range(n_weeks):
                        h, ga[t], d1[t], d2[t] = grad(a[t], k, s, log_k, cg * up[t])
                        hu[t] = h * up[t]
                    sum_hu = total(hu)
                    gcoef[g, c] = sum_hu * inv
                    weighted_total += cg * sum_hu
                    gp1[c] += total(d1)
                    gp2[c] += total(d2)
                    lag_products(x[c, g], ga, gw[c])
                gp1[c] = (gp1[c] - weighted_total * e1 * inv) * scale1(k, s)
                gp2[c] -= weighted_total * e2 * inv
            return gw, gp1, gp2, gcoef

        return forward, backward

    _KERNELS = {
        "log": numba.njit(lambda x: log_(x)),
        "exp": numba.njit(lambda x: exp_(x)),
        **{kind: make(kind) for kind in curves},
    }
    return _KERNELS


_KERNELS = None


def adstock_saturation(kind: str, spend: np.ndarray, weights: np.ndarray, *params,
                       coef: np.ndarray | None = None) -> np.ndarray:
    """Numpy-in, numpy-out forward pass (tests, and the Ops' Python ``perform``).

    Parameters
    ----------
    kind : one of :data:`CURVES`.
    spend : ``(C, G, T)`` scaled spend, channel-major; zero before the first week.
    weights : ``(C, L)`` adstock kernel per channel.
    params : the curve's parameters, each ``(C,)``, in :data:`CURVES` order.
    coef : ``(G, C)`` weights per geo and channel, or None.

    Returns
    -------
    ``(C, G, T)`` the curve of adstocked spend divided by the curve at scaled spend 1 (a
    typical week's, so the result is 1 there, as in the model); with ``coef``, ``(G, T)``
    its sum over channels weighted by ``coef``.
    """
    forward, _ = _kernels()[kind]
    spend, weights, p1, p2, coef_ = _arrays(kind, spend, weights, params, coef)
    out = forward(spend, weights, p1, p2, coef_, coef is not None)
    return out.reshape(spend.shape[1:] if coef is not None else spend.shape)


def adstock_saturation_grad(kind: str, spend, weights, *params, upstream,
                            coef: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Vector-Jacobian product of :func:`adstock_saturation` given ``upstream`` (its shape).

    Returns the gradients for ``weights`` ``(C, L)``, each of ``params`` ``(C,)`` and, with
    ``coef``, for ``coef`` ``(G, C)``.
    """
    _, backward = _kernels()[kind]
    spend, weights, p1, p2, coef_ = _arrays(kind, spend, weights, params, coef)
    upstream = np.ascontiguousarray(upstream, dtype=float).reshape(-1)
    gw, g1, g2, gcoef = backward(spend, weights, p1, p2, coef_, upstream, coef is not None)
    grads = (gw, g1, g2)[: 1 + len(CURVES[kind])]
    return (*grads, gcoef) if coef is not None else grads


def _arrays(kind, spend, weights, params, coef):
    spend = np.ascontiguousarray(spend, dtype=float)
    p1, p2 = _pad_params(kind, params, spend.shape[0])
    coef = np.zeros((spend.shape[1], spend.shape[0])) if coef is None else coef
    return (spend, np.ascontiguousarray(weights, dtype=float), p1, p2,
            np.ascontiguousarray(coef, dtype=float))


def _pad_params(kind, params, n_channels):
    if len(params) != len(CURVES[kind]):
        raise ValueError(f"{kind} takes {CURVES[kind]}, got {len(params)} parameters")
    padded = [np.asarray(p, dtype=float).reshape(n_channels) for p in params]
    while len(padded) < 2:
        padded.append(np.zeros(n_channels))
    return padded


# -- PyTensor Ops ------------------------------------------------------------------------------
def adstock_saturation_op(kind: str, spend, weights, *params, coef=None):
    """The fused media block as a PyTensor expression (normalised: 1 at scaled spend 1).

    ``spend`` ``(C, G, T)`` is data (its gradient is not defined); ``weights`` ``(C, L)``,
    ``params`` (each ``(C,)``, :data:`CURVES` order) and ``coef`` ``(G, C)`` are
    differentiable. Returns the curve ``(C, G, T)``, or with ``coef`` the weighted sum over
    channels ``(G, T)`` (which never materialises a ``(G, T, C)`` array, forward or back).
    Compiles to the numba kernels above under PyTensor's numba backend (what nutpie samples
    with); other backends run them through Python.
    """
    op = _ops()["forward"](kind, coef is not None)
    return op(spend, weights, *params, *(() if coef is None else (coef,)))


def _ops():
    global _OPS
    if _OPS is not None:
        return _OPS
    import pytensor.tensor as pt
    from pytensor.gradient import grad_not_implemented
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op
    from pytensor.link.numba.dispatch import basic as numba_basic

    def as_float(v):
        return pt.as_tensor_variable(v).astype("float64")

    class AdstockSaturation(Op):
        """``curve(sum_l w[c, l] x[c, g, t - l]) / curve(1)``, ``(C, G, T)``; weighted:
        ``(G, T)``.

        Inputs: spend ``(C, G, T)``, weights ``(C, L)``, the curve's parameters ``(C,)``
        and, if ``weighted``, ``coef`` ``(G, C)``.
        """

        __props__ = ("kind", "weighted")

        def __init__(self, kind: str, weighted: bool):
            if kind not in CURVES:
                raise ValueError(f"no fused kernel for the {kind!r} curve")
            self.kind, self.weighted = kind, bool(weighted)

        def make_node(self, *inputs):
            if len(inputs) != 2 + len(CURVES[self.kind]) + self.weighted:
                raise TypeError(f"{self} takes spend, weights, {CURVES[self.kind]}"
                                + (", coef" if self.weighted else ""))
            out = pt.matrix(dtype="float64") if self.weighted else pt.tensor3(dtype="float64")
            return Apply(self, [as_float(v) for v in inputs], [out])

        def _split(self, inputs):
            n = len(CURVES[self.kind])
            spend, weights, params = inputs[0], inputs[1], inputs[2:2 + n]
            return spend, weights, params, (inputs[2 + n] if self.weighted else None)

        def perform(self, node, inputs, outputs):
            spend, weights, params, coef = self._split(inputs)
            outputs[0][0] = adstock_saturation(self.kind, spend, weights, *params, coef=coef)

        def infer_shape(self, fgraph, node, shapes):
            spend = shapes[0]
            return [(spend[1], spend[2]) if self.weighted else spend]

        def L_op(self, inputs, outputs, output_grads):
            grads = AdstockSaturationGrad(self.kind, self.weighted)(*inputs, output_grads[0])
            return [grad_not_implemented(self, 0, inputs[0]), *grads]

    class AdstockSaturationGrad(Op):
        """Vector-Jacobian product of :class:`AdstockSaturation`: inputs its inputs and the
        upstream gradient; outputs the gradients of weights, parameters (and coef)."""

        __props__ = ("kind", "weighted")

        def __init__(self, kind: str, weighted: bool):
            self.kind, self.weighted = kind, bool(weighted)

        def make_node(self, *inputs):
            outputs = [pt.matrix(dtype="float64")]
            outputs += [pt.vector(dtype="float64") for _ in CURVES[self.kind]]
            if self.weighted:
                outputs.append(pt.matrix(dtype="float64"))
            return Apply(self, [as_float(v) for v in inputs], outputs)

        def perform(self, node, inputs, outputs):
            *forward_inputs, upstream = inputs
            spend, weights, params, coef = AdstockSaturation._split(self, forward_inputs)
            grads = adstock_saturation_grad(self.kind, spend, weights, *params,
                                            upstream=upstream, coef=coef)
            for out, value in zip(outputs, grads, strict=True):
                out[0] = value

        def infer_shape(self, fgraph, node, shapes):
            n = len(CURVES[self.kind])
            return [shapes[1], *shapes[2:2 + n], *((shapes[2 + n],) if self.weighted else ())]

    # one explicit numba signature per (curve arity, weighting): numba types every branch
    @numba_basic.register_funcify_default_op_cache_key(AdstockSaturation)
    def _funcify_forward(op, node=None, **kwargs):
        forward, _ = _kernels()[op.kind]
        two = len(CURVES[op.kind]) == 2
        if op.weighted and two:
            def fused(spend, weights, p1, p2, coef):
                out = forward(spend, weights, p1, p2, coef, True)
                return out.reshape((spend.shape[1], spend.shape[2]))
        elif op.weighted:
            def fused(spend, weights, p1, coef):
                out = forward(spend, weights, p1, p1, coef, True)
                return out.reshape((spend.shape[1], spend.shape[2]))
        elif two:
            def fused(spend, weights, p1, p2):
                out = forward(spend, weights, p1, p2, np.zeros((1, 1)), False)
                return out.reshape(spend.shape)
        else:
            def fused(spend, weights, p1):
                out = forward(spend, weights, p1, p1, np.zeros((1, 1)), False)
                return out.reshape(spend.shape)
        return numba_basic.numba_njit(fused), _KERNEL_VERSION

    @numba_basic.register_funcify_default_op_cache_key(AdstockSaturationGrad)
    def _funcify_backward(op, node=None, **kwargs):
        _, backward = _kernels()[op.kind]
        two = len(CURVES[op.kind]) == 2
        if op.weighted and two:
            def fused_grad(spend, weights, p1, p2, coef, upstream):
                flat = np.ascontiguousarray(upstream).reshape(-1)
                return backward(spend, weights, p1, p2, coef, flat, True)
        elif op.weighted:
            def fused_grad(spend, weights, p1, coef, upstream):
                flat = np.ascontiguousarray(upstream).reshape(-1)
                gw, g1, _, gcoef = backward(spend, weights, p1, p1, coef, flat, True)
                return gw, g1, gcoef
        elif two:
            def fused_grad(spend, weights, p1, p2, upstream):
                flat = np.ascontiguousarray(upstream).reshape(-1)
                gw, g1, g2, _ = backward(spend, weights, p1, p2, np.zeros((1, 1)), flat, False)
                return gw, g1, g2
        else:
            def fused_grad(spend, weights, p1, upstream):
                flat = np.ascontiguousarray(upstream).reshape(-1)
                gw, g1, _, _ = backward(spend, weights, p1, p1, np.zeros((1, 1)), flat, False)
                return gw, g1
        return numba_basic.numba_njit(fused_grad), _KERNEL_VERSION

    _OPS = {"forward": AdstockSaturation, "grad": AdstockSaturationGrad}
    return _OPS


_OPS = None
# bump when the kernels change: PyTensor's on-disk numba cache is keyed by it
_KERNEL_VERSION = 2
