"""The padding head's training data: on-topic padding is grouped by the calibration question it is about."""

from __future__ import annotations

from app.settings import get_settings
from evals.foreign import FOREIGN_CALIB, load_foreign
from evals.items import load_gold
from evals.train_generic import _group, on_topic


def test_each_on_topic_group_names_exactly_one_calibration_question() -> None:
    """Cross-validation keeps a question's padding and its substance in one fold only if each group's start picks
    out one calibration question; a typo would silently put them in different folds."""
    items = [i for i in load_gold(get_settings().questions_dir) if i.split == "calib"] + load_foreign(FOREIGN_CALIB)
    questions = {i.rubric.question for i in items}
    sentences = on_topic()
    starts = sorted({g for _, g in sentences})
    assert len(sentences) >= 80 and len(starts) == len(questions)
    for s in starts:
        assert sum(q.startswith(s) for q in questions) == 1, s
    assert {_group(q, starts) for q in questions} == set(starts)
