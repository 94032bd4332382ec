#!/usr/bin/env python3
"""Setup steps of the benchmark scripts (bench-server.sh, bench-log.sh) that are not measured:
read back the loaded users' ids and names, create, fill and delete the benchmark groups.
Standard library only.

  setup.py ids BASE TOKEN OUT_DIR           -> OUT_DIR/ids.txt, OUT_DIR/names.txt
  setup.py group BASE TOKEN NAME            -> prints the new group's id
  setup.py fill BASE TOKEN GROUP IDS_FILE N -> adds the first N ids as members, 1,000 per PATCH
  setup.py count BASE TOKEN PATH            -> prints totalResults of GET PATH
  setup.py delete BASE TOKEN PATH           -> DELETE PATH
"""

import json
import sys
import time
import urllib.request


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        payload = response.read()
        return json.loads(payload) if payload else None


def ids(base, token, out_dir):
    total = call(base, token, "GET", "/Users?count=0")["totalResults"]
    with open(f"{out_dir}/ids.txt", "w") as id_file, open(f"{out_dir}/names.txt", "w") as name_file:
        for start in range(1, total + 1, 1000):
            page = call(base, token, "GET", f"/Users?startIndex={start}&count=1000&attributes=userName")
            for user in page.get("Resources", []):
                id_file.write(user["id"] + "\n")
                name_file.write(user["userName"] + "\n")


def fill(base, token, group, ids_file, n):
    with open(ids_file) as f:
        members = [line.strip() for line in f][:n]
    started = time.monotonic()
    for i in range(0, len(members), 1000):
        chunk = [{"value": m} for m in members[i:i + 1000]]
        call(base, token, "PATCH", f"/Groups/{group}", {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": chunk}]})
    print(f"{time.monotonic() - started:.1f}")


def main():
    command, base, token = sys.argv[1], sys.argv[2], sys.argv[3]
    if command == "ids":
        ids(base, token, sys.argv[4])
    elif command == "group":
        created = call(base, token, "POST", "/Groups", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": sys.argv[4]})
        print(created["id"])
    elif command == "fill":
        fill(base, token, sys.argv[4], sys.argv[5], int(sys.argv[6]))
    elif command == "delete":
        call(base, token, "DELETE", sys.argv[4])
    elif command == "count":
        print(call(base, token, "GET", sys.argv[4])["totalResults"])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
