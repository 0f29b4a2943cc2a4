"""The pre-commit hook's first install: time and size of `pip install` into a fresh venv.

What a pre-commit user pays the first time the hook runs (pre-commit makes a venv and pip-installs the
hook's repository), compared with check-jsonschema's hook, a common JSON/YAML checker, measured the same
way in the same run. Each candidate is installed into a new venv with pip's cache disabled, so every
wheel is downloaded (from the package index) as it would be on a new machine.

    .venv/bin/python benchmarks/bench_hook_install.py            # writes results/hook_install.{md,json}
    .venv/bin/python benchmarks/bench_hook_install.py --keep-cache   # warm pip cache (a second project)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CANDIDATES = {
    "tunesmith (hook: core install)": [str(ROOT)],
    "tunesmith[all] (everything: the old core install plus streamlit)": [f"{ROOT}[all]"],
    "check-jsonschema (its pre-commit hook)": ["check-jsonschema"],
}


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def measure(name: str, requirements: list[str], keep_cache: bool, work: Path) -> dict[str, object]:
    venv = work / "venv"
    wheels = work / "wheels"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    baseline = tree_size(venv)
    env = {**os.environ, **({} if keep_cache else {"PIP_NO_CACHE_DIR": "1"})}
    install_started = time.monotonic()
    subprocess.run([*pip, "install", *requirements], check=True, env=env)
    install_seconds = time.monotonic() - install_started
    total_seconds = time.monotonic() - started
    installed = tree_size(venv) - baseline
    subprocess.run([*pip, "download", "-d", str(wheels), *requirements], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    downloaded = tree_size(wheels)
    packages = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "list",
                               "--format", "json"], check=True, capture_output=True, text=True)
    count = len([p for p in json.loads(packages.stdout) if p["name"] not in ("pip", "setuptools")])
    print(f"{name}: {install_seconds:.1f} s install, {installed / 1e6:.0f} MB installed, "
          f"{downloaded / 1e6:.0f} MB downloaded, {count} packages", file=sys.stderr)
    return {"name": name, "install_seconds": round(install_seconds, 1), "venv_and_install_seconds":
            round(total_seconds, 1), "installed_mb": round(installed / 1e6, 1),
            "downloaded_mb": round(downloaded / 1e6, 1), "packages": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep-cache", action="store_true", help="use pip's cache (default: download everything)")
    args = parser.parse_args()
    rows = []
    for name, requirements in CANDIDATES.items():
        work = Path(tempfile.mkdtemp(prefix="tunesmith-hook-bench-"))
        try:
            rows.append(measure(name, requirements, args.keep_cache, work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    meta = {"python": platform.python_version(), "cpus": os.cpu_count(), "pip_cache": args.keep_cache,
            "date": time.strftime("%Y-%m-%d"), "load_average": os.getloadavg()[0]}
    lines = ["# The pre-commit hook's first install", "",
             f"`pip install` into a fresh venv, pip cache {'warm' if args.keep_cache else 'disabled'} "
             f"(every wheel downloaded); Python {meta['python']}, {meta['cpus']} cores, "
             f"load average {meta['load_average']:.1f} at the start, {meta['date']}.", "",
             "| what | install | installed | downloaded | packages |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['name']} | {r['install_seconds']} s | {r['installed_mb']} MB | {r['downloaded_mb']} MB | "
              f"{r['packages']} |" for r in rows]
    RESULTS.mkdir(exist_ok=True)
    suffix = "_warm" if args.keep_cache else ""
    (RESULTS / f"hook_install{suffix}.md").write_text("\n".join(lines) + "\n", "utf-8")
    (RESULTS / f"hook_install{suffix}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n",
                                                        "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
