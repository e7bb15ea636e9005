"""The app's stacks and how they are synthesized (`synth.py` sets up Node before cdktn is imported)."""
