"""`beredning bench similar`: the texts it builds (unit) and one real run at a small N (integration).

The source is 60 lines copied from the development sets (20 Helsinki proposals, 20 SeaMonkey bug
reports, 20 SweParaphrase pairs), written to a temporary directory, so the test needs no
`../shared`. The `--reuse-embeddings` build is tested with fakes (each compared text embedded
once, the service's sync finds every vector) and in one real run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import SQLModel, col

from beredning_bench.benchmark import (
    BenchError,
    BenchInputError,
    EmbeddingCache,
    SourceText,
    portfolio_texts,
    query_texts,
    read_sources,
    sign,
    vary,
)
from beredning_bench.benchmark._build import insert_items, nr_of
from beredning_bench.benchmark._reuse import build_with_vectors, check_in_step, stored_documents
from intake.cli import main
from intake.models import PortfolioItem, utcnow
from intake.services.similarity import SimilarityService
from intake.settings import SimilaritySettings
from retrieval.boilerplate import strip_boilerplate
from tests.fakes import FakeEmbedder, InMemoryVectorIndex
from tests.pg import pg_engine_url, require_pg, unreachable_reason

GROUP_LINES = [
    {
        "id": "omastadi-2-1031",
        "title": "Hengauspaikkoja nuorille ulos",
        "body": "Eri alueille paikkoja ulos, kuten katoksia, jossa nuoret voivat oleskella.",
        "group": "r2-plan944",
        "lang": "fi",
    },
    {
        "id": "omastadi-2-1112",
        "title": "Ulkoliikuntasaleja Katajanokalle",
        "body": "Halauismme enemmän ulkoliikuntapaikkoja Katajanokalle. Se on erittäin kaunis "
        "kävelypaikka ja sinne olisi kiva saada ulkoliikuntasaleja.",
        "group": "r2-plan693",
        "lang": "fi",
    },
    {
        "id": "omastadi-2-1125",
        "title": "Tanssijaiset",
        "body": "Amerikkalaistyyliset tanssijaiset, jossa tanssitaan ja valitaan tanssijaisten kuningas "
        "ja kuningatar.",
        "group": "r2-plan720",
        "lang": "fi",
    },
    {
        "id": "omastadi-1-1126",
        "title": "Ohjattua puistojumppaa Arabian Rantapuistoon",
        "body": "Ohjattu puistojumppa kokoaisi ihmisiä yhteen ja lisäisi yhteisöllisyyttä ja kohottaisi "
        "kuntoa.",
        "group": "r1-plan94",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1132",
        "title": "Ulkokuntosali",
        "body": "Suurmetsässä ja Jakomäessä ei ole yhtään ulkokuntosalia. ",
        "group": "r3-plan1964",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1154",
        "title": "Sisselenpuistoon niitty",
        "body": "Sisselenpuiston kumpuileva nurmialue muutetaan luonnon niityksi ihmisille iloksi "
        "katsella ja pörriäisille paratiisiksi. ",
        "group": "r3-plan1883",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1200",
        "title": "Naisten ja tyttöjen uimakursseja Koilliselle alueelle",
        "body": "Koilliselle alueelle tyttöjen ja naisten uimakursseja",
        "group": "r3-plan2104",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1204",
        "title": "Koillisen kouluihin omat jalkapallojoukkueet",
        "body": "Perustetaan Koillisen kouluihin omat jalkapallojoukkueet.",
        "group": "r3-plan2254",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1220",
        "title": "Ulkoliikunta ja koirapuisto",
        "body": "Koirapuisto ja parempi ulkoliikuntapaikka broändanpuron lähistölle",
        "group": "r3-plan1745",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1222",
        "title": "Ulkokuntosali Hermanninrantaan",
        "body": "Kuntosalilaitteet säädettävillä vastuksilla",
        "group": "r3-plan1945",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1239",
        "title": "Ulkokuntosali Suutarilan kuntoportaiden yhteyteen",
        "body": "Ulkokuntosali Suutarilan kuntoportaiden yhteyteen esimerkiksi portaiden päähän mäen päälle.",
        "group": "r3-plan1964",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1242",
        "title": "Ja Puita",
        "body": "Lisää puita ja kukkivia kukka/perennaistutuksia, jotta saadaan aikaiseksi viihtyisä "
        "puisto kaikille nykyisille ja tuleville asukkaille. ",
        "group": "r3-plan2107",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1249",
        "title": "Grillauspaikka",
        "body": "Joen toisella puolella on paistopaikka. Vastaavanlainen Oulunkylään.\r\n"
        "Grillauspaikka ja pöydät ruokailuun.",
        "group": "r3-plan2257",
        "lang": "fi",
    },
    {
        "id": "omastadi-1-127",
        "title": "Porrastreenipaikka Alppikylään",
        "body": "Porrastreenipaikka Heikinlaakson ja Alppikylän välissä sijaitsevaan täyttömäkeen",
        "group": "r1-plan137",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1292",
        "title": "Liikkumiskaveri",
        "body": "Moni ikääntynyt ja liikuntarajoitteinen tarvitsee apua monissa asioissa. He kaipaavat "
        "esimerkiksi asiointiapua, liikuntakaveria, ulkoiluapua ja ystävää. ",
        "group": "r3-plan1750",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1303",
        "title": "Outdoor workout/gym place in Hyväntoivonpuisto",
        "body": "",
        "group": "r3-plan2207",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1306",
        "title": "Lisää puistonpenkkejä Arabianrantaan ja läheiseen metsään",
        "body": "Tarvitaan lisää puistonpenkkejä Arabianrannan metsäpoluille. ",
        "group": "r3-plan1868",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1312",
        "title": "Ulkokuntolaitteet",
        "body": "Alueelle rakennetaan ja on rakennettu runsaasti. Asukkaat tarvitsee näitä "
        "ulkokuntolaitteita.",
        "group": "r3-plan1939",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1332",
        "title": "Lisää roskiksia. ",
        "body": "Suutarilassa on todella vähän roskiksia. Niitä lisää!!! Kiitos. ",
        "group": "r3-plan2276",
        "lang": "fi",
    },
    {
        "id": "omastadi-3-1345",
        "title": "Ulkokuntosali",
        "body": "Ulkokuntosali mainiolle paikalle Tauno Palon puistoon tyydyttämään alueen asukkaiden "
        "kuntoilun nälkää ja innostamaan uusia kuntoilioita! ",
        "group": "r3-plan1945",
        "lang": "fi",
    },
    {
        "id": "seamonkey-1615796",
        "title": "Fix MsgComposeCommands.js after Bug 1414022",
        "body": "The patch in Bug 1414022 had a typo in it causing save to draft on closing a compose "
        "window to fail.",
        "group": "seamonkey-1615796",
        "lang": "en",
    },
    {
        "id": "seamonkey-1615911",
        "title": 'Port Bug 645428 "sessionstore-windows-restored" is not sent for empty sessions to '
        "SeaMonkey",
        "body": "Summary says it all.",
        "group": "seamonkey-1615911",
        "lang": "en",
    },
    {
        "id": "seamonkey-1625753",
        "title": "Fix context menu for BiDi",
        "body": "Bug 1578062 introduced a regression in using gBidiUI rather than gShowBiDi in some "
        "parts of the context menu code.",
        "group": "seamonkey-1625753",
        "lang": "en",
    },
    {
        "id": "seamonkey-1628928",
        "title": "Composer throbber doesn't",
        "body": "The throbber in Composer doesn't work (throb) and the progress meter in Text Editor "
        "seems unneeded.",
        "group": "seamonkey-1628928",
        "lang": "en",
    },
    {
        "id": "seamonkey-1655327",
        "title": "Add esr78 repo links to debugQA's",
        "body": "We don't build esr78 currently but useful for checking recent bugs needed for packporting.",
        "group": "seamonkey-1655327",
        "lang": "en",
    },
    {
        "id": "seamonkey-1671790",
        "title": "Port packaging parts of Bug 1647039 to SeaMonkey.",
        "body": "msgReadSecurityInfo.js and msgReadSecurityInfo.xhtml was removed.",
        "group": "seamonkey-1671790",
        "lang": "en",
    },
    {
        "id": "seamonkey-1679629",
        "title": "Add missing includes to SeaMonkey",
        "body": "Bug 1673931 moved and removed includes in Gecko. SeaMonkey is currently not building "
        "because of missing includes caused by this.",
        "group": "seamonkey-1679629",
        "lang": "en",
    },
    {
        "id": "seamonkey-1688501",
        "title": "Rewrite sidebar for SeaMonkey 2.57",
        "body": "The sidebar is broken in SeaMonkey 2.57 because of RDF removals. RDF usage needs to be "
        "removed.",
        "group": "seamonkey-1688501",
        "lang": "en",
    },
    {
        "id": "seamonkey-1695001",
        "title": 'Port Bug 1601110 "Remove XUL content type (vnd.mozilla.xul+xml)" to SeaMonkey',
        "body": "Title says it all.",
        "group": "seamonkey-1695001",
        "lang": "en",
    },
    {
        "id": "seamonkey-1699303",
        "title": "Catch potential exception in discoverFolders",
        "body": "This ports the relevant part of Bug 536042 and Bug 466311 to SeaMonkey.",
        "group": "seamonkey-1699303",
        "lang": "en",
    },
    {
        "id": "seamonkey-1699907",
        "title": "Fix octal warning in mailWindowOverlay.js",
        "body": "Bug 573392 introduced a line with \\000 in and Bug 766577 missed this when fixing other "
        "octal warnings.",
        "group": "seamonkey-1699907",
        "lang": "en",
    },
    {
        "id": "seamonkey-1700380",
        "title": "right click in mail does not work",
        "body": "",
        "group": "seamonkey-1706184",
        "lang": "en",
    },
    {
        "id": "seamonkey-1705968",
        "title": "Fix setTimeout syntax in chatZilla",
        "body": "Some of the setTimeout calls in chatZillla use an older syntax which debuggers choke "
        "on, so let's update them.",
        "group": "seamonkey-1705968",
        "lang": "en",
    },
    {
        "id": "seamonkey-1706184",
        "title": "right-clicking in Seamonkey Mail fails again.",
        "body": "right-clicking in Seamonkey Mail fails again.",
        "group": "seamonkey-1706184",
        "lang": "en",
    },
    {
        "id": "seamonkey-1707106",
        "title": "Remove use of atom-service in chatZilla",
        "body": "The atom-service went away a long time ago so should be removed from our forked cZ code.",
        "group": "seamonkey-1707106",
        "lang": "en",
    },
    {
        "id": "seamonkey-1708598",
        "title": "Port |Bug 1694762 - Ignore x-moz-file drops to mail and folder panes that have no "
        "data| to SeaMonkey",
        "body": 'Port TB bug that fixes "dt.mozGetDataAt(...) is null" error.',
        "group": "seamonkey-1708598",
        "lang": "en",
    },
    {
        "id": "seamonkey-1709599",
        "title": "Fix adding to history in chatZilla",
        "body": "Global History went away a long time ago, we should switch to using Places.",
        "group": "seamonkey-1709599",
        "lang": "en",
    },
    {
        "id": "seamonkey-1711936",
        "title": "Port calendar packaging changes of Bug 1710548 to SeaMonkey",
        "body": "Bug 1710548 moved lighting parts to calendar and changed the packaging code too.",
        "group": "seamonkey-1711936",
        "lang": "en",
    },
    {
        "id": "seamonkey-1718425",
        "title": "Fix setInterval syntax in chatZilla",
        "body": "The setInterval calls in chatZillla use an older syntax which debuggers choke on, so "
        "let's update them.",
        "group": "seamonkey-1718425",
        "lang": "en",
    },
    {
        "id": "seamonkey-1720029",
        "title": "welcome_help.xhtml: update IRC channel link to point to libera.chat",
        "body": "",
        "group": "seamonkey-1720029",
        "lang": "en",
    },
]

PAIR_LINES = [
    {"a": "En man med hjälm dansar.", "b": "En man som bär en hjälm dansar.", "score": 5.0},
    {"a": "Ett litet barn rider på en häst.", "b": "Ett barn rider på en häst.", "score": 4.75},
    {"a": "En man matar en orm med en mus.", "b": "Mannen matar ormen med en mus.", "score": 5.0},
    {"a": "En kvinna spelar gitarr.", "b": "En man spelar gitarr.", "score": 2.4},
    {"a": "En kvinna spelar flöjt.", "b": "En man spelar flöjt.", "score": 2.75},
    {"a": "En kvinna skär en lök.", "b": "En man skär lök.", "score": 2.615},
    {"a": "En man suddar en tavla.", "b": "Mannen suddar tavlan.", "score": 5.0},
    {"a": "En kvinna bär på en pojke.", "b": "En kvinna bär sitt barn.", "score": 2.333},
    {"a": "Tre män spelar gitarr.", "b": "Tre män står på scenen och spelar gitarr.", "score": 3.75},
    {"a": "En kvinna skalar en potatis.", "b": "En kvinna håller på att skala en potatis.", "score": 5.0},
    {"a": "Folk spelar cricket.", "b": "Män spelar cricket.", "score": 3.2},
    {"a": "En man spelar gitarr.", "b": "En man spelar flöjt.", "score": 1.583},
    {"a": "Puman jagar björnen.", "b": "En puma jagar en björn.", "score": 5.0},
    {
        "a": "Mannen högg ner ett träd med en yxa.",
        "b": "En man hugger ner ett träd med en yxa.",
        "score": 5.0,
    },
    {"a": "Mannen spelar gitarr.", "b": "En man spelar gitarr.", "score": 4.909},
    {"a": "En man hittar något.", "b": "En kvinna skär något.", "score": 0.8},
    {"a": "Flickan sjöng i en mikrofon.", "b": "Damen sjöng i mikrofonen.", "score": 2.4},
    {"a": "En man klättrar i ett rep.", "b": "En man klättrar i ett rep.", "score": 5.0},
    {"a": "Kattungar äter mat.", "b": "Kattungar äter från disk.", "score": 4.0},
    {"a": "En man talar.", "b": "En man spottar.", "score": 0.636},
]


def _write_source(directory: Path) -> Path:
    directory.mkdir()
    lines = [json.dumps(g, ensure_ascii=False) for g in GROUP_LINES]
    (directory / "dev.groups.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [json.dumps(p, ensure_ascii=False) for p in PAIR_LINES]
    (directory / "dev.pairs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    return _write_source(tmp_path / "dev")


def test_sources_are_distinct_and_interleaved(source_dir: Path) -> None:
    sources = read_sources(source_dir)
    texts = [s.text for s in sources]
    assert len(texts) == len(set(texts))
    # 40 items, 40 sentences less the repeats among them
    assert 70 <= len(sources) <= 80
    # the files alternate from the start, so a small portfolio already mixes them
    assert sources[0].body and not sources[1].body


def test_variation_is_deterministic_and_keeps_the_sentences() -> None:
    source = SourceText("Digital parkering", "Första meningen. Andra meningen! Tredje meningen?")
    assert vary(source, 0) is source
    assert vary(source, 3) == vary(source, 3)
    assert vary(source, 3) != vary(source, 4)
    assert Counter(vary(source, 5).body.split()) == Counter(source.body.split())
    assert "(" in vary(source, 2).title and vary(source, 2).title.endswith(", 2)")


def test_variation_does_not_depend_on_the_hash_seed() -> None:
    code = (
        "from beredning_bench.benchmark import SourceText, vary;"
        "print(vary(SourceText('Lokalbokning', 'Boka lokaler. Boka utrustning. Avboka.'), 7))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_portfolio_texts_are_distinct_beyond_the_sources(source_dir: Path) -> None:
    sources = read_sources(source_dir)
    texts = portfolio_texts(sources, 5 * len(sources) + 3)
    assert len({t.text for t in texts}) == len(texts)
    assert texts[: len(sources)] == sources
    assert portfolio_texts(sources, len(texts)) == texts


def test_portfolio_texts_stay_distinct_when_a_source_reads_like_a_variation() -> None:
    first = SourceText("Lokalbokning")
    lookalike = SourceText(vary(first, 1).title)
    texts = portfolio_texts([first, lookalike], 4)
    assert len({t.text for t in texts}) == 4


def test_signed_copies_differ_only_in_boilerplate(source_dir: Path) -> None:
    sources = read_sources(source_dir)
    for source in sources:
        for round_ in (1, 2, 37, 12_345):
            signed = sign(source, round_)
            assert signed.title == source.title
            assert signed.text != source.text
            assert strip_boilerplate(signed.text) == strip_boilerplate(source.text), signed.text
    source = sources[0]
    assert sign(source, 0) is source
    assert sign(source, 5) == sign(source, 5)
    assert sign(source, 5) != sign(source, 6)


def test_signed_portfolio_is_distinct_but_compares_as_its_sources(source_dir: Path) -> None:
    sources = read_sources(source_dir)[:10]
    texts = portfolio_texts(sources, 300, sign)
    assert len({t.text for t in texts}) == 300
    assert {strip_boilerplate(t.text) for t in texts} == {strip_boilerplate(s.text) for s in sources}
    # without reuse, variations stay different in the compared text too
    varied = portfolio_texts(sources, 30, vary)
    assert len({strip_boilerplate(t.text) for t in varied}) == 30


def test_reuse_build_embeds_each_compared_text_once_and_the_service_reads_it(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    sources = [
        SourceText("Parkeringstillstånd", "Invånare ska kunna ansöka digitalt. Och följa sitt ärende."),
        SourceText("Lokalbokning i skolan"),
        SourceText("Chatt på webben", "Kontaktcentret vill svara på vanliga frågor."),
    ]
    insert_items(engine, portfolio_texts(sources, 9, sign))
    embedder, index = FakeEmbedder(), InMemoryVectorIndex()
    service = SimilarityService.with_parts(engine, embedder, index, SimilaritySettings())
    documents = stored_documents(engine)
    compared = [service.search_engine.compared_text(d.text) for d in documents]

    cache = EmbeddingCache()
    assert cache.fill(embedder, compared, batch_size=2) == 3
    assert cache.fill(embedder, compared, batch_size=2) == 0  # the next size of the same run
    assert sorted(embedder.embedded_texts) == sorted(set(compared))
    assert cache.timing.items == 3

    timing = build_with_vectors(service, documents, cache)
    assert timing.items == 9 and index.count() == 9
    check_in_step(service, tmp_path / "chroma")
    assert service.sync() == 0  # the watermark is where a rebuild leaves it
    # the server: a fresh process reads every row from SQL and finds every vector stored
    server_model = FakeEmbedder()
    server = SimilarityService.with_parts(engine, server_model, index, SimilaritySettings())
    assert server.sync() == 9
    assert server_model.embedded_texts == []
    assert len(embedder.embedded_texts) == 3

    # and the check fails when the index is not what the service would compute
    with engine.begin() as connection:
        connection.execute(
            sa.update(PortfolioItem)
            .where(col(PortfolioItem.nr) == nr_of(0))
            .values(title="Annan titel", updated_at=utcnow())
        )
    fresh = SimilarityService.with_parts(engine, FakeEmbedder(), index, SimilaritySettings())
    build_with_vectors(fresh, documents, cache)
    with pytest.raises(BenchError, match="embedded again"):
        check_in_step(fresh, tmp_path / "chroma")


def test_help_says_what_reuse_measures() -> None:
    result = CliRunner().invoke(main, ["bench", "similar", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for words in ("--reuse-embeddings", "--distinct M", "not the model", "proj. s", "N / raw/s"):
        assert words in text


def test_queries_differ_from_every_indexed_text(source_dir: Path) -> None:
    sources = read_sources(source_dir)
    queries = query_texts(sources, 300)
    indexed = {t.text for t in portfolio_texts(sources, 300)}
    assert len(queries) == 300
    assert not indexed & set(queries)
    assert all(3 <= len(q) <= 1000 for q in queries)
    assert query_texts(sources, 300) == queries


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BenchInputError, match="--source"):
        read_sources(tmp_path / "nowhere")
    result = CliRunner().invoke(main, ["bench", "similar", "--items", "5", "--source", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "Error: no development sets at" in result.output
    assert "Traceback" not in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["bench", "similar", "--source", str(empty)])
    assert result.exit_code == 1
    assert "holds no *.groups.jsonl" in result.output


def test_bad_options_are_refused(source_dir: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "similar", "--items", "0"])
    assert result.exit_code == 2
    assert "--items" in result.output
    result = CliRunner().invoke(main, ["bench", "similar", "--source", str(source_dir), "--pg-url", "nope"])
    assert result.exit_code == 1
    assert "Error: --pg-url is not a database URL" in result.output


def _bench(args: list[str], tmp_path: Path, timeout: float) -> tuple[list[dict[str, Any]], str]:
    """Run `beredning bench similar` in its own process; return one dict per JSON line and stderr."""
    env = {
        **os.environ,
        "BEREDNING_DATA_DIR": str(tmp_path / "must-stay-empty"),
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "intake", "bench", "similar", *args, "--json", "--pg-url", pg_engine_url()],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    # the benchmark's data directory is its own, never the configured one
    assert not (tmp_path / "must-stay-empty").exists()
    return [json.loads(line) for line in completed.stdout.strip().splitlines()], completed.stderr


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(1200)  # minutes on a busy 2-core machine: 120 texts are embedded twice
def test_bench_similar_runs_end_to_end(source_dir: Path, tmp_path: Path) -> None:
    args = ["--items", "120", "--queries", "20", "--source", str(source_dir)]
    lines, _ = _bench(args, tmp_path, timeout=1100)
    assert len(lines) == 1, lines
    figures = lines[0]

    assert figures["items"] == 120 and figures["queries"] == 20
    assert figures["shape"] == "embedded" and figures["index_server_peak_rss_mb"] is None
    assert figures["build_seconds"] > 0 and figures["build_items_per_s"] > 0
    assert figures["raw_items_per_s"] > 0 and figures["raw_sample"] == 120
    assert figures["build_vs_raw"] > 0
    projected = 120 / figures["raw_items_per_s"]  # both figures are rounded to 0.1
    assert figures["projected_build_seconds"] == pytest.approx(projected, rel=0.01, abs=0.06)
    assert figures["reuse_embeddings"] is False and figures["reused_embeddings"] is None
    assert 0 < figures["http_p50_ms"] <= figures["http_p95_ms"] <= figures["http_p99_ms"]
    assert figures["http_errors"] == 0
    assert figures["peak_rss_mb"] > 0
    # the server found the index built: every document there, nothing embedded or written again
    assert figures["server_index_documents"] == 120
    assert figures["server_reembedded"] is False
    assert figures["server_index_writes"] == 0

    reason = unreachable_reason(pg_engine_url())
    if reason is None:
        assert figures["decidim_skipped"] is None
        assert 0 < figures["decidim_p50_ms"] <= figures["decidim_p95_ms"] <= figures["decidim_p99_ms"]
    else:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
        assert figures["decidim_skipped"] and figures["decidim_p50_ms"] is None


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bench_similar_reuses_embeddings_across_sizes(source_dir: Path, tmp_path: Path) -> None:
    args = ["--items", "60", "--items", "150", "--distinct", "40", "--reuse-embeddings", "--queries", "10"]
    lines, stderr = _bench([*args, "--source", str(source_dir)], tmp_path, timeout=800)
    small, large = lines
    assert (small["items"], large["items"]) == (60, 150)
    for figures in (small, large):
        assert figures["reuse_embeddings"] is True and figures["distinct_sources"] == 40
        assert figures["build_vs_raw"] is None  # the build ran no model: nothing to compare
        assert figures["build_seconds"] > 0 and figures["raw_items_per_s"] > 0
        projected = figures["items"] / figures["raw_items_per_s"]  # both rounded to 0.1
        assert figures["projected_build_seconds"] == pytest.approx(projected, rel=0.01, abs=0.06)
        assert figures["queries"] == 10 and figures["http_errors"] == 0
        assert 0 < figures["http_p50_ms"] <= figures["http_p95_ms"] <= figures["http_p99_ms"]
        # the server synced every row from SQL and found every vector: nothing embedded or written
        assert figures["server_index_documents"] == figures["items"]
        assert figures["server_reembedded"] is False
        assert figures["server_index_writes"] == 0
    # 40 sources, the other 20 items signed copies of them: 40 vectors computed, 20 reused
    assert small["reused_embeddings"] == 20 and small["raw_sample"] == 40
    # every compared text of N=150 was embedded for N=60: nothing computed again
    assert large["reused_embeddings"] == 150 and large["raw_sample"] == 40
    assert "N=150: 0 texts embedded, 150 vectors reused" in stderr


def _bench_databases() -> set[str]:
    engine = sa.create_engine(pg_engine_url())
    try:
        with engine.connect() as connection:
            names = connection.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'bench_%'")
            )
            return {str(name) for (name,) in names}
    finally:
        engine.dispose()


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_bench_similar_scales_out_to_a_chroma_server_and_postgresql(source_dir: Path, tmp_path: Path) -> None:
    """The shape docker-compose.yml describes: the app on PostgreSQL, the index in `chroma run`."""
    require_pg()
    before = _bench_databases()
    args = ["--items", "60", "--distinct", "40", "--reuse-embeddings", "--queries", "10", "--scale-out"]
    lines, stderr = _bench([*args, "--source", str(source_dir)], tmp_path, timeout=800)
    (figures,) = lines
    assert figures["shape"] == "scale-out"
    assert "app database postgresql" in stderr and "Chroma server http://127.0.0.1:" in stderr
    # both processes measured: the app, and the Chroma server that holds the index
    assert figures["peak_rss_mb"] > 0 and figures["index_server_peak_rss_mb"] > 0
    assert figures["queries"] == 10 and figures["http_errors"] == 0
    assert 0 < figures["http_p50_ms"] <= figures["http_p95_ms"] <= figures["http_p99_ms"]
    # the served app found the server's index built from PostgreSQL's rows: nothing embedded again
    assert figures["server_index_documents"] == 60
    assert figures["server_reembedded"] is False
    assert figures["server_index_writes"] == 0
    assert figures["decidim_p95_ms"] is not None
    # the run's own database is gone afterwards
    assert _bench_databases() == before
