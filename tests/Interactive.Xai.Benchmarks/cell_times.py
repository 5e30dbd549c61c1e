"""Cell times of executed notebooks (run_notebook.py's OUT.ipynb), for first-magic.ipynb (issue 15's notebook goal).

Usage: /usr/bin/python3 cell_times.py OUT.ipynb...

The .NET Interactive kernel stamps a cell's busy, execute_input and execute_reply messages when it sends them, which
for a short cell can be after its work is done (busy and reply then differ by less than a millisecond, or even come
in the wrong order). So a cell's time here is from the previous cell's status:idle to its own: the kernel's whole
turn for the cell, plus nbclient's round trip, which is the same for every cell.
"""
import datetime
import json
import sys


def stamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


for path in sys.argv[1:]:
    cells = json.load(open(path))["cells"]
    idle = [stamp(c["metadata"]["execution"]["iopub.status.idle"]) for c in cells if c["cell_type"] == "code"]
    times = [(idle[i] - idle[i - 1]).total_seconds() for i in range(1, len(idle))]
    line = " ".join("%.3f" % t for t in times)
    ratio = " first/second %.1fx" % (times[0] / times[1]) if len(times) > 1 and times[1] > 0 else ""
    print("%s: cells 2..%d: %s s;%s" % (path, len(idle), line, ratio))
