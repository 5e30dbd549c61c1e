"""Executes one notebook in a real Jupyter kernel (Debian's nbclient) and reports every cell's outcome as JSON.

Usage: /usr/bin/python3 run_notebook.py NOTEBOOK OUT_IPYNB PACKAGE_FOLDER PACKAGE_VERSION KERNEL_NAME TIMEOUT_SECONDS

The notebook's `#r "nuget: Interactive.Xai"` line is pointed at the freshly packed package: `#i "nuget: FOLDER"` is put
before it and the version is pinned, so that NuGet's global cache cannot serve an older package of the same version.
The kernel runs in the notebook's own folder (relative model and data paths work). The executed notebook is written to
OUT_IPYNB; a JSON report to OUT_IPYNB.json (stdout carries the kernel's own log): one entry per code cell with its outputs' error text, stderr text and timing.
"""
import json
import os
import warnings
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

notebook, out_path, folder, version, kernel_name, timeout = sys.argv[1:7]
warnings.simplefilter("ignore")  # nbformat's notes about cell ids are not the notebook's output
nb = nbformat.read(notebook, as_version=4)

reference = re.compile(r'^(\s*)#r\s+"nuget:\s*Interactive\.Xai\s*(,[^"]*)?"', re.MULTILINE)
pointed = False
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    source = cell.source
    if reference.search(source):
        source = re.sub(r'^\s*//\s*#i\s+"nuget:[^"]*"\s*$', '', source, flags=re.MULTILINE)
        source = reference.sub(lambda m: f'{m.group(1)}#i "nuget: {folder}"\n{m.group(1)}#r "nuget: Interactive.Xai, {version}"',
                               source, count=1)
        cell.source = source
        pointed = True
        break

client = NotebookClient(nb, timeout=int(timeout), kernel_name=kernel_name, allow_errors=True,
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook))}})
started = time.monotonic()
failure = None
try:
    client.execute()
except CellExecutionError as e:  # only with allow_errors=False; kept for clarity
    failure = str(e)
except Exception as e:  # kernel died, timeout, ...
    failure = f"{type(e).__name__}: {e}"
elapsed = time.monotonic() - started
nbformat.write(nb, out_path)

cells = []
index = 0
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    errors, stderr, mimes = [], [], []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "error":
            errors.append({"ename": output.get("ename", ""), "evalue": output.get("evalue", ""),
                           "traceback": output.get("traceback", [])})
        elif kind == "stream" and output.get("name") == "stderr":
            stderr.append(output.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            mimes.extend(output.get("data", {}).keys())
    timing = cell.get("metadata", {}).get("execution", {})
    cells.append({
        "index": index,
        "source": cell.source[:200],
        "expectError": cell.get("metadata", {}).get("xai_expect_error"),
        "executed": cell.get("execution_count") is not None,
        "errors": errors,
        "stderr": "".join(stderr),
        "mimeTypes": mimes,
        "start": timing.get("iopub.execute_input"),
        "end": timing.get("shell.execute_reply"),
    })
    index += 1

with open(out_path + ".json", "w", encoding="utf-8") as report:
    json.dump({"notebook": notebook, "pointed": pointed, "seconds": round(elapsed, 1), "failure": failure, "cells": cells},
              report, indent=1)
