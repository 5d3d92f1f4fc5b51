"""Make a small synthetic data set: points in the plane, labelled by which
side of a line they fall on, with some noise. One CSV row per "image"."""
import csv
import os
import random

import fire


def main(input_file: str, nr_images: int, filters: bool):
    rng = random.Random(42)
    rows = []
    for _ in range(nr_images):
        x, y = rng.uniform(-1, 1), rng.uniform(-1, 1)
        label = 1 if y > 0.5 * x + 0.1 else 0
        if rng.random() < 0.05:  # label noise
            label = 1 - label
        rows.append((x, y, label))
    if filters:
        # Drop the points right on the boundary: they carry no signal.
        rows = [r for r in rows if abs(r[1] - (0.5 * r[0] + 0.1)) > 0.02]
    os.makedirs(os.path.dirname(input_file) or ".", exist_ok=True)
    with open(input_file, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x", "y", "label"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} of {nr_images} samples to {input_file} (filters={filters})")


if __name__ == "__main__":
    fire.Fire(main)
