"""Build and synthesize the app for one environment."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from boi_model.reviewed import ReviewedExceptions, attach

from app import catalogs
from app.catalogs import CATALOGS
from app.node import use_bundled_node
from app.settings import Settings, load_settings

# The committed provider lock file of each stack kind (bootstrap, foundation, platform). Its `constraints`
# line equals app.stacks.stacks.PROVIDER_CONSTRAINT (tests/test_stacks.py).
LOCK = Path(__file__).resolve().parent / "locks" / "aws.terraform.lock.hcl"


def load_reviewed(root: Path = CATALOGS) -> ReviewedExceptions:
    """The reviewed checkov suppressions and accepted lint findings (CatalogError when malformed)."""
    return catalogs.reviewed(root)


def attach_reviewed(outdir: Path, reviewed: ReviewedExceptions) -> None:
    """Write the reviewed exceptions into the metadata of the constructs they name."""
    for file in sorted(Path(outdir).glob("stacks/*/cdk.tf.json")):
        doc = json.loads(file.read_text())
        if attach(doc, reviewed):
            file.write_text(json.dumps(doc, indent=2))


def place_lock_files(outdir: Path, lock: Path = LOCK) -> None:
    """Copy the committed provider lock file (app/stacks/locks/aws.terraform.lock.hcl) into every stack
    folder, where `terraform init -lockfile=readonly` finds it: every stack uses the one provider build
    tested here, hashes checked."""
    if not lock.is_file():
        raise FileNotFoundError(f"no committed lock file {lock}")
    for folder in sorted(Path(outdir).glob("stacks/*")):
        shutil.copyfile(lock, folder / ".terraform.lock.hcl")


def build_app(settings: Settings, outdir: str):
    use_bundled_node()
    from cdktn import App

    from app.stacks.stacks import build

    # The S3 backend's native locking (use_lockfile) needs Terraform 1.10 or newer; the same
    # context is in cdktf.json for the cdktn CLI.
    app = App(outdir=outdir, skip_validation=False, context={"targetVersions": {"terraform": ">=1.10.0"}})
    build(app, settings)
    return app


def synth(env: str, outdir: str = "cdktf.out", config_dir: Path | None = None) -> Path:
    """Validate settings, synthesize into a scratch folder, then swap in what the synth wrote
    (`stacks/`, `manifest.json`): a failure leaves the previous output untouched and never a
    half-written one. Other folders of the output (the gate's, the review's, the plans) are kept.
    The catalogs are read first: settings name key classes of catalogs/kms."""
    reviewed = catalogs.load_all()
    settings = load_settings(env, config_dir) if config_dir else load_settings(env)
    target = Path(outdir).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=target.parent))
    try:
        build_app(settings, str(scratch)).synth()
        attach_reviewed(scratch, reviewed)
        place_lock_files(scratch)
        swap_in(scratch, target)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return target


def swap_in(scratch: Path, target: Path) -> None:
    """Replace each entry of `target` that `scratch` holds (the synth's `stacks/` and
    `manifest.json`) and leave every other entry of `target` alone."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(scratch.iterdir()):
        dest = target / entry.name
        if dest.is_dir() and not dest.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".old-{entry.name}-", dir=target))
            dest.rename(old / entry.name)
            entry.rename(dest)
            shutil.rmtree(old)
        else:
            entry.replace(dest)
