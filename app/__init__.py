"""The BOI platform app: settings, stacks, the foundation, the platform's tiers and its services.

Import direction (no folder imports a folder above it): settings <- core <- foundation, tiers <- stacks;
services is a leaf the tiers read. Nothing outside the app imports it: the tooling (package `boi`)
reads only the synthesized output.
"""
