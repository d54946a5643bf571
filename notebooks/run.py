"""Executes every notebook in this directory headless (nbclient, the `python3` kernel of the
interpreter running this script) against a sweep's outputs, without writing outputs back: the
notebooks stay stored without outputs.

    fleetsim sweep notebooks/sweep.yaml --out DIR
    FLEETSIM_SWEEP_DIR=DIR python notebooks/run.py [--keep OUTDIR]

`--keep OUTDIR` saves the executed copies there for reading. Exit code 1 if a notebook fails.
"""

import os
import pathlib
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = pathlib.Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    keep = pathlib.Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    if "FLEETSIM_SWEEP_DIR" not in os.environ:
        print("set FLEETSIM_SWEEP_DIR to the output directory of `fleetsim sweep notebooks/sweep.yaml`")
        return 2
    os.environ["FLEETSIM_SWEEP_DIR"] = str(pathlib.Path(os.environ["FLEETSIM_SWEEP_DIR"]).resolve())
    failed = 0
    for path in sorted(HERE.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
        try:
            client.execute()
            print(f"ok: {path.name}")
        except CellExecutionError as e:
            failed += 1
            print(f"FAILED: {path.name}\n{e}")
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, keep / path.name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
