"""Serializer fields shared by the API's request bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StringField(serializers.CharField):
    """DRF's CharField that takes strings only. DRF's own turns a JSON number into its digits
    (`0` into "0"), which the schema (`type: string`) says is refused."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
