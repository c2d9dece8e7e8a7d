from __future__ import annotations

from pathlib import Path

import pytest

from hybridcx.nlu.data import load_examples
from hybridcx.nlu.errors import TrainingDataError


def test_yaml_and_csv(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("intents:\n  greet: [hi, ' hello ']\n  bye: [bye]\n")
    assert load_examples(tmp_path / "a.yaml") == [
        ("hi", "greet"),
        ("hello", "greet"),
        ("bye", "bye"),
    ]
    (tmp_path / "a.csv").write_text('text,label\n"hi, there",greet\nbye,bye\n')
    assert load_examples(tmp_path / "a.csv") == [("hi, there", "greet"), ("bye", "bye")]


@pytest.mark.parametrize(
    ("name", "content"),
    [("bad.yaml", "intents: [a, b]\n"), ("bad.csv", "sentence,intent\nhi,greet\n"), ("x.txt", "")],
)
def test_bad_files_are_typed_errors(tmp_path: Path, name: str, content: str):
    (tmp_path / name).write_text(content)
    with pytest.raises(TrainingDataError):
        load_examples(tmp_path / name)
