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

Curves: ``"hill"`` (``sigmoid(s (log a - log K))``, 0 at ``a = 0``, NaN at a NaN ``a``: a
NaN from the weights or the data must reach the log density, where NUTS rejects it, not turn
into a silent 0), ``"logistic"``
(``tanh(lam a / 2)``) and ``"michaelis_menten"`` (``a / (K + a)``), the forms of
:mod:`mmmkit.saturation`. Each is named by the class that computes it
(:attr:`mmmkit.saturation.Saturation.kernel`, which its subclasses do not inherit), and takes
that class's parameters in its ``param_names`` order (:data:`CURVES`).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from mmmkit.saturation import SATURATIONS

# (this module is imported only when a model is built, so numba loads only then)

# the curves the kernels below compute, by the integer their branches test (``kind``); the
# two parameter slots (p1, p2) are the curve's parameters in its class's ``param_names`` order
_CODE = {"hill": 0, "logistic": 1, "michaelis_menten": 2}
#: ``{kernel name: the curve's parameter names, in the order the kernels take them}``, from
#: the saturation classes that declare each kernel (:attr:`Saturation.kernel`)
CURVES: dict[str, tuple[str, ...]] = {
    cls.kernel: cls.param_names for cls in SATURATIONS.values() if cls.kernel is not None
}
if sorted(CURVES) != sorted(_CODE) or any(len(p) > 2 for p in CURVES.values()):
    raise ImportError(f"saturation classes declare kernels {sorted(CURVES)}, "
                      f"the kernels compute {sorted(_CODE)} (at most two parameters each)")

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634
_HALF_SQRT2_BITS = 0x3FE6A09E667F3BCD  # float64 bits of sqrt(2) / 2

# Every function is top-level and cached on disk (numba caches nothing it cannot name).
# No fastmath in the elementary functions: their error analysis assumes IEEE order.
# error_model="numpy": a float division must not check for zero (a branch that stops LLVM
# vectorising the loop); the curves never divide by zero where it matters.
_inline = numba.njit(inline="always", cache=True, error_model="numpy")
# sums may be reordered (so they vectorise). Not inlined by numba: numba-level inlining would
# compile them with the caller's strict flags; LLVM still inlines them, keeping each
# instruction's own flags
_reduce = numba.njit(fastmath={"reassoc", "contract", "nsz"}, cache=True, error_model="numpy")
_kernel = numba.njit(cache=True, error_model="numpy")


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


@_inline
def log_(x):
    """Natural log of a positive normal float, branch-free (so loops over it vectorise).

    ``x = 2**e * m`` with ``m`` in ``[sqrt(2)/2, sqrt(2))``: subtracting the bits of
    ``sqrt(2)/2`` moves the exponent's boundary there. ``log m = 2 atanh(f)``,
    ``f = (m - 1) / (m + 1)``, ``|f| <= 0.172``: the series to ``f**23`` is exact to 1e-17.
    """
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


@_inline
def exp_(x):
    """``exp(x) = 2**k exp(r)``, ``|r| <= ln(2)/2``; Taylor to ``r**14/14!`` (error < 1e-17)."""
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


@numba.njit(cache=True)
def scalar_log(x):
    return log_(x)


@numba.njit(cache=True)
def scalar_exp(x):
    return exp_(x)


# -- curves: value, and (value, d/da, d/dp1, d/dp2) times an upstream gradient g -------------
# (p1, p2) = (K, s) for Hill, (lam, -) for logistic, (K, -) for Michaelis-Menten
@_inline
def _value(kind, a, k, s, log_k):
    if kind == 0:  # sigmoid(s (log a - log K)), 0 at a = 0
        pos = a > 0.0
        h = 1.0 / (1.0 + exp_(-s * (log_(a if pos else 1.0) - log_k)))
        return h if pos else 0.0 * a  # 0 at a = 0; a NaN stays NaN (never a silent 0)
    if kind == 1:  # tanh(y) = 1 - 2 / (exp(2y) + 1) for y = lam a / 2 >= 0
        return 1.0 - 2.0 / (exp_(k * a) + 1.0)
    return a / (k + a)


@_inline
def _grad(kind, a, k, s, log_k, g):
    # the first parameter's term is returned up to a per-channel factor (_scale1), applied
    # once to its sum over cells
    if kind == 0:
        pos = a > 0.0
        safe = a if pos else 1.0
        lz = log_(safe) - log_k
        h = 1.0 / (1.0 + exp_(-s * lz))
        q = g * h * (1.0 - h) if pos else 0.0 * a  # g dh/dz, z = s lz; NaN a stays NaN
        return (h if pos else 0.0 * a), q * s / safe, q, q * lz
    if kind == 1:
        h = 1.0 - 2.0 / (exp_(k * a) + 1.0)
        q = g * 0.5 * (1.0 - h * h)  # g dh/dy
        return h, q * k, q * a, 0.0
    d = 1.0 / (k + a)
    q = g * d * d
    return a * d, q * k, q * a, 0.0


@_inline
def _scale1(kind, k, s):
    if kind == 0:
        return -s / k  # dz/dK = -s / K
    if kind == 1:
        return 1.0
    return -1.0  # d/dK a / (K + a) = -a / (K + a)**2


@_inline
def _values(kind, a, k, s, log_k, h):
    # one branch per series, the loop inside it (so it vectorises)
    if kind == 0:
        for t in range(a.shape[0]):
            h[t] = _value(0, a[t], k, s, log_k)
    elif kind == 1:
        for t in range(a.shape[0]):
            h[t] = _value(1, a[t], k, s, log_k)
    else:
        for t in range(a.shape[0]):
            h[t] = _value(2, a[t], k, s, log_k)


@_inline
def _grads(kind, a, k, s, log_k, cg, up, ga, d1, d2, hu):
    if kind == 0:
        for t in range(a.shape[0]):
            h, ga[t], d1[t], d2[t] = _grad(0, a[t], k, s, log_k, cg * up[t])
            hu[t] = h * up[t]
    elif kind == 1:
        for t in range(a.shape[0]):
            h, ga[t], d1[t], d2[t] = _grad(1, a[t], k, s, log_k, cg * up[t])
            hu[t] = h * up[t]
    else:
        for t in range(a.shape[0]):
            h, ga[t], d1[t], d2[t] = _grad(2, a[t], k, s, log_k, cg * up[t])
            hu[t] = h * up[t]


# (indices are written i + lag, never t - lag: numba wraps negative indices, and a
# subtraction LLVM cannot prove non-negative keeps that check and the loop scalar)
@_inline
def _convolve(x, w, a):
    # a[t] = sum_l w[l] x[t - l]  (x is one channel-geo series, zeros before t = 0)
    n_weeks = x.shape[0]
    a[:] = 0.0
    for lag in range(min(w.shape[0], n_weeks)):
        wl = w[lag]
        for i in range(n_weeks - lag):
            a[i + lag] += wl * x[i]


@_reduce
def _lag_products(x, ga, gw):
    # gw[l] += sum_t ga[t] x[t - l]
    n_weeks = x.shape[0]
    for lag in range(min(gw.shape[0], n_weeks)):
        acc = 0.0
        for i in range(n_weeks - lag):
            acc += ga[i + lag] * x[i]
        gw[lag] += acc


@_inline
def _accumulate(out, c, h):
    for t in range(h.shape[0]):
        out[t] += c * h[t]


@_reduce
def _total(v):
    acc = 0.0
    for t in range(v.shape[0]):
        acc += v[t]
    return acc


@_kernel
def _forward(kind, x, w, p1, p2, coef, weighted):
    """The curve divided by its value at scaled spend 1: weighted, its sum over channels
    ``sum_c coef[g, c] curve[c, g, t]``, ``(G, T)``; else the curve, ``(C, G, T)``. Both
    flattened (the callers reshape: numba types every branch, so one rank for both)."""
    n_channels, n_geos, n_weeks = x.shape
    out = np.zeros((n_geos if weighted else n_channels * n_geos) * n_weeks)
    a = np.empty(n_weeks)
    h = np.empty(n_weeks)
    for c in range(n_channels):
        k, s = p1[c], p2[c]
        log_k = np.log(k)
        inv = 1.0 / _value(kind, 1.0, k, s, log_k)
        for g in range(n_geos):
            _convolve(x[c, g], w[c], a)
            _values(kind, a, k, s, log_k, h)
            row = g if weighted else c * n_geos + g
            _accumulate(out[row * n_weeks:(row + 1) * n_weeks],
                        (coef[g, c] if weighted else 1.0) * inv, h)
    return out


@_kernel
def _backward(kind, x, w, p1, p2, coef, gout, weighted):
    """Gradients for ``w`` ``(C, L)``, ``p1`` and ``p2`` ``(C,)``, and ``coef`` ``(G, C)`` if
    weighted; ``gout`` is the upstream gradient, flattened like :func:`_forward`'s output.
    With the normaliser ``h1 = curve(1)``: ``d(h / h1) = dh / h1 - (h / h1) dh1 / h1``."""
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
        h1, _, e1, e2 = _grad(kind, 1.0, k, s, log_k, 1.0)
        inv = 1.0 / h1
        weighted_total = 0.0  # sum over cells of upstream * coef * h / h1
        for g in range(n_geos):
            _convolve(x[c, g], w[c], a)
            row = g if weighted else c * n_geos + g
            up[:] = gout[row * n_weeks:(row + 1) * n_weeks]
            cg = (coef[g, c] if weighted else 1.0) * inv
            _grads(kind, a, k, s, log_k, cg, up, ga, d1, d2, hu)
            sum_hu = _total(hu)
            gcoef[g, c] = sum_hu * inv
            weighted_total += cg * sum_hu
            gp1[c] += _total(d1)
            gp2[c] += _total(d2)
            _lag_products(x[c, g], ga, gw[c])
        gp1[c] = (gp1[c] - weighted_total * e1 * inv) * _scale1(kind, k, s)
        gp2[c] -= weighted_total * e2 * inv
    return gw, gp1, gp2, gcoef


@_kernel
def _forward_draws(kind, x, w, p1, p2):
    """:func:`_forward` (unweighted) for each draw's parameters: ``(S, G, T, C)``."""
    n_channels, n_geos, n_weeks = x.shape
    out = np.empty((w.shape[0], n_geos, n_weeks, n_channels))
    coef = np.zeros((1, 1))
    for d in range(w.shape[0]):
        curve = _forward(kind, x, w[d], p1[d], p2[d], coef, False)
        out[d] = curve.reshape((n_channels, n_geos, n_weeks)).transpose(1, 2, 0)
    return out


def adstock_saturation_draws(kernel: str, spend: np.ndarray, weights: np.ndarray,
                             *params) -> np.ndarray:
    """:func:`adstock_saturation` for ``S`` draws at once, laid out for the posterior engine.

    ``spend`` ``(G, T, C)`` (not channel-major), ``weights`` ``(S, C, L)``, each parameter
    ``(S, C)``; returns ``(S, G, T, C)``.
    """
    weights = np.ascontiguousarray(weights, dtype=float)
    p1, p2 = _pad_params(kernel, params, weights.shape[:2])
    x = np.ascontiguousarray(np.asarray(spend, dtype=float).transpose(2, 0, 1))
    return _forward_draws(_CODE[kernel], x, weights, p1, p2)


def adstock_saturation(kernel: str, spend: np.ndarray, weights: np.ndarray, *params,
                       coef: np.ndarray | None = None) -> np.ndarray:
    """Numpy-in, numpy-out forward pass (tests, and the Ops' Python ``perform``).

    Parameters
    ----------
    kernel : one of :data:`CURVES`.
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
    spend, weights, p1, p2, coef_ = _arrays(kernel, spend, weights, params, coef)
    out = _forward(_CODE[kernel], spend, weights, p1, p2, coef_, coef is not None)
    return out.reshape(spend.shape[1:] if coef is not None else spend.shape)


def adstock_saturation_grad(kernel: str, spend, weights, *params, upstream,
                            coef: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Vector-Jacobian product of :func:`adstock_saturation` given ``upstream`` (its shape).

    Returns the gradients for ``weights`` ``(C, L)``, each of ``params`` ``(C,)`` and, with
    ``coef``, for ``coef`` ``(G, C)``.
    """
    spend, weights, p1, p2, coef_ = _arrays(kernel, spend, weights, params, coef)
    upstream = np.ascontiguousarray(upstream, dtype=float).reshape(-1)
    gw, g1, g2, gcoef = _backward(_CODE[kernel], spend, weights, p1, p2, coef_, upstream,
                                  coef is not None)
    grads = (gw, g1, g2)[: 1 + len(CURVES[kernel])]
    return (*grads, gcoef) if coef is not None else grads


def _arrays(kernel, spend, weights, params, coef):
    spend = np.ascontiguousarray(spend, dtype=float)
    p1, p2 = _pad_params(kernel, params, spend.shape[:1])
    coef = np.zeros((spend.shape[1], spend.shape[0])) if coef is None else coef
    return (spend, np.ascontiguousarray(weights, dtype=float), p1, p2,
            np.ascontiguousarray(coef, dtype=float))


def _pad_params(kernel, params, shape):
    """The curve's parameters as two contiguous float arrays of ``shape`` (``(C,)``, or
    ``(S, C)`` over draws); a one-parameter curve gets zeros, which it ignores, second."""
    if len(params) != len(CURVES[kernel]):
        raise ValueError(f"{kernel} takes {CURVES[kernel]}, got {len(params)} parameters")
    padded = [np.ascontiguousarray(np.asarray(p, dtype=float).reshape(shape)) for p in params]
    while len(padded) < 2:
        padded.append(np.zeros(shape))
    return padded


# -- PyTensor Ops ------------------------------------------------------------------------------
def adstock_saturation_op(kernel: str, spend, weights, *params, coef=None):
    """The fused media block as a PyTensor expression (normalised: 1 at scaled spend 1).

    ``spend`` ``(C, G, T)`` is data (its gradient is not defined); ``weights`` ``(C, L)``,
    ``params`` (each ``(C,)``, :data:`CURVES` order) and ``coef`` ``(G, C)`` are
    differentiable. Returns the curve ``(C, G, T)``, or with ``coef`` the weighted sum over
    channels ``(G, T)`` (which never materialises a ``(G, T, C)`` array, forward or back).
    Compiles to the numba kernels above under PyTensor's numba backend (what nutpie samples
    with); other backends run them through Python.
    """
    op = _ops()["forward"](kernel, coef is not None)
    return op(spend, weights, *params, *(() if coef is None else (coef,)))


def _ops():
    """The two Op classes, defined (and registered with the numba backend) on first use, so
    that importing this module needs no PyTensor."""
    global _OPS
    if _OPS is None:
        forward, grad = _op_classes()
        _register_numba(forward, grad)
        _OPS = {"forward": forward, "grad": grad}
    return _OPS


def _split_inputs(kernel: str, weighted: bool, inputs):
    """``(spend, weights, curve parameters, coef or None)`` from the forward Op's inputs."""
    n = len(CURVES[kernel])
    spend, weights, params = inputs[0], inputs[1], inputs[2:2 + n]
    return spend, weights, params, (inputs[2 + n] if weighted else None)


def _op_classes():
    import pytensor.tensor as pt
    from pytensor.gradient import grad_not_implemented
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    def as_float(v):
        return pt.as_tensor_variable(v).astype("float64")

    class AdstockSaturation(Op):
        """``curve(sum_l w[c, l] x[c, g, t - l]) / curve(1)``, ``(C, G, T)``; weighted:
        ``(G, T)``.

        Inputs: spend ``(C, G, T)``, weights ``(C, L)``, the curve's parameters ``(C,)``
        and, if ``weighted``, ``coef`` ``(G, C)``.
        """

        __props__ = ("kernel", "weighted")

        def __init__(self, kernel: str, weighted: bool):
            if kernel not in CURVES:
                raise ValueError(f"no fused kernel for the {kernel!r} curve")
            self.kernel, self.weighted = kernel, bool(weighted)

        def make_node(self, *inputs):
            if len(inputs) != 2 + len(CURVES[self.kernel]) + self.weighted:
                raise TypeError(f"{self} takes spend, weights, {CURVES[self.kernel]}"
                                + (", coef" if self.weighted else ""))
            out = pt.matrix(dtype="float64") if self.weighted else pt.tensor3(dtype="float64")
            return Apply(self, [as_float(v) for v in inputs], [out])

        def perform(self, node, inputs, outputs):
            spend, weights, params, coef = _split_inputs(self.kernel, self.weighted, inputs)
            outputs[0][0] = adstock_saturation(self.kernel, spend, weights, *params, coef=coef)

        def infer_shape(self, fgraph, node, shapes):
            spend = shapes[0]
            return [(spend[1], spend[2]) if self.weighted else spend]

        def L_op(self, inputs, outputs, output_grads):
            grads = AdstockSaturationGrad(self.kernel, self.weighted)(*inputs, output_grads[0])
            return [grad_not_implemented(self, 0, inputs[0]), *grads]

    class AdstockSaturationGrad(Op):
        """Vector-Jacobian product of :class:`AdstockSaturation`: inputs its inputs and the
        upstream gradient; outputs the gradients of weights, parameters (and coef)."""

        __props__ = ("kernel", "weighted")

        def __init__(self, kernel: str, weighted: bool):
            self.kernel, self.weighted = kernel, bool(weighted)

        def make_node(self, *inputs):
            outputs = [pt.matrix(dtype="float64")]
            outputs += [pt.vector(dtype="float64") for _ in CURVES[self.kernel]]
            if self.weighted:
                outputs.append(pt.matrix(dtype="float64"))
            return Apply(self, [as_float(v) for v in inputs], outputs)

        def perform(self, node, inputs, outputs):
            *forward_inputs, upstream = inputs
            spend, weights, params, coef = _split_inputs(self.kernel, self.weighted,
                                                         forward_inputs)
            grads = adstock_saturation_grad(self.kernel, spend, weights, *params,
                                            upstream=upstream, coef=coef)
            for out, value in zip(outputs, grads, strict=True):
                out[0] = value

        def infer_shape(self, fgraph, node, shapes):
            n = len(CURVES[self.kernel])
            return [shapes[1], *shapes[2:2 + n], *((shapes[2 + n],) if self.weighted else ())]

    return AdstockSaturation, AdstockSaturationGrad


def _register_numba(forward, grad) -> None:
    from pytensor.link.numba.dispatch import basic as numba_basic

    @numba_basic.register_funcify_default_op_cache_key(forward)
    def _funcify_forward(op, node=None, **kwargs):
        return numba_basic.numba_njit(_fused_forward(op.kernel, op.weighted)), _KERNEL_VERSION

    @numba_basic.register_funcify_default_op_cache_key(grad)
    def _funcify_backward(op, node=None, **kwargs):
        return numba_basic.numba_njit(_fused_backward(op.kernel, op.weighted)), _KERNEL_VERSION


# one explicit numba signature per (curve arity, weighting): numba types every branch
def _fused_forward(kernel: str, weighted: bool):
    code = _CODE[kernel]
    two = len(CURVES[kernel]) == 2
    if weighted and two:
        def fused(spend, weights, p1, p2, coef):
            out = _forward(code, spend, weights, p1, p2, coef, True)
            return out.reshape((spend.shape[1], spend.shape[2]))
    elif weighted:
        def fused(spend, weights, p1, coef):
            out = _forward(code, spend, weights, p1, p1, coef, True)
            return out.reshape((spend.shape[1], spend.shape[2]))
    elif two:
        def fused(spend, weights, p1, p2):
            out = _forward(code, spend, weights, p1, p2, np.zeros((1, 1)), False)
            return out.reshape(spend.shape)
    else:
        def fused(spend, weights, p1):
            out = _forward(code, spend, weights, p1, p1, np.zeros((1, 1)), False)
            return out.reshape(spend.shape)
    return fused


def _fused_backward(kernel: str, weighted: bool):
    code = _CODE[kernel]
    two = len(CURVES[kernel]) == 2
    if weighted and two:
        def fused_grad(spend, weights, p1, p2, coef, upstream):
            flat = np.ascontiguousarray(upstream).reshape(-1)
            return _backward(code, spend, weights, p1, p2, coef, flat, True)
    elif weighted:
        def fused_grad(spend, weights, p1, coef, upstream):
            flat = np.ascontiguousarray(upstream).reshape(-1)
            gw, g1, _, gcoef = _backward(code, spend, weights, p1, p1, coef, flat, True)
            return gw, g1, gcoef
    elif two:
        def fused_grad(spend, weights, p1, p2, upstream):
            flat = np.ascontiguousarray(upstream).reshape(-1)
            gw, g1, g2, _ = _backward(code, spend, weights, p1, p2, np.zeros((1, 1)), flat,
                                      False)
            return gw, g1, g2
    else:
        def fused_grad(spend, weights, p1, upstream):
            flat = np.ascontiguousarray(upstream).reshape(-1)
            gw, g1, _, _ = _backward(code, spend, weights, p1, p1, np.zeros((1, 1)), flat,
                                     False)
            return gw, g1
    return fused_grad


_OPS = None
# bump when the kernels change: PyTensor's on-disk numba cache is keyed by it
_KERNEL_VERSION = 3
