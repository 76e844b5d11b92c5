"""bench/faq_accuracy.py --learning-curve: the numbers only mean something if no fold's model
ever learns the messages it is scored on, and if the share of real messages trained on is
what the line says (none at 0, all of the other folds' at 1, the written ones always)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bench import faq_accuracy
from content.loader import DATA_DIR

HEADER = "text\ttopic\tkind\tsource\n"


def _planted(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    shutil.copy(DATA_DIR / faq_accuracy.FILE_NAME, tmp_path / faq_accuracy.FILE_NAME)
    training = tmp_path / faq_accuracy.TRAINING_DIR
    training.mkdir()
    real = [f"Chuyện thật số {i}: nhà tôi vay hộ nghèo, hỏi lãi suất" for i in range(40)]
    written = [f"Câu viết số {i}: vay hộ nghèo lãi bao nhiêu" for i in range(40)]
    (training / "messages_real9.tsv").write_text(
        HEADER
        + "".join(
            f"{t}\tprogram.poor\tnarrative\thttps://example.org/{i}\n" for i, t in enumerate(real)
        ),
        encoding="utf-8",
    )
    (training / "messages_written9.tsv").write_text(
        HEADER + "".join(f"{t}\tprogram.poor\ttidy\t\n" for t in written), encoding="utf-8"
    )
    return tmp_path, real, written


def test_each_fold_learns_only_other_folds_and_the_stated_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, real, written = _planted(tmp_path)
    ld = faq_accuracy.load()
    trained: list[set[str]] = []
    scored: list[str] = []
    model = ld.matcher.model

    def recording_train(rows: Any, normalize: Any, scope: Any = None) -> Any:
        trained.append({text for text, _ in rows})
        return model  # the answers are planted below: only what is learnt is looked at

    def recording_answer(content: Any, matcher: Any, text: str) -> tuple[str, list[str]]:
        scored.append(text)
        return "program.poor", []

    monkeypatch.setattr(faq_accuracy, "train", recording_train)
    monkeypatch.setattr(faq_accuracy, "answer", recording_answer)
    folds = 4
    faq_accuracy.learning_curve(ld, data_dir, folds)

    shares = faq_accuracy.LEARNING_SHARES
    assert len(trained) == folds * len(shares)
    assert len(scored) == (len(real) + len(written)) * len(shares)
    for step, share in enumerate(shares):
        for k in range(folds):
            rows = trained[step * folds + k]
            held = {t for t in real + written if faq_accuracy._fold(t, "", folds) == k}
            assert not rows & held  # never scored on what it learnt
            others_real = {t for t in real if t not in held}
            others_written = {t for t in written if t not in held}
            assert others_written <= rows  # written messages are always learnt
            learnt_real = rows & others_real
            if share == 0.0:
                assert not learnt_real
            if share == 1.0:
                assert learnt_real == others_real
        if 0.0 < share < 1.0:  # the same messages at every fold: a hash decides
            kept = set().union(*trained[step * folds : (step + 1) * folds]) & set(real)
            assert 0 < len(kept) < len(real)
    out = capsys.readouterr().out
    assert "learning curve: 4-fold, 40 real messages" in out
    assert "real share 0.00: real top-1 40/40" in out
