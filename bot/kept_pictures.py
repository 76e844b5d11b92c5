"""Pictures a Zalo user sent, kept in memory for the dialogs.

Zalo (the Bot Platform and the Official Account alike) hands a picture over as a URL that
expires, so a channel downloads it when the event arrives and keeps the bytes here until the
dialogs ask for them (a report's evidence step reads them a moment later).
"""

from __future__ import annotations

from collections import OrderedDict

from handlers.core.types import Attachment, FileFetchError, FileTooLarge

KEPT = 64  # pictures kept, newest last: a step reads its picture within seconds


class KeptPictures:
    def __init__(self, most: int = KEPT) -> None:
        self._most = most
        self._files: OrderedDict[str, bytes] = OrderedDict()

    def keep(self, file_id: str, data: bytes) -> None:
        self._files[file_id] = data
        self._files.move_to_end(file_id)
        while len(self._files) > self._most:
            self._files.popitem(last=False)

    async def fetch(self, attachment: Attachment, max_bytes: int) -> bytes:
        """The bytes of a picture the user sent (downloaded when it arrived)."""
        data = self._files.get(attachment.file_id)
        if data is None:
            raise FileFetchError("the picture is no longer kept; ask to send it again")
        if len(data) > max_bytes or (attachment.size or 0) > max_bytes:
            raise FileTooLarge(f"over {max_bytes} bytes")
        return data
