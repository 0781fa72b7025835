"""Writes each SMS as one JSON file in ``SMS_FILE_PATH`` (local tools, browser tests).

File names sort by time, so the newest message for a number is the last one listed.
"""

import json
import time
import uuid
from pathlib import Path

from django.conf import settings


class SmsBackend:
    def send(self, message) -> None:
        directory = Path(settings.SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        payload = {"to": message.to, "body": message.body}
        tmp = directory / (name + ".tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        tmp.rename(directory / name)
        message.provider_id = name
