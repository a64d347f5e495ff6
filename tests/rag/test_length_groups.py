"""The ONNX embedder cuts each call into groups that pad little; the grouping must cover every text once, in
order, within the batch size, and must not pad a short text to a long one's length when a pass is cheap."""

from __future__ import annotations

from rag.embedder import length_groups


def _check_cover(groups: list[tuple[int, int]], n: int, max_batch: int) -> None:
    assert groups[0][0] == 0 and groups[-1][1] == n
    assert all(a < b and b - a <= max_batch for a, b in groups)
    assert all(groups[k][1] == groups[k + 1][0] for k in range(len(groups) - 1))


def test_groups_cover_every_text_once_within_the_batch_size() -> None:
    lens = sorted([3, 7, 64, 12, 12, 40, 9, 9, 9, 128, 5, 30] * 5, reverse=True)
    for max_batch in (1, 4, 16):
        _check_cover(length_groups(lens, max_batch, 32), len(lens), max_batch)


def test_a_long_window_is_not_batched_with_short_sentences() -> None:
    groups = length_groups([120, 10, 10, 10, 10, 10, 10, 10], 16, 32)
    assert groups == [(0, 1), (1, 8)]  # 120 + 32 + 7 * 10 + 32 beats 8 * 120 + 32


def test_an_expensive_pass_keeps_one_batch() -> None:
    assert length_groups([20, 19, 18, 5], 16, 10_000) == [(0, 4)]
    assert length_groups([], 16, 32) == []
