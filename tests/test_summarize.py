import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest

from newsdigest.cli import main
from newsdigest.sentences import sentence_spans, split_sentences
from newsdigest.summarize import CitationError, Document, SummarySentence, summarize, verify_citations, word_count
from newsdigest.summarize_io import load_documents

ROOT = Path(__file__).resolve().parents[1]
DUC = ROOT.parent / "shared" / "bench" / "duc2006"

SHARED = ("Russia will deliver new air defence systems to Tajikistan to strengthen the Afghan border, "
          "the defence ministry in Moscow said.")
DOCS = [
    Document("a", "DUSHANBE, July 5 (Interfax) - Russia will deliver new air defence systems to Tajikistan to "
                  "strengthen the Afghan border, officials said on Monday.\n\n"
                  "The weather in Dushanbe was unusually hot for the season, reaching forty degrees by noon.\n\n"
                  "Local markets reported brisk trade in melons and apricots throughout the long weekend.",
             "Russia to arm Tajikistan", datetime(2021, 7, 5)),
    Document("b", "Officials in Moscow confirmed the plan on Tuesday.\n\n" + SHARED + "\n\n"
                  "A football match in Khujand drew a record crowd of twenty thousand spectators on Sunday.",
             None, datetime(2021, 7, 6)),
    Document("c", "Kyrgyz farmers complained about a shortage of irrigation water in the Fergana valley this week.\n"
                  "Russia will deliver new air defence systems to Tajikistan, and the Afghan border will be "
                  "reinforced with Russian help, a source told the agency.",
             None, datetime(2021, 7, 4)),
]


def test_budget_respected_and_sentences_verbatim():
    for budget in (15, 25, 40, 90, 500):
        summary = summarize(DOCS, words=budget)
        assert sum(word_count(s.text) for s in summary) <= budget
        verify_citations(summary, DOCS)
        for s in summary:
            doc = next(d for d in DOCS if d.doc_id == s.doc_id)
            assert s.text in doc.text and s.position >= 0
    assert summarize(DOCS, words=0) == [] and summarize([], words=100) == []


def test_multi_doc_summary_prefers_content_shared_across_articles():
    summary = summarize(DOCS, words=25)
    assert summary, "expected one sentence"
    assert "air defence systems to Tajikistan" in summary[0].text
    assert not any("melons" in s.text or "football" in s.text for s in summary)
    assert not summary[0].text.startswith("DUSHANBE")  # the dateline is cut (still a verbatim substring)


def test_output_is_chronological_and_deterministic():
    first = summarize(DOCS, words=90)
    assert first == summarize(DOCS, words=90) == summarize(list(DOCS), words=90)
    dates = [next(d.published for d in DOCS if d.doc_id == s.doc_id) for s in first]
    assert dates == sorted(dates)


def test_same_output_under_different_hash_seeds():
    """Set iteration order changes with PYTHONHASHSEED; the summary must not."""
    import os
    import subprocess

    script = ("import json, sys; from newsdigest.summarize import Document, summarize; "
              "docs = [Document(*d) for d in json.loads(sys.argv[1])]; "
              "print([(s.doc_id, s.position) for s in summarize(docs, 40)])")
    docs = json.dumps([(d.doc_id, d.text) for d in DOCS])
    outputs = {subprocess.run([sys.executable, "-c", script, docs], cwd=ROOT, capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1 and "(" in outputs.pop()


def test_citation_check_fails_loudly():
    summary = summarize(DOCS, words=40)
    good = summary[0]
    doctored = SummarySentence(good.doc_id, good.text.replace("Russia", "Belarus", 1), good.position)
    with pytest.raises(CitationError) as err:
        verify_citations([doctored], DOCS)
    assert good.doc_id in str(err.value) and "Belarus" in str(err.value)
    with pytest.raises(CitationError, match="unknown document 'zzz'"):
        verify_citations([SummarySentence("zzz", good.text, 0)], DOCS)
    whitespace = SummarySentence(good.doc_id, good.text.replace(" ", "  ", 1), good.position)
    with pytest.raises(CitationError):  # exact comparison: whitespace is not normalised
        verify_citations([whitespace], DOCS)


def test_single_document_and_tiny_inputs():
    path = next((ROOT / "seeds").glob("000_*.txt"))
    doc = Document("seed", path.read_text(encoding="utf-8"))
    summary = summarize([doc], words=90)
    assert summary and sum(word_count(s.text) for s in summary) <= 90
    assert summary[0].position == 0  # a single news article: the lead carries the facts
    verify_citations(summary, [doc])
    assert summarize([Document("x", "Short text. Tiny.")], words=50) in ([], [SummarySentence("x", "Short text.", 0)])
    assert summarize([Document("x", "")], words=50) == []


def test_seed_story_summary_is_fast_and_verbatim():
    import time

    docs = [Document(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    docs = [Document(f"{d.doc_id}-{i}", d.text.replace("Russia", f"Russia{i}" if i % 2 else "Russia"))
            for i in range(6) for d in docs]  # 30 articles
    summarize(docs[:2], words=90)  # warm up imports
    started = time.process_time()
    summary = summarize(docs, words=90)
    assert time.process_time() - started < 1.0
    verify_citations(summary, docs)


def test_sentence_splitter():
    text = ("Mr. Putin met Gen. Ivanov in St. Petersburg on Jan. 5. The U.S. envoy left. "
            "“We are ready,” Lavrov said. ``Next steps,'' he added. Россия заявила. Москва ответила.")
    assert split_sentences(text) == [
        "Mr. Putin met Gen. Ivanov in St. Petersburg on Jan. 5.", "The U.S. envoy left.",
        "“We are ready,” Lavrov said.", "``Next steps,'' he added.", "Россия заявила.", "Москва ответила."]
    assert split_sentences("He met the UN. Then left.") == ["He met the UN.", "Then left."]
    assert all(text[a:b] == s for (a, b), s in zip(sentence_spans(text), split_sentences(text), strict=True))


def test_russian_text_uses_russian_features():
    a = ("Россия поставит Таджикистану новые системы противовоздушной обороны для укрепления афганской границы, "
         "сообщило Минобороны.\n\nПогода в Душанбе была необычно жаркой для этого сезона и времени года.")
    b = ("Минобороны России заявило, что Россия поставит Таджикистану новые системы противовоздушной обороны "
         "в ближайшее время.\n\nНа рынках города шла бойкая торговля дынями и абрикосами все выходные.")
    docs = [Document("a", a), Document("b", b)]
    summary = summarize(docs, words=20)  # the digest passes language="en" for every story
    assert summary and all("противовоздушной" in s.text for s in summary)
    verify_citations(summary, docs)


def test_rouge_matches_the_perl_conventions():
    from newsdigest.rouge import rouge_n_recall, rouge_tokens

    assert rouge_tokens("The U.S.-led forces were running") == ["the", "u", "s", "led", "forc", "were", "run"]
    # pooled over references: (3 + 3) matched unigrams of (3 + 5)
    assert rouge_n_recall("the cat sat on the mat", ["the cat sat", "a cat on a mat"], 1) == 0.75
    assert rouge_n_recall("the cat sat on the mat", ["cat sat on"], 2, words=3) == 0.5  # truncated to 3 words


def test_reads_duc_sgml(tmp_path):
    (tmp_path / "APW1.txt").write_text(
        "<DOC>\n<DOCNO> APW19990707.0181 </DOCNO>\n<DATE_TIME> 1999-07-07 08:30:27 </DATE_TIME>\n<BODY>\n"
        "<HEADLINE> Clinton Focuses on Indians </HEADLINE>\n<TEXT>\n<P>\n\tPINE RIDGE, S.D. (AP) -- President "
        "Clinton turned\nhis poverty tour &amp; attention today to American Indians.\n</P>\n<P>\nSecond "
        "paragraph here.\n</P>\n</TEXT>\n</BODY>\n</DOC>\n", encoding="ascii")
    [doc] = load_documents([tmp_path])
    assert doc.title == "Clinton Focuses on Indians" and doc.published == datetime(1999, 7, 7)
    assert doc.text == ("PINE RIDGE, S.D. (AP) -- President Clinton turned his poverty tour & attention today to "
                        "American Indians.\n\nSecond paragraph here.")


def test_cli_summarize(tmp_path, capsys):
    for doc in DOCS:
        (tmp_path / f"{doc.doc_id}.txt").write_text(doc.text, encoding="utf-8")
    assert main(["summarize", str(tmp_path), "--words", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and sum(word_count(line) for line in lines) <= 40
    texts = [doc.text for doc in DOCS]
    assert all(any(line in text for text in texts) for line in lines)

    assert main(["summarize", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == 2 and data["words"] <= 100
    assert {row["file"] for row in data["sentences"]} <= {"a.txt", "b.txt"}
    assert all(row["position"] >= 0 and row["text"] for row in data["sentences"])

    assert main(["summarize", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt" in capsys.readouterr().err
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02")
    assert main(["summarize", str(tmp_path / "bin.txt")]) == 2
    assert "not a text file" in capsys.readouterr().err


@pytest.mark.skipif(not (DUC / "docs").is_dir(), reason="needs ../shared/bench/duc2006")
def test_bench_on_two_duc_sets():
    spec = importlib.util.spec_from_file_location("bench_summarize", ROOT / "bench" / "summarize.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up while the class is created
    spec.loader.exec_module(bench)
    results = bench.evaluate(DUC, sets=2, budgets=(100,))
    ours, lead = results[("newsdigest", 100)], results[("lead", 100)]
    assert len(ours.r2) == 2
    mean = sum(ours.r2) / 2
    assert mean > 0.0 and mean > sum(lead.r2) / 2 - 0.01
    assert sum(ours.r1) / 2 > 0.1
