"""Write data/french_like.txt: 400 made-up French-sounding first names, the small new word list for fine-tuning.

    python scripts/make_french_like.py      # rewrites data/french_like.txt, the same file every time

No download and no real people: each name is 2-3 syllables drawn with random.Random(15) from the lists below,
which we wrote for this purpose, with a French ending (-ette, -ine, -ien, ...). The accents and the hyphen
(é è ë ï ç -) are characters the bundled names don't have, so a fine-tuned model meets new tokens.
"""

import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "french_like.txt"
COUNT = 400
FIRST = ["ma", "lu", "cé", "jo", "ro", "é", "hé", "gé", "fran", "mar", "ber", "ni", "co", "an", "lé", "clo", "sé",
         "ga", "au", "pé", "bé", "ca", "dé", "ja", "vic", "al", "isa", "ma", "ly", "é", "mé", "ra"]  # fmt: skip
MIDDLE = ["ri", "li", "na", "ra", "do", "ve", "lo", "mi", "ne", "ti", "ço", "si", "ré", "lè", "ma", "ci", "ga",
          "ro", "lau", "thé", "bas", "mon", "gi", "vi"]  # fmt: skip
ENDING = ["ette", "ine", "ien", "ienne", "elle", "ard", "ois", "oise", "ène", "aud", "on", "ée", "ic", "ïs",
          "ël", "eau", "in", "iane", "enne", "ot", "ise", "ès", "yne", "ille"]  # fmt: skip


def make_name(rng: random.Random) -> str:
    name = rng.choice(FIRST) + "".join(rng.choice(MIDDLE) for _ in range(rng.randint(0, 1))) + rng.choice(ENDING)
    if rng.random() < 0.06:  # a compound name, as in marie-claire
        name += "-" + make_name(rng)
    return name


def main() -> None:
    rng = random.Random(15)
    names: list[str] = []
    while len(names) < COUNT:
        name = make_name(rng)
        if name not in names and len(name) <= 20:
            names.append(name)
    OUT.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names to {OUT}")


if __name__ == "__main__":
    main()
