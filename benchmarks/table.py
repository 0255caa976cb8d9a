"""One row format and one table printer for every benchmark."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable


def row(benchmark: str, measure: str, value: float, unit: str, target: str = "-") -> dict:
    """A measured value; ``target`` is like '<= 5' or '>= 99.0' in ``unit``, or '-'."""
    return {"benchmark": benchmark, "measure": measure, "value": value, "unit": unit,
            "target": target}


def verdict(result: dict) -> str:
    target = result["target"]
    if target[:2] == "<=":
        return "met" if result["value"] <= float(target[2:]) else "MISSED"
    if target[:2] == ">=":
        return "met" if result["value"] >= float(target[2:]) else "MISSED"
    return ""


def print_table(rows: list[dict]) -> None:
    """A Markdown table of the rows, then the machine's load, which stretches wall times."""
    print("| benchmark | measure | value | target | |")
    print("| --- | --- | ---: | ---: | --- |")
    for result in rows:
        target = result["target"]
        target = target if target == "-" else f"{target} {result['unit']}"
        print(f"| {result['benchmark']} | {result['measure']} | {result['value']:.3f} "
              f"{result['unit']} | {target} | {verdict(result)} |")
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
          "(other work on the machine stretches wall times)")


def run_and_print(run: Callable[[argparse.Namespace], list[dict]], args: argparse.Namespace,
                  errors: tuple[type[Exception], ...]) -> int:
    """A benchmark's command edge: run it, print its table; exit 1 with one line on ``errors``."""
    try:
        rows = run(args)
    except errors as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print_table(rows)
    return 0
