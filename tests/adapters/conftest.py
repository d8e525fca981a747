"""Fixtures for the vendor-adapter tests: imitation servers on loopback and small real JPEGs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from vendor_imitations import OA_SECRET, PR_TOKEN, Imitation, openalpr_app, platerecognizer_app, serve

from harness.adapter_check import SyntheticImage, synthetic_images


@pytest.fixture(scope="session")
def synthetic() -> list[SyntheticImage]:
    """Four one-plate JPEGs and one without a plate."""
    return synthetic_images()


@pytest.fixture(scope="session")
def _pr_cloud() -> Iterator[tuple[Imitation, str]]:
    state = Imitation()
    with serve(platerecognizer_app(state)) as url:
        yield state, url


@pytest.fixture(scope="session")
def _pr_sdk() -> Iterator[tuple[Imitation, str]]:
    state = Imitation()
    with serve(platerecognizer_app(state, sdk=True)) as url:
        yield state, url


@pytest.fixture(scope="session")
def _openalpr() -> Iterator[tuple[Imitation, str]]:
    state = Imitation()
    with serve(openalpr_app(state)) as url:
        yield state, url


def _fresh(pair: tuple[Imitation, str], token: str | None) -> tuple[Imitation, str]:
    state, url = pair
    state.reset()
    state.token = token
    return state, url


@pytest.fixture
def pr_cloud(_pr_cloud: tuple[Imitation, str]) -> tuple[Imitation, str]:
    """The Plate Recognizer cloud imitation (token ``PR_TOKEN``), reset for this test."""
    return _fresh(_pr_cloud, PR_TOKEN)


@pytest.fixture
def pr_sdk(_pr_sdk: tuple[Imitation, str]) -> tuple[Imitation, str]:
    """The Plate Recognizer on-premise SDK imitation (no auth), reset for this test."""
    return _fresh(_pr_sdk, None)


@pytest.fixture
def openalpr(_openalpr: tuple[Imitation, str]) -> tuple[Imitation, str]:
    """The OpenALPR cloud imitation (secret key ``OA_SECRET``), reset for this test."""
    return _fresh(_openalpr, OA_SECRET)
