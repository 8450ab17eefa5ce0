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


def test_a_taken_port_is_named_and_another_block_is_tried(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """CI once saw three servers exit 1 with nothing but "see weed.log": a port of the block was taken
    between the check and SeaweedFS's own bind. The error now carries SeaweedFS's words, and a test's
    server moves on to another block. Real weed, a real socket holding the master's port."""
    import socket

    blocked = weed.free_port()
    holder = socket.socket()
    holder.bind(("127.0.0.1", blocked + 1))  # the master's port
    holder.listen()
    try:
        with pytest.raises(weed.PortsTaken, match=f"port {blocked + 1} for Master.*not available"):
            weed.start(tmp_path / "a", access_key="sohoa-t", secret_key="sohoa-t-secret", s3_port=blocked)

        blocks = iter([blocked, weed.free_port()])
        monkeypatch.setattr(weed, "free_port", lambda: next(blocks))
        server = weed.start_on_free_ports(tmp_path / "b", access_key="sohoa-t", secret_key="sohoa-t-secret")
        try:
            assert weed.s3_port_of(server) != blocked and weed.port_open("127.0.0.1", weed.s3_port_of(server))
        finally:
            weed.stop(tmp_path / "b")
    finally:
        holder.close()
