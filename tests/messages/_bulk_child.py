"""Run by test_bulk_kill: a bulk send against a served sandbox, to be SIGKILLed mid-run."""

import asyncio
import json
import sys

from intercomkit import AsyncClient


async def main(url, token, rows_path, log_path, admin):
    with open(rows_path) as f:
        rows = json.load(f)
    async with AsyncClient(token=token, base_url=url) as client:
        await client.messages.send_bulk(
            rows,
            body='Hi {{ name | "there" }}',
            from_admin=admin,
            key="email",
            log=log_path,
            dry_run=False,
            concurrency=2,
        )


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
