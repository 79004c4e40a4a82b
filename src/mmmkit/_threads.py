"""One BLAS thread while mmmkit runs its own parallel work.

nutpie runs chains in parallel threads, and the scenario engine parallelises over channels.
The matrix products inside are small (a few lags or Fourier terms deep). A multi-threaded
OpenBLAS on top oversubscribes the cores, and its spinning worker threads steal them from the
other chains: on the 2-core box two chains' gradients of the 150-geo panel took 7 ms each
with OpenBLAS's default threads against 3 ms with one (``benchmarks/profile_gradient.py``).
"""

from __future__ import annotations

import contextlib
import functools


@contextlib.contextmanager
def one_blas_thread():
    """Limit every loaded BLAS to one thread inside the block."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        yield
        return
    # numba's compiled np.dot calls scipy's BLAS; load it now, or the limit (which applies to
    # the libraries loaded when it is set) would miss it
    import scipy.linalg.cython_blas  # noqa: F401

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def with_one_blas_thread(fn):
    """Decorator form of :func:`one_blas_thread`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper
