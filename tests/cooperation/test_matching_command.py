"""`crosscluster match --batch FILE.jsonl [--top N]`: the file is the whole pool, one JSON line out per
profile, clear errors with line numbers; nothing is written to the database."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

LINES = [
    {
        "id": "a",
        "kind": "technology-request",
        "title": "Spritzgießer sucht Simulation gegen Verzug",
        "text": "Gehäuse aus Polyamid verziehen sich nach dem Spritzgießen; wir suchen eine Füllsimulation.",
        "lang": "de",
        "expected": ["b"],
    },
    {
        "id": "b",
        "kind": "technology-offer",
        "title": "Füllsimulation und Verzugsanalyse",
        "text": "Wir simulieren Füllung und Verzug von Spritzgussteilen aus Polyamid.",
        "lang": "de",
        "region": "ignored",
    },
    {
        "id": "c",
        "kind": "business-offer",
        "title": "Lohnbacken von Brot",
        "text": "Wir backen Brot und Brötchen im Auftrag.",
        "lang": "de",
    },
    {
        "id": "d",
        "kind": "technology-offer",
        "title": "Belegerfassung für Kanzleien",
        "text": "Software erfasst Rechnungen und Belege automatisch.",
        "lang": "de",
    },
]


@pytest.fixture(autouse=True)
def fake_encoder(settings):
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"


def run(tmp_path, lines, *args):
    path = tmp_path / "pool.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("match", "--batch", str(path), *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_match_command_prints_one_json_line_per_profile_in_input_order(tmp_path):
    # No `db` fixture: pytest-django would fail any query, so this also shows the database is not touched.
    output = run(tmp_path, [json.dumps(line, ensure_ascii=False) for line in LINES], "--top", "3")
    assert [item["id"] for item in output] == ["a", "b", "c", "d"]
    for item in output:
        assert set(item) == {"id", "matches", "no_good_match"}
        assert isinstance(item["no_good_match"], bool)
        for match in item["matches"]:
            assert set(match) == {"profile", "score", "reasons"}
            assert isinstance(match["score"], float)
            assert match["reasons"] and all(isinstance(reason, str) for reason in match["reasons"])
    first = output[0]
    assert [m["profile"] for m in first["matches"]] == ["b", "d"]  # technology offers only, best first
    assert output[2] == {"id": "c", "matches": [], "no_good_match": True}  # no business request at all


def test_match_command_limits_the_matches_to_top(tmp_path):
    output = run(tmp_path, [json.dumps(line) for line in LINES], "--top", "1")
    assert [len(item["matches"]) for item in output] == [1, 1, 0, 1]


def test_match_command_writes_reasons_in_the_chosen_language(tmp_path):
    output = run(tmp_path, [json.dumps(line) for line in LINES], "--language", "en")
    assert output[0]["matches"][0]["reasons"][0] == "Offers: Füllsimulation und Verzugsanalyse"


def test_match_command_reports_every_bad_line_with_its_number(tmp_path):
    lines = [
        json.dumps(LINES[0]),
        "{not json",
        json.dumps({**LINES[1], "kind": "offer"}),
        "",
        json.dumps([1, 2]),
        json.dumps({**LINES[2], "id": "a"}),
        json.dumps({**LINES[3], "title": "", "text": ""}),
        json.dumps({"kind": "technology-offer", "title": "x", "text": "y"}),
    ]
    with pytest.raises(CommandError) as error:
        run(tmp_path, lines)
    message = str(error.value)
    assert "pool.jsonl:2: not valid JSON" in message
    assert 'pool.jsonl:3: "kind" must be one of technology-offer' in message
    assert "pool.jsonl:4" not in message  # blank lines are skipped
    assert "pool.jsonl:5: expected a JSON object" in message
    assert "pool.jsonl:6: id 'a' also on line 1" in message
    assert 'pool.jsonl:7: "title" and "text" are both empty' in message
    assert 'pool.jsonl:8: "id" must be a non-empty string' in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch", "/nonexistent/pool.jsonl"], "no such file: /nonexistent/pool.jsonl"),
        (["--batch", "FILE", "--top", "0"], "--top must be between 1 and 50"),
    ],
)
def test_match_command_refuses_a_missing_file_and_a_bad_top(tmp_path, args, message):
    args = [str(tmp_path / "pool.jsonl") if arg == "FILE" else arg for arg in args]
    (tmp_path / "pool.jsonl").write_text(json.dumps(LINES[0]) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("match", *args, stdout=io.StringIO())


def test_match_command_reads_the_language_from_the_text_when_it_is_missing(tmp_path, monkeypatch):
    from crosscluster.cooperation import matching

    seen = []
    original = matching.match_batch

    def spy(profiles, **kwargs):
        seen.extend(profiles)
        return original(profiles, **kwargs)

    monkeypatch.setattr("crosscluster.cooperation.management.commands.match.match_batch", spy)
    english = {
        "id": "e",
        "kind": "technology-offer",
        "title": "Simulation of warpage",
        "text": "We simulate the filling and the warpage of injection moulded parts for our customers.",
    }
    german = {key: value for key, value in LINES[0].items() if key != "lang"}
    run(tmp_path, [json.dumps(german), json.dumps(english), json.dumps({**LINES[1], "lang": "EN"})])
    assert [(profile.id, profile.lang) for profile in seen] == [("a", "de"), ("e", "en"), ("b", "en")]
