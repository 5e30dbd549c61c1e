"""Writes the small public datasets shipped with Interactive.Xai as gzipped CSV files with a header row.

Source: the copies bundled with scikit-learn (Debian package python3-sklearn).
Run with Debian's interpreter: /usr/bin/python3 tools/datasets/make_datasets.py
"""
import gzip
import os

from sklearn import datasets

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "Interactive.Xai.Core", "Datasets")


def write(name, columns, rows):
    path = os.path.join(OUT, name + ".csv.gz")
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write((",".join(columns) + "\n").encode("utf-8"))
        for row in rows:
            f.write((",".join(fmt(v) for v in row) + "\n").encode("utf-8"))
    print(path)


def fmt(v):
    v = float(v)
    return str(int(v)) if v.is_integer() else repr(v)


d = datasets.load_diabetes(scaled=False)
write("diabetes", ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "target"],
      [list(x) + [y] for x, y in zip(d.data, d.target)])
w = datasets.load_wine()
write("wine", list(w.feature_names) + ["class"], [list(x) + [y] for x, y in zip(w.data, w.target)])
i = datasets.load_iris()
write("iris", [n.replace(" (cm)", "").replace(" ", "_") for n in i.feature_names] + ["species"],
      [list(x) + [y] for x, y in zip(i.data, i.target)])
g = datasets.load_digits()
write("digits", ["p%d" % k for k in range(64)] + ["digit"], [list(x) + [y] for x, y in zip(g.data, g.target)])
