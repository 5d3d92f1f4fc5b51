"""Train a logistic-regression model in plain Python and save it as JSON."""
import csv
import json
import math
import os

import fire


def load(path):
    with open(path, newline="") as f:
        return [(float(r["x"]), float(r["y"]), int(r["label"])) for r in csv.DictReader(f)]


def main(data_file: str = "data/dummy.data", model_file: str = "models/model.json",
         epochs: int = 30, learning_rate: float = 0.5):
    data = load(data_file)
    w = [0.0, 0.0, 0.0]
    for epoch in range(1, epochs + 1):
        loss = 0.0
        grad = [0.0, 0.0, 0.0]
        for x, y, label in data:
            p = 1 / (1 + math.exp(-(w[0] * x + w[1] * y + w[2])))
            loss -= math.log(p if label else 1 - p)
            for i, v in enumerate((x, y, 1.0)):
                grad[i] += (p - label) * v
        w = [wi - learning_rate * gi / len(data) for wi, gi in zip(w, grad)]
        if epoch % 10 == 0 or epoch == 1:
            print(f"epoch {epoch:3d}/{epochs}  loss {loss / len(data):.4f}")
    os.makedirs(os.path.dirname(model_file) or ".", exist_ok=True)
    with open(model_file, "w") as f:
        json.dump({"weights": w, "epochs": epochs, "samples": len(data)}, f)
    print(f"saved model to {model_file}")


if __name__ == "__main__":
    fire.Fire(main)
