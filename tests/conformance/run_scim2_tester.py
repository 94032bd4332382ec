#!/usr/bin/env python3
"""Runs the independent SCIM conformance checker scim2-tester against the real binary.

Creates a throw-away database and an SSO provider with the CLI, starts `scim-workbench serve`
on free loopback ports, runs `scim2_tester.check_server` with the provider's token, prints every
result that is not a success (with the server's payload), stops the server with SIGTERM, and
exits 1 on any ERROR or CRITICAL result or when the per-resource checks did not run (scim2-tester
silently skips them when discovery fails).

Usage: run_scim2_tester.py PATH/TO/scim-workbench [--verbose]
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

FAILED = (Status.ERROR, Status.CRITICAL)


def create_provider(binary: str, db: str) -> str:
    out = subprocess.run(
        [binary, "provider", "create", "--db", db, "--name", "scim2-tester", "--kind", "okta"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)["token"]


def start_server(binary: str, db: str) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [binary, "serve", "--db", db, "--scim-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE, text=True,
    )
    for line in server.stdout:
        found = re.match(r"SCIM base URL: (\S+)", line)
        if found:
            return server, found.group(1)
    server.wait()
    raise SystemExit(f"the server exited with status {server.returncode} before printing its URL")


def describe(result) -> str:
    data = result.data
    try:
        data = json.dumps(data, default=str, indent=2)[:2000]
    except TypeError:
        data = repr(data)[:2000]
    return (f"[{result.status.name}] {result.resource_type or '-'} {result.title}\n"
            f"  reason: {result.reason}\n  data: {data}")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary, verbose = sys.argv[1], "--verbose" in sys.argv[2:]
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "conformance.db")
        token = create_provider(binary, db)
        server, base = start_server(binary, db)
        try:
            http = Client(base_url=base, timeout=30.0, trust_env=False,
                          headers={"Authorization": f"Bearer {token}"})
            results = check_server(SyncSCIMClient(http))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.name] = counts.get(result.status.name, 0) + 1
        if verbose or result.status in FAILED:
            print(describe(result))
    crud_ran = any(r.resource_type for r in results)
    failures = sum(1 for r in results if r.status in FAILED)
    print(f"scim2-tester: {len(results)} results {counts}; per-resource checks ran: {crud_ran}; "
          f"server stopped with status {server.returncode}")
    return 0 if failures == 0 and crud_ran and server.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
