""""Deploy" the model: copy it into deployed/, stamped with the run id."""
import os
import shutil

import fire


def main(model_file: str = "models/model.json", target_dir: str = "deployed"):
    run_id = os.environ.get("CRUDE_LINK_RUN_ID", "manual")
    os.makedirs(target_dir, exist_ok=True)
    target = os.path.join(target_dir, f"model-{run_id}.json")
    shutil.copyfile(model_file, target)
    shutil.copyfile(model_file, os.path.join(target_dir, "model-latest.json"))
    print(f"deployed {model_file} to {target}")


if __name__ == "__main__":
    fire.Fire(main)
