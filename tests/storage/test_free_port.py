"""free_port (storage._exec.weed): the port blocks handed to servers the tests and benches start."""

from __future__ import annotations

import random

import pytest

from storage._exec import weed


def test_a_block_handed_out_is_not_handed_out_again_before_it_is_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # A cluster asks for its Redis port and its API server's port one after the other, and binds
    # neither until later: both calls once drew the same block, and the API server could not bind.
    # Here every draw is the same block first: the second call must move on to another.
    draws = iter([21000, 21000, 21005, 21010])
    monkeypatch.setattr(random.Random, "randrange", lambda self, *a: next(draws))
    monkeypatch.setattr(weed, "_bindable", lambda port: True)
    monkeypatch.setattr(weed, "_HANDED_OUT", type(weed._HANDED_OUT)(maxlen=64))
    first, second = weed.free_port(), weed.free_port()
    assert (first, second) == (21000, 21005)
