"""Fixtures every tier shares: a tokenizer with the test key, a parser on a fixed clock,
valid transaction bodies. The helpers behind them are in tests/support/documents.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cardwatch.domain.transaction.card import CardTokenizer
from cardwatch.domain.transaction.validation import TimeWindow, TransactionParser
from tests.support.documents import NOW, TOKEN_KEY, body

#: Each tier's figures, printed at the end of a run (pytest-xdist's workers' merged).
pytest_plugins = ["tests.support.figures", "tests.support.tier_times"]


@pytest.fixture
def tokenizer() -> CardTokenizer:
    return CardTokenizer(TOKEN_KEY)


@pytest.fixture
def parser(tokenizer: CardTokenizer) -> TransactionParser:
    return TransactionParser(tokenizer, TimeWindow(now=lambda: NOW))


@pytest.fixture
def make_body() -> Callable[..., str]:
    return body
