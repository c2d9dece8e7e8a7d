from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridcx.knowledge.engine import ImportFormatError, load_documents, split_document


def test_markdown_with_front_matter_and_headings(tmp_path: Path) -> None:
    (tmp_path / "returns.md").write_text(
        "---\ntitle: Returns policy\ntags: [returns, refunds]\naudience: internal\n"
        "url: https://help.example.com/returns\nversion: 3\n---\n"
        "# Returns\nReturn within **30 days** via the [Orders page](https://x.example).\n\n"
        "## Damaged items\nSend a photo of the damage.\n",
        "utf-8",
    )
    [doc] = load_documents(tmp_path / "returns.md")
    assert (doc.id, doc.title, doc.audience, doc.version) == (
        "returns",
        "Returns policy",
        "internal",
        3,
    )
    assert doc.tags == ("returns", "refunds") and doc.url == "https://help.example.com/returns"
    passages = split_document(doc)
    assert [p.heading for p in passages] == ["Returns", "Returns > Damaged items"]
    assert passages[0].text == "Return within 30 days via the Orders page."


def test_html_strips_tags_scripts_and_keeps_headings(tmp_path: Path) -> None:
    (tmp_path / "shipping.html").write_text(
        "<html><head><title>Shipping</title><script>alert('x')</script></head><body>"
        "<h1>Shipping</h1><p>We ship <b>worldwide</b>.</p><style>p{color:red}</style>"
        '<h2>Express &amp; next day</h2><p onclick="evil()">Order before 2&nbsp;pm.</p>'
        "<h3>Fees</h3><ul><li>Free over $50</li><li>$5 otherwise</li></ul></body></html>",
        "utf-8",
    )
    [doc] = load_documents(tmp_path / "shipping.html")
    assert doc.title == "Shipping"
    assert "alert" not in doc.body and "color" not in doc.body and "evil" not in doc.body
    assert "<" not in doc.body
    passages = split_document(doc)
    assert [p.heading for p in passages] == [
        "Shipping",
        "Shipping > Express & next day",
        "Shipping > Express & next day > Fees",
    ]
    assert "Free over $50" in passages[2].text


def test_plain_text_first_line_is_the_title(tmp_path: Path) -> None:
    (tmp_path / "opening-hours.txt").write_text(
        "Opening hours\nWe are open Monday to Friday, 9 to 5.\n", "utf-8"
    )
    [doc] = load_documents(tmp_path / "opening-hours.txt")
    assert doc.id == "opening-hours" and doc.title == "Opening hours"
    assert doc.body == "We are open Monday to Friday, 9 to 5."


def test_faq_jsonl_answers_as_list_or_string(tmp_path: Path) -> None:
    rows = [
        {
            "faq_id": "faq1",
            "question": "How do I reset my password?",
            "answers": ["Use the link.", "Or call us."],
        },
        {"question": "Do you ship abroad?", "answers": "Yes, to 40 countries."},
    ]
    path = tmp_path / "faqs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    first, second = load_documents(path)
    assert first.id == "faq1" and first.title == "How do I reset my password?"
    assert [p.text for p in split_document(first)] == ["Use the link.", "Or call us."]
    assert second.id == "faqs-2" and second.body == "Yes, to 40 countries."


def test_faq_jsonl_bad_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "faqs.jsonl"
    path.write_text('{"question": "ok", "answers": ["a"]}\n{not json\n', "utf-8")
    with pytest.raises(ImportFormatError, match=r"faqs.jsonl:2"):
        load_documents(path)


def test_faq_csv_with_header_and_ids_merging_answers(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        "question,answer,id\n"
        '"Can I pay by card?","Yes, Visa and Mastercard.",pay\n'
        '"Can I pay by card?","Amex too.",pay\n'
        '"Where is my order?","See the tracking link in your email.",\n',
        "utf-8",
    )
    pay, track = load_documents(path)
    assert pay.id == "pay" and pay.body == "Yes, Visa and Mastercard.\n\nAmex too."
    assert track.title == "Where is my order?" and track.id.startswith("faq-")


def test_faq_csv_without_header(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("Is there a warranty?,Two years on all blenders.\n", "utf-8")
    [doc] = load_documents(path)
    assert doc.title == "Is there a warranty?" and doc.body == "Two years on all blenders."


def test_directory_loads_every_supported_file(tmp_path: Path) -> None:
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "setup.md").write_text("# Setup\nPlug it in.", "utf-8")
    (tmp_path / "notes.txt").write_text("Notes\nSome notes.", "utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    docs = load_documents(tmp_path)
    assert sorted(d.id for d in docs) == ["guides/setup", "notes"]


def test_unsupported_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(ImportFormatError, match="unsupported file type"):
        load_documents(path)
