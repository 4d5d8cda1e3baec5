"""A real bulk send against a served sandbox, SIGKILLed mid-run (reliability/test_bulk_send, messages/test_bulk)."""

import asyncio
import json
import sys

from intercomkit import AsyncClient
from intercomkit._protocol.retry import RetryPolicy


async def main(url, token, rows_path, log_path, admin, concurrency):
    with open(rows_path) as f:
        rows = json.load(f)
    policy = RetryPolicy(max_retries=3, backoff_base=0.005, backoff_max=0.02)
    async with AsyncClient(token=token, base_url=url, retry_policy=policy) as client:
        await client.messages.send_bulk(
            rows,
            body='Hi {{ name | "there" }}',
            from_admin=admin,
            key="email",
            log=log_path,
            dry_run=False,
            concurrency=int(concurrency),
        )


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
