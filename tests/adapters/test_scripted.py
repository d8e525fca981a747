"""The public scripted adapter answers from a function or a list, and fails visibly when its list runs out."""

from __future__ import annotations

import pytest

from vendor_adapters.base import Image, Read, Recognition, VendorInfo
from vendor_adapters.errors import ProtocolError, VendorTimeout
from vendor_adapters.scripted import ScriptedAdapter

IMAGE = Image(data=b"\xff\xd8not really a jpeg", name="a.jpg")


def test_a_function_script_sees_each_image() -> None:
    adapter = ScriptedAdapter(lambda image: Recognition((Read(image.name.upper().replace(".", ""), 0.8),)))
    assert adapter.recognize(IMAGE).reads == (Read("AJPG", 0.8),)
    assert adapter.calls == 1


def test_a_list_script_answers_in_order_raises_scripted_errors_and_then_runs_out() -> None:
    adapter = ScriptedAdapter([Recognition((Read("ABC123", 0.9),), 4.0), VendorTimeout("no answer in 30 s")],
                              info=VendorInfo(vendor="Acme"))
    assert adapter.recognize(IMAGE).vendor_ms == 4.0
    with pytest.raises(VendorTimeout):
        adapter.recognize(IMAGE)
    with pytest.raises(ProtocolError, match="script exhausted after 2"):
        adapter.recognize(IMAGE)
    assert adapter.info().vendor == "Acme"
    assert adapter.privacy_endpoint() is None and adapter.client_rate_limit() is None
