"""The API's shared serializer fields."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import ValidationError

from api.fields import StringField


@pytest.mark.parametrize("value", [0, 1.5, True])
def test_a_string_field_refuses_a_number_or_boolean_instead_of_taking_its_digits(value):
    with pytest.raises(ValidationError) as refused:
        StringField().run_validation(value)
    assert refused.value.detail == ["Not a valid string."]


def test_a_string_field_takes_a_string_of_digits():
    assert StringField().run_validation("0") == "0"
