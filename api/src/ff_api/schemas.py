"""Building blocks several features' bodies share: the version an edit is based on, a note's
text and view, a reference to a member of staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from ff_shared.stores.mongo.notes import Note

Version = Annotated[int, msgspec.Meta(ge=1, description="The version of the record you saw")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S")]


class VersionBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version: Version


class StaffRefView(msgspec.Struct, kw_only=True):
    id: str
    username: str


class NoteView(msgspec.Struct, kw_only=True):
    id: str
    application_id: str | None
    author: StaffRefView
    text: str
    created_at: datetime


def note_view(note: Note) -> NoteView:
    return NoteView(
        id=note.id,
        application_id=note.application_id,
        author=StaffRefView(id=note.author.id, username=note.author.username),
        text=note.text,
        created_at=note.created_at,
    )
