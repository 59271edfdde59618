"""Why a run stopped, as JSON: ``RunState.stopped_by`` in a saved run state.

A :class:`~reverie._steps.StopReason` is ``{"kind", "message"}``; a
:class:`~reverie.cost.BudgetExceeded` adds ``limit``, ``maximum`` and ``used`` (USD as
decimal text, so an amount reads back exactly; tokens as integers). Any other subclass a
stop condition returns is saved as its ``kind`` and ``message``. Unknown fields are refused,
as everywhere in :mod:`reverie.codec`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from reverie._codec_json import object_, refuse_unknown
from reverie._steps import StopReason
from reverie.cost import BudgetExceeded
from reverie.errors import DataFormatError


def encode_stop(reason: StopReason) -> dict[str, Any]:
    """``{"kind", "message"}``, and a budget's ``limit``, ``maximum`` and ``used`` (amounts
    in USD as decimal text, so they read back exactly)."""
    out: dict[str, Any] = {"kind": reason.kind, "message": reason.message}
    if isinstance(reason, BudgetExceeded):
        out["limit"] = reason.limit
        out["maximum"] = _encode_amount(reason.maximum)
        if reason.used is not None:
            out["used"] = _encode_amount(reason.used)
    return out


def decode_stop(value: Any) -> StopReason:
    obj = object_(value, "stopped_by")
    refuse_unknown(obj, {"kind", "message", "limit", "maximum", "used"}, "stopped_by")
    kind = _text(obj.get("kind"), "stopped_by.kind")
    message = _text(obj.get("message"), "stopped_by.message")
    if "limit" not in obj:
        return StopReason(kind, message)
    limit = obj["limit"]
    if limit not in ("cost", "tokens"):
        raise DataFormatError(f"run state: stopped_by.limit must be cost or tokens, not {limit!r}")
    used = obj.get("used")
    return BudgetExceeded(
        kind,
        message,
        limit,
        _decode_amount(obj.get("maximum"), limit),
        None if used is None else _decode_amount(used, limit),
    )


def _encode_amount(amount: Decimal | int) -> str | int:
    return str(amount) if isinstance(amount, Decimal) else amount


def _decode_amount(value: Any, limit: str) -> Decimal | int:
    """A budget amount: USD as decimal text (``"cost"``), or a token count (``"tokens"``)."""
    if limit == "tokens" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if limit == "cost" and isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if amount.is_finite():
                return amount
    raise DataFormatError(f"run state: stopped_by has a {limit} amount that is not one: {value!r}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise DataFormatError(f"run state: {where} must be a string")
    return value
