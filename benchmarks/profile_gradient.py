"""Where a log-density gradient's time goes: the media block's pieces, timed in isolation.

Prints one line per piece: milliseconds for a forward pass plus its gradient, compiled with
PyTensor's numba backend (what nutpie samples with), on arrays shaped like a scenario's media
block (default: ``large``, 150 geos x 156 weeks x 10 channels, 8 lags). Also times the whole
model's gradient for that scenario, and numba's scalar ``log`` against numpy's SIMD ``np.log``.

Run: ``.venv/bin/python benchmarks/profile_gradient.py [--geos 150 --weeks 156 --channels 10]``
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np


def best_ms(fn, *args, repeats: int = 5, calls: int = 20) -> float:
    """Best-of-``repeats`` mean milliseconds per call (noise on a shared box only adds time)."""
    fn(*args)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        best = min(best, (time.perf_counter() - t0) / calls * 1e3)
    return best


def media_pieces(G: int, T: int, C: int, L: int) -> dict[str, float]:
    import pytensor
    import pytensor.tensor as pt

    rng = np.random.default_rng(0)
    lags4 = rng.gamma(1.0, 1.0, (L, G, T, C))
    lags_cm = np.ascontiguousarray(lags4.transpose(3, 1, 2, 0).reshape(C, G * T, L))
    upstream = rng.normal(size=(G, T, C))
    w_flat = pt.dvector("w")
    W = w_flat.reshape((C, L))
    p = pt.dvector("p")
    scale, K, s = p[:C], p[C:2 * C], p[2 * C:]
    x0 = rng.gamma(1.0, 1.0, (G, T, C))
    x0[x0 < 0.2] = 0.0
    x = pt.constant(x0) * scale

    def hill(x):
        positive = x > 0
        safe = pt.where(positive, x, 1.0)
        return pt.where(positive, pt.sigmoid(s * (pt.log(safe) - pt.log(K))), 0.0)

    with_weights = {
        "adstock, broadcast multiply-and-sum over (L, G, T, C)":
            pt.sum(pt.constant(lags4) * W.T[:, None, None, :], axis=0),
        "adstock, batched matrix-vector product (the reference path)":
            pt.batched_dot(pt.constant(lags_cm), W).reshape((C, G, T)).transpose(1, 2, 0),
    }
    from mmmkit.media_kernel import adstock_saturation_op

    spend_cgt = pt.constant(np.ascontiguousarray(lags4[0].transpose(2, 0, 1)))
    fused = {
        "fused adstock + Hill curve, one numba kernel (mmmkit now)":
            adstock_saturation_op("hill", spend_cgt, W, K, s).transpose(1, 2, 0),
        "fused, also weighted by effect and summed over channels (mmmkit now)":
            adstock_saturation_op("hill", spend_cgt, W, K, s, coef=scale.reshape((1, C))
                                  * pt.ones((G, C)))[:, :, None],
    }
    with_params = {
        "Hill curve (sigmoid of log)": hill(x),
        "Hill curve as x**s / (x**s + K**s)": x**s / (x**s + K**s),
        "logistic curve (tanh)": pt.tanh(K * x),
        "Michaelis-Menten curve": x / (K + x),
    }
    out = {}
    wv = rng.uniform(size=C * L)
    pv = np.concatenate([np.ones(C), np.ones(C), np.full(C, 1.3)])
    for label, expr in with_weights.items():
        loss = pt.sum(expr * upstream)
        f = pytensor.function([w_flat], [loss, pytensor.grad(loss, w_flat)], mode="NUMBA")
        out[label] = best_ms(f, wv)
    for label, expr in with_params.items():
        loss = pt.sum(expr * upstream)
        f = pytensor.function([p], [loss, pytensor.grad(loss, p)], mode="NUMBA")
        out[label] = best_ms(f, pv)
    for label, expr in fused.items():
        loss = pt.sum(expr * upstream[..., :1] if "weighted" in label else expr * upstream)
        f = pytensor.function([w_flat, p], [loss, *pytensor.grad(loss, [w_flat, p])],
                              mode="NUMBA")
        out[label] = best_ms(f, wv, pv)
    return out


def transcendental(n: int) -> dict[str, float]:
    import numba

    values = np.random.default_rng(0).gamma(1.0, 1.0, n) + 0.01
    buffer = np.empty_like(values)

    @numba.njit(fastmath=True)
    def numba_log(v, out):
        for i in range(v.size):
            out[i] = math.log(v[i])

    return {
        "numba scalar log (one pass)": best_ms(numba_log, values, buffer),
        "numpy SIMD np.log (one pass)": best_ms(np.log, values, buffer),
    }


def _gradient_loop(compiled, calls: int, out: dict, key: int) -> None:
    """Call nutpie's compiled gradient ``calls`` times; store ms per call in ``out[key]``."""
    import ctypes

    double_p = ctypes.POINTER(ctypes.c_double)
    x = np.ascontiguousarray(compiled.initial_point_func(key), dtype=np.float64)
    grad, logp = np.zeros(compiled.n_dim), np.zeros(())
    args = (ctypes.c_uint64(compiled.n_dim), x.ctypes.data_as(double_p),
            grad.ctypes.data_as(double_p), logp.ctypes.data_as(double_p),
            ctypes.c_void_p(compiled.user_data.ctypes.data))
    fn = compiled.compiled_logp_func.ctypes
    fn(*args)
    t0 = time.perf_counter()
    for _ in range(calls):
        fn(*args)  # ctypes releases the GIL, so threads run the gradient truly in parallel
    out[key] = (time.perf_counter() - t0) / calls * 1e3


def whole_model(scenario: str) -> dict[str, float]:
    """The scenario's whole gradient: alone, and with two threads at once (as two chains),
    with OpenBLAS's default threads and with one BLAS thread (as ``MMM.fit`` samples)."""
    import threading

    sys.path.insert(0, str(Path(__file__).parent))
    import nutpie
    from bench_fit import time_gradient

    import mmmkit as mk

    sim = mk.simulate.scenario(scenario, seed=0)
    model = mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=int(sim.max_lag)),
                   seasonality=2)
    compiled = nutpie.compile_pymc_model(model.build_model(model.prepare(sim.data)))
    alone = time_gradient(compiled, 0)["grad_eval_seconds"] * 1e3
    from mmmkit._threads import one_blas_thread

    def two_at_once() -> float:
        out: dict[int, float] = {}
        calls = max(20, int(3000 / alone))
        threads = [threading.Thread(target=_gradient_loop, args=(compiled, calls, out, i))
                   for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return max(out.values())

    default_blas = two_at_once()
    with one_blas_thread():
        one_blas = two_at_once()
    return {"alone": alone, "two chains at once, default BLAS threads": default_blas,
            "two chains at once, one BLAS thread (as MMM.fit samples)": one_blas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geos", type=int, default=150)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--lags", type=int, default=8)
    parser.add_argument("--scenario", default="large",
                        help="mmmkit.simulate scenario for the whole-model gradient ('' skips)")
    args = parser.parse_args()
    cells = args.geos * args.weeks * args.channels
    print(f"{cells:,} geo-week-channel cells, {args.lags} lags; ms for forward + gradient")
    for label, ms in media_pieces(args.geos, args.weeks, args.channels, args.lags).items():
        print(f"  {ms:7.2f} ms  {label}")
    for label, ms in transcendental(cells).items():
        print(f"  {ms:7.2f} ms  {label}")
    if args.scenario:
        for label, ms in whole_model(args.scenario).items():
            print(f"  {ms:7.2f} ms  whole model gradient, scenario {args.scenario!r}, {label}")


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    main()
