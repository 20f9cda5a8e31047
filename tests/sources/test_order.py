"""Messages are read in the order they arrived, never in the text order of their keys."""

from __future__ import annotations

from datetime import UTC, datetime

from mailflow.sources.base import FetchedMessage, in_arrival_order
from mailflow.sources.maildir import arrival_key


def test_maildir_names_sort_by_time_then_microseconds_as_numbers() -> None:
    names = [
        "1700000001.M5P1Q1.host",
        "1700000000.M1000P42Q2.host",
        "999999999.M7P1Q1.host",
        "1700000000.M999P42Q1.host",
        "not-a-maildir-name",
    ]

    assert sorted(names, key=arrival_key) == [
        "999999999.M7P1Q1.host",
        "1700000000.M999P42Q1.host",
        "1700000000.M1000P42Q2.host",
        "1700000001.M5P1Q1.host",
        "not-a-maildir-name",
    ]


def test_maildir_old_style_names_compare_their_numbers() -> None:
    assert sorted(["1700000000.123_10.host", "1700000000.123_9.host"], key=arrival_key) == [
        "1700000000.123_9.host",
        "1700000000.123_10.host",
    ]


def test_imap_messages_sort_by_internaldate_then_uid() -> None:
    def message(uid: int, second: int) -> FetchedMessage:
        moment = datetime(2025, 9, 1, 8, 0, second, tzinfo=UTC)
        return FetchedMessage(uid=uid, key=str(uid), raw=b"", internal_date=moment)

    fetched = [message(1000, 5), message(999, 5), message(10, 9), message(2, 1)]

    assert [m.uid for m in in_arrival_order(fetched)] == [2, 999, 1000, 10]
