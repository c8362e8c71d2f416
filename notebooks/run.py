"""Execute the notebooks top to bottom, headless, with nbclient; exit 1 naming the failing cell.

    python notebooks/run.py [NAME.ipynb ...]     (all notebooks when none is named)

The test suite (tests/notebooks.rs) runs this with SOM_BIN pointing at the som binary it built
and SOM_NOTEBOOK_OUT at a scratch folder. The notebooks in the repository keep no outputs.
"""

import pathlib
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(names):
    names = names or sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for name in names:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        client = NotebookClient(
            nb,
            timeout=1200,
            kernel_name="python3",
            resources={"metadata": {"path": str(ROOT)}},
        )
        try:
            client.execute()
        except CellExecutionError as e:
            print(f"{name}: a cell failed\n{e}", file=sys.stderr)
            return 1
        print(f"ok: {name} ({len(nb.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
