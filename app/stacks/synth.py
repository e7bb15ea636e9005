"""Build and synthesize the app for one environment."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from app.node import use_bundled_node
from app.settings import Settings, load_settings


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
    half-written one. Other folders of the output (the gate's, the review's, the plans) are kept."""
    settings = load_settings(env, config_dir) if config_dir else load_settings(env)
    target = Path(outdir).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=target.parent))
    try:
        build_app(settings, str(scratch)).synth()
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
