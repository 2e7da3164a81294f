"""The analyze use case: every few minutes, look across the last window for patterns,
and fold the scores of the window before into the alert budget's counts."""

from __future__ import annotations

from dataclasses import dataclass

from cardwatch.domain.cases.case import MAX_MEMBERS
from cardwatch.domain.engine.alerts import Finding
from cardwatch.domain.engine.patterns import PatternFinding, PatternSettings, find_patterns
from cardwatch.domain.ports import FindingQueue, ScoreLog, WindowReader
from cardwatch.domain.transaction.record import time_bucket

__all__ = ["AnalysisReport", "AnalysisService"]

_SCORES = {"TERMINAL_SPREE": 0.8, "BIN_ATTACK": 0.9, "CARD_TESTING": 0.9}


@dataclass(frozen=True, slots=True)
class AnalysisReport:
    window_start_ms: int
    window_end_ms: int
    transactions: int
    findings: tuple[PatternFinding, ...]
    #: scores of the window before folded into the alert budget's counts (0: none, or
    #: folded before)
    scores_folded: int = 0


def _finding(pattern: PatternFinding, window_start_ms: int, detected_at: str) -> Finding:
    score = _SCORES[pattern.pattern]
    return Finding(
        kind="pattern",
        finding_id=f"{pattern.pattern}#{pattern.subject}#{time_bucket(window_start_ms)}",
        subject_key=f"{pattern.pattern.lower()}:{pattern.subject}",
        masked_card=pattern.masked_card,
        amount=None,
        currency=None,
        score=score,
        decision="block" if score >= 0.9 else "review",
        reasons=({"code": pattern.pattern, "detail": pattern.detail},),
        detected_at=detected_at,
        terminal_id=pattern.subject if pattern.pattern == "TERMINAL_SPREE" else None,
        details={
            "transactions": len(pattern.transaction_ids),
            "sample_transaction_ids": list(pattern.transaction_ids[:10]),
            # the case it opens holds the window's transactions (at most a case's size)
            "transaction_ids": list(pattern.transaction_ids[:MAX_MEMBERS]),
            "z_score": round(pattern.z_score, 1),
        },
    )


class AnalysisService:
    def __init__(
        self,
        reader: WindowReader,
        queue: FindingQueue,
        window_seconds: int = 300,
        settings: PatternSettings | None = None,
        scores: ScoreLog | None = None,
    ) -> None:
        self._reader = reader
        self._queue = queue
        self._window_ms = window_seconds * 1000
        self._settings = settings or PatternSettings()
        self._scores = scores

    def run(self, now_ms: int, detected_at: str) -> AnalysisReport:
        """Analyze the last whole window before ``now_ms`` (aligned, so none overlap)."""
        end = now_ms // self._window_ms * self._window_ms
        start = end - self._window_ms
        window = self._reader.entries_between(start, end)
        patterns = find_patterns(window, self._settings)
        for pattern in patterns:
            self._queue.send(_finding(pattern, start, detected_at))
        folded = 0
        if self._scores is not None:
            # the window before: its decisions have had a whole window to be recorded
            earlier = start - self._window_ms
            scores = self._reader.scores_between(earlier, start)
            if self._scores.fold(earlier, scores):
                folded = len(scores)
        return AnalysisReport(start, end, len(window), tuple(patterns), folded)
