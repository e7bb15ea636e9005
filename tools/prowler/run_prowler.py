"""Run Prowler against an AWS emulator on loopback; started by boi/prowler.py with tools/prowler/.venv/bin/python.

Two changes to name resolution, then Prowler's own CLI (`prowler.__main__.prowler()`):

- botocore builds S3 Control URLs with the account id as a host prefix
  (http://123456789012.127.0.0.1:PORT/...). Such names do not resolve, the call fails and the
  S3 account-level checks (s3_account_level_public_access_blocks, ...) silently give no finding.
  Any `*.127.0.0.1` / `*.localhost` name is resolved to 127.0.0.1.
- Every other name that is not a loopback address is refused here: the scan talks only to the
  emulator, never to a real AWS endpoint (some checks download from fixed AWS hostnames). The
  refused call fails like any unreachable service and Prowler logs it as an ERROR line, which
  boi/prowler.py reports.

And one change to Prowler: its CLI drops a result whose output cannot be built (`except Exception:
continue` around Finding.generate_output) without a word; here that is logged as an ERROR first.

Usage: python run_prowler.py aws --region us-east-1 ... (the arguments of `prowler`).
"""

from __future__ import annotations

import ipaddress
import socket
import sys

_LOOPBACK_SUFFIXES = (".127.0.0.1", ".localhost")
_real_getaddrinfo = socket.getaddrinfo


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or _loopback(name):
        return _real_getaddrinfo(host, *args, **kwargs)
    if name.endswith(_LOOPBACK_SUFFIXES):
        return _real_getaddrinfo("127.0.0.1", *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"refused by run_prowler.py: {name} is not a loopback address")


def _log_dropped_findings() -> None:
    from prowler.lib.logger import logger
    from prowler.lib.outputs.finding import Finding

    generate = Finding.generate_output.__func__

    def generate_output(cls, provider, check_output, output_options):
        try:
            return generate(cls, provider, check_output, output_options)
        except Exception as error:
            check = getattr(getattr(check_output, "check_metadata", None), "CheckID", "?")
            logger.error(f"finding of {check} dropped: its output failed: {error.__class__.__name__}: {error}")
            raise

    Finding.generate_output = classmethod(generate_output)


def main() -> None:
    socket.getaddrinfo = _getaddrinfo
    _log_dropped_findings()
    from prowler.__main__ import prowler

    sys.argv[0] = "prowler"
    prowler()


if __name__ == "__main__":
    main()
