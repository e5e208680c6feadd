"""The batched block-tridiagonal kernel against dense linear algebra, on numpy and torch (CPU)."""

from __future__ import annotations

import numpy as np
import pytest
from surface_motion.core.itslive.inversion import (
    kernels,
)


def test_block_kernel_matches_dense_inverse():
    rng = np.random.default_rng(8)
    lay = kernels.BlockLayout(m=9, nb=3, nblk=3)
    dense = np.zeros((2, 9, 9))
    for g in range(2):
        b = rng.normal(size=(9, 9)) * (np.abs(np.subtract.outer(np.arange(9), np.arange(9))) <= 3)
        dense[g] = b @ b.T + 9 * np.eye(9)
        dense[g] *= np.abs(np.subtract.outer(np.arange(9), np.arange(9))) <= 3
        dense[g] += 20 * np.eye(9)
    diag = np.stack([dense[:, i * 3 : (i + 1) * 3, i * 3 : (i + 1) * 3] for i in range(3)], 1)
    sub = np.stack([dense[:, (i + 1) * 3 : (i + 2) * 3, i * 3 : (i + 1) * 3] for i in range(2)], 1)
    rhs = rng.normal(size=(2, 9, 2))
    sol = kernels.block_factor_solve(kernels.NumpyOps(), diag, sub, np.swapaxes(rhs, 1, 2))  # rows
    x, var, ok = sol.x, sol.var, sol.ok
    assert ok.all()
    np.testing.assert_allclose(np.swapaxes(x, 1, 2), np.linalg.solve(dense, rhs), rtol=1e-10)
    np.testing.assert_allclose(
        var.reshape(2, 9), np.diagonal(np.linalg.inv(dense), axis1=1, axis2=2), rtol=1e-10
    )
    assert lay.size == 5 * 9


def blocks(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(…, 9, 9) → diagonal blocks (…, 3, 3, 3) and sub-diagonal blocks (…, 2, 3, 3)."""
    diag = np.stack([m[..., i * 3 : (i + 1) * 3, i * 3 : (i + 1) * 3] for i in range(3)], -3)
    sub = np.stack([m[..., (i + 1) * 3 : (i + 2) * 3, i * 3 : (i + 1) * 3] for i in range(2)], -3)
    return diag, sub


def _banded_case(seed: int = 8, g: int = 3):
    """G SPD matrices of bandwidth 3 on 9 unknowns in 3 blocks of 3, a penalty R of the same band."""
    rng = np.random.default_rng(seed)
    near = np.abs(np.subtract.outer(np.arange(9), np.arange(9))) <= 3
    dense = np.zeros((g, 9, 9))
    for i in range(g):
        b = rng.normal(size=(9, 9)) * near
        dense[i] = (b @ b.T) * near + 20 * np.eye(9)
    r = (np.diff(np.eye(9), 2, axis=0).T @ np.diff(np.eye(9), 2, axis=0)) * near
    return dense, r, rng.normal(size=(g, 2, 9))


def test_trace_of_the_penalty_product_matches_dense():
    """tr(N⁻¹R) gives the effective number of parameters (σ̂₀ and GCV depend on it)."""
    dense, r, rhs = _banded_case()
    diag, sub = blocks(dense)
    sol = kernels.block_factor_solve(kernels.NumpyOps(), diag, sub, rhs, reg=blocks(r))
    expected = np.einsum("gij,ji->g", np.linalg.inv(dense), r)
    np.testing.assert_allclose(sol.trace, expected, rtol=1e-10)


def test_solve_without_variances_gives_the_same_solution():
    dense, _, rhs = _banded_case(seed=3)
    diag, sub = blocks(dense)
    fast = kernels.block_factor_solve(kernels.NumpyOps(), diag, sub, rhs, want_var=False)
    assert fast.var is None and fast.trace is None
    np.testing.assert_allclose(
        fast.x, np.linalg.solve(dense, np.swapaxes(rhs, 1, 2)).swapaxes(1, 2), rtol=1e-10
    )


def test_a_singular_matrix_is_flagged_not_raised():
    dense, _, rhs = _banded_case(seed=4)
    dense[1] = 0.0  # no data and no penalty: singular
    diag, sub = blocks(dense)
    sol = kernels.block_factor_solve(kernels.NumpyOps(), diag, sub, rhs)
    assert sol.ok.tolist() == [True, False, True]
    np.testing.assert_allclose(sol.x[0], np.linalg.solve(dense[0], rhs[0].T).T, rtol=1e-10)


def test_torch_cpu_kernel_matches_numpy():
    pytest.importorskip("torch")
    dense, r, rhs = _banded_case(seed=5)
    diag, sub = blocks(dense)
    ops = kernels.TorchOps("cpu")
    reg = tuple(ops.asarray(b) for b in blocks(r))
    a = kernels.block_factor_solve(kernels.NumpyOps(), diag, sub, rhs, reg=blocks(r))
    b = kernels.block_factor_solve(ops, ops.asarray(diag), ops.asarray(sub), ops.asarray(rhs), reg=reg)
    np.testing.assert_allclose(ops.tonumpy(b.x), a.x, rtol=1e-12)
    np.testing.assert_allclose(ops.tonumpy(b.var), a.var, rtol=1e-12)
    np.testing.assert_allclose(b.trace, a.trace, rtol=1e-12)
