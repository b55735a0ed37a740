"""What a training costs: Boussole's `bot train` against Rasa's stock way, in the same run.

Stock: the same config.yml with Rasa's own `CountVectorsFeaturizer` in place of
`TokenCountVectorsFeaturizer`, Rasa's training cache on (a fresh cache directory, as on a
fresh machine) and Python's default garbage collector (`python -m rasa`). Boussole: config.yml
as it is, the cache disabled, the collector tuned — what `python -m bot train` does
(bot/ops/train.py, bot/rasa_ext/launch.py, bot/rasa_ext/rasa_fixes.py fix 6). Both train on
the project's data into a temporary folder with `--force --skip-validation`; prints wall and
CPU seconds of each and their ratio, with the load average. Both load spaCy the way Boussole
does (fix 5: config.yml names Boussole's components, which apply the fixes).

    .venv/bin/python bench/train.py [--only boussole|stock]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = "bot.orientation.nlu_components.TokenCountVectorsFeaturizer"


def _train(config: Path, out: Path, env: dict, module: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            module,
            "train",
            "--config",
            str(config),
            "--domain",
            "domain.yml",
            "--data",
            "data/nlu",
            "data/rules",
            "data/stories",
            "--out",
            str(out),
            "--fixed-model-name",
            config.stem,
            "--force",
            "--skip-validation",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["boussole", "stock"])
    args = parser.parse_args()
    base = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        stock = folder / "stock.yml"
        stock.write_text((ROOT / "config.yml").read_text().replace(OURS, "CountVectorsFeaturizer"))
        runs = {
            "boussole": (
                ROOT / "config.yml",
                dict(base, RASA_MAX_CACHE_SIZE="0"),
                "bot.rasa_ext.launch",
            ),
            "stock": (stock, dict(base, RASA_CACHE_DIRECTORY=str(folder / "cache")), "rasa"),
        }
        for name, (config, env, module) in runs.items():
            if args.only and name != args.only:
                continue
            load = os.getloadavg()[0]
            wall, cpu = _train(config, folder, env, module)
            results[name] = (wall, cpu)
            print(
                f"{name:>9} : {wall:6.1f} s écoulées, {cpu:6.1f} s de CPU "
                f"(charge moyenne au départ {load:.2f})",
                flush=True,
            )
    if len(results) == 2:
        (wall, cpu), (stock_wall, stock_cpu) = results["boussole"], results["stock"]
        print(
            f"   rapport : {wall / stock_wall:.2f} × le temps écoulé, "
            f"{cpu / stock_cpu:.2f} × le CPU de l'entraînement Rasa d'origine"
        )


if __name__ == "__main__":
    main()
