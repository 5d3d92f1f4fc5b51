"""Check the model's accuracy on the data set; fail (exit status 1) below
the threshold, so that crude-link stops before deploying a bad model."""
import csv
import json
import sys

import fire


def main(input_file: str, model_file: str = "models/model.json", threshold: float = 0.85):
    with open(model_file) as f:
        w = json.load(f)["weights"]
    with open(input_file, newline="") as f:
        rows = [(float(r["x"]), float(r["y"]), int(r["label"])) for r in csv.DictReader(f)]
    correct = sum(1 for x, y, label in rows if (w[0] * x + w[1] * y + w[2] > 0) == bool(label))
    accuracy = correct / len(rows)
    print(f"accuracy {accuracy:.3f} on {len(rows)} samples (threshold {threshold})")
    if accuracy < threshold:
        print("model is below the threshold; not deploying it", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    fire.Fire(main)
