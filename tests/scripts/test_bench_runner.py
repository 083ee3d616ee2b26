"""scripts/bench_all.py (what scripts/bench runs): it runs tiny fake benchmark scripts and reads them.

The fakes are real subprocesses written to tmp_path, each printing what a benchmark script prints
(``scripts/benchkit.py``'s JSON line, or not); the runner's size table is passed in, so these tests
never start a real benchmark. One test holds the real size table to the scripts' own arguments.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
_spec = importlib.util.spec_from_file_location("bench_all", SCRIPTS / "bench_all.py")
bench_all = importlib.util.module_from_spec(_spec)
sys.modules["bench_all"] = bench_all  # dataclasses look their module up by name
_spec.loader.exec_module(bench_all)


def line(*figures: dict, full_size: bool = True, bench: str = "fake") -> str:
    return json.dumps(
        {
            "bench": bench,
            "database": "sqlite",
            "full_size": full_size,
            "size": {},
            "load_average": [0.5, 0.75],
            "cpus": 2,
            "debug": False,
            "figures": list(figures),
        }
    )


def figure(name: str, measured: float, target: float | None, unit: str = "s") -> dict:
    met = None if target is None else measured <= target
    comparison = None if target is None else "<="
    return {"figure": name, "measured": measured, "unit": unit, "target": target, "comparison": comparison, "met": met}


def fake(tmp_path: Path, name: str, body: str) -> bench_all.Bench:
    """A benchmark script whose body is ``body`` (Python), as one row of the size table."""
    script = tmp_path / f"{name}.py"
    script.write_text("import json, os, sys\n" + textwrap.dedent(body))
    return bench_all.Bench(name, str(script), ("--small-size",), ("--full-size",), (bench_all.SQLITE,))


def run(benches, *argv: str) -> int:
    return bench_all.main(list(argv), benches=tuple(benches))


def table_rows(out: str) -> list[list[str]]:
    """The table's rows, split on the runs of two or more spaces between cells."""
    lines = out.splitlines()
    start = next(i for i, text in enumerate(lines) if text.startswith("bench "))
    rows = []
    for text in lines[start + 2 :]:
        if not text.strip():
            break
        rows.append(re.split(r"\s{2,}", text.strip()))
    return rows


def test_it_tabulates_a_scripts_json_line_after_its_own_output(tmp_path, capsys):
    bench = fake(
        tmp_path,
        "sweep",
        f"""
        print("busy sweep: 1,000 alerts in 1.2 s")
        print({line(figure("busy sweep", 1.21, 1.5), figure("busy sweep CPU", 0.9, None), bench="sweep")!r})
        """,
    )

    status = run([bench], "--small")

    out = capsys.readouterr().out
    assert status == 0
    assert table_rows(out) == [
        ["sweep", "sqlite", "busy sweep", "<= 1.5 s", "1.21 s", "yes (indicative)", "0.50 -> 0.75"],
        ["busy sweep CPU", "0.9 s", "-"],
    ]
    assert "busy sweep: 1,000 alerts" not in out  # its own output only on failure or with -v
    assert f"cpus {bench_all.os.cpu_count()}" in out
    assert "load average" in out


def test_it_passes_the_rows_arguments_for_the_size_chosen(tmp_path, capsys):
    body = f"""
        print({line(figure("x", 1, 2), bench="args")!r}.replace('"args"', json.dumps(" ".join(sys.argv[1:]))))
        """
    bench = fake(tmp_path, "args", body)

    run([bench], "--small")
    small = capsys.readouterr().out
    run([bench])
    full = capsys.readouterr().out

    assert table_rows(small)[0][0] == "--small-size"
    assert table_rows(full)[0][0] == "--full-size"


def test_a_script_that_prints_no_json_line_fails_and_its_output_is_shown(tmp_path, capsys):
    bench = fake(tmp_path, "quiet", 'print("measured something, said nothing")\n')

    status = run([bench], "--small")

    out = capsys.readouterr().out
    assert status == 1
    assert "quiet on sqlite: FAILED: printed no JSON line (exit status 0)" in out
    assert "measured something, said nothing" in out
    assert table_rows(out) == [["quiet", "sqlite", "printed no JSON line (exit status 0)", "FAILED"]]


def test_a_crashed_script_fails_even_at_small_size(tmp_path, capsys):
    bench = fake(tmp_path, "crash", 'raise RuntimeError("the database went away")\n')

    status = run([bench], "--small")

    out = capsys.readouterr().out
    assert status == 1
    assert "RuntimeError: the database went away" in out
    assert "printed no JSON line (exit status 1)" in out


def test_a_script_that_breaks_after_a_line_with_every_target_met_fails(tmp_path, capsys):
    bench = fake(tmp_path, "late_crash", f"print({line(figure('x', 1, 2))!r})\nsys.exit('query budget broken')\n")

    status = run([bench], "--small")

    assert status == 1
    assert "exit status 1 with every target met" in capsys.readouterr().out


def test_a_missed_target_fails_at_full_size(tmp_path, capsys):
    bench = fake(tmp_path, "slow", f"print({line(figure('busy sweep', 3.0, 1.5))!r})\nsys.exit(1)\n")

    status = run([bench])

    out = capsys.readouterr().out
    assert status == 1
    assert table_rows(out)[0][2:6] == ["busy sweep", "<= 1.5 s", "3 s", "MISSED"]
    assert "slow on sqlite: missed busy sweep" in out


def test_a_missed_target_is_only_shown_at_small_size(tmp_path, capsys):
    # The script exits 1 for its missed target (benchkit's convention): a miss, not a failure.
    bench = fake(tmp_path, "slow", f"print({line(figure('busy sweep', 3.0, 1.5), full_size=False)!r})\nsys.exit(1)\n")

    status = run([bench], "--small")

    out = capsys.readouterr().out
    assert status == 0
    assert table_rows(out)[0][2:6] == ["busy sweep", "<= 1.5 s", "3 s", "missed (indicative)"]


def test_a_miss_at_a_size_the_script_calls_small_is_indicative_at_full_size(tmp_path, capsys):
    bench = fake(tmp_path, "slow", f"print({line(figure('busy sweep', 3.0, 1.5), full_size=False)!r})\n")

    assert run([bench]) == 0
    assert table_rows(capsys.readouterr().out)[0][5] == "missed (indicative)"


def test_verbose_shows_a_passing_scripts_own_output(tmp_path, capsys):
    bench = fake(tmp_path, "chatty", f"print('first page 12 ms')\nprint({line(figure('x', 1, 2))!r})\n")

    assert run([bench], "--small", "-v") == 0
    assert "first page 12 ms" in capsys.readouterr().out


def test_json_writes_every_runs_line_and_says_why_a_run_failed(tmp_path, capsys):
    good = fake(tmp_path, "good", f"print({line(figure('x', 1, 2), bench='good')!r})\n")
    bad = fake(tmp_path, "bad", "sys.exit(3)\n")
    out_file = tmp_path / "figures.jsonl"

    assert run([good, bad], "--small", "--json", str(out_file)) == 1

    lines = [json.loads(text) for text in out_file.read_text().splitlines()]
    assert [(entry["bench"], entry.get("failed")) for entry in lines] == [
        ("good", None),
        ("bad", "printed no JSON line (exit status 3)"),
    ]
    assert lines[0]["figures"][0]["measured"] == 1


def test_each_script_runs_with_debug_off_its_own_var_dir_and_no_leaked_database(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.setenv("BREACHTRACK_MODE", "production")
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/someones_data")
    body = f"""
        seen = {{k: os.environ.get(k) for k in ("DEBUG", "BREACHTRACK_MODE", "DATABASE_URL", "BREACHTRACK_VAR_DIR")}}
        print({line(figure("x", 1, 2))!r}.replace('"size": {{}}', '"size": ' + json.dumps(seen)))
        """
    first, second = fake(tmp_path, "one", body), fake(tmp_path, "two", body)
    out_file = tmp_path / "figures.jsonl"

    assert run([first, second], "--small", "--db", "sqlite", "--json", str(out_file)) == 0

    sizes = [json.loads(text)["size"] for text in out_file.read_text().splitlines()]
    assert [(s["DEBUG"], s["BREACHTRACK_MODE"], s["DATABASE_URL"]) for s in sizes] == [("0", None, None)] * 2
    assert sizes[0]["BREACHTRACK_VAR_DIR"] != sizes[1]["BREACHTRACK_VAR_DIR"]


def test_on_postgresql_each_bench_gets_its_own_database_name(tmp_path, capsys):
    body = f"print({line(figure('x', 1, 2))!r}.replace('\"size\": {{}}', '\"size\": ' + json.dumps(os.environ['DATABASE_URL'])))\n"
    bench = bench_all.Bench("sweep", str(fake(tmp_path, "pg", body).script), (), (), (bench_all.POSTGRESQL,))
    out_file = tmp_path / "figures.jsonl"

    assert (
        run(
            [bench], "--small", "--pg", "postgres://postgres@127.0.0.1:5432/bt?sslmode=disable", "--json", str(out_file)
        )
        == 0
    )

    assert json.loads(out_file.read_text())["size"] == "postgres://postgres@127.0.0.1:5432/bt_sweep?sslmode=disable"


def test_postgresql_without_a_url_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    bench = fake(tmp_path, "never", "raise SystemExit('must not run')\n")

    assert run([bench], "--db", "postgresql") == 2
    assert "needs --pg URL" in capsys.readouterr().err


def test_an_unknown_bench_name_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="unknown benchmark nope"):
        run([fake(tmp_path, "real", "")], "nope")


@pytest.mark.parametrize("bench", bench_all.BENCHES, ids=lambda b: b.name)
def test_the_size_table_uses_options_its_script_has(bench):
    """A row whose script lost or renamed an option fails here, not in a 20-minute run."""
    source = (SCRIPTS / bench.script).read_text()
    options = set(re.findall(r"add_argument\(\s*\"(--[a-z0-9-]+)\"", source))
    given = {arg for arg in (*bench.small, *bench.full) if arg.startswith("--")}
    assert given <= options, f"{bench.script} has no {sorted(given - options)}"
    assert set(bench.databases) <= {bench_all.SQLITE, bench_all.POSTGRESQL}


def test_a_terminated_runner_stops_the_script_it_started(tmp_path):
    """scripts/test's trap sends TERM; the scripts run in their own sessions, so the runner must stop them."""
    ready, block = tmp_path / "ready", tmp_path / "block"
    os.mkfifo(ready)
    os.mkfifo(block)
    hanging = fake(
        tmp_path,
        "hangs",
        f"""
        with open({str(ready)!r}, "w") as f:
            f.write(str(os.getpid()))
        open({str(block)!r}).read()  # no writer ever comes: it waits until it is stopped
        """,
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import bench_all; "
        "sys.exit(bench_all.main(['--small'], benches=(bench_all.Bench('hangs', sys.argv[2], (), (), ('sqlite',)),)))"
    )
    runner = subprocess.Popen([sys.executable, "-c", code, str(SCRIPTS), hanging.script], stdout=subprocess.DEVNULL)
    try:
        with open(ready) as f:  # blocks until the fake script runs
            pid = int(f.read())
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        runner.kill()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
