"""Arrow arrays from numpy arrays and Python strings, built from their buffers.

The kernel's output columns are built here rather than with ``pa.array``: on its first
call in a process, ``pa.array`` imports pandas when it is installed (to check whether its
input is a pandas object), about 0.3 s of CPU in each worker process of the local engine,
which never uses pandas. Building an array from its buffers skips that probe; the arrays
are the same (``tests/detection/test_arrow_arrays.py``). Anything these helpers do not
cover goes to ``pa.array``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pyarrow as pa

from hashwatch.detection.cleaning import BoolArray

#: Arrow types built from a buffer of fixed-width values, and the numpy type of that buffer
_FIXED_WIDTH: Final[dict[pa.DataType, type[np.generic]]] = {
    pa.float64(): np.float64,
    pa.int64(): np.int64,
    pa.int32(): np.int32,
    pa.date32(): np.int32,  # days since 1970-01-01
}
_INT32_MAX: Final = 2**31 - 1


def from_numpy(values: object, type_: pa.DataType, mask: BoolArray | None = None) -> pa.Array:
    """``pa.array(values, type=type_, mask=mask)`` for a 1-d numeric array: a float array as
    float64, an integer or boolean one as any type of :data:`_FIXED_WIDTH` (a date32 as days
    since 1970-01-01); ``mask`` True: null."""
    target = _FIXED_WIDTH.get(type_)
    data = np.asarray(values)
    integral = data.dtype.kind in "biu"
    if target is None or data.ndim != 1 or not (integral or target is np.float64):
        return pa.array(values, type=type_, mask=mask)
    data = np.ascontiguousarray(data, dtype=target)
    validity = None
    if mask is not None and bool(np.any(mask)):
        validity = pa.py_buffer(np.packbits(~np.asarray(mask, dtype=bool), bitorder="little"))
    return pa.Array.from_buffers(type_, data.size, [validity, pa.py_buffer(data)])


def strings(values: Sequence[str]) -> pa.Array:
    """``pa.array(values, type=pa.string())`` for a sequence of str."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    if offsets[-1] > _INT32_MAX:
        return pa.array(list(values), type=pa.string())
    return pa.StringArray.from_buffers(
        len(encoded), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(encoded))
    )
