"""data/small_words.txt: 300 names drawn from data/names.txt, a small word list to try experiment=small_words on.

    python scripts/make_small_words.py

The draw is seeded (random.Random(300)), so the file is the same on every machine.
"""

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    names = (ROOT / "data" / "names.txt").read_text().split()
    small = sorted(random.Random(300).sample(names, 300))
    (ROOT / "data" / "small_words.txt").write_text("\n".join(small) + "\n")
    print(f"wrote {len(small)} names to data/small_words.txt")
